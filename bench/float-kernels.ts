// Float conv/matmul kernels vs onnxruntime-node FP32 single-node Conv/MatMul models (same run, same
// data). Representative ResNet-50 / MobileNet / PP-OCR layers. dpuflow runs its WebAssembly SIMD
// kernels (src/kernels/ref/float/wasm, one thread); the scalar TypeScript kernel's time is in
// details.scalarMs (and its speed-up in details.wasmOverScalar).
import ort from 'onnxruntime-node';
import '../src/ops/index.js';
import { getOpDef } from '../src/ir/registry.js';
import type { Attrs, Op, TensorValue } from '../src/ir/types.js';
import { conv2dScalar, depthwiseConv2dScalar } from '../src/kernels/ref/float/conv.js';
import { matmul, matmulScalar } from '../src/kernels/ref/float/matmul.js';
import { floatWasmStatus } from '../src/kernels/ref/float/wasm/index.js';
import { buildModel, nchwToNhwc, permute, rand } from '../test/kernels/float/onnx-model.js';
import type { BenchContext, BenchResult } from './types.js';

interface ConvBench { label: string; ic: number; oc: number; hw: number; k: number; s: number; group: number }

const CASES: ConvBench[] = [
  { label: 'conv 3x3 64→64 @56²', ic: 64, oc: 64, hw: 56, k: 3, s: 1, group: 1 },
  { label: 'conv 1x1 256→64 @56²', ic: 256, oc: 64, hw: 56, k: 1, s: 1, group: 1 },
  { label: 'conv 3x3/2 128→128 @56²', ic: 128, oc: 128, hw: 56, k: 3, s: 2, group: 1 },
  { label: 'depthwise 3x3 32ch @112²', ic: 32, oc: 32, hw: 112, k: 3, s: 1, group: 32 },
  { label: 'conv 7x7/2 3→64 @224² (stem)', ic: 3, oc: 64, hw: 224, k: 7, s: 2, group: 1 },
  { label: 'conv 3x3 512→512 @7²', ic: 512, oc: 512, hw: 7, k: 3, s: 1, group: 1 },
];

/** MatMul cases [M,K]×[K,N] (PP-OCR rec transformer shapes and a square one). */
const MM: { label: string; m: number; k: number; n: number }[] = [
  { label: 'matmul 80×120 · 120×360 (rec qkv)', m: 80, k: 120, n: 360 },
  { label: 'matmul 256×256 · 256×256', m: 256, k: 256, n: 256 },
];

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const c of CASES) {
    const p = (c.k - 1) >> 1;
    const x = rand(c.ic * c.hw * c.hw, 1);
    const w = rand((c.oc * c.ic * c.k * c.k) / c.group, 2, -0.1, 0.1);
    const b = rand(c.oc, 3);
    const wDims = [c.oc, c.ic / c.group, c.k, c.k];
    const model = buildModel([{ opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: [c.k, c.k], strides: [c.s, c.s], pads: [p, p, p, p], group: c.group } }],
      [{ name: 'x', dims: [1, c.ic, c.hw, c.hw] }], ['y'], [{ name: 'w', dims: wDims, data: w }, { name: 'b', dims: [c.oc], data: b }]);
    const dw = c.group > 1;
    const type = dw ? 'depthwise-conv2d' : 'conv2d';
    const wt = permute(w, wDims, dw ? [1, 2, 3, 0] : [0, 2, 3, 1]);
    const xn = nchwToNhwc(x, [1, c.ic, c.hw, c.hw]);
    const inputs: TensorValue[] = [{ shape: xn.shape, data: xn.data }, { shape: wt.shape, data: wt.data }, { shape: [c.oc], data: b }];
    const attrs: Attrs = { kernel: [c.k, c.k], stride: [c.s, c.s], dilation: [1, 1], pad: [p, p, p, p], group: 1 };
    const op: Op = { name: c.label, type, inputs: [], attrs, output: { shape: [], dtype: 'float32' } };
    const kernel = getOpDef(type).float;
    ctx.progress(`${c.label}: dpuflow`);
    const ours = await ctx.time(() => kernel(inputs, attrs, op), { warmup: 1, minRuns: ctx.quick ? 1 : 3, minSeconds: ctx.quick ? 0 : 1 });
    ctx.progress(`${c.label}: dpuflow scalar`);
    const scalarFn = dw ? depthwiseConv2dScalar : conv2dScalar;
    const scalar = await ctx.time(() => scalarFn(inputs, attrs, op), { warmup: 1, minRuns: 1, minSeconds: ctx.quick ? 0 : 0.5 });
    const oh = Math.floor((c.hw + 2 * p - c.k) / c.s) + 1;
    const macs = (oh * oh * c.oc * c.k * c.k * c.ic) / c.group;
    for (const threads of [1, 2]) {
      ctx.progress(`${c.label}: onnxruntime ${threads}T`);
      const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
      const t = new ort.Tensor('float32', x, [1, c.ic, c.hw, c.hw]);
      const peer = await ctx.time(() => sess.run({ x: t }), { warmup: 2, minRuns: 5, minSeconds: ctx.quick ? 0.2 : 1 });
      await sess.release();
      results.push(ctx.result({
        group: 'float-kernels', name: `${c.label} vs ORT FP32 ${threads}T`, value: macs / ours.medianMs / 1e6, unit: 'GMAC/s',
        higherIsBetter: true, threads: 1,
        peer: { name: `onnxruntime-node FP32 ${threads} thread${threads > 1 ? 's' : ''}`, value: macs / peer.medianMs / 1e6 },
        details: { oursMs: Number(ours.medianMs.toFixed(2)), ortMs: Number(peer.medianMs.toFixed(2)), macs,
          scalarMs: Number(scalar.medianMs.toFixed(2)), wasmOverScalar: Number((scalar.medianMs / ours.medianMs).toFixed(2)) },
      }));
    }
  }
  for (const c of MM) {
    const a = rand(c.m * c.k, 4), b = rand(c.k * c.n, 5, -0.1, 0.1);
    const model = buildModel([{ opType: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }], [{ name: 'a', dims: [c.m, c.k] }], ['y'],
      [{ name: 'b', dims: [c.k, c.n], data: b }]);
    const inputs: TensorValue[] = [{ shape: [c.m, c.k], data: a }, { shape: [c.k, c.n], data: b }];
    ctx.progress(`${c.label}: dpuflow`);
    const ours = await ctx.time(() => matmul(inputs, {}), { warmup: 1, minRuns: ctx.quick ? 1 : 3, minSeconds: ctx.quick ? 0 : 1 });
    ctx.progress(`${c.label}: dpuflow scalar`);
    const scalar = await ctx.time(() => matmulScalar(inputs, {}), { warmup: 1, minRuns: 1, minSeconds: ctx.quick ? 0 : 0.5 });
    const macs = c.m * c.k * c.n;
    for (const threads of [1, 2]) {
      ctx.progress(`${c.label}: onnxruntime ${threads}T`);
      const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
      const t = new ort.Tensor('float32', a, [c.m, c.k]);
      const peer = await ctx.time(() => sess.run({ a: t }), { warmup: 2, minRuns: 5, minSeconds: ctx.quick ? 0.2 : 1 });
      await sess.release();
      results.push(ctx.result({
        group: 'float-kernels', name: `${c.label} vs ORT FP32 ${threads}T`, value: macs / ours.medianMs / 1e6, unit: 'GMAC/s',
        higherIsBetter: true, threads: 1,
        peer: { name: `onnxruntime-node FP32 ${threads} thread${threads > 1 ? 's' : ''}`, value: macs / peer.medianMs / 1e6 },
        details: { oursMs: Number(ours.medianMs.toFixed(3)), ortMs: Number(peer.medianMs.toFixed(3)), macs,
          scalarMs: Number(scalar.medianMs.toFixed(3)), wasmOverScalar: Number((scalar.medianMs / ours.medianMs).toFixed(2)) },
      }));
    }
  }
  const st = floatWasmStatus();
  ctx.note(`float-kernels: dpuflow = WebAssembly SIMD f32x4 kernels, 1 thread${st.available ? '' : ` — NOT AVAILABLE here (${st.error ?? 'disabled'}), scalar fallback measured`}.`);
  return results;
}
