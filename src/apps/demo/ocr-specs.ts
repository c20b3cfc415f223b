/**
 * The demo's PP-OCR build recipe (browser-safe), shared by `dpuflow demo` and the INT8 OCR tests so both build
 * exactly the same det / cls / rec: input shapes, calibration inputs and quantizer options.
 */
import type { TensorValue } from '../../ir/types.js';
import { cropRect, imageToTensor, resizeBilinear, type RgbImage } from '../image/image.js';
import { DET_MEAN, DET_STD } from '../ocr/pipeline.js';
import { recCalibration } from './rec-calib.js';
import type { BuildSpec } from './build.js';

/**
 * det calibration images (whole images, @vladmandic/human assets), none of them evaluated by the OCR tests:
 * a dark UI page full of text, a photo collage with small text overlays, a face-match page and a 3-D scene
 * (INT8 det alone on the 5 test images: 127/213 lines equal FP32's with these 4, 118 with the first two only,
 * 116 with the old typedoc + screenshot-results pair — docs/ocr.md).
 */
export const DET_CALIB_FILES = ['screenshot-typedoc.png', 'samples.jpg', 'screenshot-facematch.jpg', 'screenshot-vrm.jpg'] as const;

/**
 * PP-OCRv4 det's RSE-FPN neck outputs and the DB head's input: the four conv_out convs, their SE-gated products and
 * residual sums, the nearest upsamplings and the concat. On the calibration images, resized to the det input, the
 * concat's max |x| is 1047–1302; on real screenshots it is 1600–3000, e.g. GIMP dialogs and the proof images, or
 * native-scale crops of the same calibration pages. So the calibrated fix point −3 (±1024) clips on almost every real
 * image, and the head's 3×3 conv turns the clipping into map errors. One bit more range: docs/ocr.md "Session 6".
 */
function detNeckTensors(): string[] {
  const convOut = [485, 488, 491, 494].map((n) => `conv2d_${n}.tmp_0`);
  const gated = [165, 167, 169, 171].map((n) => `p2o.Mul.${n}`);
  const sums = [259, 265, 271, 277].map((n) => `p2o.Add.${n}`);
  const up = [3, 4, 5].map((n) => `nearest_interp_v2_${n}.tmp_0`);
  return [...convOut, ...gated, ...sums, ...up, 'p2o.Concat.1'];
}

/**
 * det INT8 recipe: per-channel-group weight fix points (splitChannelGroups 8), 2 bias-correction batches and, since
 * session 6, the weight residual on the 30 convs with the lowest local weight SQNR (near-16-bit weights, DPU-legal;
 * src/quantizer/weight-residual.ts). Chosen on the development set (all 36 GIMP candidates, padded; docs/ocr.md
 * "Session 6"): INT8 det alone 683/817 lines vs 659 without, every eligible conv 687; det DPU 117.5 vs 95.3 ms (all: 169).
 * With one bit of headroom on the neck (detNeckTensors): 690/817, map flips 0.224 % (0.264 % without).
 */
export const DET_QUANTIZE = { biasCorrectionBatches: 2, splitChannelGroups: 8, weightResidual: { top: 30 }, activationHeadroom: { tensors: detNeckTensors(), bits: 1 } };

/** Native-scale w×h windows per det calibration image (detCalibration). */
export const DET_CALIB_CROPS = 0;

/**
 * det calibration feeds for a det input of w×h (NHWC, det-normalised): every image resized to w×h, as the pipeline
 * feeds a whole image, then `crops` windows of w×h cut from each image at its native scale (an image smaller than
 * the window: the part there is, resized), at fixed spread-out positions. Resized pages show text smaller than real
 * screenshots do; the native-scale windows give the neck the activation ranges real screenshots reach (docs/ocr.md
 * "Session 7"). The whole images come first: bias correction uses the first batches.
 */
export function detCalibration(imgs: readonly RgbImage[], w: number, h: number, crops = DET_CALIB_CROPS): TensorValue[] {
  const feed = (img: RgbImage): TensorValue => imageToTensor(img.width === w && img.height === h ? img : resizeBilinear(img, w, h), { mean: DET_MEAN, std: DET_STD, order: 'BGR' });
  const out = imgs.map(feed);
  for (const img of imgs) {
    for (let k = 0; k < crops; k++) {
      const x = Math.floor(((k * 0.37 + 0.1) % 1) * Math.max(0, img.width - w));
      const y = Math.floor(((k * 0.61 + 0.2) % 1) * Math.max(0, img.height - h));
      out.push(feed(cropRect(img, x, y, Math.min(w, img.width), Math.min(h, img.height))));
    }
  }
  return out;
}

/** Text-line crops of screenshot-typedoc.png for cls calibration (x, y of 130×24 crops): two columns of its two
 * lists, every other row, rows 21.6 px apart — 16 crops. (rec calibrated on them too until session 5: REC_CALIB_LINES now.) */
export function recLineSpots(): Array<[number, number]> {
  const spots: Array<[number, number]> = [];
  for (const y0 of [568, 795]) for (let r = 0; r < 8; r += 2) for (const x of [10, 254]) spots.push([x, Math.round(y0 + r * 21.6)]);
  return spots;
}

/** The 130×24 recLineSpots crops of the decoded screenshot-typedoc.png (cls calibration; `lineCrops` of OcrSpecInput). */
export function recSpotCrops(typedoc: RgbImage): RgbImage[] {
  return recLineSpots().map(([x, y]) => cropRect(typedoc, x, y, 130, 24));
}

/** Rec input width of the narrowest compiled rec (PaddleOCR's rec_image_shape 3×48×320). */
export const REC_WIDTH = 320;

/**
 * Rec is compiled at these widths (a DPU needs static shapes): each line goes to the smallest width that holds it at
 * its aspect, padded right as PaddleOCR's resize_norm_img does (src/apps/ocr/pipeline.ts chooseRecWidth); only lines
 * wider than 640 are squeezed (at most 1.5× for the lines of the OCR test images). INT8 rec alone (det + cls FP32) on
 * the 5 OCR test images: 320 only 121/213 lines, 80.1 % chars; 320/640 128/218, 87.6 %; 320/640/960 130/221, 86.9 %
 * (docs/ocr.md "Rec width") — a third width costs a third compiled model (+36.6 ms DPU per line it reads on KV260)
 * for no gain.
 */
export const REC_WIDTHS: readonly number[] = [320, 640];

/** Build name of the rec compiled at width W: 'rec' for a single width, 'rec@W' in a set (the pipeline's stage name). */
export function recSpecName(width: number, widths: readonly number[]): string {
  return widths.length > 1 ? `rec@${width}` : 'rec';
}

/**
 * rec INT8 recipe: per-channel-group weight fix points for PP-LCNetV3's wide-range pointwise convs
 * (splitChannelGroups 8), sequential bias correction on 8 batches (session 5; was 2), the SVTR neck's CPU ops kept
 * float (floatCpuOps); calibration (session 5) on the 43 REC_CALIB_LINES crops cut as the pipeline cuts them, no copies
 * (OcrSpecInput.recLineCrops). Chosen on the development set only (INT8 rec alone, det + cls FP32; docs/ocr.md "Rec
 * recipe, session 5"): DEV_SET 91/96 lines, 99.4 % chars (2 BC batches 89/96, 99.3 %; the 64 typedoc rectangles +
 * copies 83/96, 98.6 %); all 36 dev candidates at 320 px 389/462 (388, 366). Then measured once: STABLE_SET rec alone
 * 127/150 (84.7 %), 97.3 % (was 116/150, 96.2 %), all three INT8 113/150 (75.3 %), 94.4 % (was 105/150, 93.8 %; 116/150
 * with 2 BC batches); 5-image proof 110/218, 81.2 % (was 110/218, 81.0 %). Session 6: + the weight residual on the 30
 * convs with the lowest local weight SQNR — all 36 dev candidates 399/462 (86.4 %), 98.1 % vs 389/462, 97.5 % (every
 * eligible conv: 396/462); DEV_SET alone 71/80 vs 77/80 (docs/ocr.md "Session 6"). Session 7: the channel groups
 * sorted by each channel's calibrated output range instead of max|w| (`splitChannelGroupsBy: 'output'`) — all 36 dev
 * candidates 411/462 (89.0 %), 98.4 % vs 399/462, 98.1 %; DEV_SET 74/80 (docs/ocr.md "Session 7").
 */
export const REC_QUANTIZE = { splitChannelGroups: 8, splitChannelGroupsBy: 'output' as const, biasCorrectionMode: 'quantized-upstream' as const, biasCorrectionBatches: 8, weightResidual: { top: 30 } };

export interface OcrSpecInput {
  onnx: { det: Uint8Array; cls: Uint8Array; rec?: Uint8Array };
  /** det input H×W (multiples of 32) and its calibration feeds (NHWC, det-normalised). */
  det: { h: number; w: number; calib: TensorValue[] };
  /** Text-line crops for cls calibration (the recLineSpots rectangles of screenshot-typedoc; not from the evaluated image). */
  lineCrops: RgbImage[];
  /**
   * Text-line crops for rec calibration: `recCalibLineCrops` of the REC_CALIB_FILES images (REC_CALIB_LINES, cut as the
   * pipeline cuts — the session-5 recipe). Without it rec calibrates on `lineCrops` (the recipe before session 5).
   */
  recLineCrops?: RgbImage[];
  target: string;
  version: string;
  /** Rec widths to compile (default REC_WIDTHS); [320] gives the single-width build. */
  recWidths?: readonly number[];
}

/** BuildSpecs for det, cls and (when onnx.rec is given) rec at each width of `recWidths`, in that order. */
export function ocrBuildSpecs(i: OcrSpecInput): BuildSpec[] {
  const specs: BuildSpec[] = [
    { name: 'det', onnx: i.onnx.det, input: 'x', shapeNchw: [1, 3, i.det.h, i.det.w], calib: i.det.calib, target: i.target, version: i.version, quantize: DET_QUANTIZE },
    { name: 'cls', onnx: i.onnx.cls, input: 'x', shapeNchw: [1, 3, 48, 192], calib: recCalibration(i.lineCrops, 48, 192), target: i.target, version: i.version },
  ];
  if (i.onnx.rec) {
    const widths = [...(i.recWidths ?? REC_WIDTHS)].sort((a, b) => a - b);
    for (const w of widths) {
      // each width calibrated on the same crops at their aspect, padded right to w (never squeezed: they are 260 px wide at 48)
      specs.push({
        name: recSpecName(w, widths), onnx: i.onnx.rec, input: 'x', shapeNchw: [1, 3, 48, w], calib: i.recLineCrops ? recCalibration(i.recLineCrops, 48, w) : recCalibration(i.lineCrops, 48, w, { invert: true, grey: true }),
        target: i.target, version: i.version, quantize: REC_QUANTIZE, floatCpuOps: true,
      });
    }
  }
  return specs;
}
