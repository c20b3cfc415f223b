/**
 * Box decode of TF Object Detection API SSD models — @vladmandic/human's hand detector (handtrack.json:
 * SSD MobileNetV2-FPN, 320×320, 7 classes + background) — as the model's own `Postprocessor` computes it
 * after the cut (`StatefulPartitionedCall/concat` = box encodings [1, N, 4], `…/concat_1` = class logits
 * [1, N, 1 + classes]):
 *  - anchors: MultiscaleGridAnchorGenerator, levels 3–7, anchor_scale 4, aspect ratios 1, 2, 0.5, two
 *    scales per octave (1, √2); per level a grid of ⌈H/2^l⌉ × ⌈W/2^l⌉ cells, centre = cell·stride + offset
 *    (offset = stride/2 when the image size is a multiple of the stride, else 0 — TF's rule for a static
 *    size: at 320 the 3×3 level-7 grid has offset 0), size = base·scale/√ar × base·scale·√ar with base
 *    = 4·2^l; order per cell: aspect ratio outer, scale inner; coordinates normalized by H, W.
 *    (The shipped model.json stores these anchors as uint8-quantized constants, so they differ from
 *    this exact formula by up to half a quantization step: ≤ 0.0019 in centres, ≤ 0.0062 in sizes.)
 *  - FasterRcnnBoxCoder with scale factors 10, 10, 5, 5: encodings (ty, tx, th, tw) →
 *    yc = ty/10·ha + yca, xc = tx/10·wa + xca, h = e^(th/5)·ha, w = e^(tw/5)·wa.
 *  - scores: sigmoid of the logits, class 0 (background) dropped (`Postprocessor/Slice` begin [0,0,1]).
 *  - NMS: per class (`MultiClassNonMaxSuppression`: IoU 0.6, ≤ 100 per class, ≤ 100 in total), boxes
 *    clipped to the image window — done by `nmsPerClass` in the detection pipeline.
 */
import { AppError } from '../../errors.js';
import type { TensorValue } from '../../ir/types.js';
import { sigmoid } from './decode.js';
import type { Detection } from './nms.js';

/** Human's names for the hand detector's 7 classes (background dropped). */
export const HANDTRACK_LABELS = ['hand', 'fist', 'pinch', 'point', 'face', 'tip', 'pinchtip'];

/** The model's NMS IoU threshold (`non_max_suppression_with_scores/iou_threshold`). */
export const HANDTRACK_IOU = 0.6;

export interface SsdAnchorOptions {
  minLevel?: number;
  maxLevel?: number;
  anchorScale?: number;
  aspectRatios?: number[];
  scalesPerOctave?: number;
}

/** Anchors as centre / size arrays, normalized to the input (0..1). */
export interface SsdAnchors {
  yc: Float32Array;
  xc: Float32Array;
  h: Float32Array;
  w: Float32Array;
}

/** TF OD API MultiscaleGridAnchorGenerator for a static `height`×`width` input (defaults: SSD FPN levels 3–7). */
export function multiscaleGridAnchors(height: number, width: number, o: SsdAnchorOptions = {}): SsdAnchors {
  const minL = o.minLevel ?? 3;
  const maxL = o.maxLevel ?? 7;
  const ars = o.aspectRatios ?? [1, 2, 0.5];
  const spo = o.scalesPerOctave ?? 2;
  const scales = Array.from({ length: spo }, (_, i) => 2 ** (i / spo));
  const per = ars.length * scales.length;
  let n = 0;
  for (let l = minL; l <= maxL; l++) n += Math.ceil(height / 2 ** l) * Math.ceil(width / 2 ** l) * per;
  const a: SsdAnchors = { yc: new Float32Array(n), xc: new Float32Array(n), h: new Float32Array(n), w: new Float32Array(n) };
  let k = 0;
  for (let l = minL; l <= maxL; l++) {
    const stride = 2 ** l;
    const base = (o.anchorScale ?? 4) * stride;
    const gh = Math.ceil(height / stride);
    const gw = Math.ceil(width / stride);
    const offY = height % stride === 0 ? stride / 2 : 0;
    const offX = width % stride === 0 ? stride / 2 : 0;
    for (let y = 0; y < gh; y++) {
      for (let x = 0; x < gw; x++) {
        for (const ar of ars) {
          for (const s of scales) {
            a.yc[k] = (y * stride + offY) / height;
            a.xc[k] = (x * stride + offX) / width;
            a.h[k] = (base * s) / Math.sqrt(ar) / height;
            a.w[k] = base * s * Math.sqrt(ar) / width;
            k++;
          }
        }
      }
    }
  }
  return a;
}

/** FasterRcnnBoxCoder.decode: encodings [.., N, 4] (ty, tx, th, tw) → [N·4] boxes [ymin, xmin, ymax, xmax] (normalized). */
export function decodeSsdBoxes(enc: TensorValue, anchors: SsdAnchors, scaleFactors: readonly number[] = [10, 10, 5, 5]): Float32Array {
  const n = anchors.yc.length;
  if (enc.data.length !== n * 4) {
    throw new AppError('E_APP_SSD', `box encodings have ${enc.data.length} values (shape [${enc.shape}]) for ${n} anchors × 4`, { fix: 'pass the box-encoding output of the same model and its input size' });
  }
  const [sy, sx, sh, sw] = scaleFactors as [number, number, number, number];
  const out = new Float32Array(n * 4);
  const d = enc.data;
  for (let i = 0; i < n; i++) {
    const ha = anchors.h[i]!;
    const wa = anchors.w[i]!;
    const yc = (d[i * 4]! / sy) * ha + anchors.yc[i]!;
    const xc = (d[i * 4 + 1]! / sx) * wa + anchors.xc[i]!;
    const h = Math.exp(d[i * 4 + 2]! / sh) * ha;
    const w = Math.exp(d[i * 4 + 3]! / sw) * wa;
    out[i * 4] = yc - h / 2;
    out[i * 4 + 1] = xc - w / 2;
    out[i * 4 + 2] = yc + h / 2;
    out[i * 4 + 3] = xc + w / 2;
  }
  return out;
}

export interface SsdDecodeOptions {
  /** Network input size in pixels (boxes come out in these pixels). */
  width: number;
  height: number;
  /** Keep (anchor, class) pairs with sigmoid score > scoreThresh (default 0.25). */
  scoreThresh?: number;
  /** Anchors (default: multiscaleGridAnchors(height, width)). */
  anchors?: SsdAnchors;
  scaleFactors?: readonly number[];
  /** The logits include a background class 0 to drop (default true). */
  background?: boolean;
}

/**
 * Picks the box-encoding output (last dim 4) and the class-logit output among a model's outputs: by
 * shape, since compilation may rename or reorder outputs. Returns [boxes, logits].
 */
export function ssdOutputs(outs: TensorValue[], where?: string): [TensorValue, TensorValue] {
  const last = (t: TensorValue): number => t.shape[t.shape.length - 1] ?? 0;
  const count = (t: TensorValue): number => t.data.length / Math.max(1, last(t));
  const boxes = outs.find((t) => last(t) === 4);
  const logits = outs.find((t) => t !== boxes && last(t) > 1 && boxes && count(t) === count(boxes));
  if (!boxes || !logits) {
    throw new AppError('E_APP_SSD', `an SSD head needs a box-encoding output [1, N, 4] and a class output [1, N, classes]; got ${outs.map((t) => `[${t.shape}]`).join(', ')}`, {
      where, fix: "cut the TF.js model before its post-processing: --output 'StatefulPartitionedCall/concat,StatefulPartitionedCall/concat_1' (handtrack)",
    });
  }
  return [boxes, logits];
}

const anchorCache = new Map<string, SsdAnchors>();

/** Decodes SSD outputs to per-class candidates in input pixels ([x0, y0, x1, y1], classId without background). */
export function decodeSsd(boxEnc: TensorValue, logits: TensorValue, o: SsdDecodeOptions): Detection[] {
  let anchors = o.anchors ?? anchorCache.get(`${o.height}x${o.width}`);
  if (!anchors) {
    anchors = multiscaleGridAnchors(o.height, o.width);
    if (anchorCache.size < 8) anchorCache.set(`${o.height}x${o.width}`, anchors);
  }
  const n = anchors.yc.length;
  const C = logits.data.length / n;
  if (!Number.isInteger(C) || C < 1) {
    throw new AppError('E_APP_SSD', `class output has ${logits.data.length} values (shape [${logits.shape}]), not a multiple of the ${n} anchors`, { fix: `the model's input must be ${o.height}×${o.width} for these anchors` });
  }
  const boxes = decodeSsdBoxes(boxEnc, anchors, o.scaleFactors);
  const first = o.background === false ? 0 : 1;
  const thresh = o.scoreThresh ?? 0.25;
  const out: Detection[] = [];
  for (let i = 0; i < n; i++) {
    for (let c = first; c < C; c++) {
      const s = sigmoid(logits.data[i * C + c]!);
      if (!(s > thresh)) continue;
      out.push({ box: [boxes[i * 4 + 1]! * o.width, boxes[i * 4]! * o.height, boxes[i * 4 + 3]! * o.width, boxes[i * 4 + 2]! * o.height], score: s, classId: c - first });
    }
  }
  return out;
}
