/**
 * Per-op semantics against the oracle: small TF.js graph models built here, run by @tensorflow/tfjs
 * (CPU backend) and by the float IR after importTfjs. Covers what the real models do not: TF's
 * asymmetric SAME padding, depthwise multipliers, quantized weight dtypes, StridedSlice masks, resize
 * flags, MirrorPad, Pack/Unpack, fused MatMul, activations, folded shape arithmetic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTfjs } from '../../../src/importers/tfjs/index.js';
import { runFloat } from '../../../src/kernels/ref/float-executor.js';
import { A, TfjsModelBuilder, vals } from './builder.js';
import { maxRelError, runTfjsJson, seededInput } from './oracle.js';

async function check(b: TfjsModelBuilder, outputs: string[], inShape: number[], tol = 1e-5): Promise<void> {
  const { json, shards } = b.build(outputs);
  const g = importTfjs(json, shards, { fileName: 'synthetic.json' });
  const x = seededInput(inShape, 5, -2, 2);
  const ir = runFloat(g, { x });
  const ref = await runTfjsJson(json, shards, { x }, outputs);
  outputs.forEach((o, i) => {
    const v = ir[g.outputs[i]!]!;
    assert.deepEqual(v.shape, ref[o]!.shape, `${o} shape`);
    const e = maxRelError(v, ref[o]!);
    assert.ok(e <= tol, `${o}: rel err ${e}`);
  });
}

const conv = (b: TfjsModelBuilder, name: string, x: string, f: string, args: string[], fused: string[], st: number, pad: string, extra: Record<string, ReturnType<typeof A.i>> = {}): string =>
  b.op(name, fused.length ? '_FusedConv2D' : 'Conv2D', [x, f, ...args], {
    strides: A.is([1, st, st, 1]), dilations: A.is([1, 1, 1, 1]), padding: A.s(pad), data_format: A.s('NHWC'),
    ...(fused.length ? { fused_ops: A.ss(fused), num_args: A.i(args.length), epsilon: A.f(0) } : {}), ...extra,
  });

test('Conv2D SAME stride 2 on an even size (TF pads bottom/right), uint8-quantized filter, BiasAdd+Relu6; VALID; EXPLICIT', async () => {
  const b = new TfjsModelBuilder();
  b.input('x', [1, 8, 8, 3]);
  b.const('w', [3, 3, 3, 5], vals(135, 1), { quant: 'uint8' });
  b.const('bias', [5], vals(5, 2));
  const c1 = conv(b, 'c1', 'x', 'w', ['bias'], ['BiasAdd', 'Relu6'], 2, 'SAME');
  b.const('w2', [2, 2, 5, 4], vals(80, 3), { quant: 'uint16' });
  conv(b, 'c2', c1, 'w2', [], [], 1, 'VALID');
  conv(b, 'c3', 'x', 'w', [], [], 2, 'EXPLICIT', { explicit_paddings: A.is([0, 0, 2, 0, 1, 3, 0, 0]) });
  await check(b, ['c2', 'c3'], [1, 8, 8, 3]);
});

test('depthwise: multiplier 1 (fused BiasAdd+Prelu), multiplier 2 with dilation 2 (float16 weights), LeakyRelu fused', async () => {
  const b = new TfjsModelBuilder();
  b.input('x', [1, 9, 9, 4]);
  b.const('dw', [3, 3, 4, 1], vals(36, 4));
  b.const('db', [4], vals(4, 5));
  b.const('alpha', [4], vals(4, 6, 0, 0.5));
  const d1 = b.op('d1', 'FusedDepthwiseConv2dNative', ['x', 'dw', 'db', 'alpha'], {
    strides: A.is([1, 1, 1, 1]), dilations: A.is([1, 1, 1, 1]), padding: A.s('SAME'), data_format: A.s('NHWC'), fused_ops: A.ss(['BiasAdd', 'Prelu']), num_args: A.i(2),
  });
  b.const('dw2', [3, 3, 4, 2], vals(72, 7), { quant: 'float16' });
  const d2 = b.op('d2', 'DepthwiseConv2dNative', [d1, 'dw2'], { strides: A.is([1, 1, 1, 1]), dilations: A.is([1, 2, 2, 1]), padding: A.s('SAME'), data_format: A.s('NHWC') });
  b.const('w', [1, 1, 8, 3], vals(24, 8));
  b.const('bias', [3], vals(3, 9));
  conv(b, 'c', d2, 'w', ['bias'], ['BiasAdd', 'LeakyRelu'], 1, 'SAME', { leakyrelu_alpha: A.f(0.3) });
  await check(b, ['c'], [1, 9, 9, 4]);
});

test('pools (SAME avg excludes padding, MaxPool SAME/VALID), Mean/Max/Sum, Softmax', async () => {
  const b = new TfjsModelBuilder();
  b.input('x', [1, 8, 7, 3]);
  const pool = (name: string, op: string, x: string, k: number, s: number, pad: string): string =>
    b.op(name, op, [x], { ksize: A.is([1, k, k, 1]), strides: A.is([1, s, s, 1]), padding: A.s(pad), data_format: A.s('NHWC') });
  pool('ap', 'AvgPool', 'x', 3, 2, 'SAME');
  pool('mp', 'MaxPool', 'x', 3, 2, 'SAME');
  pool('mpv', 'MaxPool', 'x', 2, 2, 'VALID');
  b.ints('ax12', [1, 2]);
  b.op('mean', 'Mean', ['x', 'ax12'], { keep_dims: A.b(true), Tidx: A.t('DT_INT32') });
  b.ints('axm1', [-1]);
  b.op('max', 'Max', ['x', 'axm1'], { keep_dims: A.b(false), Tidx: A.t('DT_INT32') });
  b.op('sum', 'Sum', ['x', 'ax12'], { keep_dims: A.b(false), Tidx: A.t('DT_INT32') });
  b.op('sm', 'Softmax', ['x']);
  await check(b, ['ap', 'mp', 'mpv', 'mean', 'max', 'sum', 'sm'], [1, 8, 7, 3]);
});

test('ResizeBilinear and ResizeNearestNeighbor: align_corners, half_pixel_centers, neither; non-integral ratios', async () => {
  const b = new TfjsModelBuilder();
  b.input('x', [1, 5, 6, 2]);
  b.ints('sz', [9, 13]);
  b.ints('sz2', [3, 4]);
  const outs: string[] = [];
  for (const op of ['ResizeBilinear', 'ResizeNearestNeighbor']) {
    for (const [ac, hp] of [[false, false], [true, false], [false, true]] as const) {
      for (const sz of ['sz', 'sz2']) {
        outs.push(b.op(`${op}_${ac}_${hp}_${sz}`, op, ['x', sz], { align_corners: A.b(ac), half_pixel_centers: A.b(hp) }));
      }
    }
  }
  await check(b, outs, [1, 5, 6, 2]);
});

test('StridedSlice masks (begin/end/shrink/new_axis/ellipsis, negative strides), Slice, MirrorPad, PadV2', async () => {
  const b = new TfjsModelBuilder();
  b.input('x', [1, 6, 7, 4]);
  const ss = (name: string, bg: number[], en: number[], st: number[], m: Partial<Record<'begin_mask' | 'end_mask' | 'shrink_axis_mask' | 'new_axis_mask' | 'ellipsis_mask', number>>): string => {
    b.ints(`${name}/b`, bg); b.ints(`${name}/e`, en); b.ints(`${name}/s`, st);
    return b.op(name, 'StridedSlice', ['x', `${name}/b`, `${name}/e`, `${name}/s`], {
      begin_mask: A.i(m.begin_mask ?? 0), end_mask: A.i(m.end_mask ?? 0), shrink_axis_mask: A.i(m.shrink_axis_mask ?? 0),
      new_axis_mask: A.i(m.new_axis_mask ?? 0), ellipsis_mask: A.i(m.ellipsis_mask ?? 0), Index: A.t('DT_INT32'),
    });
  };
  const outs = [
    ss('s1', [0, 1, 2, 0], [1, -1, 7, 3], [1, 2, 1, 1], { begin_mask: 1, end_mask: 1 }),
    ss('s2', [0, 0, 3, 1], [0, 0, 4, 3], [1, 1, 1, 1], { begin_mask: 3, end_mask: 3, shrink_axis_mask: 4 }),
    ss('s3', [0, 5], [0, 0], [1, -2], { ellipsis_mask: 1, end_mask: 2 }),
    ss('s4', [0, 0, 0], [0, 0, 0], [1, 1, 1], { ellipsis_mask: 1, new_axis_mask: 2, begin_mask: 4, end_mask: 4 }),
    ss('s5', [0, -1, -2, 0], [0, -7, 0, 0], [1, -1, -3, 1], { begin_mask: 9, end_mask: 9 }),
  ];
  b.ints('sb', [0, 1, 0, 1]); b.ints('sz', [-1, 3, 5, 2]);
  outs.push(b.op('slice', 'Slice', ['x', 'sb', 'sz'], { Index: A.t('DT_INT32') }));
  b.const('pads', [4, 2], [0, 0, 2, 1, 1, 3, 0, 0], { dtype: 'int32' });
  outs.push(b.op('mpr', 'MirrorPad', ['x', 'pads'], { mode: A.s('REFLECT'), Tpaddings: A.t('DT_INT32') }));
  outs.push(b.op('mps', 'MirrorPad', ['x', 'pads'], { mode: A.s('SYMMETRIC'), Tpaddings: A.t('DT_INT32') }));
  b.const('cv', [], [0.75]);
  outs.push(b.op('pv2', 'PadV2', ['x', 'pads', 'cv'], { Tpaddings: A.t('DT_INT32') }));
  await check(b, outs, [1, 6, 7, 4]);
});

test('Pack/Unpack/ConcatV2/Transpose/Squeeze/ExpandDims/Reshape(-1), shape arithmetic folded at import (Shape → StridedSlice → Pack → Reshape)', async () => {
  const b = new TfjsModelBuilder();
  b.input('x', [1, 4, 6, 3]);
  b.op('un', 'Unpack', ['x'], { num: A.i(3), axis: A.i(-1) });
  const pk = b.op('pk', 'Pack', ['un:2', 'un:0'], { N: A.i(2), axis: A.i(1) });
  b.scalarInt('ax', 3);
  const cc = b.op('cc', 'ConcatV2', ['x', 'x', 'ax'], { N: A.i(2), Tidx: A.t('DT_INT32') });
  b.ints('perm', [0, 2, 1, 3]);
  const tr = b.op('tr', 'Transpose', [cc, 'perm'], { Tperm: A.t('DT_INT32') });
  const sq = b.op('sq', 'Squeeze', [pk], { squeeze_dims: A.is([0]) });
  b.scalarInt('d', -1);
  const ed = b.op('ed', 'ExpandDims', [sq, 'd'], { Tdim: A.t('DT_INT32') });
  const sh = b.op('sh', 'Shape', ['x'], { out_type: A.t('DT_INT32') });
  b.ints('b0', [1]); b.ints('e0', [2]); b.ints('s0', [1]);
  const h = b.op('h', 'StridedSlice', [sh, 'b0', 'e0', 's0'], { shrink_axis_mask: A.i(1), begin_mask: A.i(0), end_mask: A.i(0), ellipsis_mask: A.i(0), new_axis_mask: A.i(0), T: A.t('DT_INT32'), Index: A.t('DT_INT32') });
  b.scalarInt('m1', -1); b.scalarInt('one', 1);
  const st = b.op('st', 'Pack', ['one', h, 'm1'], { N: A.i(3), axis: A.i(0), T: A.t('DT_INT32') });
  const rs = b.op('rs', 'Reshape', ['x', st], { Tshape: A.t('DT_INT32') });
  await check(b, [tr, ed, rs, 'un:1'], [1, 4, 6, 3]);
});

test('_FusedMatMul (BiasAdd+Relu, transpose_b), MatMul, elementwise and activations (Elu, Rsqrt, Square, SquaredDifference, RealDiv, Maximum, Minimum, Sigmoid, Tanh, AddN)', async () => {
  const b = new TfjsModelBuilder();
  b.input('x', [2, 6]);
  b.const('w', [4, 6], vals(24, 11));
  b.const('bias', [4], vals(4, 12));
  const mm = b.op('mm', '_FusedMatMul', ['x', 'w', 'bias'], { transpose_a: A.b(false), transpose_b: A.b(true), fused_ops: A.ss(['BiasAdd', 'Relu']), num_args: A.i(1), epsilon: A.f(0) });
  b.const('w2', [6, 3], vals(18, 13));
  const m2 = b.op('m2', 'MatMul', ['x', 'w2'], { transpose_a: A.b(false), transpose_b: A.b(false) });
  const el = b.op('el', 'Elu', ['x']);
  const ab = b.op('ab', 'Abs', ['x']);
  b.const('eps', [], [0.5]);
  const ad = b.op('ad', 'AddV2', [ab, 'eps']);
  const rq = b.op('rq', 'Rsqrt', [ad]);
  const sqr = b.op('sqr', 'Square', ['x']);
  b.const('c6', [6], vals(6, 14));
  const sd = b.op('sd', 'SquaredDifference', ['x', 'c6']);
  const dv = b.op('dv', 'RealDiv', ['x', ad]);
  const mx = b.op('mx', 'Maximum', ['x', 'c6']);
  const mn = b.op('mn', 'Minimum', ['c6', 'x']);
  const sg = b.op('sg', 'Sigmoid', ['x']);
  const th = b.op('th', 'Tanh', ['x']);
  const an = b.op('an', 'AddN', [sg, th, mn], { N: A.i(3) });
  const sb = b.op('sb', 'Sub', [an, mx]);
  await check(b, [mm, m2, el, rq, sqr, sd, dv, sb], [2, 6]);
});
