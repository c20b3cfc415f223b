/**
 * Detection head decoding.
 *  - YOLOv5 (v6 layout): raw heads NHWC [1, H, W, na·(5+nc)] at strides 8/16/32, channel a·(5+nc)+k;
 *    xy = (2σ(t) − 0.5 + grid)·stride, wh = (2σ(t))²·anchor, conf = σ(obj)·σ(cls).
 *  - CenterNet: heatmap [1, H, W, C] (logits or probabilities), peaks = values equal to their 3×3 max
 *    pool, top-K; wh [1, H, W, 2] and offset [1, H, W, 2] in output cells; box × down-ratio (stride).
 *    Or (TTFNet-style, @vladmandic/human's centernet.json) wh [1, H, W, 4] = distances left, top, right,
 *    bottom in input pixels from the peak cell's corner (x·stride, y·stride), no offset:
 *    box = [x·s − l, y·s − t, x·s + r, y·s + b], as the model's own `tower_0/detections` subgraph computes.
 */
import { AppError } from '../../errors.js';
import type { TensorValue } from '../../ir/types.js';
import type { Detection } from './nms.js';

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** YOLOv5's default COCO anchors (pixels) for P3/8, P4/16, P5/32. */
export const YOLOV5_ANCHORS: number[][] = [
  [10, 13, 16, 30, 33, 23],
  [30, 61, 62, 45, 59, 119],
  [116, 90, 156, 198, 373, 326],
];

export interface YoloOptions {
  /** Anchors per head as [w0,h0,w1,h1,…] in input pixels (default YOLOv5 COCO). */
  anchors?: number[][];
  /** Strides per head (default 8, 16, 32). */
  strides?: number[];
  /** Keep candidates with obj·cls > confThresh (0.25). */
  confThresh?: number;
}

/** Decodes YOLOv5 raw heads to detections in network-input pixels (before NMS). */
export function decodeYolo(heads: TensorValue[], o: YoloOptions = {}): Detection[] {
  const anchors = o.anchors ?? YOLOV5_ANCHORS;
  const strides = o.strides ?? [8, 16, 32];
  const conf = o.confThresh ?? 0.25;
  if (heads.length !== anchors.length) {
    throw new AppError('E_APP_YOLO', `${heads.length} head output(s) for ${anchors.length} anchor sets`, { fix: 'a YOLOv5 model has 3 raw head outputs (P3, P4, P5)' });
  }
  const out: Detection[] = [];
  heads.forEach((t, hi) => {
    if (t.shape.length !== 4) throw new AppError('E_APP_YOLO', `head ${hi} has shape [${t.shape}], expected NHWC [1, H, W, na·(5+nc)]`);
    const [, H, W, C] = t.shape as [number, number, number, number];
    const an = anchors[hi]!;
    const na = an.length / 2;
    const no = C / na;
    if (!Number.isInteger(no) || no < 6) throw new AppError('E_APP_YOLO', `head ${hi} has ${C} channels, not ${na}·(5+classes)`);
    const s = strides[hi]!;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const base = (y * W + x) * C;
        for (let a = 0; a < na; a++) {
          const p = base + a * no;
          const obj = sigmoid(t.data[p + 4]!);
          if (obj <= conf) continue;
          let best = 0;
          let bestV = -Infinity;
          for (let k = 5; k < no; k++) if (t.data[p + k]! > bestV) { bestV = t.data[p + k]!; best = k - 5; }
          const score = obj * sigmoid(bestV);
          if (score <= conf) continue;
          const cx = (sigmoid(t.data[p]!) * 2 - 0.5 + x) * s;
          const cy = (sigmoid(t.data[p + 1]!) * 2 - 0.5 + y) * s;
          const w = (sigmoid(t.data[p + 2]!) * 2) ** 2 * an[a * 2]!;
          const h = (sigmoid(t.data[p + 3]!) * 2) ** 2 * an[a * 2 + 1]!;
          out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, classId: best });
        }
      }
    }
  });
  return out;
}

export interface CenterNetOptions {
  /** Output stride (down ratio, 4). */
  stride?: number;
  topK?: number;
  scoreThresh?: number;
  /** Apply a sigmoid to the heatmap first (when the model outputs logits). Default false. */
  sigmoid?: boolean;
}

/** Decodes CenterNet outputs to detections in network-input pixels. */
export function decodeCenterNet(heat: TensorValue, wh: TensorValue, offset: TensorValue | undefined, o: CenterNetOptions = {}): Detection[] {
  if (heat.shape.length !== 4) throw new AppError('E_APP_CENTERNET', `heatmap shape [${heat.shape}] is not NHWC [1, H, W, classes]`);
  const [, H, W, C] = heat.shape as [number, number, number, number];
  const ltrb = wh.data.length === H * W * 4 && !offset;
  if ((!ltrb && wh.data.length !== H * W * 2) || (offset && offset.data.length !== H * W * 2)) {
    throw new AppError('E_APP_CENTERNET', `wh/offset must be [1, ${H}, ${W}, 2] (or wh [1, ${H}, ${W}, 4] = l,t,r,b distances without offset), got wh [${wh.shape}]`, { fix: 'pass the heatmap, wh and reg outputs of the same CenterNet' });
  }
  const stride = o.stride ?? 4;
  const h = o.sigmoid ? heat.data.map(sigmoid) : heat.data;
  const peaks: { i: number; v: number }[] = [];
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < C; c++) {
        const i = (y * W + x) * C + c;
        const v = h[i]!;
        if (v <= (o.scoreThresh ?? 0.1)) continue;
        let isMax = true;
        for (let dy = -1; dy <= 1 && isMax; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
            if (h[(yy * W + xx) * C + c]! > v) { isMax = false; break; }
          }
        }
        if (isMax) peaks.push({ i, v });
      }
    }
  }
  peaks.sort((a, b) => b.v - a.v || a.i - b.i);
  return peaks.slice(0, o.topK ?? 100).map(({ i, v }) => {
    const c = i % C;
    const cell = (i - c) / C;
    const x = cell % W;
    const y = (cell - x) / W;
    if (ltrb) {
      const d = wh.data;
      return { box: [x * stride - d[cell * 4]!, y * stride - d[cell * 4 + 1]!, x * stride + d[cell * 4 + 2]!, y * stride + d[cell * 4 + 3]!] as [number, number, number, number], score: v, classId: c };
    }
    const ox = offset ? offset.data[cell * 2]! : 0;
    const oy = offset ? offset.data[cell * 2 + 1]! : 0;
    const bw = wh.data[cell * 2]!;
    const bh = wh.data[cell * 2 + 1]!;
    const cx = x + ox;
    const cy = y + oy;
    return { box: [(cx - bw / 2) * stride, (cy - bh / 2) * stride, (cx + bw / 2) * stride, (cy + bh / 2) * stride] as [number, number, number, number], score: v, classId: c };
  });
}
