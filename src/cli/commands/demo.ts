// `dpuflow demo` (what `npm start` runs): PP-OCRv4 text detection on a shipped screenshot, run by
// dpuflow's float IR executor and by onnxruntime-node, with what it found and how well they agree.
// Later issues add the INT8 quantize → compile → virtual DPU path as further stages of runDemo.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import sharp, { type Metadata } from 'sharp';
import ort from 'onnxruntime-node';
import { importOnnx } from '../../importers/onnx/index.js';
import { runFloat } from '../../kernels/ref/float-executor.js';
import { assetPath, readAsset } from '../../runtime/node/assets.js';
import { AppError, UsageError } from '../../errors.js';
import { printJson } from '../output.js';

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

export interface DemoOptions {
  image?: string;
  maxSide?: number;
  threshold?: number;
  ortThreads?: number;
  /** Write the image with the float executor's boxes drawn on it (PNG). */
  save?: string;
  /** Called at each step (index counts from 1 to total) and, during the float run, every ~100 ms. */
  progress?: (step: string, index: number, total: number) => void;
}

export interface DemoResult {
  model: string;
  image: { file: string; width: number; height: number };
  input: { shape: number[]; layout: 'NCHW'; normalize: { mean: number[]; std: number[] } };
  threshold: number;
  float: { importMs: number; runMs: number; regions: TextRegion[] };
  onnxruntime: { threads: number; sessionMs: number; runMs: number; regions: TextRegion[] };
  agreement: { maxRelError: number; binaryIoU: number; sameRegionCount: boolean };
  saved?: string;
}

/** The whole demo as a function (the CLI prints its result). */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoResult> {
  const total = opts.save ? 6 : 5;
  let index = 0;
  const step = (s: string): void => opts.progress?.(s, ++index, total);
  const threshold = opts.threshold ?? 0.3;
  const imageFile = opts.image ?? assetPath('image-text');
  if (!fs.existsSync(imageFile)) throw new UsageError('E_DEMO_IMAGE', `no such image`, { file: imageFile, fix: 'give an existing PNG/JPEG with --image' });
  step('decode and normalise the image');
  const input = await loadDetInput(imageFile, opts.maxSide ?? 640);
  const shape = [1, 3, input.inH, input.inW];

  step('import PP-OCRv4 det (ONNX → IR)');
  const modelFile = assetPath('ppocr-det');
  const bytes = readAsset('ppocr-det');
  let t = performance.now();
  const graph = importOnnx(bytes, { fileName: modelFile, inputShapes: { x: shape } });
  const importMs = performance.now() - t;

  const runLabel = `run the float IR executor on ${input.inW}×${input.inH}`;
  step(runLabel);
  const nOps = graph.ops.filter((o) => o.type !== 'const').length;
  let done = 0;
  let shown = performance.now();
  const onTensor = (): void => {
    done++;
    const now = performance.now();
    if (opts.progress && now - shown > 100) {
      shown = now;
      opts.progress(`${runLabel}: op ${done}/${nOps}`, index, total);
    }
  };
  t = performance.now();
  const outs = runFloat(graph, { [graph.inputs[0]!]: { shape: [1, input.inH, input.inW, 3], data: input.nhwc } }, { onTensor });
  const runMs = performance.now() - t;
  const ours = outs[graph.outputs[0]!];
  if (!ours) throw new AppError('E_DEMO_OUTPUT', `float executor gave no output '${graph.outputs[0]}'`);

  const threads = opts.ortThreads ?? 1;
  step(`run onnxruntime-node (${threads} thread${threads > 1 ? 's' : ''})`);
  t = performance.now();
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const sessionMs = performance.now() - t;
  t = performance.now();
  const r = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input.nchw, shape) });
  const ortRunMs = performance.now() - t;
  const ref = r[session.outputNames[0]!]!.data as Float32Array;
  await session.release();

  step('post-process (DB threshold, connected components)');
  // Output [1, H, W, 1] (IR) and [1, 1, H, W] (ORT) have the same element order.
  if (ours.data.length !== ref.length) throw new AppError('E_DEMO_OUTPUT', `output sizes differ: ${ours.data.length} vs ${ref.length}`);
  const geo = { threshold, scaleX: input.width / input.inW, scaleY: input.height / input.inH };
  const ourRegions = findTextRegions(ours.data, input.inW, input.inH, geo);
  const refRegions = findTextRegions(ref, input.inW, input.inH, geo);
  const result: DemoResult = {
    model: path.basename(modelFile),
    image: { file: imageFile, width: input.width, height: input.height },
    input: { shape, layout: 'NCHW', normalize: { mean: [...PPOCR_MEAN], std: [...PPOCR_STD] } },
    threshold,
    float: { importMs, runMs, regions: ourRegions },
    onnxruntime: { threads, sessionMs, runMs: ortRunMs, regions: refRegions },
    agreement: {
      maxRelError: maxRelError(ours.data, ref),
      binaryIoU: binaryIoU(ours.data, ref, threshold),
      sameRegionCount: ourRegions.length === refRegions.length,
    },
  };
  if (opts.save) {
    step(`draw boxes → ${opts.save}`);
    const rects = ourRegions
      .map((g) => `<rect x="${g.box[0]}" y="${g.box[1]}" width="${g.box[2] - g.box[0]}" height="${g.box[3] - g.box[1]}" fill="none" stroke="#ff2020" stroke-width="2"/>`)
      .join('');
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${input.width}" height="${input.height}">${rects}</svg>`;
    const png = await sharp(imageFile).removeAlpha().composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).png().toBuffer();
    fs.mkdirSync(path.dirname(path.resolve(opts.save)), { recursive: true });
    fs.writeFileSync(opts.save, png);
    result.saved = opts.save;
  }
  return result;
}

function formatDemo(r: DemoResult, showBoxes: number): string {
  const ms = (v: number): string => `${v.toFixed(0)} ms`;
  const lines = [
    `PP-OCRv4 text detection on ${path.basename(r.image.file)} (${r.image.width}×${r.image.height}), input ${r.input.shape.join('×')}`,
    '',
    `  dpuflow float IR executor : ${r.float.regions.length} text regions   import ${ms(r.float.importMs)}, run ${ms(r.float.runMs)}`,
    `  onnxruntime-node FP32 ${r.onnxruntime.threads}T : ${r.onnxruntime.regions.length} text regions   session ${ms(r.onnxruntime.sessionMs)}, run ${ms(r.onnxruntime.runMs)}`,
    '',
    `  agreement: max rel error ${r.agreement.maxRelError.toExponential(2)}, IoU of maps > ${r.threshold}: ${r.agreement.binaryIoU.toFixed(4)}` +
      `, same region count: ${r.agreement.sameRegionCount ? 'yes' : 'no'}`,
    '',
    `  regions (x0,y0)–(x1,y1) in image pixels, mean probability${r.float.regions.length > showBoxes ? ` — first ${showBoxes}, --boxes N for more` : ''}:`,
  ];
  for (const g of r.float.regions.slice(0, showBoxes)) {
    lines.push(`    (${g.box[0]},${g.box[1]})–(${g.box[2]},${g.box[3]})  ${g.score.toFixed(2)}`);
  }
  if (r.saved) lines.push('', `  boxes drawn on the image: ${r.saved}`);
  lines.push('', 'Next stages (INT8 quantize → compile → virtual DPU) join this demo as they land.');
  return lines.join('\n');
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('PP-OCRv4 text detection on a shipped screenshot: dpuflow float executor vs onnxruntime-node')
    .option('--image <file>', 'image with text (PNG/JPEG); default: a screenshot shipped with @vladmandic/human')
    .option('--max-side <px>', 'longest network input side (rounded to a multiple of 32)', '640')
    .option('--threshold <p>', 'probability threshold of the text map', '0.3')
    .option('--ort-threads <n>', 'onnxruntime intra-op threads', '1')
    .option('--boxes <n>', 'how many region boxes to list', '20')
    .option('--save <png>', 'write the image with the detected boxes drawn')
    .option('--json', 'print the result as JSON')
    .action(async (o: { image?: string; maxSide: string; threshold: string; ortThreads: string; boxes: string; save?: string; json?: boolean }) => {
      const num = (v: string, name: string, min: number): number => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < min) throw new UsageError('E_USAGE', `--${name} must be a number ≥ ${min}, got '${v}'`);
        return n;
      };
      const tty = process.stderr.isTTY === true && !o.json;
      const t0 = performance.now();
      const progress = (s: string, i: number, total: number): void => {
        if (tty) process.stderr.write(`\r\x1b[K[${i}/${total} ${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}…`);
      };
      const result = await runDemo({
        image: o.image,
        maxSide: num(o.maxSide, 'max-side', 32),
        threshold: num(o.threshold, 'threshold', 0),
        ortThreads: num(o.ortThreads, 'ort-threads', 1),
        save: o.save,
        progress,
      });
      if (tty) process.stderr.write('\r\x1b[K');
      if (o.json) printJson(result);
      else process.stdout.write(`${formatDemo(result, num(o.boxes, 'boxes', 0))}\n`);
    });
}
