// Pre- and post-processing of the application pipelines (src/apps), step by step, in ms per call: what
// the host spends around the DPU. Peers in the same run where a library does the same step: sharp
// (libvips) for resize and letterbox, onnxruntime-node's NonMaxSuppression op for NMS on the same boxes.
// Inputs: the shipped photo (Human's samples.jpg) and UI screenshot (screenshot-menu.png); the DB map is
// PP-OCRv4 det's real probability map of the screenshot (onnxruntime FP32, 640×640), the CTC input PP-OCRv4
// rec's real output; YOLO heads are synthetic (random weights give no meaningful heads): logits drawn so
// that a realistic number of candidates (~1,200 from 20 objects) passes the 0.25 confidence threshold.
import sharp from 'sharp';
import ort from 'onnxruntime-node';
import type { BenchContext, BenchResult, Timing } from './types.js';
import type { TensorValue } from '../src/ir/types.js';
import { readAsset, assetPath } from '../src/runtime/node/assets.js';
import { readImage } from '../src/apps/node/image-io.js';
import { imageToTensor, letterbox, resizeBilinear, type RgbImage } from '../src/apps/image/image.js';
import { softmax, topK } from '../src/apps/classify.js';
import { decodeYolo } from '../src/apps/detect/decode.js';
import { nms, nmsPerClass, type Detection } from '../src/apps/detect/nms.js';
import { dbPostprocess } from '../src/apps/ocr/db.js';
import { ctcGreedyDecode, parseKeys } from '../src/apps/ocr/ctc.js';
import { recTensor, DET_MEAN, DET_STD } from '../src/apps/ocr/pipeline.js';
import { ortExecutor } from '../src/apps/node/ort-executor.js';
import { DPU_ROUND, quantize } from '../src/kernels/ref/int8/arith.js';
import { nmsModel, onnxBoxes, selectedIndices } from '../test/apps/postprocess-onnx.js';

const GROUP = 'apps';
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

function ms(ctx: BenchContext, name: string, t: Timing, details: Record<string, string | number | boolean> = {}, peer?: { name: string; t: Timing }): BenchResult {
  return ctx.result({
    group: GROUP, name, value: t.medianMs, unit: 'ms', higherIsBetter: false, threads: 1,
    ...(peer ? { peer: { name: peer.name, value: peer.t.medianMs } } : {}),
    details: { runs: t.runs, minMs: Number(t.minMs.toFixed(3)), ...(peer ? { peerMinMs: Number(peer.t.minMs.toFixed(3)) } : {}), ...details },
  });
}

/** sharp on raw RGB pixels, one libvips thread (the dpuflow steps are single-threaded too). */
async function sharpRaw(img: RgbImage, f: (s: ReturnType<typeof sharp>) => ReturnType<typeof sharp>): Promise<Buffer> {
  return f(sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })).raw().toBuffer();
}

/** Deterministic PRNG in [0, 1). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
}

/**
 * YOLOv5 heads for a 640² input, 80 classes (NHWC [1, H, W, 3·85]): background logits −6; `objects` objects
 * each light up the cells and anchors around their centre with jittered box logits — the clustered
 * candidates NMS sees on a real image.
 */
function syntheticHeads(objects: number): TensorValue[] {
  const rnd = prng(7);
  const sizes = [80, 40, 20];
  const heads = sizes.map((s) => ({ shape: [1, s, s, 255], data: new Float32Array(s * s * 255).fill(-6) }));
  for (let o = 0; o < objects; o++) {
    const cx = rnd(), cy = rnd(), cls = Math.floor(rnd() * 80);
    heads.forEach((h, hi) => {
      const S = sizes[hi]!;
      const gx = Math.floor(cx * S), gy = Math.floor(cy * S);
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const x = gx + dx, y = gy + dy;
        if (x < 0 || y < 0 || x >= S || y >= S) continue;
        for (let a = 0; a < 3; a++) {
          const p = (y * S + x) * 255 + a * 85;
          for (let k = 0; k < 4; k++) h.data[p + k] = (rnd() - 0.5) * 1.5;
          h.data[p + 4] = 1 + rnd() * 3;
          h.data[p + 5 + cls] = 1 + rnd() * 3;
        }
      }
    });
  }
  return heads;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const threads = sharp.concurrency();
  sharp.concurrency(1);
  try {
    await measure(ctx, out);
  } finally {
    sharp.concurrency(threads);
  }
  return out;
}

async function measure(ctx: BenchContext, out: BenchResult[]): Promise<void> {
  const photoBytes = readAsset('image-photo');
  const photo = await readImage(photoBytes, 'samples.jpg');
  const screen = await readImage(assetPath('image-text'));

  // ── classify: decode → resize 224² → normalize → to INT8 (fix point 6, DPU_ROUND), softmax + top-5 ──
  ctx.progress('classify pre-processing');
  out.push(ms(ctx, `classify: JPEG decode ${photo.width}×${photo.height} (sharp)`, await ctx.time(() => readImage(photoBytes, 'samples.jpg'))));
  const r224 = await ctx.time(() => resizeBilinear(photo, 224, 224));
  const s224 = await ctx.time(() => sharpRaw(photo, (s) => s.resize(224, 224, { fit: 'fill', kernel: 'linear' })));
  out.push(ms(ctx, `classify: resize ${photo.width}×${photo.height} → 224² bilinear`, r224, {}, { name: 'sharp resize (libvips linear, 1 thread)', t: s224 }));
  const img224 = resizeBilinear(photo, 224, 224);
  out.push(ms(ctx, 'classify: normalize 224² (mean/std, NHWC float)', await ctx.time(() => imageToTensor(img224, { mean: IMAGENET_MEAN, std: IMAGENET_STD }))));
  const feed224 = imageToTensor(img224, { mean: IMAGENET_MEAN, std: IMAGENET_STD });
  out.push(ms(ctx, 'classify: to INT8 224² (fix point 6, DPU_ROUND)', await ctx.time(() => quantize(feed224.data, 6, DPU_ROUND))));
  const logits = Float32Array.from({ length: 1000 }, prng(3));
  out.push(ms(ctx, 'classify: softmax + top-5 of 1000', await ctx.time(() => topK(softmax(logits), 5))));

  // ── detect: letterbox 640² → normalize; YOLOv5 decode; class-aware NMS; NMS vs onnxruntime ──
  ctx.progress('detect');
  const lbT = await ctx.time(() => letterbox(photo, 640, 640));
  const lb = letterbox(photo, 640, 640);
  const nh = lb.image.height - 2 * lb.padY, nw = lb.image.width - 2 * lb.padX;
  const sLb = await ctx.time(() => sharpRaw(photo, (s) => s.resize(640, 640, { fit: 'contain', kernel: 'linear', background: { r: 114, g: 114, b: 114 } })));
  out.push(ms(ctx, `detect: letterbox ${photo.width}×${photo.height} → 640² (pad 114)`, lbT, { resizedTo: `${nw}x${nh}` }, { name: 'sharp resize fit contain (libvips, 1 thread)', t: sLb }));
  out.push(ms(ctx, 'detect: normalize 640² (÷255, NHWC float)', await ctx.time(() => imageToTensor(lb.image))));
  const heads = syntheticHeads(20);
  const raw = decodeYolo(heads);
  out.push(ms(ctx, 'detect: YOLOv5 decode 640² heads (80·80+40·40+20·20 cells × 3 anchors, 80 classes)', await ctx.time(() => decodeYolo(heads)), { candidates: raw.length, synthetic: true }));
  const kept = nmsPerClass(raw, 0.45, 300);
  out.push(ms(ctx, `detect: class-aware NMS of ${raw.length} candidates (IoU 0.45)`, await ctx.time(() => nmsPerClass(raw, 0.45, 300)), { kept: kept.length }));
  // the peer: one class (ORT's NonMaxSuppression is per class too), the same boxes and scores
  const n = raw.length;
  const boxes = raw.map((d: Detection) => d.box.map((v) => Math.fround(v)));
  const scores = Float32Array.from(raw, (d) => d.score);
  const flat = onnxBoxes(boxes); // ONNX center_point_box 0: [y1, x1, y2, x2]
  const session = await ort.InferenceSession.create(nmsModel(n, 0.45), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const feeds = { boxes: new ort.Tensor('float32', flat, [1, n, 4]), scores: new ort.Tensor('float32', scores, [1, 1, n]) };
    const sel = selectedIndices((await session.run(feeds))['sel']!.data as BigInt64Array);
    const ours = nms(boxes, scores, 0.45);
    const same = sel.length === ours.length && ours.every((k, i) => sel[i] === k);
    const oT = await ctx.time(() => nms(boxes, scores, 0.45));
    const pT = await ctx.time(() => session.run(feeds));
    out.push(ms(ctx, `detect: NMS of ${n} boxes, one class (IoU 0.45)`, oT, { kept: ours.length, sameSelectionAsOrt: same }, { name: 'onnxruntime NonMaxSuppression op (1 thread)', t: pT }));
  } finally {
    await session.release();
  }

  // ── OCR: det pre-processing, DB post-processing of a real 640² map, rec pre-processing, CTC decode ──
  ctx.progress('ocr');
  const detPre = await ctx.time(() => imageToTensor(resizeBilinear(screen, 640, 640), { mean: DET_MEAN, std: DET_STD, order: 'BGR' }));
  out.push(ms(ctx, `ocr: det pre-processing ${screen.width}×${screen.height} → 640² (resize + normalize, BGR)`, detPre));
  const det = await ortExecutor(readAsset('ppocr-det'), { name: 'det', threads: 2 });
  const rec = await ortExecutor(readAsset('ppocr-rec'), { name: 'rec', threads: 2 });
  try {
    const detOut = Object.values(await det.run({ [det.inputs[0]!.name]: imageToTensor(resizeBilinear(screen, 640, 640), { mean: DET_MEAN, std: DET_STD, order: 'BGR' }) }))[0]!;
    const boxesDb = dbPostprocess(detOut.data, 640, 640, screen.width, screen.height);
    out.push(ms(ctx, 'ocr: DB post-processing of one 640×640 map (PP-OCRv4 det on the menu screenshot)', await ctx.time(() => dbPostprocess(detOut.data, 640, 640, screen.width, screen.height)), { boxes: boxesDb.length, targetMs: 20 }));
    const b = boxesDb[0]!.points;
    const x0 = Math.max(0, Math.min(...b.map((p) => p[0]))), y0 = Math.max(0, Math.min(...b.map((p) => p[1])));
    const x1 = Math.min(screen.width, Math.max(...b.map((p) => p[0]))), y1 = Math.min(screen.height, Math.max(...b.map((p) => p[1])));
    const line: RgbImage = { width: x1 - x0, height: y1 - y0, channels: 3, data: new Uint8Array((x1 - x0) * (y1 - y0) * 3) };
    for (let y = 0; y < line.height; y++) line.data.set(screen.data.subarray(((y0 + y) * screen.width + x0) * 3, ((y0 + y) * screen.width + x1) * 3), y * line.width * 3);
    out.push(ms(ctx, `ocr: rec pre-processing of one ${line.width}×${line.height} line → 48×320`, await ctx.time(() => recTensor(line, 48, 320))));
    const probs = Object.values(await rec.run({ [rec.inputs[0]!.name]: recTensor(line, 48, 320) }))[0]!;
    const keys = parseKeys(new TextDecoder().decode(readAsset('ppocr-keys')));
    const text = ctcGreedyDecode(probs, keys).text;
    out.push(ms(ctx, `ocr: CTC greedy decode [${probs.shape.join('×')}] (PP-OCRv4 rec output)`, await ctx.time(() => ctcGreedyDecode(probs, keys)), { text }));
  } finally {
    det.close?.();
    rec.close?.();
  }
}
