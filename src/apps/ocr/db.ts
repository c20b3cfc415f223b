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

/**
 * box_score_fast: mean of `pred` over the integer pixels inside the box (bounding window clipped to the
 * map). Inside = geometry's inConvexPolygon (eps 1e-6) with each edge's vector and tolerance computed once
 * instead of per pixel (same expressions, same results); the sum runs in row order as before.
 */
export function boxScore(pred: Float32Array, w: number, h: number, box: Point[]): number {
  const clamp = (v: number, hi: number): number => Math.min(Math.max(v, 0), hi);
  const xs = box.map((q) => q[0]);
  const ys = box.map((q) => q[1]);
  const xmin = clamp(Math.floor(Math.min(...xs)), w - 1);
  const xmax = clamp(Math.ceil(Math.max(...xs)), w - 1);
  const ymin = clamp(Math.floor(Math.min(...ys)), h - 1);
  const ymax = clamp(Math.ceil(Math.max(...ys)), h - 1);
  // as PaddleOCR: polygon coordinates relative to the window, truncated to int32
  const m = box.length;
  const ax = new Float64Array(m), ay = new Float64Array(m), ex = new Float64Array(m), ey = new Float64Array(m), tol = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const p = box[i]!, q = box[(i + 1) % m]!;
    const px = Math.trunc(p[0] - xmin), py = Math.trunc(p[1] - ymin);
    const qx = Math.trunc(q[0] - xmin), qy = Math.trunc(q[1] - ymin);
    ax[i] = px; ay[i] = py; ex[i] = qx - px; ey[i] = qy - py;
    tol[i] = 1e-6 * (Math.hypot(qx - px, qy - py) || 1);
  }
  let sum = 0;
  let n = 0;
  for (let y = ymin; y <= ymax; y++) {
    const ry = y - ymin;
    for (let x = xmin; x <= xmax; x++) {
      const rx = x - xmin;
      let sign = 0;
      let inside = true;
      for (let i = 0; i < m; i++) {
        const c = ex[i]! * (ry - ay[i]!) - ey[i]! * (rx - ax[i]!);
        if (Math.abs(c) <= tol[i]!) continue;
        const sg = c > 0 ? 1 : -1;
        if (sign === 0) sign = sg;
        else if (sg !== sign) { inside = false; break; }
      }
      if (inside) {
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

/**
 * Connected regions of `pred > thresh` (8-connectivity); per region, the extreme pixels of each row, rows
 * in the order the fill first reaches them. One pass: a bordered byte mask (1 = foreground not yet taken),
 * an explicit stack of pixel indices, per-row min/max in typed arrays.
 */
export function regions(pred: Float32Array, w: number, h: number, thresh: number, maxCandidates = Infinity): Point[][] {
  const W = w + 2; // one pixel of border all round: no bounds checks in the fill
  const mask = new Uint8Array(W * (h + 2));
  for (let y = 0; y < h; y++) {
    const r = y * w, m = (y + 1) * W + 1;
    for (let x = 0; x < w; x++) if (pred[r + x]! > thresh) mask[m + x] = 1;
  }
  const stack = new Int32Array(w * h);
  const rowMin = new Int32Array(h + 2).fill(-1);
  const rowMax = new Int32Array(h + 2);
  const rows = new Int32Array(h + 2); // rows of the current region in first-reached order
  const out: Point[][] = [];
  // neighbours in the order dy = −1..1, dx = −1..1 (the order they were pushed before)
  const o0 = -W - 1, o1 = -W, o2 = -W + 1, o3 = -1, o4 = 1, o5 = W - 1, o6 = W, o7 = W + 1;
  for (let sy = 1; sy <= h && out.length < maxCandidates; sy++) {
    for (let start = sy * W + 1, end = sy * W + w; start <= end && out.length < maxCandidates; start++) {
      if (mask[start] === 0) continue;
      mask[start] = 0;
      let sp = 0;
      stack[sp++] = start;
      let nr = 0;
      while (sp > 0) {
        const p = stack[--sp]!;
        const y = (p / W) | 0;
        const x = p - y * W;
        const mn = rowMin[y]!;
        if (mn < 0) { rowMin[y] = x; rowMax[y] = x; rows[nr++] = y; } else if (x < mn) rowMin[y] = x; else if (x > rowMax[y]!) rowMax[y] = x;
        let q = p + o0; if (mask[q] === 1) { mask[q] = 0; stack[sp++] = q; }
        q = p + o1; if (mask[q] === 1) { mask[q] = 0; stack[sp++] = q; }
        q = p + o2; if (mask[q] === 1) { mask[q] = 0; stack[sp++] = q; }
        q = p + o3; if (mask[q] === 1) { mask[q] = 0; stack[sp++] = q; }
        q = p + o4; if (mask[q] === 1) { mask[q] = 0; stack[sp++] = q; }
        q = p + o5; if (mask[q] === 1) { mask[q] = 0; stack[sp++] = q; }
        q = p + o6; if (mask[q] === 1) { mask[q] = 0; stack[sp++] = q; }
        q = p + o7; if (mask[q] === 1) { mask[q] = 0; stack[sp++] = q; }
      }
      const pts: Point[] = [];
      for (let i = 0; i < nr; i++) {
        const y = rows[i]!;
        const x0 = rowMin[y]! - 1, x1 = rowMax[y]! - 1;
        pts.push([x0, y - 1]);
        if (x1 !== x0) pts.push([x1, y - 1]);
        rowMin[y] = -1;
      }
      out.push(pts);
    }
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
