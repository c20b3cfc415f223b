// The float WASM kernels split over 2 worker threads (src/kernels/ref/float/wasm/node/pool.ts):
// results vs onnxruntime-node, and identical to the one-thread WASM result (splitting output
// pixels between threads must not change any output's summation order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs, TensorValue } from '../../../src/ir/types.js';
import { conv2d, depthwiseConv2d } from '../../../src/kernels/ref/float/conv.js';
import { matmul } from '../../../src/kernels/ref/float/matmul.js';
import { floatWasmThreads } from '../../../src/kernels/ref/float/wasm/instance.js';
import { enableFloatThreads } from '../../../src/kernels/ref/float/wasm/node/pool.js';
import { buildModel, maxRelErr, nchwToNhwc, permute, rand, runOrt } from '../float/onnx-model.js';

const TOL = 1e-5;

test('2 threads: conv2d / depthwise / matmul vs onnxruntime-node, equal to 1 thread', async () => {
  // conv 3x3/1 37→29 @ 23×21 (big enough to be split: > 2^20 MACs), depthwise 3x3/2 C=50 @ 64², matmul 150×70·70×90
  const x = rand(37 * 23 * 21, 11), w = rand(29 * 37 * 9, 12, -0.3, 0.3), b = rand(29, 13);
  const xd = rand(50 * 64 * 64, 14), wd = rand(50 * 9, 15, -0.5, 0.5);
  const A = rand(150 * 70, 16), B = rand(70 * 90, 17);
  const convModel = buildModel([{ opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }],
    [{ name: 'x', dims: [1, 37, 23, 21] }], ['y'], [{ name: 'w', dims: [29, 37, 3, 3], data: w }, { name: 'b', dims: [29], data: b }]);
  const dwModel = buildModel([{ opType: 'Conv', inputs: ['x', 'w'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 1, 0], group: 50 } }],
    [{ name: 'x', dims: [1, 50, 64, 64] }], ['y'], [{ name: 'w', dims: [50, 1, 3, 3], data: wd }]);
  const mmModel = buildModel([{ opType: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }], [{ name: 'a', dims: [150, 70] }, { name: 'b', dims: [70, 90] }], ['y']);
  const refConv = (await runOrt(convModel, { x: { dims: [1, 37, 23, 21], data: x } }))['y']!;
  const refDw = (await runOrt(dwModel, { x: { dims: [1, 50, 64, 64], data: xd } }))['y']!;
  const refMm = (await runOrt(mmModel, { a: { dims: [150, 70], data: A }, b: { dims: [70, 90], data: B } }))['y']!;

  const xt = nchwToNhwc(x, [1, 37, 23, 21]), wt = permute(w, [29, 37, 3, 3], [0, 2, 3, 1]);
  const convIn: TensorValue[] = [{ shape: xt.shape, data: xt.data }, { shape: wt.shape, data: wt.data }, { shape: [29], data: b }];
  const convAttrs: Attrs = { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [1, 1, 1, 1], group: 1 };
  const xdt = nchwToNhwc(xd, [1, 50, 64, 64]), wdt = permute(wd, [50, 1, 3, 3], [1, 2, 3, 0]);
  const dwIn: TensorValue[] = [{ shape: xdt.shape, data: xdt.data }, { shape: wdt.shape, data: wdt.data }];
  const dwAttrs: Attrs = { kernel: [3, 3], stride: [2, 2], dilation: [1, 1], pad: [0, 0, 1, 1] };
  const mmIn: TensorValue[] = [{ shape: [150, 70], data: A }, { shape: [70, 90], data: B }];
  const run = () => [conv2d(convIn, convAttrs), depthwiseConv2d(dwIn, dwAttrs), matmul(mmIn, {})];

  const one = run();
  const pool = await enableFloatThreads(2);
  try {
    assert.equal(floatWasmThreads(), 2);
    for (let rep = 0; rep < 3; rep++) {
      const two = run();
      assert.ok(maxRelErr(two[0]!.data, nchwToNhwc(refConv.data, refConv.dims).data) <= TOL, 'conv vs ORT');
      assert.ok(maxRelErr(two[1]!.data, nchwToNhwc(refDw.data, refDw.dims).data) <= TOL, 'depthwise vs ORT');
      assert.ok(maxRelErr(two[2]!.data, refMm.data) <= TOL, 'matmul vs ORT');
      for (let i = 0; i < 3; i++) assert.deepEqual(two[i]!.data, one[i]!.data, `kernel ${i}: 2 threads == 1 thread`);
    }
  } finally {
    await pool.close();
  }
  assert.equal(floatWasmThreads(), 1);
  assert.deepEqual(conv2d(convIn, convAttrs).data, one[0]!.data, 'back on one thread after close()');
});
