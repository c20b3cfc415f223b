// Fast paths of the float elementwise kernels (same shape, scalar, per-channel last axis, either
// side, + generic fallback) vs onnxruntime-node on the same shapes: exact float32 equality, since
// both compute one IEEE float32 operation per element.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, sub, mul, div, unary, relu, relu6, hardSwish } from '../../../src/kernels/ref/float/elementwise.js';
import { buildModel, runOrt, rand } from '../../kernels/float/onnx-model.js';

const kernels = { Add: add, Sub: sub, Mul: mul, Div: div };
const shapes: [number[], number[]][] = [
  [[1, 4, 5, 6], [1, 4, 5, 6]],
  [[1, 4, 5, 6], [1]],
  [[], [2, 3, 4]],
  [[1, 4, 5, 6], [1, 1, 1, 6]],
  [[6], [1, 4, 5, 6]],
  [[1, 4, 5, 6], [1, 4, 1, 1]], // generic path
];

test('binary fast paths == onnxruntime (bit-exact)', async () => {
  for (const [name, k] of Object.entries(kernels)) {
    for (const [sa, sb] of shapes) {
      const na = sa.reduce((p, q) => p * q, 1), nb = sb.reduce((p, q) => p * q, 1);
      const a = rand(na, 3), b = rand(nb, 4, 0.5, 2);
      const model = buildModel([{ opType: name, inputs: ['a', 'b'], outputs: ['y'] }], [{ name: 'a', dims: sa }, { name: 'b', dims: sb }], ['y']);
      const ref = (await runOrt(model, { a: { dims: sa, data: a }, b: { dims: sb, data: b } }))['y']!;
      const ours = k([{ shape: sa, data: a }, { shape: sb, data: b }], {});
      assert.deepEqual(ours.shape, ref.dims, `${name} ${sa}/${sb}`);
      assert.deepEqual(Array.from(ours.data), Array.from(ref.data), `${name} ${sa}/${sb}`);
    }
  }
});

test('unary fast paths (relu, relu6, hard-swish) == onnxruntime', async () => {
  const x = rand(64, 9, -8, 8);
  for (const [onnxOp, fn] of [['Relu', relu], ['HardSwish', hardSwish]] as const) {
    const model = buildModel([{ opType: onnxOp, inputs: ['x'], outputs: ['y'] }], [{ name: 'x', dims: [64] }], ['y']);
    const ref = (await runOrt(model, { x: { dims: [64], data: x } }))['y']!;
    const ours = unary(fn)([{ shape: [64], data: x }]);
    for (let i = 0; i < 64; i++) assert.ok(Math.abs(ours.data[i]! - ref.data[i]!) <= 1e-6 * Math.max(1, Math.abs(ref.data[i]!)), `${onnxOp} ${x[i]}`);
  }
  // relu6 by hand
  assert.deepEqual(Array.from(unary(relu6)([{ shape: [4], data: new Float32Array([-1, 0.5, 6, 7.5]) }]).data), [0, 0.5, 6, 6]);
});
