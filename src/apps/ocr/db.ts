/**
 * DB (Differentiable Binarization) text-detection post-processing as PaddleOCR's DBPostProcess does it:
 * binarize the probability map at `thresh`, take each connected region (8-connected, the outer contours
 * cv2.findContours would give), its minimum-area rotated box, drop boxes with a short side < min_size,
 * score = mean probability inside the box (box_score_fast) ≥ box_thresh, unclip (offset the polygon by
 * area·ratio/perimeter with round joins), re-take the min-area box, drop short side < min_size + 2, scale
 * to the original image; then filter_tag_det_res (clockwise order, clip, drop ≤ 3 px) and sorted_boxes
 * (top-to-bottom, left-to-right within 10 px rows).
 *
 * Differences from PaddleOCR, on purpose or by approximation: hole contours (RETR_LIST also returns the
 * inner boundary of a ring-shaped region) are not boxes here; the round join uses 8 segments per 90°.
 */
import type { Point } from '../image/image.js';
import { inConvexPolygon, minAreaRect, offsetConvexPolygon, polygonArea, polygonPerimeter } from '../geometry.js';

export interface DbOptions {
  /** Binarization threshold of the probability map (PaddleOCR det_db_thresh 0.3). */
  thresh?: number;
  /** Minimum mean probability inside a box (det_db_box_thresh 0.6). */
  boxThresh?: number;
  /** Unclip ratio (det_db_unclip_ratio 1.5). */
  unclipRatio?: number;
  /** Most regions considered (max_candidates 1000). */
  maxCandidates?: number;
  /** Shortest allowed box side in map pixels (min_size 3). */
  minSize?: number;
}

export interface TextBox {
  /** Four corners in original-image pixels, clockwise from top-left. */
  points: Point[];
  /** Mean probability inside the (un-expanded) box. */
  score: number;
}

/** PaddleOCR's get_mini_boxes: min-area box with corners ordered tl, tr, br, bl; and its short side. */
export function miniBox(points: Point[]): { box: Point[]; sside: number } {
  const r = minAreaRect(points);
  const p = [...r.corners].sort((a, b) => a[0] - b[0]);
  let i1: number, i2: number, i3: number, i4: number;
  if (p[1]![1] > p[0]![1]) { i1 = 0; i4 = 1; } else { i1 = 1; i4 = 0; }
  if (p[3]![1] > p[2]![1]) { i2 = 2; i3 = 3; } else { i2 = 3; i3 = 2; }
  return { box: [p[i1]!, p[i2]!, p[i3]!, p[i4]!], sside: Math.min(r.width, r.height) };
}

/** box_score_fast: mean of `pred` over the integer pixels inside the box (bounding window clipped to the map). */
export function boxScore(pred: Float32Array, w: number, h: number, box: Point[]): number {
  const clamp = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  const xs = box.map((q) => q[0]);
  const ys = box.map((q) => q[1]);
  const xmin = clamp(Math.floor(Math.min(...xs)), w - 1);
  const xmax = clamp(Math.ceil(Math.max(...xs)), w - 1);
  const ymin = clamp(Math.floor(Math.min(...ys)), h - 1);
  const ymax = clamp(Math.ceil(Math.max(...ys)), h - 1);
  // as PaddleOCR: polygon coordinates relative to the window, truncated to int32
  const poly: Point[] = box.map((q) => [Math.trunc(q[0] - xmin), Math.trunc(q[1] - ymin)]);
  let sum = 0;
  let n = 0;
  for (let y = ymin; y <= ymax; y++) {
    for (let x = xmin; x <= xmax; x++) {
      if (inConvexPolygon(poly, x - xmin, y - ymin, 1e-6)) {
        sum += pred[y * w + x]!;
        n++;
      }
    }
  }
  return n ? sum / n : 0;
}

/** Polygon offset by area·ratio/perimeter (PaddleOCR's unclip) — returns the expanded polygon. */
export function unclip(box: Point[], ratio: number): Point[] {
  const per = polygonPerimeter(box);
  if (per === 0) return box;
  const d = (polygonArea(box) * ratio) / per;
  return offsetConvexPolygon(box, d);
}

/** Connected regions of `pred > thresh` (8-connectivity); per region, the extreme pixels of each row. */
export function regions(pred: Float32Array, w: number, h: number, thresh: number, maxCandidates = Infinity): Point[][] {
  const label = new Int32Array(w * h);
  const stack = new Int32Array(w * h);
  const out: Point[][] = [];
  let next = 0;
  for (let start = 0; start < w * h && out.length < maxCandidates; start++) {
    if (label[start] !== 0 || !(pred[start]! > thresh)) continue;
    next++;
    label[start] = next;
    let sp = 0;
    stack[sp++] = start;
    const rowMin = new Map<number, number>();
    const rowMax = new Map<number, number>();
    while (sp > 0) {
      const p = stack[--sp]!;
      const x = p % w;
      const y = (p - x) / w;
      const mn = rowMin.get(y);
      if (mn === undefined || x < mn) rowMin.set(y, x);
      const mx = rowMax.get(y);
      if (mx === undefined || x > mx) rowMax.set(y, x);
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w || (dx === 0 && dy === 0)) continue;
          const q = yy * w + xx;
          if (label[q] === 0 && pred[q]! > thresh) {
            label[q] = next;
            stack[sp++] = q;
          }
        }
      }
    }
    const pts: Point[] = [];
    for (const [y, x0] of rowMin) {
      pts.push([x0, y]);
      const x1 = rowMax.get(y)!;
      if (x1 !== x0) pts.push([x1, y]);
    }
    out.push(pts);
  }
  return out;
}

/** PaddleOCR's order_points_clockwise: tl, tr, br, bl. */
export function orderClockwise(pts: Point[]): Point[] {
  const s = [...pts].sort((a, b) => a[0] - b[0]);
  const left = [s[0]!, s[1]!].sort((a, b) => a[1] - b[1]);
  const right = [s[2]!, s[3]!].sort((a, b) => a[1] - b[1]);
  return [left[0]!, right[0]!, right[1]!, left[1]!];
}

/** PaddleOCR's sorted_boxes: by top-left y then x; neighbours within 10 px in y are ordered by x. */
export function sortBoxes<T extends { points: Point[] }>(boxes: T[]): T[] {
  const b = [...boxes].sort((p, q) => p.points[0]![1] - q.points[0]![1] || p.points[0]![0] - q.points[0]![0]);
  for (let i = 0; i < b.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      if (Math.abs(b[j + 1]!.points[0]![1] - b[j]!.points[0]![1]) < 10 && b[j + 1]!.points[0]![0] < b[j]!.points[0]![0]) {
        [b[j], b[j + 1]] = [b[j + 1]!, b[j]!];
      } else break;
    }
  }
  return b;
}

/**
 * The whole DB post-processing of one probability map (`w`×`h`, values in [0,1]) → text boxes in the
 * original image (`destW`×`destH`), sorted in reading order.
 */
export function dbPostprocess(pred: Float32Array, w: number, h: number, destW: number, destH: number, o: DbOptions = {}): TextBox[] {
  const thresh = o.thresh ?? 0.3;
  const boxThresh = o.boxThresh ?? 0.6;
  const ratio = o.unclipRatio ?? 1.5;
  const minSize = o.minSize ?? 3;
  const boxes: TextBox[] = [];
  for (const pts of regions(pred, w, h, thresh, o.maxCandidates ?? 1000)) {
    const m = miniBox(pts);
    if (m.sside < minSize) continue;
    const score = boxScore(pred, w, h, m.box);
    if (score < boxThresh) continue;
    const m2 = miniBox(unclip(m.box, ratio));
    if (m2.sside < minSize + 2) continue;
    const scaled: Point[] = m2.box.map((q) => [
      Math.min(Math.max(Math.round((q[0] / w) * destW), 0), destW),
      Math.min(Math.max(Math.round((q[1] / h) * destH), 0), destH),
    ]);
    // filter_tag_det_res
    const ordered = orderClockwise(scaled).map((q): Point => [Math.min(Math.max(q[0], 0), destW - 1), Math.min(Math.max(q[1], 0), destH - 1)]);
    const rw = Math.trunc(Math.hypot(ordered[0]![0] - ordered[1]![0], ordered[0]![1] - ordered[1]![1]));
    const rh = Math.trunc(Math.hypot(ordered[0]![0] - ordered[3]![0], ordered[0]![1] - ordered[3]![1]));
    if (rw <= 3 || rh <= 3) continue;
    boxes.push({ points: ordered, score });
  }
  return sortBoxes(boxes);
}
