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
import { cropQuad, type RgbImage } from '../image/image.js';
import { AppError } from '../../errors.js';
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

/**
 * Text lines for rec calibration cut as the OCR pipeline cuts them (session 5, issue 8): quadrilaterals (x0,y0 … x3,y3,
 * clockwise from top-left, rounded to pixels) of the boxes the FP32 pipeline (onnxruntime det + DB post-processing,
 * `runOcr`, limitSideLen 960) finds on @vladmandic/human assets that no OCR test evaluates: every third line of
 * screenshot-typedoc.png in reading order (36 of its 111; the one line cls turns by 180° left out), and every line of
 * samples.jpg (6: small overlay labels on photos) and screenshot-facematch.jpg (1); screenshot-vrm.jpg has none.
 * Each is cropped with `cropQuad` (the pipeline's perspective crop), so the text fills the 48-px height as in use,
 * unlike the fixed 130×24 rectangles of `recLineSpots`.
 */
export const REC_CALIB_LINES: Readonly<Record<string, readonly (readonly number[])[]>> = {
  'screenshot-typedoc.png': [
    [3, 4, 81, 4, 81, 19, 3, 19], [3, 85, 52, 87, 51, 104, 2, 102], [2, 103, 53, 103, 53, 121, 2, 121], [254, 121, 332, 121, 332, 138, 254, 138],
    [255, 139, 297, 141, 297, 156, 254, 154], [255, 156, 311, 159, 311, 174, 254, 172], [255, 214, 313, 218, 312, 233, 254, 229], [254, 231, 303, 233, 302, 250, 254, 247],
    [254, 248, 294, 248, 294, 265, 254, 265], [504, 265, 587, 268, 586, 286, 504, 283], [505, 284, 549, 285, 548, 302, 504, 300], [1, 349, 49, 349, 49, 363, 1, 363],
    [2, 366, 53, 366, 53, 382, 2, 382], [1, 455, 46, 455, 46, 471, 1, 471], [503, 480, 556, 482, 555, 499, 502, 497], [2, 533, 61, 533, 61, 545, 2, 545],
    [503, 556, 572, 558, 572, 574, 502, 572], [502, 574, 617, 574, 617, 591, 502, 591], [502, 591, 623, 593, 623, 609, 502, 607], [502, 608, 594, 610, 593, 627, 502, 626],
    [503, 627, 595, 629, 595, 644, 503, 642], [502, 643, 587, 645, 587, 662, 502, 660], [502, 661, 575, 661, 575, 678, 502, 678], [503, 679, 580, 681, 579, 697, 502, 696],
    [502, 697, 615, 698, 614, 715, 502, 714], [1, 772, 69, 774, 69, 790, 0, 788], [0, 789, 84, 789, 84, 806, 0, 806], [1, 808, 148, 808, 148, 823, 1, 823],
    [0, 825, 131, 826, 130, 843, 0, 842], [0, 842, 124, 844, 124, 861, 0, 859], [1, 860, 50, 862, 49, 877, 1, 875], [1, 878, 84, 878, 84, 893, 1, 893],
    [0, 894, 90, 896, 89, 914, 0, 913], [0, 912, 80, 912, 80, 929, 0, 929], [1, 948, 45, 948, 45, 964, 1, 964], [2, 966, 20, 966, 20, 980, 2, 980],
  ],
  'samples.jpg': [
    [3, 196, 92, 200, 91, 218, 2, 213], [5, 211, 114, 209, 114, 224, 5, 226], [7, 226, 26, 228, 24, 237, 6, 235], [34, 222, 89, 225, 88, 239, 33, 236],
    [4, 234, 110, 236, 110, 251, 3, 249], [5, 245, 127, 248, 127, 264, 5, 260],
  ],
  'screenshot-facematch.jpg': [[10, 8, 107, 2, 108, 23, 11, 29]],
};

/** The files REC_CALIB_LINES cuts from (all in @vladmandic/human's assets folder). */
export const REC_CALIB_FILES: readonly string[] = Object.keys(REC_CALIB_LINES);

/** The REC_CALIB_LINES crops (file order, then line order) from the decoded images, keyed by file name. */
export function recCalibLineCrops(images: Readonly<Record<string, RgbImage>>): RgbImage[] {
  const out: RgbImage[] = [];
  for (const f of REC_CALIB_FILES) {
    const img = images[f];
    if (!img) throw new AppError('E_DEMO_CALIB', `rec calibration image ${f} was not given`, { where: f, fix: `decode ${f} from @vladmandic/human's assets and pass it by file name` });
    for (const q of REC_CALIB_LINES[f]!) out.push(cropQuad(img, [[q[0]!, q[1]!], [q[2]!, q[3]!], [q[4]!, q[5]!], [q[6]!, q[7]!]]));
  }
  return out;
}
