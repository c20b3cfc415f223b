// The shipped PP-OCRv4 rec model (CNN backbone PP-LCNetV3 + SVTR neck + CTC head), imported,
// quantized by our quantizer (2 random batches: fix points legal, not accurate) and partitioned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { quantize } from '../../src/quantizer/index.js';
import { runPipeline } from '../../src/compiler/pipeline.js';
import { toCompilerArch } from '../../src/compiler/arch.js';
import { installDpuRules } from '../../src/compiler/support/index.js';
import { readAsset, assetPath } from '../../src/runtime/node/assets.js';
import { checkBitExact } from './helpers.js';

test('real PP-OCRv4 rec: the whole CNN backbone is one DPU subgraph; layernorm, attention matmuls, softmax and the small DPU islands between them are on the CPU with reasons (1 DPU + ≤2 CPU subgraphs)', async () => {
  installDpuRules();
  const g = importOnnx(readAsset('ppocr-rec'), { fileName: assetPath('ppocr-rec'), inputShapes: { x: [1, 3, 48, 320] } });
  const inp = g.ops.find((o) => o.type === 'data')!;
  const n = inp.output.shape.reduce((a, b) => a * b, 1);
  let s = 5;
  const batches = [0, 1].map(() => ({ [inp.name]: { shape: inp.output.shape, data: new Float32Array(n).map(() => { s = (s * 1103515245 + 12345) >>> 0; return (s / 2 ** 32) * 2 - 1; }) } }));
  const q = await quantize(g, batches, { skipReport: true, biasCorrection: false });
  const { state, report } = runPipeline(q.graph, toCompilerArch('B4096'), { until: 'check-banks' });
  const byName = new Map(state.graph.ops.map((o) => [o.name, o]));
  const dpu = state.subgraphs.filter((x) => x.device === 'DPU');
  // backbone: every conv before the first layernorm is in the first DPU subgraph
  const firstLn = state.graph.ops.findIndex((o) => o.type === 'layernorm');
  const backboneConvs = state.graph.ops.slice(0, firstLn).filter((o) => o.type === 'conv2d' || o.type === 'depthwise-conv2d');
  assert.ok(backboneConvs.length > 30);
  const first = new Set(dpu[0].ops);
  const outside = backboneConvs.filter((o) => !first.has(o.name) && state.device[o.name] === 'DPU');
  assert.ok(outside.length <= 4, `backbone convs outside the first DPU subgraph: ${outside.map((o) => o.name).join(', ')}`);
  const reasons = (t: string) => report.cpuOps.filter((c) => c.type === t);
  assert.equal(reasons('layernorm').length, state.graph.ops.filter((o) => o.type === 'layernorm').length);
  assert.ok(reasons('layernorm').every((c) => c.reason === 'layernorm: not a DPU op; stays on CPU'));
  assert.ok(reasons('softmax').length >= 1);
  assert.ok(reasons('matmul').some((c) => /two activations/.test(c.reason)));
  for (const c of report.cpuOps) assert.ok(c.reason && c.fix, c.op);
  // partition policy: the SVTR neck's small DPU islands (swish muls, a 1×1 conv between CPU ops) go to the CPU,
  // so rec is 1 DPU subgraph (the CNN backbone) + at most 2 CPU subgraphs, and every CPU op has exactly one reason
  assert.equal(report.counts.dpu, 1, JSON.stringify(report.subgraphs));
  assert.ok(report.counts.cpu >= 1 && report.counts.cpu <= 2, JSON.stringify(report.counts));
  const cpuOpNames = state.subgraphs.filter((x) => x.device === 'CPU').flatMap((x) => x.ops);
  const reasonOf = new Map(report.cpuOps.map((c) => [c.op, c]));
  assert.equal(reasonOf.size, report.cpuOps.length, 'one reason per CPU op');
  for (const o of cpuOpNames) assert.ok(reasonOf.get(o)?.reason, `CPU op ${o} has no reason`);
  const islands = report.cpuOps.filter((c) => /^small DPU island between CPU ops/.test(c.reason));
  assert.ok(islands.some((c) => c.type === 'conv2d') && islands.some((c) => c.type === 'mul'), JSON.stringify(islands.map((c) => c.type)));
  // the backbone is not absorbed: only a handful of neck ops moved, the DPU subgraph keeps the CNN
  assert.ok(islands.length <= 12, `${islands.length} island ops`);
  // 20 conv + 14 depthwise + 3 avgpool + the learnable affines: 16 scalar mul→add pairs become 1×1 depthwise convs
  // (quantizer default affineAsDepthwise) — 56 ops; 72 without it
  assert.ok(state.subgraphs.find((x) => x.device === 'DPU')!.ops.length >= 50);
  // every DPU subgraph passed tiling, the checker and codegen
  assert.ok(state.dpu.every((d) => (d.instrs?.length ?? 0) > 1));
  console.log(`PP-OCRv4 rec on B4096: ${report.counts.dpu} DPU + ${report.counts.cpu} CPU subgraphs; first DPU subgraph ${dpu[0].ops.length} ops; ${report.cpuOps.length} CPU ops`);
  void byName;
});

async function quantizedAsset(asset: 'ppocr-det' | 'ppocr-rec' | 'ppocr-cls', shape: number[]) {
  const g = importOnnx(readAsset(asset), { fileName: assetPath(asset), inputShapes: { x: shape } });
  const inp = g.ops.find((o) => o.type === 'data')!;
  const n = inp.output.shape.reduce((a, b) => a * b, 1);
  let s = 7;
  const batches = [0, 1].map(() => ({ [inp.name]: { shape: inp.output.shape, data: new Float32Array(n).map(() => { s = (s * 1103515245 + 12345) >>> 0; return (s / 2 ** 32) * 2 - 1; }) } }));
  return (await quantize(g, batches, { skipReport: true, biasCorrection: false })).graph;
}

test('real PP-OCRv4 det (64×64): one DPU subgraph (transposed-conv head included) + sigmoid on CPU; our mc_code on the simulator equals the INT8 reference', async () => {
  installDpuRules();
  const g = await quantizedAsset('ppocr-det', [1, 3, 64, 64]);
  const { report } = runPipeline(g, toCompilerArch('B4096'), { until: 'partition' });
  assert.deepEqual(report.counts, { dpu: 1, cpu: 1, user: 1 });
  assert.deepEqual(report.cpuOps.map((c) => c.type), ['sigmoid']);
  assert.equal(checkBitExact(g, 'B2304'), 1);
});

test('real PP-OCRv4 rec: its one DPU subgraph (after the partition policy) runs bit-exactly from our mc_code (B4096)', async () => {
  const g = await quantizedAsset('ppocr-rec', [1, 3, 48, 320]);
  // checkBitExact throws on any differing byte and returns the number of DPU-subgraph outputs compared:
  // the backbone subgraph has 3 outputs, all read by the CPU subgraph
  assert.equal(checkBitExact(g, 'B4096'), 3);
});
