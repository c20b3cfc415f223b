// Float conv/matmul kernels and whole float runs vs onnxruntime-node FP32 (same run, same data).
// dpuflow runs its WebAssembly SIMD kernels (src/kernels/ref/float/wasm) on 1 thread and, via the
// Node worker pool (src/kernels/ref/float/wasm/node/pool.ts), on 2 threads; each is compared with
// ORT on the same number of intra-op threads. The scalar TypeScript kernel's time is in
// details.scalarMs (1-thread rows). Models: PP-OCR det 640² (the shipped ONNX) and ResNet-50 224²
// (seeded, src/models) through runFloat.
import fs from 'node:fs';
import ort from 'onnxruntime-node';
import '../src/ops/index.js';
import { getOpDef } from '../src/ir/registry.js';
import type { Attrs, Graph, Op, TensorValue } from '../src/ir/types.js';
import { importOnnx } from '../src/importers/onnx/index.js';
import { runFloat } from '../src/kernels/ref/float-executor.js';
import { conv2dScalar, depthwiseConv2dScalar } from '../src/kernels/ref/float/conv.js';
import { matmul, matmulScalar } from '../src/kernels/ref/float/matmul.js';
import { floatWasmStatus } from '../src/kernels/ref/float/wasm/index.js';
import { enableFloatThreads, type FloatThreads } from '../src/kernels/ref/float/wasm/node/pool.js';
import { buildModel as buildOnnxModel } from '../src/models/index.js';
import { assetPath } from '../src/runtime/node/assets.js';
import { buildModel, nchwToNhwc, permute, rand } from '../test/kernels/float/onnx-model.js';
import type { BenchContext, BenchResult } from './types.js';
import { noiseInput } from './util.js';

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

interface Prepared {
  label: string; macs: number; model: Uint8Array; feeds: Record<string, ort.Tensor>;
  ours: () => unknown; scalar: () => unknown;
}

function prepareConv(c: ConvBench): Prepared {
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
  const scalarFn = dw ? depthwiseConv2dScalar : conv2dScalar;
  const oh = Math.floor((c.hw + 2 * p - c.k) / c.s) + 1;
  return {
    label: c.label, macs: (oh * oh * c.oc * c.k * c.k * c.ic) / c.group, model,
    feeds: { x: new ort.Tensor('float32', x, [1, c.ic, c.hw, c.hw]) },
    ours: () => kernel(inputs, attrs, op), scalar: () => scalarFn(inputs, attrs, op),
  };
}

function prepareMatmul(c: { label: string; m: number; k: number; n: number }): Prepared {
  const a = rand(c.m * c.k, 4), b = rand(c.k * c.n, 5, -0.1, 0.1);
  const model = buildModel([{ opType: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }], [{ name: 'a', dims: [c.m, c.k] }], ['y'],
    [{ name: 'b', dims: [c.k, c.n], data: b }]);
  const inputs: TensorValue[] = [{ shape: [c.m, c.k], data: a }, { shape: [c.k, c.n], data: b }];
  return {
    label: c.label, macs: c.m * c.k * c.n, model, feeds: { a: new ort.Tensor('float32', a, [c.m, c.k]) },
    ours: () => matmul(inputs, {}), scalar: () => matmulScalar(inputs, {}),
  };
}

async function withThreads<T>(threads: number, fn: () => Promise<T>): Promise<T> {
  let pool: FloatThreads | undefined;
  if (threads > 1) pool = await enableFloatThreads(threads);
  try {
    return await fn();
  } finally {
    await pool?.close();
  }
}

async function ortTime(ctx: BenchContext, model: Uint8Array, feeds: Record<string, ort.Tensor>, threads: number, minSeconds: number): Promise<number> {
  const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const t = await ctx.time(() => sess.run(feeds), { warmup: 2, minRuns: 5, minSeconds });
  await sess.release();
  return t.medianMs;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const kernels = [...CASES.map(prepareConv), ...MM.map(prepareMatmul)];
  const scalarMs = new Map<string, number>();
  for (const k of kernels) {
    ctx.progress(`${k.label}: dpuflow scalar`);
    scalarMs.set(k.label, (await ctx.time(k.scalar, { warmup: 1, minRuns: 1, minSeconds: ctx.quick ? 0 : 0.5 })).medianMs);
  }
  for (const threads of [1, 2]) {
    await withThreads(threads, async () => {
      for (const k of kernels) {
        ctx.progress(`${k.label}: dpuflow WASM ${threads}T`);
        const ours = await ctx.time(k.ours, { warmup: 1, minRuns: ctx.quick ? 1 : 3, minSeconds: ctx.quick ? 0 : 1 });
        ctx.progress(`${k.label}: onnxruntime ${threads}T`);
        const peerMs = await ortTime(ctx, k.model, k.feeds, threads, ctx.quick ? 0.2 : 1);
        const sMs = scalarMs.get(k.label)!;
        results.push(ctx.result({
          group: 'float-kernels', name: `${k.label} WASM ${threads}T vs ORT FP32 ${threads}T`, value: k.macs / ours.medianMs / 1e6, unit: 'GMAC/s',
          higherIsBetter: true, threads,
          peer: { name: `onnxruntime-node FP32 ${threads} thread${threads > 1 ? 's' : ''}`, value: k.macs / peerMs / 1e6 },
          details: { oursMs: Number(ours.medianMs.toFixed(3)), ortMs: Number(peerMs.toFixed(3)), macs: k.macs,
            scalarMs: Number(sMs.toFixed(2)), wasmOverScalar: Number((sMs / ours.medianMs).toFixed(2)) },
        }));
      }
    });
  }

  // Whole float runs (runFloat: every op; only conv/depthwise/transposed-conv/matmul use WASM).
  const det = new Uint8Array(fs.readFileSync(assetPath('ppocr-det')));
  const r50 = buildOnnxModel('resnet50', { inputSize: 224 });
  const models: { label: string; onnx: Uint8Array; graph: Graph; inputName: string; nchw: number[] }[] = [
    { label: 'PP-OCR det 640×640', onnx: det, graph: importOnnx(det, { fileName: 'det.onnx', inputShapes: { x: [1, 3, 640, 640] } }), inputName: 'x', nchw: [1, 3, 640, 640] },
    { label: 'ResNet-50 224²', onnx: r50.onnx, graph: importOnnx(r50.onnx, { fileName: 'resnet50.onnx' }), inputName: r50.inputName, nchw: r50.inputShape },
  ];
  for (const m of models) {
    const [n, c, h, w] = m.nchw as [number, number, number, number];
    const data = noiseInput(n * c * h * w);
    // layout-independent noise: the same array serves as NHWC for the IR
    const feeds = { [m.graph.inputs[0]!]: { shape: [n, h, w, c], data } };
    for (const threads of [1, 2]) {
      const ours = await withThreads(threads, async () => {
        ctx.progress(`${m.label}: runFloat ${threads}T`);
        return ctx.time(() => runFloat(m.graph, feeds), { warmup: 1, minRuns: ctx.quick ? 1 : 2, minSeconds: ctx.quick ? 0 : 3 });
      });
      ctx.progress(`${m.label}: onnxruntime ${threads}T`);
      const peerMs = await ortTime(ctx, m.onnx, { [m.inputName]: new ort.Tensor('float32', data, m.nchw) }, threads, ctx.quick ? 0.3 : 2);
      results.push(ctx.result({
        group: 'float-kernels', name: `${m.label} runFloat (WASM kernels ${threads}T) vs ORT FP32 ${threads}T`, value: 1000 / ours.medianMs, unit: 'fps',
        higherIsBetter: true, threads,
        peer: { name: `onnxruntime-node FP32 ${threads} thread${threads > 1 ? 's' : ''}`, value: 1000 / peerMs },
        details: { oursMs: Number(ours.medianMs.toFixed(1)), ortMs: Number(peerMs.toFixed(2)), runs: ours.runs, target: '≥ 0.3× ORT' },
      }));
    }
  }
  const st = floatWasmStatus();
  ctx.note(`float-kernels: dpuflow = WebAssembly SIMD f32x4 kernels${st.available ? '' : ` — NOT AVAILABLE here (${st.error ?? 'disabled'}), scalar fallback measured`}; 2T rows use the worker pool (enableFloatThreads). Non-conv ops (add, mul, hard-swish, batchnorm…) are still scalar TypeScript.`);
  return results;
}
