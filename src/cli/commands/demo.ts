// `dpuflow demo` (what `npm start` runs): the full PP-OCR pipeline (det → cls → rec) quantized to INT8,
// compiled for a board and run on the virtual DPU, against the same pipeline on onnxruntime-node (FP32).
// Build steps live in src/apps/demo (browser-safe); this file adds files, the .cache/ folder and printing.
// The det-map helpers below (loadDetInput, findTextRegions, …) are kept for other tests.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import sharp, { type Metadata } from 'sharp';
import { assetPath, packageDir, readAsset } from '../../runtime/node/assets.js';
import { AppError, UsageError } from '../../errors.js';
import { printJson, writeFileAtomic } from '../output.js';
import { readImage, writeAnnotatedPng } from '../../apps/node/image-io.js';
import { readKeys } from '../../apps/node/models.js';
import { ortExecutor } from '../../apps/node/ort-executor.js';
import { detResizeSize, runOcr, type OcrModels, type OcrResult } from '../../apps/ocr/pipeline.js';
import { graphRunnerExecutor } from '../../apps/executor.js';
import { HOST_TO_A53_FACTOR } from '../../apps/timing.js';
import { buildModel, type ArtifactCache, type BuiltModel } from '../../apps/demo/build.js';
import { DET_CALIB_FILES, REC_WIDTHS, detCalibration, ocrBuildSpecs, recSpotCrops } from '../../apps/demo/ocr-specs.js';
import { REC_CALIB_FILES, recCalibLineCrops } from '../../apps/demo/rec-calib.js';
import { lineAgreement, pipelineSummary, type LineAgreement, type PipelineSummary } from '../../apps/demo/report.js';
import { GraphRunner } from '../../runtime/graph-runner.js';
import { profileModel } from '../../profile/index.js';

/** PaddleOCR's det normalisation (RGB, ImageNet mean/std on [0,1] pixels). */
export const PPOCR_MEAN = [0.485, 0.456, 0.406] as const;
export const PPOCR_STD = [0.229, 0.224, 0.225] as const;

export interface DetInput {
  /** Original image size. */
  width: number;
  height: number;
  /** Network input size (multiples of 32). */
  inW: number;
  inH: number;
  /** Normalised RGB, NHWC [1, inH, inW, 3] (the IR's layout). */
  nhwc: Float32Array;
  /** The same values NCHW [1, 3, inH, inW] (ONNX's layout, for onnxruntime). */
  nchw: Float32Array;
}

/** Side lengths rounded to multiples of 32 after scaling the longer side down to ≤ maxSide (PaddleOCR's det resize). */
export function detInputSize(width: number, height: number, maxSide: number): { inW: number; inH: number } {
  const ratio = Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1;
  const r32 = (v: number): number => Math.max(32, Math.round((v * ratio) / 32) * 32);
  return { inW: r32(width), inH: r32(height) };
}

/** Decodes an image (PNG/JPEG/…), resizes it to multiples of 32 and normalises it as PaddleOCR does. */
export async function loadDetInput(image: string | Uint8Array, maxSide = 640): Promise<DetInput> {
  let meta: Metadata;
  try {
    meta = await sharp(image).metadata();
  } catch (err) {
    throw new AppError('E_IMAGE', `cannot decode image: ${(err as Error).message}`, {
      file: typeof image === 'string' ? image : undefined, fix: 'give a PNG or JPEG file', cause: err,
    });
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (!width || !height) throw new AppError('E_IMAGE', 'image has no size', { file: typeof image === 'string' ? image : undefined });
  const { inW, inH } = detInputSize(width, height, maxSide);
  const rgb = await sharp(image).removeAlpha().toColourspace('srgb').resize(inW, inH, { fit: 'fill' }).raw().toBuffer();
  const n = inW * inH;
  const nhwc = new Float32Array(n * 3);
  const nchw = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = (rgb[i * 3 + c]! / 255 - PPOCR_MEAN[c]!) / PPOCR_STD[c]!;
      nhwc[i * 3 + c] = v;
      nchw[c * n + i] = v;
    }
  }
  return { width, height, inW, inH, nhwc, nchw };
}

export interface TextRegion {
  /** Box in original-image pixels [x0, y0, x1, y1] (x1/y1 exclusive), expanded by DB's unclip. */
  box: [number, number, number, number];
  /** Pixels of the component in the probability map. */
  area: number;
  /** Mean probability inside the component. */
  score: number;
}

/**
 * Text regions of a DB probability map: 4-connected components of prob > threshold with at
 * least `minArea` pixels, each box expanded by DB's unclip offset (area·ratio / perimeter)
 * and scaled back to the original image.
 */
export function findTextRegions(
  prob: Float32Array, w: number, h: number,
  opts: { threshold?: number; minArea?: number; unclip?: number; scaleX?: number; scaleY?: number } = {},
): TextRegion[] {
  const thr = opts.threshold ?? 0.3;
  const minArea = opts.minArea ?? 10;
  const unclip = opts.unclip ?? 1.5;
  const sx = opts.scaleX ?? 1;
  const sy = opts.scaleY ?? 1;
  const label = new Int32Array(w * h);
  const stack: number[] = [];
  const regions: TextRegion[] = [];
  let next = 0;
  for (let start = 0; start < w * h; start++) {
    if (label[start] !== 0 || !(prob[start]! > thr)) continue;
    next++;
    label[start] = next;
    stack.push(start);
    let x0 = w, y0 = h, x1 = -1, y1 = -1, area = 0, sum = 0;
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % w;
      const y = (p - x) / w;
      area++;
      sum += prob[p]!;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      const nb = [x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, y > 0 ? p - w : -1, y < h - 1 ? p + w : -1];
      for (const q of nb) {
        if (q >= 0 && label[q] === 0 && prob[q]! > thr) {
          label[q] = next;
          stack.push(q);
        }
      }
    }
    if (area < minArea) continue;
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    const d = (bw * bh * unclip) / (2 * (bw + bh));
    const box: [number, number, number, number] = [
      Math.max(0, Math.floor((x0 - d) * sx)),
      Math.max(0, Math.floor((y0 - d) * sy)),
      Math.min(Math.round(w * sx), Math.ceil((x1 + 1 + d) * sx)),
      Math.min(Math.round(h * sy), Math.ceil((y1 + 1 + d) * sy)),
    ];
    regions.push({ box, area, score: sum / area });
  }
  return regions;
}

/** IoU of the two maps binarised at `threshold` (1 when both are empty). */
export function binaryIoU(a: Float32Array, b: Float32Array, threshold = 0.3): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const pa = a[i]! > threshold;
    const pb = b[i]! > threshold;
    if (pa && pb) inter++;
    if (pa || pb) union++;
  }
  return union === 0 ? 1 : inter / union;
}

export function maxRelError(a: Float32Array, ref: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - ref[i]!));
    den = Math.max(den, Math.abs(ref[i]!));
  }
  return den === 0 ? num : num / den;
}

export type Board = 'kv260' | 'zcu102' | 'zcu104';
export const BOARDS: readonly Board[] = ['kv260', 'zcu102', 'zcu104'];

export interface DemoOptions {
  /** Image with text (default: the shipped screenshot-menu.png of @vladmandic/human). */
  image?: string;
  /** Board: compile target and cycle model (default kv260). */
  board?: Board;
  /** Write the annotated PNG here (atomically). */
  out?: string;
  /** Cache folder for quantized/compiled models (default `<package>/.cache`); false disables it. */
  cacheDir?: string | false;
  /** Recognize at most this many text boxes (reading order) — each rec call costs ~1 s of host time. */
  maxLines?: number;
  /** Longest det input side (PaddleOCR limit_side_len; default 960). */
  limitSideLen?: number;
  a53Factor?: number;
  /**
   * Where rec runs: 'cpu' (default while INT8 rec reads blank — see docs/quantizer.md) or 'dpu' (INT8, quantized + compiled like det and cls); 'cpu' is the FP32 model on
   * dpuflow's float executor, board time as an A53 estimate) — the fallback while INT8 rec is inaccurate.
   */
  recOn?: 'dpu' | 'cpu';
  /** Step messages for a progress line. */
  progress?: (step: string) => void;
}

export interface DemoModelInfo {
  name: string;
  inputShape: number[];
  cacheKey: string;
  cached: boolean;
  rebuiltCorruptCache: boolean;
  calibInputs: number;
  quantizeMs: number;
  compileMs: number;
  dpuSubgraphs: number;
  cpuSubgraphs: number;
  /** Cycle model: one call of all DPU subgraphs on the board, ms. */
  boardDpuMs: number;
}

export interface DemoResult {
  version: string;
  recOn: 'dpu' | 'cpu';
  board: { name: string; preset: string; clockMHz: number; ddrGBps: number; a53Factor: number };
  image: { file: string; width: number; height: number };
  calibration: { det: string[]; lines: number; recLines?: number; source: string };
  models: DemoModelInfo[];
  cache: { dir: string | null; hits: number; misses: number; corruptRebuilt: number };
  detBoxes: number;
  lines: Array<{ text: string; score: number; box: [number, number][]; angle: 0 | 180 }>;
  reference: { engine: 'onnxruntime-node FP32'; boxes: number; lines: Array<{ text: string; score: number }> };
  agreement: LineAgreement;
  pipeline: PipelineSummary;
  timesMs: { build: number; int8Pipeline: number; referencePipeline: number; total: number };
  /** The host: CPU model, cores and the 1-minute load average at the start and the end (host ms depend on it). */
  host: { cpu: string; cores: number; loadStart: number; loadEnd: number };
  out?: string;
  notes: string[];
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The dpuflow package root (holds package.json) found upward from this file. */
function packageRoot(): string {
  let dir = here;
  for (;;) {
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) {
      try {
        if ((JSON.parse(fs.readFileSync(p, 'utf8')) as { name?: string }).name === 'dpuflow') return dir;
      } catch { /* keep looking */ }
    }
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** Stage code whose output the cache holds: a change to any of these files invalidates the demo's cache entries. */
const BUILD_STAGE_DIRS = ['quantizer', 'compiler', 'ir', 'ops', 'importers', 'kernels', 'isa', 'xir', 'dpu'];

/** md5 over the compiled stage code (this build's dist/src), so entries built by older code are not reused. */
export function stageCodeHash(srcRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')): string {
  const h = createHash('md5');
  const walk = (dir: string): void => {
    let names: string[];
    try { names = fs.readdirSync(dir).sort(); } catch { return; }
    for (const n of names) {
      const f = path.join(dir, n);
      if (fs.statSync(f).isDirectory()) walk(f);
      else if (n.endsWith('.js')) h.update(path.relative(srcRoot, f)).update(fs.readFileSync(f));
    }
  };
  for (const d of BUILD_STAGE_DIRS) walk(path.join(srcRoot, d));
  return h.digest('hex').slice(0, 12);
}

function dpuflowVersion(root: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? '0';
  } catch {
    return '0';
  }
}

/** .cache/<key>.bin files, written atomically; unreadable entries read as missing. */
export function fileCache(dir: string): ArtifactCache {
  return {
    get(key) {
      try {
        const b = fs.readFileSync(path.join(dir, `${key}.bin`));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch {
        return undefined;
      }
    },
    put(key, bytes) {
      writeFileAtomic(path.join(dir, `${key}.bin`), bytes);
    },
  };
}


/** Calibration images for det (whole screenshots/photos) — not the demo image itself (src/apps/demo/ocr-specs.ts). */
const DET_CALIB: string[] = [...DET_CALIB_FILES];

/** The whole demo as a function (the CLI prints its result). */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const t0 = performance.now();
  const loadStart = os.loadavg()[0] ?? 0;
  const step = (s: string): void => opts.progress?.(s);
  const board = opts.board ?? 'kv260';
  if (!BOARDS.includes(board)) throw new UsageError('E_USAGE', `unknown board '${String(board)}'`, { fix: `use one of ${BOARDS.join(', ')}` });
  const root = packageRoot();
  const version = dpuflowVersion(root);
  const codeHash = stageCodeHash();
  const cacheDir = opts.cacheDir === false ? null : path.resolve(opts.cacheDir ?? path.join(root, '.cache'));
  const cache = cacheDir ? fileCache(cacheDir) : undefined;
  const a53Factor = opts.a53Factor ?? HOST_TO_A53_FACTOR;
  const imageFile = opts.image ?? assetPath('image-text');
  step(`read ${path.basename(imageFile)}`);
  const img = await readImage(imageFile);

  // calibration data (shipped images that are not the demo image)
  const assets = path.join(packageDir('@vladmandic/human'), 'assets');
  const det = detResizeSize(img.width, img.height, opts.limitSideLen ?? 960);
  const detCalib = detCalibration(await Promise.all(DET_CALIB.map((f) => readImage(path.join(assets, f)))), det.w, det.h);
  const doc = await readImage(path.join(assets, 'screenshot-typedoc.png'));
  const lineCrops = recSpotCrops(doc);
  const recOn = opts.recOn ?? 'cpu';
  // rec (only when it runs on the DPU) calibrates on the text lines the FP32 detector finds in shipped images (REC_CALIB_LINES)
  const recLineCrops = recOn !== 'dpu' ? undefined
    : recCalibLineCrops(Object.fromEntries(await Promise.all(REC_CALIB_FILES.map(async (f) => [f, f === 'screenshot-typedoc.png' ? doc : await readImage(path.join(assets, f))] as const))));

  const tb = performance.now();
  const built: BuiltModel[] = [];
  const specs = ocrBuildSpecs({
    onnx: { det: readAsset('ppocr-det'), cls: readAsset('ppocr-cls'), ...(recOn === 'dpu' ? { rec: readAsset('ppocr-rec') } : {}) },
    det: { h: det.h, w: det.w, calib: detCalib }, lineCrops, ...(recLineCrops ? { recLineCrops } : {}), target: board, version: `${version}+${codeHash}`,
  });
  for (const s of specs) {
    step(`${s.name}: look up the cache`);
    built.push(await buildModel({ ...s, onProgress: step }, cache));
  }
  const buildMs = performance.now() - tb;

  const profiles = new Map(built.map((b) => [b.name, profileModel(b.graph, board)]));
  const prof0 = profiles.get('det')!;
  const alphabet = readKeys(assetPath('ppocr-keys'));
  const [bDet, bCls, ...bRecs] = built as [BuiltModel, BuiltModel, ...BuiltModel[]];
  const ex = (b: BuiltModel) => graphRunnerExecutor(GraphRunner.create(b.graph, { mode: 'run' }), b.name);
  // --rec-on cpu: FP32 rec on onnxruntime-node (an optimized CPU library, as a board would run it; its host ms
  // feed the A53 estimate). dpuflow's own float executor gives the same strings (test/apps/ocr-e2e) but ~6× slower.
  // rec at every compiled width (--rec-on dpu: one .xmodel per width); FP32 rec runs the free-width ONNX at the same widths
  const int8: OcrModels = {
    det: ex(bDet), cls: ex(bCls), rec: bRecs[0] ? ex(bRecs[0]) : await ortExecutor(readAsset('ppocr-rec'), { name: 'rec' }), recByWidth: bRecs.slice(1).map(ex), alphabet,
  };
  const ocrOpts = { maxLines: opts.maxLines ?? 12, limitSideLen: opts.limitSideLen ?? 960, a53Factor, recWidths: [...REC_WIDTHS] };
  let r: OcrResult;
  let tr = performance.now();
  try {
    step(`run det → cls → rec (${recOn === 'dpu' ? 'all on the virtual DPU' : 'rec FP32 on the CPU (onnxruntime)'})`);
    r = await runOcr(img, int8, ocrOpts);
  } finally {
    int8.det.close?.(); int8.cls?.close?.(); int8.rec.close?.(); for (const e of int8.recByWidth ?? []) e.close?.();
  }
  const int8Ms = performance.now() - tr;

  step('run the same pipeline on onnxruntime-node (FP32 reference)');
  tr = performance.now();
  const ref: OcrModels = {
    det: await ortExecutor(readAsset('ppocr-det'), { name: 'det' }), cls: await ortExecutor(readAsset('ppocr-cls'), { name: 'cls' }),
    rec: await ortExecutor(readAsset('ppocr-rec'), { name: 'rec' }), alphabet,
  };
  let rf: OcrResult;
  try {
    // same det input size as the compiled det (limitSideLen gives the same rounding)
    rf = await runOcr(img, ref, ocrOpts);
  } finally {
    ref.det.close?.(); ref.cls?.close?.(); ref.rec.close?.();
  }
  const refMs = performance.now() - tr;

  const pipeline = pipelineSummary(r.timings, (model, sg) => {
    const s = profiles.get(model)?.subgraphs.find((x) => x.name === sg && x.device === 'DPU');
    return s ? { timeMs: s.timeMs ?? 0, avgBwGBps: s.avgBwGBps ?? 0 } : undefined;
  }, prof0.board.ddrGBps);
  const agreement = lineAgreement(rf.lines, r.lines);

  let out: string | undefined;
  if (opts.out) {
    step(`write ${opts.out}`);
    await writeAnnotatedPng(opts.out, img, r.lines.map((l) => ({ points: l.box, label: l.text })));
    out = opts.out;
  }
  const notes: string[] = [];
  if (recOn === 'cpu') notes.push('rec ran in FP32 on the CPU (--rec-on cpu, onnxruntime-node on the host): its board time is an A53 estimate, and only det and cls are INT8 on the DPU');
  else if (!agreement.identical && agreement.charAccuracy < 0.5) notes.push('INT8 rec is far from FP32 (a quantizer accuracy gap for the PP-OCRv4 rec model, see docs/quantizer.md); `--rec-on cpu` runs rec in FP32 on the CPU instead');
  if (r.boxes > r.lines.length) notes.push(`${r.boxes} text boxes detected; ${Math.min(r.boxes, ocrOpts.maxLines)} recognized (--max-lines ${ocrOpts.maxLines}), ${r.lines.length} kept (CTC score ≥ 0.5)`);
  if (!agreement.identical) notes.push(`the virtual-DPU pipeline's text differs from the FP32 reference: ${agreement.sameLines}/${agreement.reference.length} lines equal (${agreement.matched} paired by box), character accuracy ${(agreement.charAccuracy * 100).toFixed(1)}%`);
  const perW = REC_WIDTHS.map((w) => `${r.lines.filter((l) => l.recWidth === w).length} at 48×${w}`).join(', ');
  notes.push(`rec reads each line at the smallest of ${REC_WIDTHS.join('/')} px that holds it at its aspect (padded; ${recOn === 'dpu' ? 'one compiled model per width' : 'the FP32 model at the same widths'}): ${perW}`);
  notes.push(`board CPU times are estimates (host ms × ${a53Factor}, docs/apps.md); DPU times come from the cycle model`);
  const cores = os.cpus().length;
  const loadEnd = os.loadavg()[0] ?? 0;
  if (Math.max(loadStart, loadEnd) > cores) notes.push(`the host was busy (load average ${loadStart.toFixed(1)} → ${loadEnd.toFixed(1)} on ${cores} cores): host ms, and the A53 estimates derived from them, are inflated by roughly that over-subscription`);
  const slowCpu = pipeline.rows.filter((x) => x.device === 'CPU' && / CPU subgraph/.test(x.stage) && x.hostMs > 100 * x.calls);
  if (slowCpu.length) notes.push(`${slowCpu.map((x) => x.stage).join(', ')}: timed on dpuflow's float kernels (not an optimized ARM library), so the A53 estimate is an upper bound`);
  return {
    version,
    recOn,
    board: { name: prof0.board.name, preset: prof0.board.preset, clockMHz: prof0.board.clockMHz, ddrGBps: prof0.board.ddrGBps, a53Factor },
    image: { file: imageFile, width: img.width, height: img.height },
    calibration: { det: DET_CALIB, lines: lineCrops.length, ...(recLineCrops ? { recLines: recLineCrops.length } : {}), source: assets },
    models: built.map((b, i) => ({
      name: b.name, inputShape: specs[i]!.shapeNchw, cacheKey: b.key, cached: b.cached, rebuiltCorruptCache: b.rebuiltCorrupt, calibInputs: b.calibCount,
      quantizeMs: b.quantizeMs, compileMs: b.compileMs, dpuSubgraphs: b.dpuSubgraphs, cpuSubgraphs: b.cpuSubgraphs, boardDpuMs: profiles.get(b.name)!.dpuMs,
    })),
    cache: { dir: cacheDir, hits: built.filter((b) => b.cached).length, misses: built.filter((b) => !b.cached).length, corruptRebuilt: built.filter((b) => b.rebuiltCorrupt).length },
    detBoxes: r.boxes,
    lines: r.lines.map((l) => ({ text: l.text, score: l.score, box: l.box.map((p) => [Math.round(p[0]), Math.round(p[1])] as [number, number]), angle: l.angle })),
    reference: { engine: 'onnxruntime-node FP32', boxes: rf.boxes, lines: rf.lines.map((l) => ({ text: l.text, score: l.score })) },
    agreement,
    pipeline,
    timesMs: { build: buildMs, int8Pipeline: int8Ms, referencePipeline: refMs, total: performance.now() - t0 },
    host: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, loadStart, loadEnd: os.loadavg()[0] ?? 0 },
    ...(out ? { out } : {}),
    notes,
  };
}

function formatDemo(r: DemoResult): string {
  const f1 = (v: number): string => v.toFixed(1);
  const L: string[] = [];
  L.push(`dpuflow ${r.version} demo: PP-OCR det → cls → rec, ${r.recOn === 'dpu' ? 'all three INT8' : 'det + cls INT8, rec FP32 on the CPU'} on the virtual DPU (${r.board.name}, ${r.board.preset} @ ${r.board.clockMHz} MHz)`);
  L.push(`image ${r.image.file} (${r.image.width}×${r.image.height})`, '');
  L.push('models (quantized with calibration crops of shipped screenshots, compiled for the board):');
  for (const m of r.models) {
    L.push(`  ${m.name.padEnd(7)} ${m.inputShape.join('×').padEnd(14)} ${m.cached ? 'cache hit ' : `built: quantize ${(m.quantizeMs / 1000).toFixed(1)} s (${m.calibInputs} calib inputs), compile ${(m.compileMs / 1000).toFixed(1)} s`}` +
      `${m.rebuiltCorruptCache ? ' (corrupt cache entry rebuilt)' : ''}  ${m.dpuSubgraphs} DPU + ${m.cpuSubgraphs} CPU subgraphs`);
  }
  L.push('', `recognized text (${r.lines.length} lines; ${r.detBoxes} boxes detected) — virtual DPU pipeline | FP32 onnxruntime (same pre/post code):`);
  for (const p of r.agreement.pairs) {
    const a = p.dpu ?? '', b = p.reference ?? '';
    L.push(`  ${a.trim() === b.trim() ? ' ' : '≠'} ${(p.dpu === null ? '— (no line here)' : JSON.stringify(a)).padEnd(34)} | ${p.reference === null ? '— (no line here)' : JSON.stringify(b)}`);
  }
  const ag = r.agreement;
  L.push(`agreement with FP32: ${ag.sameLines}/${ag.reference.length} reference lines read the same (${ag.matched} paired by box IoU ≥ 0.5), character accuracy ${(ag.charAccuracy * 100).toFixed(1)}%${ag.identical ? ' (identical)' : ''}`, '');
  const head = ['stage', 'device', 'calls', 'host ms', 'board ms', 'board source'];
  const body = r.pipeline.rows.map((x) => [x.stage, x.device, String(x.calls), f1(x.hostMs), f1(x.boardMs), x.boardSource === 'A53 estimate' ? `A53 estimate ×${r.board.a53Factor}` : 'cycle model']);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const row = (c: string[]): string => '  ' + c.map((s, i) => (i === 0 || i === 5 ? s.padEnd(w[i]!) : s.padStart(w[i]!))).join('  ');
  L.push(`pipeline on ${r.board.name} (one frame; host ms measured on ${r.host.cpu}, ${r.host.cores} cores, load ${r.host.loadStart.toFixed(1)}):`, row(head), ...body.map(row));
  const p = r.pipeline;
  L.push(`  total: DPU ${f1(p.dpuBoardMs)} ms (cycle model) + CPU ${f1(p.cpuBoardMs)} ms (A53 estimate) = ${f1(p.boardMs)} ms → ${p.fps.toFixed(2)} fps on the board; host ${f1(p.hostMs)} ms`);
  L.push(`  bound by ${p.bound}: ${p.boundReason}`, '');
  if (r.out) L.push(`annotated image: ${r.out}`);
  for (const n2 of r.notes) L.push(`note: ${n2}`);
  L.push(`cache: ${r.cache.dir ?? 'off'} (${r.cache.hits} hit, ${r.cache.misses} built${r.cache.corruptRebuilt ? `, ${r.cache.corruptRebuilt} corrupt rebuilt` : ''}); total ${(r.timesMs.total / 1000).toFixed(1)} s`);
  return L.join('\n');
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the full PP-OCR pipeline quantized → compiled → run on the virtual DPU, vs onnxruntime FP32, with the board pipeline table')
    .option('--image <file>', 'image with text (PNG/JPEG); default: a screenshot shipped with @vladmandic/human')
    .option('--board <name>', `board: ${BOARDS.join(' | ')}`, 'kv260')
    .option('--out <png>', 'write the image with the recognized boxes and text drawn (atomically)')
    .option('--max-lines <n>', 'recognize at most this many text boxes (reading order)', '12')
    .option('--cache-dir <dir>', 'cache folder for quantized/compiled models (default: <dpuflow>/.cache)')
    .option('--no-cache', 'do not read or write the cache')
    .option('--rec-on <where>', "rec on the 'cpu' (FP32 on onnxruntime-node; default while INT8 rec is short of FP32's accuracy) or the 'dpu' (INT8)", 'cpu')
    .option('--a53-factor <x>', 'host ms × this = board A53 ms (estimate)', String(HOST_TO_A53_FACTOR))
    .option('--json', 'print the result as JSON (no progress)')
    .action(async (o: { image?: string; board: string; out?: string; maxLines: string; cacheDir?: string; cache: boolean; a53Factor: string; recOn: string; json?: boolean }) => {
      const num = (v: string, name: string, min: number): number => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < min) throw new UsageError('E_USAGE', `--${name} must be a number ≥ ${min}, got '${v}'`);
        return n;
      };
      if (o.recOn !== 'dpu' && o.recOn !== 'cpu') throw new UsageError('E_USAGE', `--rec-on must be dpu or cpu, got '${o.recOn}'`);
      if (!BOARDS.includes(o.board as Board)) throw new UsageError('E_USAGE', `unknown board '${o.board}'`, { fix: `use one of ${BOARDS.join(', ')}` });
      if (o.image && !fs.existsSync(o.image)) throw new UsageError('E_DEMO_IMAGE', 'no such image', { file: o.image, fix: 'give an existing PNG/JPEG with --image' });
      const tty = process.stderr.isTTY === true && !o.json;
      const t0 = performance.now();
      // a TTY gets one updating line; a pipe or CI log one line per step (nothing with --json)
      const progress = (s: string): void => {
        const msg = `[${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}`;
        if (tty) process.stderr.write(`\r\x1b[K${msg}…`);
        else if (!o.json) process.stderr.write(`${msg}\n`);
      };
      const result = await runDemo({
        image: o.image, board: o.board as Board, out: o.out, maxLines: num(o.maxLines, 'max-lines', 1),
        cacheDir: o.cache === false ? false : o.cacheDir, recOn: o.recOn, a53Factor: num(o.a53Factor, 'a53-factor', 0), progress,
      });
      if (tty) process.stderr.write('\r\x1b[K');
      if (o.json) printJson(result);
      else process.stdout.write(`${formatDemo(result)}\n`);
    });
}
