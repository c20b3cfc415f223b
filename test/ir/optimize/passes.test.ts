// Hand-checked small cases for each optimisation pass (values computed by hand in the comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Op } from '../../../src/ir/types.js';
import { foldAffineIntoNextConv, foldBatchnorm, foldConvAffine, fuseConvActivation, optimizeForInference } from '../../../src/ir/passes/optimize/index.js';
import { runFloat } from '../../../src/kernels/ref/float-executor.js';
import { verifyGraph } from '../../../src/ir/passes/verify.js';

const k = (name: string, shape: number[], data: number[]): Op => ({ name, type: 'const', inputs: [], attrs: {}, output: { shape, dtype: 'float32' }, data: new Float32Array(data) });
const convAttrs = { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], group: 1 };
const t4 = [1, 1, 1, 2];

/** x[1,1,1,2] → conv1x1 (w [[1,1],[2,-1]], b [0.5,0]) → tail ops. */
function graph(tail: Op[], outputs: string[]): Graph {
  const ops: Op[] = [
    { name: 'x', type: 'data', inputs: [], attrs: { shape: t4 }, output: { shape: t4, dtype: 'float32' } },
    k('w', [2, 1, 1, 2], [1, 1, 2, -1]),
    k('b', [2], [0.5, 0]),
    { name: 'conv', type: 'conv2d', inputs: ['x', 'w', 'b'], attrs: convAttrs, output: { shape: t4, dtype: 'float32' } },
    ...tail,
  ];
  return { name: 'g', ops, inputs: ['x'], outputs, meta: {} };
}
const op = (name: string, type: string, inputs: string[], attrs: Op['attrs'] = {}): Op => ({ name, type, inputs, attrs, output: { shape: t4, dtype: 'float32' } });
const run = (g: Graph, x = [1, 2]): number[] => Array.from(runFloat(g, { x: { shape: t4, data: new Float32Array(x) } })[g.outputs[0]!]!.data);
const close = (a: number[], b: number[]): void => { assert.equal(a.length, b.length); a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5, `${a} vs ${b}`)); };
const types = (g: Graph): string[] => g.ops.filter((o) => o.type !== 'const' && o.type !== 'data').map((o) => o.type);

// BN: gamma [2,3] beta [1,-1] mean [0.5,1] var [3,0] eps 1 → s = [2/2, 3/1] = [1,3], t = [0.5, -4].
const bnTail = [k('g', [2], [2, 3]), k('be', [2], [1, -1]), k('m', [2], [0.5, 1]), k('v', [2], [3, 0]), op('bn', 'batchnorm', ['conv', 'g', 'be', 'm', 'v'], { epsilon: 1, axis: -1 })];

test('fold-batchnorm: conv(x=[1,2]) = [3.5, 0] → bn → [4, -4]; folded w = [[1,1],[6,-3]], b = [1, -4]', () => {
  const g = graph(bnTail, ['bn']);
  close(run(g), [4, -4]);
  const o = foldBatchnorm(g);
  assert.deepEqual(types(o), ['conv2d']);
  const conv = o.ops.find((p) => p.type === 'conv2d')!;
  assert.equal(conv.name, 'bn');
  const byName = new Map(o.ops.map((p) => [p.name, p]));
  close(Array.from(byName.get(conv.inputs[1]!)!.data!), [1, 1, 6, -3]);
  close(Array.from(byName.get(conv.inputs[2]!)!.data!), [1, -4]);
  close(run(o), [4, -4]);
});

test('fold-conv-affine: mul [2,0.5] per channel, add scalar 1, sub 1, 2 − conv, div 2', () => {
  // conv [3.5, 0] · [2, 0.5] = [7, 0]; + 1 = [8, 1]
  const g = graph([k('s', [1, 1, 1, 2], [2, 0.5]), op('mul', 'mul', ['s', 'conv']), k('one', [], [1]), op('add', 'add', ['mul', 'one'])], ['add']);
  const o = optimizeForInference(g);
  assert.deepEqual(types(o), ['conv2d']);
  assert.equal(o.ops.at(-1)!.name, 'add');
  close(run(o), [8, 1]);
  // 2 − conv = [−1.5, 2]; then / 2 = [−0.75, 1]
  const g2 = graph([k('two', [1], [2]), op('sub', 'sub', ['two', 'conv']), op('div', 'div', ['sub', 'two'])], ['div']);
  const o2 = foldConvAffine(foldConvAffine(g2));
  assert.deepEqual(types(o2), ['conv2d']);
  close(run(o2), [-0.75, 1]);
  // conv − 1 = [2.5, −1]
  close(run(foldConvAffine(graph([k('one', [1], [1]), op('sub', 'sub', ['conv', 'one'])], ['sub']))), [2.5, -1]);
  // 2 / conv is not affine: left alone.
  const g3 = graph([k('two', [1], [2]), op('div', 'div', ['two', 'conv'])], ['div']);
  assert.equal(foldConvAffine(g3), g3);
  // A non-channel constant (broadcast along W, not C) is left alone.
  const g4 = graph([k('s', [1, 1, 2, 1], [2, 3]), { ...op('mul', 'mul', ['conv', 's']), output: { shape: [1, 1, 2, 2], dtype: 'float32' } }], ['mul']);
  assert.equal(foldConvAffine(g4), g4);
});

test('fuse-conv-activation: relu, relu6, leaky-relu, hard-sigmoid, hard-swish by hand', () => {
  // conv(x = [-3, 4]) = [−3+4+0.5, −6−4] = [1.5, −10]
  const x = [-3, 4];
  const cases: [Op, number[]][] = [
    [op('act', 'relu', ['conv']), [1.5, 0]],
    [op('act', 'relu6', ['conv']), [1.5, 0]],
    [op('act', 'leaky-relu', ['conv'], { alpha: 0.1 }), [1.5, -1]],
    [op('act', 'hard-sigmoid', ['conv'], { alpha: 1 / 6, beta: 0.5 }), [4.5 / 6, 0]],
    [op('act', 'hard-swish', ['conv']), [(1.5 * 4.5) / 6, 0]],
    [op('act', 'clamp', ['conv'], { min: 0, max: 6 }), [1.5, 0]],
  ];
  for (const [a, want] of cases) {
    const g = graph([a], ['act']);
    close(run(g, x), want);
    const o = fuseConvActivation(g);
    assert.deepEqual(types(o), ['conv2d'], a.type);
    assert.equal(o.ops.at(-1)!.name, 'act');
    close(run(o, x), want);
  }
  // hard-sigmoid with ONNX default alpha 0.2 is not HSIGMOID: left alone.
  const g = graph([op('act', 'hard-sigmoid', ['conv'], { alpha: 0.2, beta: 0.5 })], ['act']);
  assert.equal(fuseConvActivation(g), g);
});

test('full chain conv→bn→mul→add→relu folds into one conv with nonlinear RELU', () => {
  // bn [4,−4]; ·[2,0.5] = [8,−2]; +1 = [9,−1]; relu = [9,0]
  const g = graph([...bnTail, k('s', [2], [2, 0.5]), op('mul', 'mul', ['bn', 's']), k('one', [], [1]), op('add', 'add', ['mul', 'one']), op('relu', 'relu', ['add'])], ['relu']);
  close(run(g), [9, 0]);
  const o = optimizeForInference(g);
  assert.deepEqual(types(o), ['conv2d']);
  const conv = o.ops.at(-1)!;
  assert.equal(conv.name, 'relu');
  assert.equal(conv.attrs['nonlinear'], 'RELU');
  close(run(o), [9, 0]);
});

test('no fusion when the conv has another user or is a graph output', () => {
  const g = graph([op('relu', 'relu', ['conv']), op('sum', 'add', ['relu', 'conv'])], ['sum']);
  assert.equal(optimizeForInference(g), g);
  const g2 = graph([op('relu', 'relu', ['conv'])], ['relu', 'conv']);
  const o2 = optimizeForInference(g2);
  assert.deepEqual(o2.outputs, ['relu', 'conv']);
  assert.deepEqual(types(o2), ['conv2d', 'relu']);
});

test('depthwise conv: batchnorm scales the last weight axis', () => {
  // depthwise 1×1, w [1,1,1,2] = [2, −1], no bias: x [1,2] → [2, −2]; bn → [2·1+0.5, −2·3−4] = [2.5, −10]
  const g: Graph = {
    name: 'dw', inputs: ['x'], outputs: ['bn'], meta: {},
    ops: [
      { name: 'x', type: 'data', inputs: [], attrs: { shape: t4 }, output: { shape: t4, dtype: 'float32' } },
      k('w', [1, 1, 1, 2], [2, -1]),
      { name: 'dw', type: 'depthwise-conv2d', inputs: ['x', 'w'], attrs: { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0] }, output: { shape: t4, dtype: 'float32' } },
      ...bnTail.map((o) => (o.name === 'bn' ? { ...o, inputs: ['dw', ...o.inputs.slice(1)] } : o)),
    ],
  };
  close(run(g), [2.5, -10]);
  const o = optimizeForInference(g);
  assert.deepEqual(types(o), ['depthwise-conv2d']);
  close(run(o), [2.5, -10]);
});

test('fold-affine-into-next-conv: (x·[2,3] + 1) → conv1x1 pad 0; add kept when the conv pads', () => {
  // x = [1,2] → ·[2,3] = [2,6] → +1 = [3,7] → conv w [[1,1],[2,−1]] b [0.5,0] = [10.5, −1]
  const pre = (pad: number[]): Graph => {
    const g = graph([], ['conv']);
    const conv = g.ops.pop()!;
    g.ops.push(k('s', [2], [2, 3]), op('m', 'mul', ['x', 's']), k('one', [], [1]), op('a', 'add', ['m', 'one']), { ...conv, inputs: ['a', 'w', 'b'], attrs: { ...convAttrs, pad } });
    return g;
  };
  const g = pre([0, 0, 0, 0]);
  close(run(g), [10.5, -1]);
  const o = optimizeForInference(g);
  assert.deepEqual(types(o), ['conv2d']);
  assert.equal(o.ops.at(-1)!.name, 'conv');
  const byName = new Map(o.ops.map((p) => [p.name, p]));
  // w' = [[2,3],[4,−3]]; b' = b + w·1 = [0.5+2, 0+1] = [2.5, 1]
  close(Array.from(byName.get(o.ops.at(-1)!.inputs[1]!)!.data!), [2, 3, 4, -3]);
  close(Array.from(byName.get(o.ops.at(-1)!.inputs[2]!)!.data!), [2.5, 1]);
  close(run(o), [10.5, -1]);
  // With padding the add must stay (a padded border would see 1 instead of 0).
  const gp = pre([1, 1, 1, 1]);
  gp.ops[gp.ops.length - 1]!.output = { shape: [1, 3, 3, 2], dtype: 'float32' };
  verifyGraph(gp);
  assert.equal(foldAffineIntoNextConv(gp), gp);
});
