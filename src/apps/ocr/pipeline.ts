/**
 * The PaddleOCR pipeline (det → crop → cls → rec) over any ModelExecutor, browser-safe. Pre/post-processing
 * follows PaddleOCR's tools/infer (predict_det / predict_cls / predict_rec), images fed as BGR as cv2 reads
 * them (the models were trained so). Every stage is timed for the pipeline table.
 */
import { AppError } from '../../errors.js';
import type { TensorValue } from '../../ir/types.js';
import { firstInput, outputAt, type ModelExecutor } from '../executor.js';
import { cropQuad, imageToTensor, resizeBilinear, rotate180, type Point, type RgbImage } from '../image/image.js';
import { StageTimer, type StageTiming } from '../timing.js';
import { ctcGreedyDecode } from './ctc.js';
import { dbPostprocess, type DbOptions } from './db.js';

/** PaddleOCR det normalisation (ImageNet mean/std on [0,1] pixels, applied to BGR channels). */
export const DET_MEAN = [0.485, 0.456, 0.406] as const;
export const DET_STD = [0.229, 0.224, 0.225] as const;

export interface OcrModels {
  det: ModelExecutor;
  /** Direction classifier; omit to skip the 180° check. */
  cls?: ModelExecutor;
  /**
   * Recognizer. A model with a free input width (ONNX on onnxruntime / the float executor) runs at every width
   * of `OcrOptions.recWidths`; a fixed-width one (a compiled .xmodel) at its own width.
   */
  rec: ModelExecutor;
  /**
   * The same recognizer at other fixed widths (e.g. rec compiled at 48×640 and 48×960 next to `rec` at 48×320,
   * as a DPU needs static shapes). With `rec` they form the width set: each line goes to the smallest width that
   * holds it at its aspect (`chooseRecWidth`), padded right; only lines wider than the widest are squeezed.
   */
  recByWidth?: ModelExecutor[];
  /** Decode alphabet from parseKeys(ppocr_keys_v1.txt): [blank, …keys, ' ']. */
  alphabet: string[];
}

export interface OcrOptions extends DbOptions {
  /** det_limit_side_len (960) with det_limit_type 'max': longest side scaled down to ≤ this, then to multiples of 32. */
  limitSideLen?: number;
  /** Recognition results below this score are dropped (drop_score 0.5). */
  dropScore?: number;
  /** cls_thresh: flip when the classifier says '180' with more than this (0.9). */
  clsThresh?: number;
  /** rec_image_shape H×W when the rec model has free dims (48×320). */
  recHeight?: number;
  recWidth?: number;
  /**
   * Widths a free-width rec model runs at (default [recWidth]): give a compiled set's widths here so an
   * onnxruntime FP32 reference feeds exactly the crops the fixed-width set sees.
   */
  recWidths?: number[];
  /** cls_image_shape H×W when the cls model has free dims (48×192). */
  clsHeight?: number;
  clsWidth?: number;
  /** Recognize only the first N boxes in reading order (for quick runs). */
  maxLines?: number;
  /** Host→A53 factor for the board estimate (timing.ts). */
  a53Factor?: number;
}

export interface OcrLine {
  text: string;
  /** CTC score (mean max probability of the kept steps). */
  score: number;
  /** Quadrilateral in image pixels, clockwise from top-left. */
  box: Point[];
  /** Mean text probability inside the detected box. */
  boxScore: number;
  /** 180 when the direction classifier flipped the crop. */
  angle: 0 | 180;
  angleScore?: number;
  /** Rec input width the line was read at (the width set's choice for its crop). */
  recWidth?: number;
}

export interface OcrResult {
  width: number;
  height: number;
  /** Det network input (W×H). */
  detInput: [number, number];
  /** Boxes the detector found (before recognition filtering). */
  boxes: number;
  lines: OcrLine[];
  timings: StageTiming[];
}

/** PaddleOCR's DetResizeForTest (limit_type 'max'): sides scaled so the longest is ≤ limit, rounded to 32. */
export function detResizeSize(width: number, height: number, limitSideLen = 960): { w: number; h: number } {
  const ratio = Math.max(width, height) > limitSideLen ? limitSideLen / Math.max(width, height) : 1;
  const r32 = (v: number): number => Math.max(Math.round(Math.trunc(v * ratio) / 32) * 32, 32);
  return { w: r32(width), h: r32(height) };
}

/** resize_norm_img of predict_rec / predict_cls: height H, width ceil(H·w/h) capped at W, pad right with 0. */
export function recTensor(img: RgbImage, H: number, W: number): TensorValue {
  const rw = Math.min(W, recNaturalWidth(img.width, img.height, H));
  const r = resizeBilinear(img, Math.max(1, rw), H);
  return imageToTensor(r, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], order: 'BGR', padWidth: W, padValue: 0 });
}

const fixedOr = (d: number | undefined, dflt: number): number => (d !== undefined && d > 0 ? d : dflt);

/** Width of a crop resized to height H at its aspect: ceil(H·w/h), as resize_norm_img computes it. */
export function recNaturalWidth(cropWidth: number, cropHeight: number, H: number): number {
  return Math.ceil(H * (cropWidth / cropHeight));
}

/**
 * The rec input width for one crop: the smallest of `widths` that holds it at its aspect (natural width ≤ W), else
 * the widest (the crop is squeezed into it). `widths` need not be sorted.
 */
export function chooseRecWidth(cropWidth: number, cropHeight: number, H: number, widths: readonly number[]): number {
  if (!widths.length) throw new AppError('E_APP_REC_WIDTHS', 'no rec widths to choose from', { fix: 'give at least one rec width' });
  const sorted = [...widths].sort((a, b) => a - b);
  const nat = recNaturalWidth(cropWidth, cropHeight, H);
  return sorted.find((w) => nat <= w) ?? sorted[sorted.length - 1]!;
}

/** chooseRecWidth's choice as a slot of a prepared width set (recWidthSet: sorted, widest last): runOcr's per-line lookup, no re-sort. */
export function recSlotFor(set: readonly RecSlot[], cropWidth: number, cropHeight: number): RecSlot {
  if (!set.length) throw new AppError('E_APP_REC_WIDTHS', 'no rec widths to choose from', { fix: 'give at least one rec width' });
  const nat = recNaturalWidth(cropWidth, cropHeight, set[0]!.height);
  return set.find((s) => nat <= s.width) ?? set[set.length - 1]!;
}

/** One recognizer of the width set: its input H×W, executor, input name and the stage name it is timed under. */
export interface RecSlot {
  width: number;
  height: number;
  ex: ModelExecutor;
  input: string;
  /** 'rec' for one model (one fixed width, or a free-width model at any widths), 'rec@W' when several models form the set (each compiled width is its own DPU subgraph on the board). */
  stage: string;
}

/** The width set of `models.rec` (+ `recByWidth`), widest last. Two fixed executors at one width are an error. */
export function recWidthSet(models: Pick<OcrModels, 'rec' | 'recByWidth'>, o: Pick<OcrOptions, 'recHeight' | 'recWidth' | 'recWidths'> = {}): RecSlot[] {
  const byW = new Map<number, Omit<RecSlot, 'stage'>>();
  for (const ex of [models.rec, ...(models.recByWidth ?? [])]) {
    const inp = firstInput(ex);
    const height = fixedOr(inp.shape[1], o.recHeight ?? 48);
    const fixedW = inp.shape[2] !== undefined && inp.shape[2] > 0 ? inp.shape[2] : undefined;
    const widths = fixedW !== undefined ? [fixedW] : (o.recWidths?.length ? o.recWidths : [o.recWidth ?? 320]);
    for (const width of widths) {
      if (!Number.isInteger(width) || width < 1) throw new AppError('E_APP_REC_WIDTHS', `rec width ${width} is not a positive integer`, { where: ex.name, fix: 'give widths like 320, 640, 960' });
      const prev = byW.get(width);
      if (prev && prev.ex !== ex) throw new AppError('E_APP_REC_WIDTHS', `two rec models have input width ${width}`, { where: `${prev.ex.name}, ${ex.name}`, fix: 'give one recognizer per width' });
      byW.set(width, { width, height, ex, input: inp.name });
    }
  }
  const slots = [...byW.values()].sort((a, b) => a.width - b.width);
  if (new Set(slots.map((s) => s.height)).size > 1) throw new AppError('E_APP_REC_WIDTHS', `rec models differ in input height (${slots.map((s) => s.height).join(', ')})`, { fix: 'compile every width at the same height (48)' });
  // one free-width model is one stage ('rec'); separate fixed-width models (compiled per width) get a row each
  const several = new Set(slots.map((s) => s.ex)).size > 1;
  return slots.map((s) => ({ ...s, stage: several ? `rec@${s.width}` : 'rec' }));
}

/** Runs OCR on one decoded RGB image. */
export async function runOcr(img: RgbImage, models: OcrModels, o: OcrOptions = {}): Promise<OcrResult> {
  if (img.channels !== 3) throw new AppError('E_APP_CHANNELS', `OCR needs a 3-channel RGB image, got ${img.channels} channel(s)`, { fix: 'convert the image to RGB' });
  const timer = new StageTimer(o.a53Factor);
  const detIn = firstInput(models.det);
  const auto = detResizeSize(img.width, img.height, o.limitSideLen ?? 960);
  const dw = fixedOr(detIn.shape[2], auto.w);
  const dh = fixedOr(detIn.shape[1], auto.h);
  const detFeed = timer.time('det pre-processing', 'pre', () =>
    imageToTensor(resizeBilinear(img, dw, dh), { mean: DET_MEAN, std: DET_STD, order: 'BGR' }));
  const detOut = outputAt(models.det, await timer.model('det', models.det, { [detIn.name]: detFeed }));
  if (detOut.data.length !== dw * dh) {
    throw new AppError('E_APP_MODEL_OUTPUT', `det output has ${detOut.data.length} values (shape [${detOut.shape}]), expected one ${dw}×${dh} probability map`, { where: models.det.name, fix: 'give a DB text-detection model (PP-OCR det)' });
  }
  const boxes = timer.time('DB post-processing', 'post', () => dbPostprocess(detOut.data, dw, dh, img.width, img.height, o));

  const lines: OcrLine[] = [];
  const clsIn = models.cls ? firstInput(models.cls) : undefined;
  const recSet = recWidthSet(models, o);
  const clsH = fixedOr(clsIn?.shape[1], o.clsHeight ?? 48);
  const clsW = fixedOr(clsIn?.shape[2], o.clsWidth ?? 192);
  const todo = boxes.slice(0, o.maxLines ?? boxes.length);
  for (const b of todo) {
    let crop = timer.time('crop (perspective)', 'pre', () => cropQuad(img, b.points));
    let angle: 0 | 180 = 0;
    let angleScore: number | undefined;
    if (models.cls && clsIn) {
      const feed = timer.time('cls pre-processing', 'pre', () => recTensor(crop, clsH, clsW));
      const out = outputAt(models.cls, await timer.model('cls', models.cls, { [clsIn.name]: feed }));
      if (out.data.length !== 2) throw new AppError('E_APP_MODEL_OUTPUT', `cls output has ${out.data.length} values, expected 2 (labels '0', '180')`, { where: models.cls.name, fix: 'give the PP-OCR direction classifier' });
      const p180 = out.data[1]!;
      const flip = p180 > out.data[0]! && p180 > (o.clsThresh ?? 0.9);
      angleScore = Math.max(out.data[0]!, p180);
      if (flip) {
        angle = 180;
        crop = timer.time('cls post-processing', 'post', () => rotate180(crop));
      }
    }
    const slot = recSlotFor(recSet, crop.width, crop.height);
    const feed = timer.time('rec pre-processing', 'pre', () => recTensor(crop, slot.height, slot.width));
    const out = outputAt(slot.ex, await timer.model(slot.stage, slot.ex, { [slot.input]: feed }));
    const r = timer.time('CTC decode', 'post', () => ctcGreedyDecode(out, models.alphabet));
    if (r.score < (o.dropScore ?? 0.5)) continue;
    lines.push({ text: r.text, score: r.score, box: b.points, boxScore: b.score, angle, recWidth: slot.width, ...(angleScore !== undefined ? { angleScore } : {}) });
  }
  return { width: img.width, height: img.height, detInput: [dw, dh], boxes: boxes.length, lines, timings: timer.rows() };
}
