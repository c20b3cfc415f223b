/**
 * fuseHardSwish (the ONNX / PyTorch spellings, src/ir/passes/hard-swish.ts, sharing its matcher with the
 * TF pass): every spelling, operands in either order, becomes one `hard-swish` whose float result equals
 * x·min(max(x+3, 0), 6)/6 computed here by hand; an intermediate with a second user is left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Op } from '../../src/ir/types.js';
import { fuseHardSwish, fuseTfHardSwish } from '../../src/ir/passes/index.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';

const S = [1, 1, 2, 6];
const X = [-5, -3, -2.5, -1, -0.25, 0, 0.5, 1, 2, 2.75, 3, 4];
const hswish = (x: number): number => (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
const op = (name: string, type: string, inputs: string[], attrs: Op['attrs'] = {}): Op => ({ name, type, inputs, attrs, output: { shape: S, dtype: 'float32' } });
const k = (name: string, v: number): Op => ({ name, type: 'const', inputs: [], attrs: {}, output: { shape: [], dtype: 'float32' }, data: Float32Array.of(v) });
const graph = (ops: Op[], outputs: string[]): Graph => ({
  name: 'g', inputs: ['x'], outputs, meta: {},
  ops: [{ name: 'x', type: 'data', inputs: [], attrs: { shape: S }, output: { shape: S, dtype: 'float32' } }, k('three', 3), k('six', 6), k('sixth', 1 / 6), ...ops],
});
const relu6 = [op('add', 'add', ['x', 'three']), op('r6', 'relu6', ['add'])];
const relu6Swapped = [op('add', 'add', ['three', 'x']), op('r6', 'relu6', ['add'])];
const run = (g: Graph, xs: number[]): number[] =>
  Array.from(runFloat(g, { x: { shape: [1, 1, 2, xs.length / 2], data: Float32Array.from(xs) } })[g.outputs[0]!]!.data);
const kinds = (g: Graph): string[] => g.ops.filter((o) => o.type !== 'const' && o.type !== 'data').map((o) => o.type);

const SPELLINGS: [string, Op[]][] = [
  ['div(mul(x, relu6(x+3)), 6)', [...relu6, op('m', 'mul', ['x', 'r6']), op('y', 'div', ['m', 'six'])]],
  ['div(mul(relu6(3+x), x), 6)', [...relu6Swapped, op('m', 'mul', ['r6', 'x']), op('y', 'div', ['m', 'six'])]],
  ['mul(mul(x, relu6(x+3)), 1/6)', [...relu6, op('m', 'mul', ['x', 'r6']), op('y', 'mul', ['m', 'sixth'])]],
  ['mul(1/6, mul(relu6(x+3), x))', [...relu6, op('m', 'mul', ['r6', 'x']), op('y', 'mul', ['sixth', 'm'])]],
  ['mul(x, div(relu6(x+3), 6))', [...relu6, op('d', 'div', ['r6', 'six']), op('y', 'mul', ['x', 'd'])]],
  ['mul(div(relu6(3+x), 6), x)', [...relu6Swapped, op('d', 'div', ['r6', 'six']), op('y', 'mul', ['d', 'x'])]],
  ['mul(x, hard-sigmoid(x; 1/6, 1/2))', [op('h', 'hard-sigmoid', ['x'], { alpha: 1 / 6, beta: 0.5 }), op('y', 'mul', ['x', 'h'])]],
  ['mul(hard-sigmoid(x; 1/6, 1/2), x)', [op('h', 'hard-sigmoid', ['x'], { alpha: 1 / 6, beta: 0.5 }), op('y', 'mul', ['h', 'x'])]],
];

for (const [name, ops] of SPELLINGS) {
  test(`fuseHardSwish: ${name} → one hard-swish = x·relu6(x+3)/6`, () => {
    const g = graph(ops, ['y']);
    const f = fuseHardSwish(g);
    const hs = f.ops.filter((o) => o.type === 'hard-swish');
    assert.equal(hs.length, 1);
    assert.equal(hs[0]!.name, 'y');
    assert.deepEqual(hs[0]!.inputs, ['x']);
    const want = X.map(hswish);
    for (const got of [run(g, X), run(f, X)]) got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= 1e-6, `x=${X[i]}: ${v} vs ${want[i]}`));
  });
}

test('fuseHardSwish: not fused when an intermediate has another user, when it is a graph output, or when the constant is not 1/6', () => {
  const shared = graph([...relu6, op('m', 'mul', ['x', 'r6']), op('y', 'div', ['m', 'six']), op('z', 'add', ['r6', 'y'])], ['z']);
  assert.equal(kinds(fuseHardSwish(shared)).includes('hard-swish'), false);
  const out = graph([...relu6, op('m', 'mul', ['x', 'r6']), op('y', 'div', ['m', 'six'])], ['y', 'm']);
  assert.equal(kinds(fuseHardSwish(out)).includes('hard-swish'), false);
  const g = graph([...relu6, op('m', 'mul', ['x', 'r6']), k('c', 0.17), op('y', 'mul', ['m', 'c'])], ['y']);
  assert.equal(fuseHardSwish(g), g);
  const hsig = graph([op('h', 'hard-sigmoid', ['x'], { alpha: 0.2, beta: 0.5 }), op('y', 'mul', ['x', 'h'])], ['y']);
  assert.equal(fuseHardSwish(hsig), hsig);
});

test('one matcher, two passes: the TF pass fuses (x·1/6)·relu6(x+3) and leaves the ONNX-only spellings (div by 6, hard-sigmoid) alone', () => {
  const tf = graph([...relu6, op('m', 'mul', ['x', 'sixth']), op('y', 'mul', ['m', 'r6'])], ['y']);
  const ft = fuseTfHardSwish(tf);
  assert.deepEqual(ft.ops.filter((o) => o.type === 'hard-swish').map((o) => [o.name, o.inputs]), [['y', ['x']]]);
  run(ft, X).forEach((v, i) => assert.ok(Math.abs(v - hswish(X[i]!)) <= 1e-6, `x=${X[i]}: ${v}`));
  assert.equal(fuseHardSwish(tf), tf, 'the ONNX pass has no (x·1/6)·relu6 spelling');
  for (const [, ops] of [SPELLINGS[0]!, SPELLINGS[6]!]) {
    const g = graph(ops, ['y']);
    assert.equal(fuseTfHardSwish(g), g);
  }
});
