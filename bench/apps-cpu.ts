// CPU subgraphs of the application models in 'run' mode (src/runtime/backends/cpu-run.ts: planned kernels)
// vs the 'ref' CPU backend (runQuantized, the quantizer's test mode — what 'run' used before), ms per call,
// same inputs, same run. Models: PP-OCRv4 rec 48×320 (SVTR neck + CTC head: layernorm, attention, softmax
// over 6625 classes) — quantized by default (the neck's projections INT8 on the CPU) and with the demo's
// recipe (src/apps/demo/ocr-specs.ts: the CPU ops kept float) — and PP-OCRv4 det 640² (sigmoid head). Two
// seeded random calibration batches (fix points legal, accuracy irrelevant here: the outputs of both
// backends are byte-equal, test/runtime/cpu-run).
import type { BenchContext, BenchResult } from './types.js';
import type { Graph as IrGraph } from '../src/ir/types.js';
import { importOnnx } from '../src/importers/onnx/index.js';
import { quantize } from '../src/quantizer/index.js';
import { compile } from '../src/compiler/index.js';
import { Graph, type Subgraph } from '../src/xir/graph.js';
import { createBackend } from '../src/runtime/backend.js';
import '../src/runtime/backends/index.js';
import { subgraphTensors } from '../src/runtime/subgraph-ir.js';
import { readAsset, assetPath } from '../src/runtime/node/assets.js';
import { buildModel } from '../src/apps/demo/build.js';
import { REC_QUANTIZE } from '../src/apps/demo/ocr-specs.js';

function randomBatch(shape: number[], seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s / 2 ** 32) * 2 - 1; });
}

async function compiled(asset: 'ppocr-rec' | 'ppocr-det', shape: number[]): Promise<Graph> {
  const g: IrGraph = importOnnx(readAsset(asset), { fileName: assetPath(asset), inputShapes: { x: shape } });
  const inp = g.ops.find((o) => o.type === 'data')!;
  const batches = [7, 8].map((seed) => ({ [inp.name]: { shape: inp.output.shape, data: randomBatch(inp.output.shape, seed) } }));
  const q = await quantize(g, batches, { skipReport: true, biasCorrection: false });
  return Graph.deserialize(compile(q.graph, 'kv260').xmodel);
}

async function cpuSubgraph(ctx: BenchContext, label: string, sg: Subgraph): Promise<BenchResult> {
  const { inputs, outputs } = subgraphTensors(sg);
  let s = 1;
  const ins = inputs.map((t) => {
    const n = t.dims.reduce((a, b) => a * b, 1);
    const q = Int8Array.from({ length: n }, () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 24) - 128; });
    return t.dtype === 'xint8' ? q : Float32Array.from(q, (v) => v / 16);
  });
  const outs = outputs.map((t) => { const n = t.dims.reduce((a, b) => a * b, 1); return t.dtype === 'xint8' ? new Int8Array(n) : new Float32Array(n); });
  const ref = createBackend(sg, 'ref', {});
  let t0 = performance.now();
  const run = createBackend(sg, 'run', {});
  const prepareMs = performance.now() - t0;
  t0 = performance.now();
  await run.execute(ins, outs);
  const firstMs = performance.now() - t0;
  const r = await ctx.time(() => run.execute(ins, outs), { warmup: 2, minRuns: 5 });
  const p = await ctx.time(() => ref.execute(ins, outs), { warmup: 1, minRuns: 3 });
  return ctx.result({
    group: 'apps', name: `${label} CPU subgraph, 'run' backend`, value: r.medianMs, unit: 'ms', higherIsBetter: false, threads: 1,
    peer: { name: "'ref' backend (runQuantized; 'run' used it before)", value: p.medianMs },
    details: { prepareMs: Number(prepareMs.toFixed(1)), firstCallMs: Number(firstMs.toFixed(1)), runs: r.runs, refRuns: p.runs, minMs: Number(r.minMs.toFixed(2)), refMinMs: Number(p.minMs.toFixed(2)) },
  });
}

const cpuOf = (g: Graph): Subgraph => g.getRootSubgraph().toposortChildSubgraph().find((x) => (x.hasAttr('device') ? String(x.getAttr('device')) : 'CPU') === 'CPU')!;

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  ctx.progress('quantize + compile PP-OCRv4 rec');
  const rec = await compiled('ppocr-rec', [1, 3, 48, 320]);
  const out = [await cpuSubgraph(ctx, 'PP-OCRv4 rec 48×320 (SVTR neck + CTC head, INT8 projections)', cpuOf(rec))];
  ctx.progress('build PP-OCRv4 rec with the demo recipe');
  const demoRec = await buildModel({
    name: 'rec', onnx: readAsset('ppocr-rec'), input: 'x', shapeNchw: [1, 3, 48, 320], target: 'kv260', version: 'bench',
    calib: [7, 8].map((seed) => ({ shape: [1, 48, 320, 3], data: randomBatch([1, 48, 320, 3], seed) })),
    quantize: { ...REC_QUANTIZE, biasCorrection: false }, floatCpuOps: true,
  });
  out.push(await cpuSubgraph(ctx, "PP-OCRv4 rec 48×320 (demo recipe: the neck's CPU ops kept float)", cpuOf(demoRec.graph)));
  ctx.progress('quantize + compile PP-OCRv4 det');
  const det = await compiled('ppocr-det', ctx.quick ? [1, 3, 320, 320] : [1, 3, 640, 640]);
  out.push(await cpuSubgraph(ctx, `PP-OCRv4 det ${ctx.quick ? 320 : 640}² (sigmoid head)`, cpuOf(det)));
  return out;
}
