// WebAssembly SIMD float kernels (src/kernels/ref/float/wasm) vs onnxruntime-node on odd shapes:
// both the WASM path (conv2d / depthwiseConv2d / matmul) and the scalar path (…Scalar) are
// compared with ORT's single-node Conv / MatMul / Gemm; max |ours − ort| / max |ort| ≤ 1e-5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs, TensorValue } from '../../../src/ir/types.js';
import { conv2d, conv2dScalar, depthwiseConv2d, depthwiseConv2dScalar, transposedConv2d, transposedConv2dScalar } from '../../../src/kernels/ref/float/conv.js';
import { matmul, matmulScalar } from '../../../src/kernels/ref/float/matmul.js';
import { floatWasmStatus, setFloatWasmEnabled } from '../../../src/kernels/ref/float/wasm/index.js';
import { buildModel, maxRelErr, nchwToNhwc, permute, rand, runOrt, type InitSpec, type NodeSpec } from '../float/onnx-model.js';

const TOL = 1e-5;
let seed = 7000;
const R = (dims: number[], lo = -1, hi = 1) => ({ dims, data: rand(dims.reduce((a, b) => a * b, 1), seed++, lo, hi) });

interface ConvCase {
  label: string; ic: number; oc: number; h: number; w: number; k: [number, number];
  s?: [number, number]; d?: [number, number]; pads?: [number, number, number, number]; group?: number; bias?: boolean;
  relu?: boolean;
}

async function ortConv(c: ConvCase, x: { dims: number[]; data: Float32Array }, w: { dims: number[]; data: Float32Array }, b: Float32Array): Promise<TensorValue> {
  const s = c.s ?? [1, 1], d = c.d ?? [1, 1], pads = c.pads ?? [0, 0, 0, 0], g = c.group ?? 1;
  const inits: InitSpec[] = [{ name: 'w', dims: w.dims, data: w.data }];
  if (c.bias) inits.push({ name: 'b', dims: [c.oc], data: b });
  const nodes: NodeSpec[] = [{ opType: 'Conv', inputs: c.bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: [c.relu ? 'c' : 'y'],
    attrs: { kernel_shape: c.k, strides: s, dilations: d, pads, group: g } }];
  if (c.relu) nodes.push({ opType: 'Relu', inputs: ['c'], outputs: ['y'] });
  const model = buildModel(nodes, [{ name: 'x', dims: x.dims }], ['y'], inits);
  const r = (await runOrt(model, { x }))['y']!;
  return nchwToNhwc(r.data, r.dims);
}

const CASES: ConvCase[] = [
  { label: '3x3 5→7 pad 1 (odd channels)', ic: 5, oc: 7, h: 9, w: 11, k: [3, 3], pads: [1, 1, 1, 1], bias: true },
  { label: '3x3/2 13→19 asym pads', ic: 13, oc: 19, h: 13, w: 10, k: [3, 3], s: [2, 2], pads: [0, 1, 2, 1], bias: true },
  { label: '3x3 dilation 2 6→10', ic: 6, oc: 10, h: 12, w: 13, k: [3, 3], d: [2, 2], pads: [2, 2, 2, 2] },
  { label: '3x3 dilation (1,3) stride (2,1) 7→9', ic: 7, oc: 9, h: 11, w: 14, k: [3, 3], s: [2, 1], d: [1, 3], pads: [1, 3, 1, 3], bias: true },
  { label: '1x1 17→9', ic: 17, oc: 9, h: 7, w: 6, k: [1, 1], bias: true },
  { label: '1x1/2 24→40 no bias', ic: 24, oc: 40, h: 9, w: 9, k: [1, 1], s: [2, 2] },
  { label: '7x7/2 3→12 pad 3 (stem)', ic: 3, oc: 12, h: 23, w: 19, k: [7, 7], s: [2, 2], pads: [3, 3, 3, 3], bias: true },
  { label: '3x1 rect stride (1,2) 4→5', ic: 4, oc: 5, h: 10, w: 9, k: [3, 1], s: [1, 2], pads: [1, 0, 1, 0], bias: true },
  { label: 'groups 3 12→9 (3 oc per group)', ic: 12, oc: 9, h: 8, w: 7, k: [3, 3], group: 3, pads: [1, 1, 1, 1], bias: true },
  { label: 'groups 2 10→22 (11 oc per group)', ic: 10, oc: 22, h: 6, w: 9, k: [3, 3], group: 2, pads: [0, 1, 1, 0], bias: true },
  { label: '3x3 36→33 + relu', ic: 36, oc: 33, h: 10, w: 10, k: [3, 3], pads: [1, 1, 1, 1], bias: true, relu: true },
];

test('WASM float kernels are loaded (WebAssembly SIMD available in Node ≥ 20)', () => {
  const st = floatWasmStatus();
  assert.equal(st.error, undefined, `load error: ${st.error}`);
  assert.ok(st.enabled && st.available);
});

test('conv2d: WASM and scalar paths vs onnxruntime-node (odd channels, stride, dilation, 1x1, 7x7, groups)', async () => {
  for (const c of CASES) {
    const g = c.group ?? 1, s = c.s ?? [1, 1], d = c.d ?? [1, 1], pads = c.pads ?? [0, 0, 0, 0];
    const x = R([1, c.ic, c.h, c.w]);
    const w = R([c.oc, c.ic / g, c.k[0], c.k[1]], -0.5, 0.5);
    const b = R([c.oc]).data;
    const ref = await ortConv(c, x, w, b);
    const xt = nchwToNhwc(x.data, x.dims);
    const wt = permute(w.data, w.dims, [0, 2, 3, 1]);
    const inputs: TensorValue[] = [{ shape: xt.shape, data: xt.data }, { shape: wt.shape, data: wt.data }];
    if (c.bias) inputs.push({ shape: [c.oc], data: b });
    const attrs: Attrs = { kernel: [c.k[1], c.k[0]], stride: [s[1], s[0]], dilation: [d[1], d[0]], pad: [pads[1], pads[3], pads[0], pads[2]], group: g };
    if (c.relu) attrs['nonlinear'] = 'RELU';
    for (const [name, fn] of [['wasm', conv2d], ['scalar', conv2dScalar]] as const) {
      const out = fn(inputs, attrs);
      assert.deepEqual(out.shape, ref.shape, `${c.label} ${name}: shape`);
      const err = maxRelErr(out.data, ref.data);
      assert.ok(err <= TOL, `${c.label} ${name}: max rel err ${err}`);
    }
    // the two paths really differ in code: disabling WASM must give the scalar result bit for bit
    const prev = setFloatWasmEnabled(false);
    try {
      assert.deepEqual(conv2d(inputs, attrs).data, conv2dScalar(inputs, attrs).data, `${c.label}: disabled WASM falls back to scalar`);
    } finally {
      setFloatWasmEnabled(prev);
    }
  }
});

test('depthwise-conv2d: WASM and scalar paths vs onnxruntime-node (C not a multiple of 4, stride, dilation, 5x5)', async () => {
  const cases: ConvCase[] = [
    { label: 'dw 3x3 C=21', ic: 21, oc: 21, h: 9, w: 10, k: [3, 3], pads: [1, 1, 1, 1], bias: true },
    { label: 'dw 3x3/2 C=35 asym', ic: 35, oc: 35, h: 12, w: 11, k: [3, 3], s: [2, 2], pads: [0, 1, 1, 0], bias: true },
    { label: 'dw 5x5 C=7 stride 2', ic: 7, oc: 7, h: 13, w: 12, k: [5, 5], s: [2, 2], pads: [2, 2, 2, 2] },
    { label: 'dw 3x3 dilation 2 C=16', ic: 16, oc: 16, h: 10, w: 10, k: [3, 3], d: [2, 2], pads: [2, 2, 2, 2], bias: true },
    { label: 'dw 3x3 C=64 + relu', ic: 64, oc: 64, h: 8, w: 6, k: [3, 3], pads: [1, 1, 1, 1], bias: true, relu: true },
  ];
  for (const c of cases) {
    c.group = c.ic;
    const s = c.s ?? [1, 1], d = c.d ?? [1, 1], pads = c.pads ?? [0, 0, 0, 0];
    const x = R([1, c.ic, c.h, c.w]);
    const w = R([c.oc, 1, c.k[0], c.k[1]], -0.5, 0.5);
    const b = R([c.oc]).data;
    const ref = await ortConv(c, x, w, b);
    const xt = nchwToNhwc(x.data, x.dims);
    const wt = permute(w.data, w.dims, [1, 2, 3, 0]); // [C,1,KH,KW] → [1,KH,KW,C]
    const inputs: TensorValue[] = [{ shape: xt.shape, data: xt.data }, { shape: wt.shape, data: wt.data }];
    if (c.bias) inputs.push({ shape: [c.oc], data: b });
    const attrs: Attrs = { kernel: [c.k[1], c.k[0]], stride: [s[1], s[0]], dilation: [d[1], d[0]], pad: [pads[1], pads[3], pads[0], pads[2]] };
    if (c.relu) attrs['nonlinear'] = 'RELU';
    for (const [name, fn] of [['wasm', depthwiseConv2d], ['scalar', depthwiseConv2dScalar]] as const) {
      const out = fn(inputs, attrs);
      assert.deepEqual(out.shape, ref.shape, `${c.label} ${name}: shape`);
      const err = maxRelErr(out.data, ref.data);
      assert.ok(err <= TOL, `${c.label} ${name}: max rel err ${err}`);
    }
  }
});

test('matmul: WASM and scalar paths vs onnxruntime-node MatMul (broadcast batches) and Gemm (transposes, bias)', async () => {
  const mm: [number[], number[]][] = [
    [[2, 3, 37, 29], [29, 43]], // batch broadcast, N not a multiple of 8
    [[5, 33, 17], [5, 17, 40]],
    [[1, 40, 120], [120, 360]], // PP-OCR rec transformer qkv-shaped
    [[8, 40, 15], [8, 15, 40]], // attention scores
  ];
  for (const [as, bs] of mm) {
    const A = R(as), B = R(bs);
    const model = buildModel([{ opType: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }], [{ name: 'a', dims: as }, { name: 'b', dims: bs }], ['y']);
    const ref = (await runOrt(model, { a: A, b: B }))['y']!;
    const inputs: TensorValue[] = [{ shape: as, data: A.data }, { shape: bs, data: B.data }];
    for (const [name, fn] of [['wasm', matmul], ['scalar', matmulScalar]] as const) {
      const out = fn(inputs, {});
      assert.deepEqual(out.shape, ref.dims, `matmul ${JSON.stringify(as)}×${JSON.stringify(bs)} ${name}: shape`);
      const err = maxRelErr(out.data, ref.data);
      assert.ok(err <= TOL, `matmul ${JSON.stringify(as)}×${JSON.stringify(bs)} ${name}: max rel err ${err}`);
    }
  }
  // Gemm: Y = Aᵀ·Bᵀ + C with A [K, M], B [N, K], C [N]
  for (const [ta, tb, M, K, N] of [[1, 1, 19, 45, 27], [0, 1, 33, 64, 10], [1, 0, 12, 70, 41]] as const) {
    const A = R(ta ? [K, M] : [M, K]), B = R(tb ? [N, K] : [K, N]), C = R([N]);
    const model = buildModel([{ opType: 'Gemm', inputs: ['a', 'b', 'c'], outputs: ['y'], attrs: { transA: ta, transB: tb } }],
      [{ name: 'a', dims: A.dims }, { name: 'b', dims: B.dims }, { name: 'c', dims: C.dims }], ['y']);
    const ref = (await runOrt(model, { a: A, b: B, c: C }))['y']!;
    const inputs: TensorValue[] = [{ shape: A.dims, data: A.data }, { shape: B.dims, data: B.data }, { shape: [N], data: C.data }];
    const attrs: Attrs = { transpose_a: ta === 1, transpose_b: tb === 1 };
    for (const [name, fn] of [['wasm', matmul], ['scalar', matmulScalar]] as const) {
      const out = fn(inputs, attrs);
      assert.deepEqual(out.shape, [M, N], `gemm transA=${ta} transB=${tb} ${name}: shape`);
      const err = maxRelErr(out.data, ref.data);
      assert.ok(err <= TOL, `gemm transA=${ta} transB=${tb} ${name}: max rel err ${err}`);
    }
  }
});

test('transposed-conv2d (GEMM + scatter on WASM) and scalar vs onnxruntime-node ConvTranspose', async () => {
  const cases = [
    { ic: 13, oc: 6, h: 5, w: 7, k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1], op: [1, 1], d: [1, 1] },
    { ic: 24, oc: 9, h: 6, w: 6, k: [2, 2], s: [2, 2], pads: [0, 0, 0, 0], op: [0, 0], d: [1, 1] }, // PP-OCR det head shape
    { ic: 5, oc: 11, h: 5, w: 4, k: [3, 2], s: [1, 2], pads: [0, 1, 2, 0], op: [0, 1], d: [2, 1] },
  ];
  for (const c of cases) {
    const x = R([1, c.ic, c.h, c.w]);
    const w = R([c.ic, c.oc, c.k[0]!, c.k[1]!], -0.5, 0.5); // ONNX [IC, OC, kh, kw]
    const b = R([c.oc]);
    const model = buildModel([{ opType: 'ConvTranspose', inputs: ['x', 'w', 'b'], outputs: ['y'],
      attrs: { kernel_shape: c.k, strides: c.s, pads: c.pads, output_padding: c.op, dilations: c.d } }],
    [{ name: 'x', dims: x.dims }], ['y'], [{ name: 'w', dims: w.dims, data: w.data }, { name: 'b', dims: b.dims, data: b.data }]);
    const r = (await runOrt(model, { x }))['y']!;
    const ref = nchwToNhwc(r.data, r.dims);
    const xt = nchwToNhwc(x.data, x.dims);
    const wt = permute(w.data, w.dims, [1, 2, 3, 0]); // → [OC, kh, kw, IC]
    const inputs: TensorValue[] = [{ shape: xt.shape, data: xt.data }, { shape: wt.shape, data: wt.data }, { shape: [c.oc], data: b.data }];
    const attrs: Attrs = { kernel: [c.k[1]!, c.k[0]!], stride: [c.s[1]!, c.s[0]!], dilation: [c.d[1]!, c.d[0]!],
      pad: [c.pads[1]!, c.pads[3]!, c.pads[0]!, c.pads[2]!], output_padding: [c.op[1]!, c.op[0]!] };
    for (const [name, fn] of [['wasm', transposedConv2d], ['scalar', transposedConv2dScalar]] as const) {
      const out = fn(inputs, attrs);
      assert.deepEqual(out.shape, ref.shape, `convtranspose ${JSON.stringify(c)} ${name}: shape`);
      const err = maxRelErr(out.data, ref.data);
      assert.ok(err <= TOL, `convtranspose ${JSON.stringify(c)} ${name}: max rel err ${err}`);
    }
  }
});
