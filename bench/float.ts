// Float stage benchmarks (issue 3 "Speed"): ONNX import time of PP-OCR rec, and the float
// reference executor's fps vs onnxruntime-node FP32 (1 thread and 2 threads, same run) on
// PP-OCR det 640×640 and ResNet-50 224². dpuflow's float executor is single-threaded.
import fs from 'node:fs';
import ort from 'onnxruntime-node';
import { importOnnx } from '../src/importers/onnx/index.js';
import { runFloat } from '../src/kernels/ref/float-executor.js';
import { optimizeForInference } from '../src/ir/passes/optimize/index.js';
import { buildModel } from '../src/models/index.js';
import { assetPath } from '../src/runtime/node/assets.js';
import type { Graph } from '../src/ir/types.js';
import type { BenchContext, BenchResult } from './types.js';
import { noiseInput } from './util.js';

async function floatVsOrt(
  ctx: BenchContext,
  label: string,
  onnx: Uint8Array,
  graph: Graph,
  inputName: string,
  nchw: number[],
): Promise<BenchResult[]> {
  const [n, c, h, w] = nchw as [number, number, number, number];
  const data = noiseInput(n * c * h * w);
  // Values are layout-independent noise, so the same array serves as NHWC for the IR.
  const feeds = { [graph.inputs[0]!]: { shape: [n, h, w, c], data } };
  // Before/after optimizeForInference (batchnorm/affine folding, activation fusion), same run as ORT.
  ctx.progress(`${label}: float executor, unoptimised graph`);
  const plain = await ctx.time(() => runFloat(graph, feeds), { minRuns: ctx.quick ? 1 : 2, minSeconds: ctx.quick ? 0 : 3 });
  const tOpt = performance.now();
  const optGraph = optimizeForInference(graph);
  const optimizeMs = performance.now() - tOpt;
  ctx.progress(`${label}: float executor, optimised graph`);
  const ours = await ctx.time(() => runFloat(optGraph, feeds), { minRuns: ctx.quick ? 1 : 2, minSeconds: ctx.quick ? 0 : 3 });
  const peers: { threads: number; fps: number; ms: number }[] = [];
  for (const threads of [1, 2]) {
    ctx.progress(`${label}: onnxruntime ${threads} thread(s)`);
    const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const t = new ort.Tensor('float32', data, nchw);
    const timing = await ctx.time(() => session.run({ [inputName]: t }), { warmup: 2, minRuns: 5 });
    await session.release();
    peers.push({ threads, fps: 1000 / timing.medianMs, ms: timing.medianMs });
  }
  const fps = 1000 / ours.medianMs;
  const unoptFps = 1000 / plain.medianMs;
  return peers.map((p) =>
    ctx.result({
      group: 'float',
      name: `${label} float executor (optimised graph) vs ORT FP32 ${p.threads}T`,
      value: fps,
      unit: 'fps',
      higherIsBetter: true,
      threads: 1,
      peer: { name: `onnxruntime-node FP32, ${p.threads} thread${p.threads > 1 ? 's' : ''}`, value: p.fps },
      details: {
        input: nchw.join('x'), oursMs: Number(ours.medianMs.toFixed(1)), ortMs: Number(p.ms.toFixed(2)), runs: ours.runs,
        unoptimisedMs: Number(plain.medianMs.toFixed(1)), unoptimisedFps: Number(unoptFps.toFixed(2)),
        unoptimisedRatio: Number((unoptFps / p.fps).toFixed(3)), speedup: Number((fps / unoptFps).toFixed(2)),
        ops: `${graph.ops.length} → ${optGraph.ops.length}`, optimizeMs: Number(optimizeMs.toFixed(1)),
      },
    }),
  );
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];

  // 1. Import time of the 10.8 MB PP-OCR rec model (bytes already in memory), vs ORT session creation.
  const recPath = assetPath('ppocr-rec');
  const rec = new Uint8Array(fs.readFileSync(recPath));
  ctx.progress('import PP-OCR rec');
  const imp = await ctx.time(() => importOnnx(rec, { fileName: recPath, inputShapes: { x: [1, 3, 48, 320] } }), { minRuns: 3, minSeconds: 1 });
  ctx.progress('ORT session create PP-OCR rec');
  const ortLoad = await ctx.time(async () => (await ort.InferenceSession.create(rec, { intraOpNumThreads: 1 })).release(), { minRuns: 3, minSeconds: 1 });
  results.push(ctx.result({
    group: 'float', name: `import PP-OCR rec (${(rec.length / 1e6).toFixed(1)} MB) → IR`, value: imp.medianMs, unit: 'ms',
    higherIsBetter: false, peer: { name: 'onnxruntime-node session create', value: ortLoad.medianMs },
    details: { target: '< 1000 ms', runs: imp.runs },
  }));

  // 2. PP-OCR det at 640×640.
  const detPath = assetPath('ppocr-det');
  const det = new Uint8Array(fs.readFileSync(detPath));
  const detShape = [1, 3, 640, 640];
  const detGraph = importOnnx(det, { fileName: detPath, inputShapes: { x: detShape } });
  results.push(...(await floatVsOrt(ctx, 'PP-OCR det 640×640', det, detGraph, 'x', detShape)));

  // 3. ResNet-50 at 224² (seeded weights; speed depends on shapes only).
  ctx.progress('build ResNet-50');
  const r50 = buildModel('resnet50', { inputSize: 224 });
  const r50Graph = importOnnx(r50.onnx, { fileName: 'resnet50.onnx' });
  results.push(...(await floatVsOrt(ctx, 'ResNet-50 224²', r50.onnx, r50Graph, r50.inputName, r50.inputShape)));
  ctx.note('float: dpuflow float executor is single-threaded reference code; ratio target ≥ 0.3× ORT FP32 (issue 3).');
  return results;
}
