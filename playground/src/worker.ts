/// <reference lib="webworker" />
// The pipeline worker: import → quantize → compile → cycle-model profile, all with the stage code of
// src/ unchanged (plain TS + WASM, no Node APIs). Posts progress messages; never touches the DOM.
import { buildModel } from '../../src/models/index.js';
import { importModel } from '../../src/importers/index.js';
import { decodeOnnx } from '../../src/importers/onnx/index.js';
import { isTfjsModelJson } from '../../src/importers/tfjs/index.js';
import { quantize, type CalibBatch } from '../../src/quantizer/quantize.js';
import { stringifyQuantInfo } from '../../src/quantizer/quant-info.js';
import { normalizePixels, PREPROCESS_PRESETS } from '../../src/apps/preprocess/normalize.js';
import { irToXmodel } from '../../src/xir/from-ir.js';
import { xmodelToIr } from '../../src/xir/to-ir.js';
import { Graph as XGraph } from '../../src/xir/graph.js';
import { compile } from '../../src/compiler/compile.js';
import { BOARDS, findBoard, resolveTarget } from '../../src/dpu/arch/index.js';
import { profileModel, modelThroughput } from '../../src/profile/profile.js';
import { chromeTrace } from '../../src/profile/trace.js';
import { measureCpuSubgraphs } from '../../src/profile/measure-cpu.js';
import { renderProfileHtml, renderQuantizeHtml } from '../../src/report/html.js';
import { layerTimeSplit } from '../../src/report/layer-split.js';
import { AppError, ArchError, CompileError, DpuflowError, GraphError, ImportError, IsaError, QuantizeError, RuntimeError, UsageError, XmodelError } from '../../src/errors.js';
import type { Graph } from '../../src/ir/types.js';
import { MAX_MODEL_BYTES, type OpRow, type PgResult, type RunRequest, type WorkerMessage } from './protocol.js';

const post = (m: WorkerMessage, transfer: Transferable[] = []) => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m, transfer);
const progress = (stage: string, done?: number, total?: number) => post({ type: 'progress', stage, done, total });
/** Lets the progress message leave before a long synchronous step. */
const tick = () => new Promise<void>((r) => setTimeout(r, 0));

self.onmessage = (ev: MessageEvent<RunRequest>) => {
  run(ev.data).then(
    (result) => post({ type: 'result', result }, [result.files.intXmodel.buffer as ArrayBuffer, result.files.xmodel.buffer as ArrayBuffer]),
    (err: unknown) => {
      if (err instanceof DpuflowError) post({ type: 'error', message: err.message, code: err.code, kind: errorKind(err), fix: err.fix });
      else post({ type: 'error', message: `internal error: ${err instanceof Error ? err.message : String(err)}`, kind: 'Error' });
    },
  );
};

// class names are minified in the bundle: name the stage by class
const KINDS: Array<[new (...a: never[]) => DpuflowError, string]> = [
  [ImportError, 'ImportError'], [GraphError, 'GraphError'], [QuantizeError, 'QuantizeError'], [CompileError, 'CompileError'], [ArchError, 'ArchError'],
  [IsaError, 'IsaError'], [XmodelError, 'XmodelError'], [RuntimeError, 'RuntimeError'], [AppError, 'AppError'], [UsageError, 'UsageError'],
];
function errorKind(err: DpuflowError): string {
  return KINDS.find(([c]) => err instanceof c)?.[1] ?? 'Error';
}

interface Loaded { name: string; fileName: string; format: string; input: Uint8Array | { json: string; shards: Record<string, Uint8Array> }; shapeDefault?: string }

async function loadModel(req: RunRequest): Promise<Loaded> {
  const m = req.model;
  if (m.kind === 'example') {
    if (m.name === 'ppocr-det') {
      let bytes = m.bytes;
      if (!bytes) {
        progress('loading the PP-OCRv4 det model');
        const r = await fetch(m.url ?? '').catch(() => undefined);
        if (!r?.ok) throw new ImportError('E_PG_FETCH', `could not load the bundled PP-OCRv4 det model (${r ? `HTTP ${r.status}` : 'offline'})`, { fix: 'reload the page while the server is running' });
        bytes = await r.arrayBuffer();
      }
      return { name: 'ch_PP-OCRv4_det_infer', fileName: 'ch_PP-OCRv4_det_infer.onnx', format: 'onnx (PP-OCRv4 det, real weights)', input: new Uint8Array(bytes), shapeDefault: '1,3,256,256' };
    }
    progress(`building the ${m.name}-shaped model (seed ${req.seed})`);
    await tick();
    return { name: `${m.name}_seed${req.seed}`, fileName: `${m.name}_seed${req.seed}.onnx`, format: `onnx (seeded ${m.name}-shaped, buildModel)`, input: buildModel(m.name, { seed: req.seed }).onnx };
  }
  const files = m.files;
  if (files.length === 0) throw new ImportError('E_PG_NO_FILE', 'no file given', { fix: 'pick an .onnx file, or a TF.js model.json with its .bin shards' });
  const total = files.reduce((s, f) => s + f.size, 0);
  if (total >= MAX_MODEL_BYTES) throw tooBig(total);
  const json = files.find((f) => /\.json$/i.test(f.name));
  if (json) {
    progress(`reading ${json.name} and ${files.length - 1} shard(s)`);
    const text = await json.text();
    if (!isTfjsModelJson(new TextEncoder().encode(text))) throw new ImportError('E_PG_NOT_TFJS', 'this JSON file is not a TF.js graph model (no modelTopology/weightsManifest)', { file: json.name, fix: 'pick model.json of a TF.js graph model, or an .onnx file' });
    const shards: Record<string, Uint8Array> = {};
    let manifestPaths: string[] = [];
    try {
      const parsed = JSON.parse(text) as { weightsManifest?: Array<{ paths?: string[] }> };
      manifestPaths = (parsed.weightsManifest ?? []).flatMap((g) => g.paths ?? []);
    } catch { /* the importer reports the JSON error */ }
    for (const p of manifestPaths) {
      const base = p.split('/').pop() ?? p;
      const f = files.find((x) => x.name === base);
      if (f) shards[p] = new Uint8Array(await f.arrayBuffer());
    }
    return { name: json.name.replace(/\.json$/i, ''), fileName: json.name, format: 'tfjs', input: { json: text, shards } };
  }
  if (files.length > 1) throw new ImportError('E_PG_FILES', `${files.length} files picked but none is a TF.js model.json`, { fix: 'pick one .onnx file, or model.json together with its shards' });
  const f = files[0]!;
  progress(`reading ${f.name}`);
  return { name: f.name.replace(/\.onnx$/i, ''), fileName: f.name, format: 'onnx', input: new Uint8Array(await f.arrayBuffer()) };
}

function tooBig(bytes: number): ImportError {
  return new ImportError('E_PG_TOO_BIG', `the model is ${(bytes / 2 ** 20).toFixed(0)} MB; the playground takes models under ${MAX_MODEL_BYTES / 2 ** 20} MB`, {
    fix: 'use the CLI for big models: dpuflow quantize / compile / profile',
  });
}

/** "name=1x3x320x320" or "1,3,320,320" (→ the model's first input). */
function parseInputShape(spec: string, l: Loaded): Record<string, number[]> | undefined {
  const s = spec.trim();
  if (!s) return undefined;
  const eq = s.indexOf('=');
  const dims = (eq >= 0 ? s.slice(eq + 1) : s).split(/[x,\s]+/).filter(Boolean).map(Number);
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new ImportError('E_PG_SHAPE', `bad input shape '${spec}'`, { fix: 'write it like 1,3,320,320 (ONNX NCHW) or name=1x3x320x320' });
  }
  let name = eq >= 0 ? s.slice(0, eq).trim() : '';
  if (!name) {
    if (l.input instanceof Uint8Array) {
      const d = decodeOnnx(l.input, l.fileName);
      const inits = new Set((d.graph?.initializer ?? []).map((t) => (t as { name?: string }).name));
      name = (d.graph?.input ?? []).map((i) => i.name ?? '').find((n) => !inits.has(n)) ?? '';
    } else {
      const topo = (JSON.parse(l.input.json) as { modelTopology?: { node?: Array<{ name: string; op: string }> } }).modelTopology;
      name = topo?.node?.find((n) => n.op === 'Placeholder')?.name ?? '';
    }
  }
  return name ? { [name]: dims } : undefined;
}

/** Deterministic uniform [-1, 1) values (LCG), so the same seed gives the same calibration. */
function seededBatch(g: Graph, seed: number): CalibBatch {
  const b: CalibBatch = {};
  let s = (seed * 2654435761 + 12345) >>> 0;
  for (const name of g.inputs) {
    const op = g.ops.find((o) => o.name === name)!;
    const n = op.output.shape.reduce((a, v) => a * v, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; data[i] = (s / 2 ** 32) * 2 - 1; }
    b[name] = { shape: op.output.shape.slice(), data };
  }
  return b;
}

async function imageBatches(g: Graph, files: File[], preprocess: RunRequest['preprocess']): Promise<CalibBatch[]> {
  if (g.inputs.length !== 1) throw new ImportError('E_PG_CALIB_INPUTS', `the model has ${g.inputs.length} inputs; images calibrate a one-input model`, { fix: 'remove the images to use seeded random calibration' });
  const name = g.inputs[0]!;
  const shape = g.ops.find((o) => o.name === name)!.output.shape;
  const [, h, w, c] = shape;
  if (shape.length !== 4 || !(c === 3 || c === 1)) throw new ImportError('E_PG_CALIB_SHAPE', `input '${name}' has shape [${shape}] (NHWC): images need 1 or 3 channels`, { fix: 'remove the images to use seeded random calibration' });
  const out: CalibBatch[] = [];
  for (const [i, f] of files.entries()) {
    progress(`decoding calibration image ${f.name}`, i, files.length);
    let bmp: ImageBitmap;
    try { bmp = await createImageBitmap(f); } catch { throw new ImportError('E_PG_IMAGE', `'${f.name}' is not an image the browser can decode`, { file: f.name, fix: 'use PNG, JPEG or WebP images' }); }
    const cv = new OffscreenCanvas(w!, h!);
    const ctx = cv.getContext('2d')!;
    ctx.drawImage(bmp, 0, 0, w!, h!);
    bmp.close();
    const rgba = ctx.getImageData(0, 0, w!, h!).data;
    const px = new Uint8Array(w! * h! * c!);
    for (let p = 0; p < w! * h!; p++) {
      if (c === 1) px[p] = Math.round(0.299 * rgba[p * 4]! + 0.587 * rgba[p * 4 + 1]! + 0.114 * rgba[p * 4 + 2]!);
      else { px[p * 3] = rgba[p * 4]!; px[p * 3 + 1] = rgba[p * 4 + 1]!; px[p * 3 + 2] = rgba[p * 4 + 2]!; }
    }
    const pre = PREPROCESS_PRESETS[preprocess]!;
    const t = normalizePixels(px, w!, h!, c!, c === 1 ? { mean: [pre.mean[0]!], std: [pre.std[0]!] } : pre);
    out.push({ [name]: t });
  }
  return out;
}

async function run(req: RunRequest): Promise<PgResult> {
  const timings: PgResult['timings'] = [];
  let t = performance.now();
  const lap = (stage: string) => { const n = performance.now(); timings.push({ stage, ms: n - t }); t = n; };

  const l = await loadModel(req);
  lap('load');
  progress('importing');
  await tick();
  const g = importModel(l.input, { fileName: l.fileName, inputShapes: parseInputShape(req.inputShape || l.shapeDefault || '', l) });
  lap('import');

  let batches: CalibBatch[];
  let calibration: PgResult['calibration'];
  if (req.calibImages.length > 0) {
    batches = await imageBatches(g, req.calibImages, req.preprocess);
    calibration = { kind: 'images', count: batches.length, seed: req.seed, method: req.method, label: `${batches.length} calibration image(s), preprocess ${req.preprocess}` };
  } else {
    batches = [seededBatch(g, req.seed)];
    calibration = { kind: 'random', count: 1, seed: req.seed, method: req.method, label: `seeded random calibration (uniform [-1, 1), seed ${req.seed}): no images given, fix points are not representative of real data` };
  }
  const q = await quantize(g, batches, {
    method: req.method as 'maxmin', cle: req.cle, biasCorrection: req.biasCorrection, seed: req.seed,
    skipReport: !req.report, reportBatches: Math.min(batches.length, 2),
    onProgress: (stage, done, total) => progress(`quantize: ${stage}`, done, total),
  });
  lap('quantize');

  progress('writing _int.xmodel and compiling');
  await tick();
  // the same path as `dpuflow quantize` + `dpuflow compile`: serialize the _int.xmodel, read it back, compile
  const intXmodel = irToXmodel(q.graph).serialize();
  const target = resolveTarget(req.target);
  const ir = xmodelToIr(XGraph.deserialize(intXmodel, { file: `${l.name}_int.xmodel` }), { file: `${l.name}_int.xmodel` });
  const c = compile(ir, target);
  lap('compile');

  const subOf = new Map<string, string>();
  for (const sg of c.state.subgraphs) for (const o of sg.ops) subOf.set(o, sg.name);
  const why = new Map(c.report.cpuOps.map((r) => [r.op, r]));
  const ops: OpRow[] = [];
  for (const op of c.state.graph.ops) {
    const device = c.state.device[op.name];
    if (!device) continue;
    const r = why.get(op.name);
    ops.push({ name: op.name, type: op.type, device, subgraph: subOf.get(op.name), ...(r ? { reason: r.reason, fix: r.fix } : {}) });
  }

  progress('cycle-model profile');
  await tick();
  const xg = XGraph.deserialize(c.xmodel, { file: `${l.name}.xmodel` });
  const board = findBoard(req.target);
  let boardOut: PgResult['board'];
  let boardNote: string | undefined;
  let trace: string | undefined;
  let reportHtml: string | undefined;
  const threads: PgResult['threads'] = [];
  const hasDpu = c.report.counts.dpu > 0;
  if (!hasDpu) boardNote = 'no op went to the DPU: nothing for the cycle model to time';
  else if (!board) boardNote = `${target.preset} is on none of the boards (${BOARDS.map((b) => `${b.name}: ${b.preset}`).join(', ')}): pick a board for the cycle-model profile`;
  if (hasDpu && board) {
    const cpuMs = await measureCpuSubgraphs(xg, 1);
    const p = profileModel(xg, board.name, cpuMs);
    const one = modelThroughput(xg, board.name, 1);
    const layers = p.perf.flatMap(({ subgraph, perf }) => layerTimeSplit(perf, board.clockMHz).map((s) => ({ ...s, subgraph })));
    const dpuSgs = p.subgraphs.filter((s) => s.device === 'DPU');
    const sum = (k: 'ldWB' | 'ldFM' | 'stFM') => dpuSgs.reduce((s, x) => s + (x[k] ?? 0), 0);
    const bytes = sum('ldWB') + sum('ldFM') + sum('stFM');
    boardOut = {
      name: board.name, title: board.title, cores: board.cores, clockMHz: board.clockMHz, ddrGBps: board.ddrGBps, preset: board.preset,
      fps: one.fps, latencyMs: one.latencyMs, efficiency: one.efficiency, dpuMs: p.dpuMs,
      ldWB: sum('ldWB'), ldFM: sum('ldFM'), stFM: sum('stFM'), avgBwGBps: p.dpuMs > 0 ? bytes / (p.dpuMs * 1e6) : 0,
      layers, cpuSubgraphs: p.subgraphs.filter((s) => s.device === 'CPU').map((s) => ({ name: s.name, hostMs: s.timeMs })),
    };
    trace = JSON.stringify(chromeTrace(p));
    progress('fps vs threads on ZCU102, ZCU104, KV260');
    await tick();
    for (const b of BOARDS) {
      if (b.preset !== target.preset) continue;
      const points = [1, 2, 3, 4].map((n) => { const m = modelThroughput(xg, b.name, n); return { threads: n, fps: m.fps, latencyMs: m.latencyMs, activeCores: m.activeCores, efficiency: m.efficiency }; });
      threads.push({ board: b.name, cores: b.cores, points });
    }
    // the report gets every board's rows (the CLI's profile --html has the chosen board's only)
    const rows = threads.flatMap((tb) => tb.points.map((pt) => ({ name: tb.board, cores: tb.cores, activeCores: pt.activeCores, threads: pt.threads, clockMHz: BOARDS.find((x) => x.name === tb.board)!.clockMHz, fps: pt.fps, latencyMs: pt.latencyMs, efficiency: pt.efficiency })));
    reportHtml = renderProfileHtml(`${l.name}.xmodel`, p, rows);
  }
  lap('profile');

  const order = new Map(q.graph.ops.map((o, i) => [o.name, i]));
  const tensors = q.report.tensors.slice().sort((a, b) => (order.get(a.tensor) ?? 1e9) - (order.get(b.tensor) ?? 1e9))
    .map((x) => ({ tensor: x.tensor, op: x.op, sqnrDb: x.sqnrDb, localSqnrDb: x.localSqnrDb, cosine: x.cosine, clipRate: x.clipRate, fixPoint: x.fixPoint, suggestion: x.suggestion }));
  const worst = q.report.tensors.filter((x) => x.sqnrDb !== null).slice(0, 8).map((x) => ({ tensor: x.tensor, op: x.op, sqnrDb: x.sqnrDb, suggestion: x.suggestion }));

  return {
    model: { name: l.name, format: l.format, inputs: g.inputs.map((n) => ({ name: n, shape: g.ops.find((o) => o.name === n)!.output.shape.slice() })), ops: g.ops.filter((o) => o.type !== 'const').length },
    target: { spec: req.target, dpuName: c.report.dpuName, fingerprint: c.report.fingerprint, preset: target.preset },
    calibration, ops, counts: c.report.counts, notes: c.report.notes, board: boardOut, boardNote, threads,
    quant: { warnings: q.report.warnings, reported: req.report, tensors, worst },
    files: {
      netName: l.name, intXmodel, xmodel: c.xmodel, quantInfo: stringifyQuantInfo(q.quantInfo), trace, reportHtml,
      ...(req.report ? { quantReportHtml: renderQuantizeHtml({ ...q.report, model: l.fileName }) } : {}),
    },
    timings,
  };
}
