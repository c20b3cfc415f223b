/**
 * Classification: image → resize (fill or centre crop) → normalize → model → softmax → top-k with labels.
 */
import { AppError } from '../errors.js';
import { firstInput, outputAt, type ModelExecutor } from './executor.js';
import { imageToTensor, resizeBilinear, type RgbImage, type TensorOptions } from './image/image.js';
import { StageTimer, type StageTiming } from './timing.js';

/** Numerically stable softmax. */
export function softmax(x: ArrayLike<number>): Float32Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i]! > m) m = x[i]!;
  const out = new Float32Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += out[i] = Math.exp(x[i]! - m);
  for (let i = 0; i < x.length; i++) out[i]! /= s;
  return out;
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topK(x: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: x.length }, (_, i) => i);
  idx.sort((a, b) => x[b]! - x[a]! || a - b);
  return idx.slice(0, Math.max(0, k));
}

/** A label file: one label per line (ImageNet synset style `n01440764 tench` keeps the whole line). */
export function parseLabels(text: string, file?: string): string[] {
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (!lines.length) throw new AppError('E_APP_LABELS', 'the label file is empty', { file, fix: 'one label per line, in class-index order' });
  return lines;
}

/** True when the vector already looks like probabilities (all in [0,1], sum ≈ 1). */
export function isProbability(x: ArrayLike<number>): boolean {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (!(x[i]! >= 0 && x[i]! <= 1)) return false;
    s += x[i]!;
  }
  return Math.abs(s - 1) < 1e-3;
}

export interface ClassifyOptions extends TensorOptions {
  /** Input size when the model has free dims (default 224×224). */
  width?: number;
  height?: number;
  /** 'fill' stretches; 'center-crop' resizes the short side to size/0.875 then crops (default 'fill'). */
  resize?: 'fill' | 'center-crop';
  topK?: number;
  /** 'auto' (default) applies softmax unless the output already sums to 1. */
  softmax?: boolean | 'auto';
  labels?: string[];
  a53Factor?: number;
}

export interface ClassifyResult {
  top: { index: number; label?: string; probability: number }[];
  timings: StageTiming[];
}

export async function runClassify(img: RgbImage, model: ModelExecutor, o: ClassifyOptions = {}): Promise<ClassifyResult> {
  const timer = new StageTimer(o.a53Factor);
  const inp = firstInput(model);
  const W = inp.shape[2]! > 0 ? inp.shape[2]! : (o.width ?? 224);
  const H = inp.shape[1]! > 0 ? inp.shape[1]! : (o.height ?? 224);
  const feed = timer.time('pre-processing', 'pre', () => {
    let im = img;
    if (o.resize === 'center-crop') {
      const s = Math.max(W, H) / 0.875 / Math.min(img.width, img.height);
      im = resizeBilinear(img, Math.max(W, Math.round(img.width * s)), Math.max(H, Math.round(img.height * s)));
      const x0 = Math.floor((im.width - W) / 2);
      const y0 = Math.floor((im.height - H) / 2);
      const data = new Uint8Array(W * H * im.channels);
      for (let y = 0; y < H; y++) data.set(im.data.subarray(((y + y0) * im.width + x0) * im.channels, ((y + y0) * im.width + x0 + W) * im.channels), y * W * im.channels);
      im = { width: W, height: H, channels: im.channels, data };
    } else im = resizeBilinear(img, W, H);
    return imageToTensor(im, o);
  });
  const out = outputAt(model, await timer.model('model', model, { [inp.name]: feed }));
  const top = timer.time('post-processing', 'post', () => {
    const n = out.data.length;
    if (o.labels && o.labels.length !== n && o.labels.length !== n - 1) {
      throw new AppError('E_APP_LABELS', `the model has ${n} classes, the label file ${o.labels.length}`, { where: model.name, fix: 'use the label file of this model' });
    }
    const probs = o.softmax === false || (o.softmax !== true && isProbability(out.data)) ? out.data : softmax(out.data);
    // label files with one entry less than the classes have a background class 0 (TF-slim style)
    const off = o.labels && o.labels.length === n - 1 ? 1 : 0;
    return topK(probs, o.topK ?? 5).map((i) => ({ index: i, ...(o.labels ? { label: o.labels[i - off] ?? 'background' } : {}), probability: probs[i]! }));
  });
  return { top, timings: timer.rows() };
}
