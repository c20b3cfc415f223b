// runQuantized on small hand-built quantized graphs, every number worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Op } from '../../../src/ir/types.js';
import { QuantizeError } from '../../../src/errors.js';
import { runQuantized } from '../../../src/index.js';

const data = (name: string, shape: number[], fixPoint?: number): Op =>
  ({ name, type: 'data', inputs: [], attrs: { shape }, output: { shape, dtype: fixPoint === undefined ? 'float32' : 'int8', fixPoint } });
const cst = (name: string, shape: number[], values: number[], fixPoint?: number): Op =>
  ({ name, type: 'const', inputs: [], attrs: {}, output: { shape, dtype: fixPoint === undefined ? 'float32' : 'int8', fixPoint }, data: Float32Array.from(values) });
const op = (name: string, type: string, inputs: string[], shape: number[], fixPoint: number | undefined, attrs: Op['attrs'] = {}): Op =>
  ({ name, type, inputs, attrs, output: { shape, dtype: fixPoint === undefined ? 'float32' : 'int8', fixPoint } });

function graph(ops: Op[], outputs: string[]): Graph {
  return { name: 'g', ops, inputs: ops.filter((o) => o.type === 'data').map((o) => o.name), outputs, meta: {} };
}

test('data -> conv(1×1, RELU) -> add(residual) -> sigmoid (float, CPU) with fixed/float boundaries', () => {
  // x feed [0.3, -0.6] at fp 2: DPU_ROUND(1.2) = 1, DPU_ROUND(-2.4) = -2  (q of x)
  // w = [1.0, 1.5] at fp 1 -> q [2, 3]; bias 0.25 at fp 2 -> q 1. conv fp_out 2:
  //   fa = 3, shift_cut 1, shift_bias 1: acc = 1·2 + -2·3 = -4; + 1·2 = -2; RELU -> 0  (NONE would give -1)
  // add(conv, x) at fp 1: F = 2; 0 + 1 = 1 and 0 - 2 = -2 -> /2: 0.5 -> 1 ; -1 -> -1 (values 0.5, -0.5)
  //   (add broadcasts conv [1,1,1,1] against x [1,1,1,2])
  // sigmoid has no fixPoint: runs the float kernel on the dequantized add: sigmoid(0.5), sigmoid(-0.5)
  const g = graph([
    data('x', [1, 1, 1, 2], 2),
    cst('w', [1, 1, 1, 2], [1.0, 1.5], 1),
    cst('b', [1], [0.25], 2),
    op('conv', 'conv2d', ['x', 'w', 'b'], [1, 1, 1, 1], 2, { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], group: 1, nonlinear: 'RELU' }),
    op('sum', 'add', ['conv', 'x'], [1, 1, 1, 2], 1),
    op('sig', 'sigmoid', ['sum'], [1, 1, 1, 2], undefined),
  ], ['sum', 'sig']);
  const seen: Record<string, number[]> = {};
  const out = runQuantized(g, { x: { shape: [1, 1, 1, 2], data: Float32Array.from([0.3, -0.6]) } }, {
    onTensor: (o, _v, q) => { if (q) seen[o.name] = [...q]; },
  });
  assert.deepEqual(seen.x, [1, -2]);
  assert.deepEqual(seen.w, [2, 3]);
  assert.deepEqual(seen.b, [1]);
  assert.deepEqual(seen.conv, [0]);
  assert.deepEqual(seen.sum, [1, -1]);
  assert.equal(seen.sig, undefined); // float tensor: no int8
  assert.deepEqual([...out.sum.data], [0.5, -0.5]);
  assert.ok(Math.abs(out.sig.data[0] - 1 / (1 + Math.exp(-0.5))) < 1e-6);
  assert.ok(Math.abs(out.sig.data[1] - 1 / (1 + Math.exp(0.5))) < 1e-6);
});

test('a float op whose output has a fix point is quantized with DPU_ROUND (float -> fixed boundary)', () => {
  // softmax of [0, 0] = [0.5, 0.5]; at fp 2 -> 2, 2; then relu at fp 2 keeps them
  // tanh(1) = 0.76159 at fp 3 -> 6.09 -> 6
  const g = graph([
    data('x', [1, 2]),
    op('sm', 'softmax', ['x'], [1, 2], 2, { axis: -1 }),
    op('r', 'relu', ['sm'], [1, 2], 2),
  ], ['r']);
  const out = runQuantized(g, { x: { shape: [1, 2], data: Float32Array.from([0, 0]) } });
  assert.deepEqual([...out.r.data], [0.5, 0.5]);
  const g2 = graph([data('x', [1]), op('t', 'tanh', ['x'], [1], 3)], ['t']);
  assert.deepEqual([...runQuantized(g2, { x: { shape: [1], data: Float32Array.from([1]) } }).t.data], [0.75]);
});

test('errors: float input to a fixed-point op, non-quantized const, missing feed', () => {
  const g = graph([data('x', [1, 2]), op('r', 'relu', ['x'], [1, 2], 2)], ['r']);
  assert.throws(() => runQuantized(g, { x: { shape: [1, 2], data: new Float32Array(2) } }),
    (e: unknown) => e instanceof QuantizeError && e.code === 'E_QIR_BOUNDARY' && e.where === 'r');
  const g2 = graph([data('x', [2], 0), cst('c', [2], [0.3, 1], 2), op('s', 'add', ['x', 'c'], [2], 2)], ['s']);
  assert.throws(() => runQuantized(g2, { x: { shape: [2], data: new Float32Array(2) } }),
    (e: unknown) => e instanceof QuantizeError && e.code === 'E_QIR_CONST_NOT_Q' && e.where === 'c');
  assert.throws(() => runQuantized(g2, {}), (e: unknown) => e instanceof QuantizeError && e.code === 'E_Q_FEED_MISSING');
});
