// The CPU 'run' backend (src/runtime/backends/cpu-run.ts, src/kernels/float-run) against the oracle that
// defines CPU subgraphs: runQuantized (the quantizer's test mode, the 'ref' CPU backend). Byte-equal
// outputs on odd-shaped unit graphs (every planned kernel, every broadcast case, special float values,
// fixed-point runs, int8 moves with and without a fix-point change) and on the real CPU subgraphs of
// PP-OCRv4 rec (SVTR neck + CTC head), PP-OCRv4 det (sigmoid head) and CenterNet (resize/concat head).
// ms per call of both backends are printed (this machine is shared: not asserted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Graph as IrGraph, Op, TensorValue } from '../../src/ir/types.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { quantize as quantizeArr } from '../../src/kernels/ref/int8/arith.js';
import { createCpuRunExecutor } from '../../src/kernels/float-run/executor.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { loadModelFile } from '../../src/importers/node/load-model.js';
import { quantize } from '../../src/quantizer/index.js';
import { compile } from '../../src/compiler/index.js';
import { Graph, type Subgraph } from '../../src/xir/graph.js';
import { createBackend } from '../../src/runtime/backend.js';
import '../../src/runtime/backends/index.js';
import { subgraphTensors } from '../../src/runtime/subgraph-ir.js';
import { readAsset, assetPath, packageDir } from '../../src/runtime/node/assets.js';
import { readImage } from '../../src/apps/node/image-io.js';
import { recTensor } from '../../src/apps/ocr/pipeline.js';
import { buildModel } from '../../src/apps/demo/build.js';
import { DPU_ROUND } from '../../src/kernels/ref/int8/arith.js';
import { setFloatWasmEnabled } from '../../src/kernels/ref/float/wasm/instance.js';

// ───────────────────────── unit graphs ─────────────────────────

let seed = 12345;
const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32; };
const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
const randF = (n: number, scale = 3): Float32Array => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);

/** A tiny graph builder: float or fixed-point tensors, consts stored already quantized when fp is given. */
class B {
  ops: Op[] = [];
  inputs: string[] = [];
  data(name: string, shape: number[], fp?: number): string {
    this.ops.push({ name, type: 'data', inputs: [], attrs: { shape }, output: { shape, dtype: fp === undefined ? 'float32' : 'int8', fixPoint: fp } });
    this.inputs.push(name);
    return name;
  }
  const(name: string, shape: number[], values: Float32Array, fp?: number): string {
    const data = fp === undefined ? values : Float32Array.from(quantizeArr(values, fp, DPU_ROUND), (q) => q * 2 ** -fp);
    this.ops.push({ name, type: 'const', inputs: [], attrs: {}, output: { shape, dtype: fp === undefined ? 'float32' : 'int8', fixPoint: fp }, data });
    return name;
  }
  op(name: string, type: string, inputs: string[], shape: number[], attrs: Op['attrs'] = {}, fp?: number): string {
    this.ops.push({ name, type, inputs, attrs, output: { shape, dtype: fp === undefined ? 'float32' : 'int8', fixPoint: fp } });
    return name;
  }
  graph(outputs: string[]): IrGraph {
    return { name: 'unit', ops: this.ops, inputs: this.inputs, outputs, meta: {} };
  }
}

/** Feeds for a graph's data ops: floats (fixed-point inputs are fed their int8 values). */
function feedsFor(g: IrGraph, special = false): { f: Record<string, TensorValue>; raw: Record<string, Int8Array | Float32Array> } {
  const f: Record<string, TensorValue> = {}, raw: Record<string, Int8Array | Float32Array> = {};
  for (const op of g.ops.filter((o) => o.type === 'data')) {
    const n = numel(op.output.shape);
    const fp = op.output.fixPoint;
    if (fp === undefined) {
      const d = randF(n);
      if (special && n >= 8) d.set([NaN, -0, 0, Infinity, -Infinity, 88.7, -104, 1e-30]);
      f[op.name] = { shape: op.output.shape, data: d };
      raw[op.name] = d;
    } else {
      const q = Int8Array.from({ length: n }, () => Math.floor(rnd() * 256) - 128);
      f[op.name] = { shape: op.output.shape, data: Float32Array.from(q, (v) => v * 2 ** -fp) };
      raw[op.name] = q;
    }
  }
  return { f, raw };
}

/** Runs both executors on every output; asserts identical bytes (float bit patterns / int8 values). */
function checkEqual(g: IrGraph, special = false): ReturnType<typeof createCpuRunExecutor>['stats'] {
  const { f, raw } = feedsFor(g, special);
  const ref = new Map<string, { q?: Int8Array; v: Float32Array }>();
  runQuantized(g, f, { onTensor(op, v, q) { ref.set(op.name, { q: q?.slice(), v: v.data.slice() }); } });
  const ex = createCpuRunExecutor(g);
  for (let rep = 0; rep < 2; rep++) { // twice: buffers reused across runs must not leak state
    ex.run(raw);
    for (const o of g.outputs) {
      const want = ref.get(o)!;
      if (want.q) assert.deepEqual(ex.int8(o), want.q, `${o} (int8)`);
      const got = ex.float(o)!;
      assert.ok(got, `${o} has a value`);
      assert.deepEqual(new Uint8Array(got.buffer, got.byteOffset, got.byteLength), new Uint8Array(want.v.buffer), `${o} (float bytes)`);
    }
  }
  return ex.stats;
}

test('planned float kernels: every binary broadcast case (same, scalar, last-axis vector either side, general), odd shapes, NaN/±0/±Inf', () => {
  const cases: [number[], number[]][] = [[[3, 5, 7], [3, 5, 7]], [[3, 5, 7], [1]], [[1], [2, 3, 5]], [[1, 4, 9], [9]], [[9], [2, 3, 9]], [[2, 1, 3], [1, 4, 1]], [[5, 1], [1, 6]], [[1, 3, 1, 5], [3, 7, 1]], [[4, 1, 6], [1, 6]]];
  for (const type of ['add', 'sub', 'mul', 'div']) {
    const b = new B();
    const outs: string[] = [];
    cases.forEach(([sa, sb], i) => {
      const a = b.data(`a${i}`, sa), c = b.data(`b${i}`, sb);
      const shape = Array.from({ length: Math.max(sa.length, sb.length) }, (_, k) => Math.max(sa[sa.length - Math.max(sa.length, sb.length) + k] ?? 1, sb[sb.length - Math.max(sa.length, sb.length) + k] ?? 1));
      outs.push(b.op(`y${i}`, type, [a, c], shape));
    });
    const st = checkEqual(b.graph(outs), true);
    assert.equal(st.plannedOps, cases.length, `${type}: every case planned`);
  }
});

test('planned float kernels: unary activations, softmax on every axis, layernorm (1 and 2 trailing axes, with/without gamma/beta; non-trailing → reference), global avgpool, transpose, strided_slice (negative steps, clamping), concat, reshape alias', () => {
  const b = new B();
  const x = b.data('x', [2, 3, 17]);
  const outs = ['relu', 'relu6', 'hard-swish', 'sigmoid'].map((t) => b.op(`u_${t}`, t, [x], [2, 3, 17]));
  for (const axis of [0, 1, 2, -1]) outs.push(b.op(`sm${axis}`, 'softmax', [x], [2, 3, 17], { axis }));
  const g17 = b.const('g17', [17], randF(17)), b17 = b.const('b17', [1, 17], randF(17));
  outs.push(b.op('ln_gb', 'layernorm', [x, g17, b17], [2, 3, 17], { axis: [2], epsilon: 1e-5 }));
  outs.push(b.op('ln_none', 'layernorm', [x], [2, 3, 17], { axis: [-1], epsilon: 1e-6 }));
  const g51 = b.const('g51', [3, 17], randF(51));
  outs.push(b.op('ln_2ax', 'layernorm', [x, g51], [2, 3, 17], { axis: [1, 2], epsilon: 1e-5 }));
  outs.push(b.op('ln_mid', 'layernorm', [x], [2, 3, 17], { axis: [1], epsilon: 1e-5 })); // not trailing: reference
  const img = b.data('img', [1, 5, 7, 11]);
  outs.push(b.op('gap', 'avgpool2d', [img], [1, 1, 1, 11], { global: true, kernel: [7, 5], stride: [1, 1], pad: [0, 0, 0, 0], count_include_pad: true }));
  outs.push(b.op('tr', 'transpose', [img], [11, 1, 7, 5], { order: [3, 0, 2, 1] }));
  const x5 = b.data('x5', [1, 7, 3, 2, 5]);
  outs.push(b.op('tr5', 'transpose', [x5], [3, 1, 2, 7, 5], { order: [2, 0, 3, 1, 4] }));
  outs.push(b.op('sl', 'strided_slice', [img], [1, 2, 4, 5], { begin: [0, 4, -5, 1], end: [1, 0, 99, 10], strides: [1, -2, 2, 2] }));
  outs.push(b.op('sl2', 'strided_slice', [img], [1, 5, 7, 3], { begin: [0, 0, 0, 8], end: [1, 5, 7, 11], strides: [1, 1, 1, 1] }));
  const img2 = b.data('img2', [1, 5, 7, 300]);
  outs.push(b.op('cat3', 'concat', [img, img2, img], [1, 5, 7, 322], { axis: 3 }));
  outs.push(b.op('cat1', 'concat', [img, img], [1, 10, 7, 11], { axis: 1 }));
  const r1 = b.op('rs1', 'reshape', [x], [6, 17], { shape: [6, 17] });
  const r2 = b.op('rs2', 'reshape', [r1], [102], { shape: [102] });
  outs.push(r2, b.op('rs_relu', 'relu', [r1], [6, 17]));
  const st = checkEqual(b.graph(outs), true);
  assert.deepEqual(st.referenceOps, { layernorm: 1 });
  assert.equal(st.aliasOps, 2);
});

function matmulGraph(): IrGraph {
  const b = new B();
  const outs: string[] = [];
  const a = b.data('a', [1, 13, 37]);
  const w = b.const('w', [37, 29], randF(37 * 29));
  const wt = b.const('wt', [29, 37], randF(37 * 29));
  const bias = b.const('bias', [29], randF(29));
  outs.push(b.op('mm', 'matmul', [a, w], [1, 13, 29]));
  outs.push(b.op('mmb', 'matmul', [a, w, bias], [1, 13, 29]));
  outs.push(b.op('mmt', 'matmul', [a, wt], [1, 13, 29], { transpose_b: true }));
  const at = b.data('at', [3, 37, 13]);
  outs.push(b.op('mma', 'matmul', [at, w, bias], [3, 13, 29], { transpose_a: true }));
  const small = b.data('small', [2, 3]);
  const ws = b.const('ws', [3, 4], randF(12));
  outs.push(b.op('mms', 'matmul', [small, ws], [2, 4])); // 24 MACs: the reference's scalar loop
  const x1 = b.data('x1', [4, 5, 6]), x2 = b.data('x2', [4, 6, 7]);
  outs.push(b.op('mm2', 'matmul', [x1, x2], [4, 5, 7])); // two activations: reference
  return b.graph(outs);
}

test('matmul with a const B: packed once, byte-equal to the reference (transpose_a/b, batch, bias, below the WASM threshold)', () => {
  const st = checkEqual(matmulGraph());
  assert.equal(st.plannedOps, 4);
  assert.deepEqual(st.referenceOps, { matmul: 2 });
});

test('matmul with the float WebAssembly kernels off: the planned GEMM declines and the reference scalar loop runs (still byte-equal)', () => {
  const was = setFloatWasmEnabled(false);
  try {
    checkEqual(matmulGraph());
  } finally {
    setFloatWasmEnabled(was);
  }
});

test('fixed-point ops: runs of INT8-kernel ops on WASM fast executors, int8 moves (same fix point: copy/alias; changed: fast executor), float ops with quantized outputs, float consumers of int8 tensors', () => {
  const b = new B();
  const x = b.data('x', [1, 9, 19], 4);
  const w = b.const('w', [19, 23], randF(19 * 23, 0.5), 7);
  const bias = b.const('bias', [23], randF(23, 1), 6);
  const mm = b.op('mm', 'matmul', [x, w, bias], [1, 9, 23], {}, 3);
  const ad = b.op('ad', 'add', [mm, mm], [1, 9, 23], {}, 2);
  const rs = b.op('rs', 'reshape', [ad], [1, 9, 23, 1], { shape: [1, 9, 23, 1] }, 2);
  const tr = b.op('tr', 'transpose', [rs], [1, 23, 9, 1], { order: [0, 2, 1, 3] }, 2);
  const trq = b.op('trq', 'transpose', [rs], [1, 23, 9, 1], { order: [0, 2, 1, 3] }, 1); // fix point changes
  const sl = b.op('sl', 'strided_slice', [tr], [1, 10, 9, 1], { begin: [0, 22, 0, 0], end: [1, 2, 9, 1], strides: [1, -2, 1, 1] }, 2);
  const cat = b.op('cat', 'concat', [tr, tr], [1, 46, 9, 1], { axis: 1 }, 2);
  const sg = b.op('sg', 'sigmoid', [ad], [1, 9, 23], {}, 7); // float kernel, quantized output
  const mu = b.op('mu', 'mul', [sg, ad], [1, 9, 23], {}, 3);
  const ln = b.op('ln', 'layernorm', [mu], [1, 9, 23], { axis: [2], epsilon: 1e-5 }); // float reading int8
  const st = checkEqual(b.graph([ad, tr, trq, sl, cat, mu, ln]));
  assert.ok(st.int8Segments >= 2 && st.int8Ops >= 4, JSON.stringify(st));
  assert.equal(st.aliasOps, 1);
});

// ───────────────────────── real CPU subgraphs ─────────────────────────

const cpuSubgraphs = (g: Graph): Subgraph[] => g.getRootSubgraph().toposortChildSubgraph().filter((s) => (s.hasAttr('device') ? String(s.getAttr('device')) : 'CPU') === 'CPU');

function allocOut(ts: { dims: number[]; dtype: string }[]): (Int8Array | Float32Array)[] {
  return ts.map((t) => (t.dtype === 'xint8' ? new Int8Array(numel(t.dims)) : new Float32Array(numel(t.dims))));
}

/** ref vs run CPU backends on one subgraph: identical output bytes; returns ms per call (median of `reps`). */
function compareCpuSubgraph(sg: Subgraph, ins: (Int8Array | Float32Array)[], reps: number): { ref: number; run: number; runFirst: number } {
  const ref = createBackend(sg, 'ref', {}), run = createBackend(sg, 'run', {});
  const { outputs } = subgraphTensors(sg);
  const tr: number[] = [], tf: number[] = [];
  for (let r = 0; r < reps; r++) {
    const ro = allocOut(outputs), fo = allocOut(outputs);
    let t = performance.now(); ref.execute(ins, ro); tr.push(performance.now() - t);
    t = performance.now(); run.execute(ins, fo); tf.push(performance.now() - t);
    outputs.forEach((o, k) => {
      const a = new Uint8Array(ro[k]!.buffer), b = new Uint8Array(fo[k]!.buffer);
      let diff = 0;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff++;
      assert.equal(diff, 0, `${sg.getName()} output ${o.name}: ${diff} of ${a.length} bytes differ`);
    });
  }
  const med = (v: number[]): number => (v.length ? [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)]! : Number.NaN);
  return { ref: med(tr), run: med(tf.slice(1)), runFirst: tf[0]! };
}

function randomInputs(sg: Subgraph): (Int8Array | Float32Array)[] {
  return subgraphTensors(sg).inputs.map((t) => {
    const n = numel(t.dims);
    return t.dtype === 'xint8' ? Int8Array.from({ length: n }, () => Math.floor(rnd() * 256) - 128) : randF(n);
  });
}

async function quickQuantized(g: IrGraph, scale: number): Promise<IrGraph> {
  const inp = g.ops.find((o) => o.type === 'data')!;
  const n = numel(inp.output.shape);
  let s = 7;
  const batches = [0, 1].map(() => ({ [inp.name]: { shape: inp.output.shape, data: Float32Array.from({ length: n }, () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s / 2 ** 32) * 2 * scale - scale; }) } }));
  return (await quantize(g, batches, { skipReport: true, biasCorrection: false })).graph;
}

test('real PP-OCRv4 rec (KV260): the SVTR neck + CTC head CPU subgraph is byte-equal in run and ref — on a real image through the DPU subgraph, and on random int8 inputs', async () => {
  const g0 = importOnnx(readAsset('ppocr-rec'), { fileName: assetPath('ppocr-rec'), inputShapes: { x: [1, 3, 48, 320] } });
  const xg = Graph.deserialize(compile(await quickQuantized(g0, 1), 'kv260').xmodel);
  const cpus = cpuSubgraphs(xg);
  assert.equal(cpus.length, 1);
  const cpu = cpus[0]!;
  // real inputs: a text screenshot → rec pre-processing → the DPU subgraph ('run') → the CPU subgraph's inputs
  const img = await readImage(assetPath('image-text'));
  const feed = recTensor(img, 48, 320);
  const dpu = xg.getRootSubgraph().toposortChildSubgraph().find((s) => s.hasAttr('device') && String(s.getAttr('device')) === 'DPU')!;
  const dpuB = createBackend(dpu, 'run', {});
  const dIn = subgraphTensors(dpu).inputs;
  assert.equal(dIn.length, 1);
  const dOut = allocOut(subgraphTensors(dpu).outputs);
  dpuB.execute([quantizeArr(feed.data, dIn[0]!.fixPoint!, DPU_ROUND)], dOut);
  const byName = new Map(subgraphTensors(dpu).outputs.map((t, i) => [t.name, dOut[i]!]));
  const cIn = subgraphTensors(cpu).inputs.map((t) => byName.get(t.name));
  assert.ok(cIn.every((x) => x), 'every CPU input comes from the DPU subgraph');
  const real = compareCpuSubgraph(cpu, cIn as (Int8Array | Float32Array)[], 3);
  const rand = compareCpuSubgraph(cpu, randomInputs(cpu), 1);
  console.log(`PP-OCRv4 rec CPU subgraph ms/call: ref ${real.ref.toFixed(1)}, run ${real.run.toFixed(1)} (first run call ${real.runFirst.toFixed(1)}); random inputs ref ${rand.ref.toFixed(1)} run ${rand.runFirst.toFixed(1)}`);
});

test("real PP-OCRv4 rec built like the demo (buildModel floatCpuOps: the neck's CPU ops kept float): its CPU subgraph is byte-equal in run and ref", async () => {
  let s = 11;
  const calib = [0, 1].map(() => ({ shape: [1, 48, 320, 3], data: Float32Array.from({ length: 48 * 320 * 3 }, () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s / 2 ** 32) * 2 - 1; }) }));
  const b = await buildModel({ name: 'rec', onnx: readAsset('ppocr-rec'), input: 'x', shapeNchw: [1, 3, 48, 320], calib, target: 'kv260', version: 'test', quantize: { biasCorrection: false }, floatCpuOps: true });
  const cpus = cpuSubgraphs(b.graph);
  assert.equal(cpus.length, 1);
  const r = compareCpuSubgraph(cpus[0]!, randomInputs(cpus[0]!), 2);
  console.log(`PP-OCRv4 rec (float CPU ops) CPU subgraph ms/call: ref ${r.ref.toFixed(1)}, run ${r.run.toFixed(1)}`);
});

test('real PP-OCRv4 det (160², sigmoid head) and CenterNet (512², bilinear resizes, concats, SE block, heads) CPU subgraphs: byte-equal in run and ref', async () => {
  const det = importOnnx(readAsset('ppocr-det'), { fileName: assetPath('ppocr-det'), inputShapes: { x: [1, 3, 160, 160] } });
  const dg = Graph.deserialize(compile(await quickQuantized(det, 1), 'kv260').xmodel);
  const dc = cpuSubgraphs(dg);
  assert.equal(dc.length, 1);
  const d = compareCpuSubgraph(dc[0]!, randomInputs(dc[0]!), 3);
  const cn = loadModelFile(path.join(packageDir('@vladmandic/human'), 'models', 'centernet.json'), { outputs: ['tower_0/keypoints', 'tower_0/wh'] });
  const cg = Graph.deserialize(compile(await quickQuantized(cn, 128), 'kv260').xmodel);
  const cc = cpuSubgraphs(cg);
  assert.equal(cc.length, 1);
  const c = compareCpuSubgraph(cc[0]!, randomInputs(cc[0]!), 1);
  console.log(`CPU subgraph ms/call (ref / run): det 160² ${d.ref.toFixed(1)} / ${d.run.toFixed(1)}; CenterNet 512² ${c.ref.toFixed(1)} / ${c.runFirst.toFixed(1)}`);
});

test('hand detector (Human handtrack, SSD MobileNetV2-FPN 320², cut after its pre-processing loop): its 3 CPU subgraphs (int8 concats of rank 3/5/6 tensors, reshapes) are byte-equal in run and ref', async () => {
  const MODEL = path.join(packageDir('@vladmandic/human'), 'models', 'handtrack.json');
  const g = loadModelFile(MODEL, {
    startAt: { 'StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack': [1, 320, 320, 3] },
    outputs: ['StatefulPartitionedCall/concat', 'StatefulPartitionedCall/concat_1'],
  });
  const xg = Graph.deserialize(compile(await quickQuantized(g, 1), 'B4096').xmodel);
  const cs = cpuSubgraphs(xg);
  assert.equal(cs.length, 3);
  for (const sg of cs) compareCpuSubgraph(sg, randomInputs(sg), 2);
});
