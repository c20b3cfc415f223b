// Independent oracles for the MAC kernels: onnxruntime-node (and the float reference kernel)
// run on the dequantized int8 values. With these fix points every partial sum is an exact
// float32 (≤ 20 significant bits), so the float result equals the exact accumulator
// acc·2^-(fi+fw) + bias; the expected int8 is then saturate(floor(y·2^fo + 0.5)), computed here
// in the test without any of the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type QTensor, conv2dInt8, depthwiseConv2dInt8, transposedConv2dInt8, matmulInt8, resizeInt8 } from '../../../src/kernels/ref/int8/index.js';
import { conv2d as floatConv2d } from '../../../src/kernels/ref/float/conv.js';
import { buildModel, runOrt, nhwcToNchw, nchwToNhwc, permute } from '../float/onnx-model.js';

function randInt8(n: number, seed: number, lo = -128, hi = 127): Int8Array {
  let a = seed >>> 0;
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = lo + Math.floor(((a >>> 8) / 2 ** 24) * (hi - lo + 1));
  }
  return out;
}
const deq = (t: QTensor) => Float32Array.from(t.data, (v) => v * 2 ** -t.fixPoint);
/** The oracle's output stage: DPU_ROUND + saturation written out independently. */
const expectQ = (y: Float32Array, fo: number) => Array.from(y, (v) => Math.max(-128, Math.min(127, Math.floor(v * 2 ** fo + 0.5))));

const FI = 3, FW = 6, FB = 5, FO = 4; // shift_cut = 5, shift_bias = 4

test('conv2d INT8 == onnxruntime Conv and the float kernel on the same int data (3×3, pad 1, stride 1 and 2)', async () => {
  const [H, W, IC, OC] = [6, 5, 3, 4];
  const x: QTensor = { shape: [1, H, W, IC], data: randInt8(H * W * IC, 1), fixPoint: FI };
  const w: QTensor = { shape: [OC, 3, 3, IC], data: randInt8(OC * 9 * IC, 2), fixPoint: FW };
  const b: QTensor = { shape: [OC], data: randInt8(OC, 3), fixPoint: FB };
  for (const stride of [1, 2]) {
    const y = conv2dInt8(x, w, b, { kernel: [3, 3], stride: [stride, stride], dilation: [1, 1], pad: [1, 1, 1, 1], fpOut: FO, where: 'c' });
    const xn = nhwcToNchw(deq(x), x.shape);
    const wn = permute(deq(w), w.shape, [0, 3, 1, 2]); // OHWI -> OIHW
    const model = buildModel(
      [{ opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] } }],
      [{ name: 'x', dims: xn.shape }], ['y'],
      [{ name: 'w', dims: wn.shape, data: wn.data }, { name: 'b', dims: [OC], data: deq(b) }],
    );
    const r = (await runOrt(model, { x: { dims: xn.shape, data: xn.data } })).y;
    const ortNhwc = nchwToNhwc(r.data, r.dims);
    assert.deepEqual(y.shape, ortNhwc.shape);
    const want = expectQ(ortNhwc.data, FO);
    assert.deepEqual([...y.data], want);
    // at least some outputs are not saturated and some land on a rounding tie-breaking boundary
    assert.ok(want.some((v) => v > -128 && v < 127));
    // the float reference kernel agrees on the same values
    const f = floatConv2d([{ shape: x.shape, data: deq(x) }, { shape: w.shape, data: deq(w) }, { shape: [OC], data: deq(b) }],
      { kernel: [3, 3], stride: [stride, stride], dilation: [1, 1], pad: [1, 1, 1, 1] });
    assert.deepEqual(expectQ(f.data, FO), want);
  }
});

test('depthwise-conv2d INT8 == onnxruntime grouped Conv', async () => {
  const [H, W, C] = [5, 5, 4];
  const x: QTensor = { shape: [1, H, W, C], data: randInt8(H * W * C, 11), fixPoint: FI };
  const w: QTensor = { shape: [1, 3, 3, C], data: randInt8(9 * C, 12), fixPoint: FW };
  const b: QTensor = { shape: [C], data: randInt8(C, 13), fixPoint: FB };
  const y = depthwiseConv2dInt8(x, w, b, { kernel: [3, 3], stride: [1, 1], dilation: [2, 2], pad: [2, 2, 2, 2], fpOut: FO, where: 'dw' });
  const xn = nhwcToNchw(deq(x), x.shape);
  const wn = permute(deq(w), w.shape, [3, 0, 1, 2]); // [1,kh,kw,C] -> [C,1,kh,kw]
  const model = buildModel(
    [{ opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [2, 2, 2, 2], dilations: [2, 2], group: C } }],
    [{ name: 'x', dims: xn.shape }], ['y'],
    [{ name: 'w', dims: wn.shape, data: wn.data }, { name: 'b', dims: [C], data: deq(b) }],
  );
  const r = (await runOrt(model, { x: { dims: xn.shape, data: xn.data } })).y;
  const o = nchwToNhwc(r.data, r.dims);
  assert.deepEqual(y.shape, o.shape);
  assert.deepEqual([...y.data], expectQ(o.data, FO));
});

test('transposed-conv2d INT8 == onnxruntime ConvTranspose (stride 2, pads, output_padding)', async () => {
  const [H, W, IC, OC] = [3, 4, 3, 2];
  const x: QTensor = { shape: [1, H, W, IC], data: randInt8(H * W * IC, 21), fixPoint: FI };
  const w: QTensor = { shape: [OC, 3, 3, IC], data: randInt8(OC * 9 * IC, 22), fixPoint: FW };
  const b: QTensor = { shape: [OC], data: randInt8(OC, 23), fixPoint: FB };
  const y = transposedConv2dInt8(x, w, b, { kernel: [3, 3], stride: [2, 2], dilation: [1, 1], pad: [1, 0, 1, 1], outputPadding: [1, 1], fpOut: FO, where: 'tc' });
  const xn = nhwcToNchw(deq(x), x.shape);
  const wn = permute(deq(w), w.shape, [3, 0, 1, 2]); // [OC,kh,kw,IC] -> ONNX [IC,OC,kh,kw]
  const model = buildModel(
    [{ opType: 'ConvTranspose', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 0], output_padding: [1, 1] } }],
    [{ name: 'x', dims: xn.shape }], ['y'],
    [{ name: 'w', dims: wn.shape, data: wn.data }, { name: 'b', dims: [OC], data: deq(b) }],
  );
  const r = (await runOrt(model, { x: { dims: xn.shape, data: xn.data } })).y;
  const o = nchwToNhwc(r.data, r.dims);
  assert.deepEqual(y.shape, o.shape);
  assert.deepEqual([...y.data], expectQ(o.data, FO));
});

test('inner product (matmul, transpose_b) INT8 == onnxruntime Gemm', async () => {
  const [M, K, N] = [3, 20, 5];
  const a: QTensor = { shape: [M, K], data: randInt8(M * K, 31), fixPoint: FI };
  const wt: QTensor = { shape: [N, K], data: randInt8(N * K, 32), fixPoint: FW };
  const b: QTensor = { shape: [N], data: randInt8(N, 33), fixPoint: FB };
  const y = matmulInt8(a, wt, b, { transposeA: false, transposeB: true, fpOut: FO, where: 'fc' });
  const model = buildModel(
    [{ opType: 'Gemm', inputs: ['a', 'w', 'b'], outputs: ['y'], attrs: { transB: 1 } }],
    [{ name: 'a', dims: [M, K] }], ['y'],
    [{ name: 'w', dims: [N, K], data: deq(wt) }, { name: 'b', dims: [N], data: deq(b) }],
  );
  const r = (await runOrt(model, { a: { dims: [M, K], data: deq(a) } })).y;
  assert.deepEqual(y.shape, [M, N]);
  assert.deepEqual([...y.data], expectQ(r.data, FO));
});

test('resize nearest and bilinear (2×, half_pixel) == onnxruntime Resize', async () => {
  const [H, W, C] = [3, 4, 2];
  const x: QTensor = { shape: [1, H, W, C], data: randInt8(H * W * C, 41), fixPoint: 3 };
  const xn = nhwcToNchw(deq(x), x.shape);
  for (const [mode, onnxMode, nm] of [['NEAREST', 'nearest', 'round_prefer_floor'], ['BILINEAR', 'linear', 'round_prefer_floor']] as const) {
    const y = resizeInt8(x, { size: [2 * W, 2 * H], mode, coordinate: 'half_pixel', nearestMode: nm, fpOut: 3, where: 'rs' });
    const model = buildModel(
      [{ opType: 'Resize', inputs: ['x', '', '', 'sizes'], outputs: ['y'], attrs: { mode: onnxMode, coordinate_transformation_mode: 'half_pixel', nearest_mode: nm } }],
      [{ name: 'x', dims: xn.shape }], ['y'],
      [{ name: 'sizes', dims: [4], data: [1, C, 2 * H, 2 * W], dtype: 'int64' }],
    );
    const r = (await runOrt(model, { x: { dims: xn.shape, data: xn.data } })).y;
    const o = nchwToNhwc(r.data, r.dims);
    assert.deepEqual(y.shape, o.shape);
    // 2× half_pixel bilinear weights are 1/4 and 3/4: the float result is exact
    assert.deepEqual([...y.data], expectQ(o.data, 3), mode);
  }
});
