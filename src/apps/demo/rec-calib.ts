/**
 * Calibration inputs for PP-OCR rec/cls (browser-safe): text-line crops as the pipeline feeds them
 * (`recTensor`: height H, aspect kept, padded right to W), plus — optionally — the same crops with their
 * colours inverted (255 − v) and as contrast-stretched grey (and its inverse). The demo's calibration lines are
 * coloured text on a dark page (screenshot-typedoc); the copies add dark-on-light text (documents, light UIs) and
 * full-contrast white/black text, so the stem conv's activation ranges are not fitted to one palette: calibrated
 * on the coloured crops alone, one of its channel groups clipped 5 % of its values on the test lines (local SQNR
 * 7.7 dB; docs/ocr.md).
 */
import type { TensorValue } from '../../ir/types.js';
import type { RgbImage } from '../image/image.js';
import { recTensor } from '../ocr/pipeline.js';

/** 255 − v on every channel. */
export function invertImage(img: RgbImage): RgbImage {
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = 255 - (img.data[i] as number);
  return { ...img, data };
}

/** Luma (BT.601) stretched to the full 0..255 range, as RGB. */
export function greyStretch(img: RgbImage): RgbImage {
  const n = img.width * img.height;
  const l = new Float32Array(n);
  let lo = 255, hi = 0;
  for (let i = 0; i < n; i++) {
    const v = 0.299 * (img.data[i * 3] as number) + 0.587 * (img.data[i * 3 + 1] as number) + 0.114 * (img.data[i * 3 + 2] as number);
    l[i] = v;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) data[i * 3] = data[i * 3 + 1] = data[i * 3 + 2] = Math.round((((l[i] as number) - lo) / Math.max(1, hi - lo)) * 255);
  return { width: img.width, height: img.height, channels: 3, data };
}

/** recTensor of each crop, then (invert) of each inverted crop, then (grey) of each grey-stretched crop and its inverse. */
export function recCalibration(crops: RgbImage[], H: number, W: number, o: { invert?: boolean; grey?: boolean } = {}): TensorValue[] {
  const out = crops.map((c) => recTensor(c, H, W));
  if (o.invert) for (const c of crops) out.push(recTensor(invertImage(c), H, W));
  if (o.grey) {
    for (const c of crops) out.push(recTensor(greyStretch(c), H, W));
    for (const c of crops) out.push(recTensor(invertImage(greyStretch(c)), H, W));
  }
  return out;
}
