/**
 * Calibration inputs for PP-OCR rec/cls (browser-safe): text-line crops as the pipeline feeds them
 * (`recTensor`: height H, aspect kept, padded right to W), plus — optionally — the same crops with their
 * colours inverted (255 − v). The demo's calibration lines are light text on a dark page
 * (screenshot-typedoc); inverted copies add dark-on-light text (documents, light UIs), so activation
 * ranges are not fitted to one polarity only (docs/ocr.md: calibration of rec).
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

/** recTensor of each crop, then (invert: true) of each inverted crop. */
export function recCalibration(crops: RgbImage[], H: number, W: number, o: { invert?: boolean } = {}): TensorValue[] {
  const out = crops.map((c) => recTensor(c, H, W));
  if (o.invert) for (const c of crops) out.push(recTensor(invertImage(c), H, W));
  return out;
}
