// Float kernels vs onnxruntime-node on single-node ONNX models (NCHW in ORT, NHWC for ours).
// Seeded random data; max |ours − ort| / max |ort| ≤ 1e-5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../src/ops/index.js';
import { getOpDef } from '../../../src/ir/registry.js';
import type { Attrs, Op, TensorValue } from '../../../src/ir/types.js';
import { buildModel, maxRelErr, nchwToNhwc, permute, rand, runOrt, type InitSpec, type NodeSpec } from './onnx-model.js';

const TOL = Number(process.env.ORT_TOL ?? 1e-5);
let seed = 1000;
const R = (dims: number[], lo = -1, hi = 1) => ({ dims, data: rand(dims.reduce((a, b) => a * b, 1), seed++, lo, hi) });

function ours(type: string, inputs: TensorValue[], attrs: Attrs): TensorValue {
  const def = getOpDef(type);
  const op: Op = { name: `t_${type}`, type, inputs: [], attrs, output: { shape: [], dtype: 'float32' } };
  const shape = def.shape({ op, inputs: inputs.map((i) => ({ shape: i.shape, dtype: 'float32' })) });
  const out = def.float(inputs, attrs, op);
  assert.deepEqual(out.shape, shape, `${type}: shape rule vs kernel`);
  return out;
}

/** Runs one ONNX node in ORT and compares with `mine` (ORT output converted NCHW→NHWC when nhwc). */
async function vsOrt(label: string, node: NodeSpec, inputs: Record<string, { dims: number[]; data: Float32Array }>, inits: InitSpec[],
  mine: TensorValue, nhwc: boolean, opset = 17): Promise<void> {
  const model = buildModel([node], Object.entries(inputs).map(([name, v]) => ({ name, dims: v.dims })), node.outputs, inits, opset);
  const r = (await runOrt(model, inputs))[node.outputs[0]!]!;
  const ref = nhwc && r.dims.length === 4 ? nchwToNhwc(r.data, r.dims) : { shape: r.dims, data: r.data };
  assert.deepEqual(mine.shape, ref.shape, `${label}: shape`);
  const err = maxRelErr(mine.data, ref.data);
  assert.ok(err <= TOL, `${label}: max rel err ${err}`);
}

const nhwcT = (v: { dims: number[]; data: Float32Array }): TensorValue => { const t = nchwToNhwc(v.data, v.dims); return { shape: t.shape, data: t.data }; };
const plain = (v: { dims: number[]; data: Float32Array }): TensorValue => ({ shape: v.dims, data: v.data });

interface ConvCase { ic: number; oc: number; h: number; w: number; k: [number, number]; s?: [number, number]; d?: [number, number];
  pads?: [number, number, number, number]; group?: number; bias?: boolean }

test('Conv: strides, dilations, asymmetric pads, groups, depthwise', async () => {
  const cases: ConvCase[] = [
    { ic: 5, oc: 7, h: 9, w: 11, k: [3, 3], pads: [1, 1, 1, 1], bias: true },
    { ic: 8, oc: 12, h: 13, w: 10, k: [3, 3], s: [2, 2], pads: [0, 1, 2, 1] }, // ONNX pads [t, l, b, r]
    { ic: 3, oc: 4, h: 12, w: 12, k: [3, 3], d: [2, 2], pads: [2, 2, 2, 2], bias: true },
    { ic: 6, oc: 4, h: 7, w: 7, k: [3, 3], group: 2, pads: [1, 1, 1, 1], bias: true },
    { ic: 16, oc: 32, h: 8, w: 8, k: [1, 1] },
    { ic: 4, oc: 5, h: 10, w: 9, k: [3, 1], s: [1, 2], pads: [1, 0, 1, 0], bias: true },
    { ic: 9, oc: 9, h: 11, w: 11, k: [3, 3], group: 9, pads: [1, 1, 1, 1], bias: true }, // depthwise
    { ic: 6, oc: 6, h: 12, w: 12, k: [5, 5], s: [2, 2], group: 6, pads: [2, 1, 2, 1] }, // depthwise stride 2 asym
  ];
  for (const c of cases) {
    const s = c.s ?? [1, 1], d = c.d ?? [1, 1], pads = c.pads ?? [0, 0, 0, 0], g = c.group ?? 1;
    const x = R([1, c.ic, c.h, c.w]);
    const w = R([c.oc, c.ic / g, c.k[0], c.k[1]], -0.5, 0.5);
    const b = R([c.oc]);
    const inits: InitSpec[] = [{ name: 'w', dims: w.dims, data: w.data }];
    if (c.bias) inits.push({ name: 'b', dims: b.dims, data: b.data });
    const node: NodeSpec = { opType: 'Conv', inputs: c.bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: ['y'],
      attrs: { kernel_shape: c.k, strides: s, dilations: d, pads, group: g } };
    const attrs: Attrs = { kernel: [c.k[1], c.k[0]], stride: [s[1], s[0]], dilation: [d[1], d[0]], pad: [pads[1], pads[3], pads[0], pads[2]] };
    const depthwise = g > 1 && g === c.ic && c.oc === c.ic;
    const wt = depthwise ? permute(w.data, w.dims, [1, 2, 3, 0]) : permute(w.data, w.dims, [0, 2, 3, 1]);
    const ins: TensorValue[] = [nhwcT(x), { shape: wt.shape, data: wt.data }];
    if (c.bias) ins.push(plain(b));
    const mine = depthwise ? ours('depthwise-conv2d', ins, attrs) : ours('conv2d', ins, { ...attrs, group: g });
    await vsOrt(`conv ${JSON.stringify(c)}`, node, { x }, inits, mine, true);
  }
});

test('ConvTranspose with pads, output_padding, dilation', async () => {
  const cases = [
    { ic: 3, oc: 4, h: 5, w: 6, k: [3, 3], s: [2, 2], pads: [1, 1, 1, 1], op: [1, 1], d: [1, 1] },
    { ic: 4, oc: 2, h: 4, w: 4, k: [2, 2], s: [2, 2], pads: [0, 0, 0, 0], op: [0, 0], d: [1, 1] },
    { ic: 2, oc: 3, h: 5, w: 4, k: [3, 2], s: [1, 2], pads: [0, 1, 2, 0], op: [0, 1], d: [2, 1] },
  ];
  for (const c of cases) {
    const x = R([1, c.ic, c.h, c.w]);
    const w = R([c.ic, c.oc, c.k[0]!, c.k[1]!], -0.5, 0.5); // ONNX [IC, OC, kh, kw]
    const b = R([c.oc]);
    const node: NodeSpec = { opType: 'ConvTranspose', inputs: ['x', 'w', 'b'], outputs: ['y'],
      attrs: { kernel_shape: c.k, strides: c.s, pads: c.pads, output_padding: c.op, dilations: c.d } };
    const wt = permute(w.data, w.dims, [1, 2, 3, 0]);
    const mine = ours('transposed-conv2d', [nhwcT(x), { shape: wt.shape, data: wt.data }, plain(b)], {
      kernel: [c.k[1]!, c.k[0]!], stride: [c.s[1]!, c.s[0]!], dilation: [c.d[1]!, c.d[0]!],
      pad: [c.pads[1]!, c.pads[3]!, c.pads[0]!, c.pads[2]!], output_padding: [c.op[1]!, c.op[0]!] });
    await vsOrt(`convtranspose ${JSON.stringify(c)}`, node, { x }, [{ name: 'w', dims: w.dims, data: w.data }, { name: 'b', dims: b.dims, data: b.data }], mine, true);
  }
});

test('MaxPool / AveragePool (pads, count_include_pad, ceil via pads) and global pools', async () => {
  const x = R([1, 3, 9, 10]);
  const pools: { op: string; attrs: Record<string, number | number[]>; mine: [string, Attrs] }[] = [
    { op: 'MaxPool', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, mine: ['maxpool2d', { kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] }] },
    { op: 'MaxPool', attrs: { kernel_shape: [2, 3], strides: [1, 2], pads: [0, 1, 1, 0] }, mine: ['maxpool2d', { kernel: [3, 2], stride: [2, 1], pad: [1, 0, 0, 1] }] },
    // ceil_mode: H 9, k 2, s 2 → ceil(7/2)+1 = 5 rows → one extra bottom pad; W 10 → 5 either way
    { op: 'MaxPool', attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, mine: ['maxpool2d', { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 1] }] },
    { op: 'AveragePool', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 0 }, mine: ['avgpool2d', { kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], count_include_pad: false }] },
    { op: 'AveragePool', attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }, mine: ['avgpool2d', { kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], count_include_pad: true }] },
    { op: 'AveragePool', attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, mine: ['avgpool2d', { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 1], count_include_pad: false }] },
    { op: 'GlobalAveragePool', attrs: {}, mine: ['avgpool2d', { global: true }] },
    { op: 'GlobalMaxPool', attrs: {}, mine: ['maxpool2d', { global: true }] },
  ];
  for (const p of pools) {
    const mine = ours(p.mine[0], [nhwcT(x)], p.mine[1]);
    await vsOrt(`${p.op} ${JSON.stringify(p.attrs)}`, { opType: p.op, inputs: ['x'], outputs: ['y'], attrs: p.attrs }, { x }, [], mine, true);
  }
});

test('Resize: nearest (4 rounding modes) and linear, every coordinate mode, up and down', async () => {
  const x = R([1, 2, 5, 6]);
  const coords = ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel'];
  const sizes: [number, number][] = [[10, 12], [3, 4], [7, 9]];
  for (const [oh, ow] of sizes) {
    for (const coord of coords) {
      const modes: [string, string][] = [['linear', ''], ['nearest', 'round_prefer_floor'], ['nearest', 'round_prefer_ceil'], ['nearest', 'floor'], ['nearest', 'ceil']];
      for (const [mode, nm] of modes) {
        const attrs: Record<string, string> = { mode, coordinate_transformation_mode: coord };
        if (nm) attrs['nearest_mode'] = nm;
        const node: NodeSpec = { opType: 'Resize', inputs: ['x', '', '', 'sizes'], outputs: ['y'], attrs };
        const mine = ours('resize', [nhwcT(x)], { size: [ow, oh], mode: mode === 'linear' ? 'BILINEAR' : 'NEAREST', coordinate: coord, nearest_mode: nm || 'round_prefer_floor' });
        await vsOrt(`resize ${oh}x${ow} ${mode} ${coord} ${nm}`, node, { x }, [{ name: 'sizes', dims: [4], data: [1, 2, oh, ow], dtype: 'int64' }], mine, true);
      }
    }
  }
});

test('MatMul batched broadcast; Gemm transposes + bias', async () => {
  const a = R([2, 1, 3, 4]), b = R([3, 4, 5]);
  await vsOrt('matmul broadcast', { opType: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }, { a, b }, [], ours('matmul', [plain(a), plain(b)], {}), false);
  const a2 = R([6, 3]), b2 = R([5, 6]), c2 = R([5]);
  const mine = ours('matmul', [plain(a2), plain(b2), plain(c2)], { transpose_a: true, transpose_b: true });
  await vsOrt('gemm tA tB', { opType: 'Gemm', inputs: ['a', 'b', 'c'], outputs: ['y'], attrs: { transA: 1, transB: 1 } }, { a: a2, b: b2, c: c2 }, [], mine, false);
  const v = R([4]);
  await vsOrt('matmul vec', { opType: 'MatMul', inputs: ['v', 'b'], outputs: ['y'] }, { v, b }, [], ours('matmul', [plain(v), plain(b)], {}), false);
});

test('Softmax, LayerNormalization, ReduceMean/Max/Sum, BatchNormalization', async () => {
  const x = R([2, 3, 8], -5, 5);
  await vsOrt('softmax -1', { opType: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: -1 } }, { x }, [], ours('softmax', [plain(x)], { axis: -1 }), false);
  await vsOrt('softmax 1', { opType: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 1 } }, { x }, [], ours('softmax', [plain(x)], { axis: 1 }), false);
  const g = R([8]), bb = R([8]);
  await vsOrt('layernorm -1', { opType: 'LayerNormalization', inputs: ['x', 'g', 'b'], outputs: ['y'], attrs: { axis: -1, epsilon: { float: 1e-5 } } },
    { x }, [{ name: 'g', dims: g.dims, data: g.data }, { name: 'b', dims: bb.dims, data: bb.data }], ours('layernorm', [plain(x), plain(g), plain(bb)], { axis: [-1], epsilon: 1e-5 }), false);
  const g2 = R([3, 8]), b2 = R([3, 8]);
  await vsOrt('layernorm 1', { opType: 'LayerNormalization', inputs: ['x', 'g', 'b'], outputs: ['y'], attrs: { axis: 1, epsilon: { float: 1e-3 } } },
    { x }, [{ name: 'g', dims: g2.dims, data: g2.data }, { name: 'b', dims: b2.dims, data: b2.data }], ours('layernorm', [plain(x), plain(g2), plain(b2)], { axis: [1, 2], epsilon: 1e-3 }), false);
  for (const [onnx, mine] of [['ReduceMean', 'reduction_mean'], ['ReduceMax', 'reduction_max'], ['ReduceSum', 'reduction_sum']] as const) {
    // opset 13: ReduceMean/Max take attr axes; ReduceSum takes an axes input
    const node: NodeSpec = onnx === 'ReduceSum'
      ? { opType: onnx, inputs: ['x', 'axes'], outputs: ['y'], attrs: { keepdims: 0 } }
      : { opType: onnx, inputs: ['x'], outputs: ['y'], attrs: { axes: [0, 2], keepdims: 0 } };
    const inits: InitSpec[] = onnx === 'ReduceSum' ? [{ name: 'axes', dims: [2], data: [0, 2], dtype: 'int64' }] : [];
    await vsOrt(onnx, node, { x }, inits, ours(mine, [plain(x)], { axis: [0, 2], keep_dims: false }), false, 13);
  }
  const xb = R([1, 4, 5, 6]);
  const ps = [R([4]), R([4]), R([4]), R([4], 0.1, 2)];
  const names = ['s', 'bi', 'm', 'v'];
  await vsOrt('batchnorm', { opType: 'BatchNormalization', inputs: ['x', ...names], outputs: ['y'], attrs: { epsilon: { float: 1e-3 } } }, { x: xb },
    ps.map((p, i) => ({ name: names[i]!, dims: p.dims, data: p.data })), ours('batchnorm', [nhwcT(xb), ...ps.map(plain)], { epsilon: 1e-3, axis: -1 }), true);
});

test('Pad constant/reflect/edge; Slice with steps; Transpose; Concat; Gather', async () => {
  const x = R([1, 3, 4, 5]);
  const onnxPads = [0, 0, 2, 1, 0, 0, 1, 3]; // [b0..b3, e0..e3] NCHW
  for (const mode of ['constant', 'reflect', 'edge']) {
    const nhwcPads = [0, 0, 2, 1, 1, 3, 0, 0]; // interleaved, NHWC axes: N, H, W, C
    const mine = ours('pad', [nhwcT(x)], { paddings: nhwcPads, mode: mode.toUpperCase(), constant_value: 0.5 });
    await vsOrt(`pad ${mode}`, { opType: 'Pad', inputs: ['x', 'pads', 'cv'], outputs: ['y'], attrs: { mode } }, { x },
      [{ name: 'pads', dims: [8], data: onnxPads, dtype: 'int64' }, { name: 'cv', dims: [], data: [0.5] }], mine, true);
  }
  const y = R([4, 7, 6]);
  // Slice axis1 1:6:2, axis2 5:0:-2 (resolved: begin 5, end 0)
  await vsOrt('slice', { opType: 'Slice', inputs: ['y', 'st', 'en', 'ax', 'sp'], outputs: ['z'] }, { y },
    [{ name: 'st', dims: [2], data: [1, 5], dtype: 'int64' }, { name: 'en', dims: [2], data: [6, 0], dtype: 'int64' },
      { name: 'ax', dims: [2], data: [1, 2], dtype: 'int64' }, { name: 'sp', dims: [2], data: [2, -2], dtype: 'int64' }],
    ours('strided_slice', [plain(y)], { begin: [0, 1, 5], end: [4, 6, 0], strides: [1, 2, -2] }), false);
  await vsOrt('transpose', { opType: 'Transpose', inputs: ['y'], outputs: ['z'], attrs: { perm: [2, 0, 1] } }, { y }, [], ours('transpose', [plain(y)], { order: [2, 0, 1] }), false);
  const y2 = R([4, 2, 6]);
  await vsOrt('concat', { opType: 'Concat', inputs: ['y', 'y2'], outputs: ['z'], attrs: { axis: 1 } }, { y, y2 }, [], ours('concat', [plain(y), plain(y2)], { axis: 1 }), false);
  await vsOrt('gather', { opType: 'Gather', inputs: ['y', 'i'], outputs: ['z'], attrs: { axis: 1 } }, { y }, [{ name: 'i', dims: [3], data: [6, 0, -2], dtype: 'int64' }],
    ours('gather', [plain(y)], { axis: 1, indices: [6, 0, -2] }), false);
});

test('element-wise: Erf, Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu, Clip, Pow/Div broadcast', async () => {
  const x = R([2, 3, 50], -4, 4);
  const un: [string, string, Record<string, number | { float: number }>, Attrs][] = [
    ['Erf', 'erf', {}, {}], ['Sigmoid', 'sigmoid', {}, {}], ['Tanh', 'tanh', {}, {}], ['Exp', 'exp', {}, {}],
    ['HardSigmoid', 'hard-sigmoid', { alpha: { float: 0.25 }, beta: { float: 0.4 } }, { alpha: 0.25, beta: 0.4 }],
    ['HardSwish', 'hard-swish', {}, {}], ['LeakyRelu', 'leaky-relu', { alpha: { float: 0.1 } }, { alpha: 0.1 }],
    ['Relu', 'relu', {}, {}], ['Abs', 'abs', {}, {}], ['Neg', 'neg', {}, {}], ['Reciprocal', 'reciprocal', {}, {}],
  ];
  for (const [onnx, mine, oa, ma] of un) {
    await vsOrt(onnx, { opType: onnx, inputs: ['x'], outputs: ['y'], attrs: oa }, { x }, [], ours(mine, [plain(x)], ma), false);
  }
  await vsOrt('Clip', { opType: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }, { x }, [{ name: 'lo', dims: [], data: [-1] }, { name: 'hi', dims: [], data: [2] }],
    ours('clamp', [plain(x)], { min: -1, max: 2 }), false);
  const p = R([2, 3, 50], 0.1, 3), e = R([3, 1], -2, 2);
  await vsOrt('Pow', { opType: 'Pow', inputs: ['p', 'e'], outputs: ['y'] }, { p, e }, [], ours('pow', [plain(p), plain(e)], {}), false);
  await vsOrt('Div', { opType: 'Div', inputs: ['x', 'e'], outputs: ['y'] }, { x, e }, [], ours('div', [plain(x), plain(e)], {}), false);
  const s = R([1, 50]);
  await vsOrt('Sub', { opType: 'Sub', inputs: ['s', 'x'], outputs: ['y'] }, { s, x }, [], ours('sub', [plain(s), plain(x)], {}), false);
});
