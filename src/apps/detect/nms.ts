/** Axis-aligned boxes, IoU and (class-aware) greedy non-maximum suppression. */

export interface Detection {
  /** [x0, y0, x1, y1] in image pixels. */
  box: [number, number, number, number];
  score: number;
  classId: number;
  label?: string;
}

export function iou(a: readonly number[], b: readonly number[]): number {
  const ix = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const iy = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = ix * iy;
  const ua = Math.max(0, a[2]! - a[0]!) * Math.max(0, a[3]! - a[1]!) + Math.max(0, b[2]! - b[0]!) * Math.max(0, b[3]! - b[1]!) - inter;
  return ua > 0 ? inter / ua : 0;
}

/**
 * `idx` (ascending) ordered by score, highest first, ties by index — what sorting with
 * `scores[b] − scores[a] || a − b` gives. Without NaN scores that comparator is a consistent order and a
 * stable merge sort on `>` of the scores (no comparator calls) gives the same permutation; with a NaN
 * (the comparator is then inconsistent) the comparator sort itself runs, as before.
 */
function scoreOrder(idx: Int32Array, scores: ArrayLike<number>): Int32Array {
  const n = idx.length;
  const key = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = scores[idx[i]!]!;
    if (v !== v) return Int32Array.from(Array.from(idx).sort((a, b) => scores[b]! - scores[a]! || a - b));
    key[i] = v;
  }
  // bottom-up merge sort of positions 0..n−1 by key descending (stable: equal keys keep position order)
  let a = new Int32Array(n), b = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let w = 1; w < n; w *= 2) {
    for (let lo = 0; lo < n; lo += 2 * w) {
      const mid = Math.min(lo + w, n), hi = Math.min(lo + 2 * w, n);
      let i = lo, j = mid, o = lo;
      while (i < mid && j < hi) {
        const pi = a[i]!, pj = a[j]!;
        if (key[pj]! > key[pi]!) { b[o++] = pj; j++; } else { b[o++] = pi; i++; }
      }
      while (i < mid) b[o++] = a[i++]!;
      while (j < hi) b[o++] = a[j++]!;
    }
    const t = a; a = b; b = t;
  }
  for (let i = 0; i < n; i++) a[i] = idx[a[i]!]!;
  return a;
}

/**
 * Greedy NMS over the boxes `idx` (indices into the coordinate arrays), highest score first: a candidate
 * is dropped when its IoU with a kept box is not ≤ iouThresh. The arithmetic is `iou`'s (doubles, the
 * same operations in the same order), so the selection is the same; areas are computed once and kept
 * boxes are copied to one contiguous array. With a threshold ≥ 0 only an overlapping kept box can
 * suppress, so for many boxes a candidate is compared only with the kept boxes sharing a grid cell.
 */
function greedy(x0: Float64Array, y0: Float64Array, x1: Float64Array, y1: Float64Array, scores: ArrayLike<number>, idx: Int32Array, iouThresh: number, maxOut: number): number[] {
  const n = idx.length;
  if (maxOut !== maxOut) maxOut = Infinity; // as `keep.length >= NaN`: never reached
  const order = scoreOrder(idx, scores);
  const cap = Math.max(0, Math.min(n, Math.ceil(maxOut)));
  const zeroOk = 0 <= iouThresh;
  const kb = new Float64Array(cap * 5); // kept x0, y0, x1, y1, area
  const keep: number[] = [];
  // the grid: cells about the mean box size, over the boxes' extent (finite boxes only)
  let grid: number[][] | undefined;
  let gx = 0, gy = 0, ox = 0, oy = 0, cw = 1, ch = 1;
  if (zeroOk && n > 64) {
    let mnx = Infinity, mny = Infinity, mxx = -Infinity, mxy = -Infinity, sw = 0, sh = 0, finite = true;
    for (let t = 0; t < n; t++) {
      const i = order[t]!;
      const a0 = x0[i]!, a1 = y0[i]!, a2 = x1[i]!, a3 = y1[i]!;
      if (a0 === Infinity && a2 === -Infinity) continue; // NaN box: IoU 0 with every box
      if (!(Number.isFinite(a0) && Number.isFinite(a1) && Number.isFinite(a2) && Number.isFinite(a3))) { finite = false; break; }
      if (a0 < mnx) mnx = a0;
      if (a1 < mny) mny = a1;
      if (a2 > mxx) mxx = a2;
      if (a3 > mxy) mxy = a3;
      sw += Math.max(0, a2 - a0);
      sh += Math.max(0, a3 - a1);
    }
    if (finite && mxx > mnx && mxy > mny) {
      cw = Math.max(sw / n, (mxx - mnx) / 64, 1e-300);
      ch = Math.max(sh / n, (mxy - mny) / 64, 1e-300);
      ox = mnx;
      oy = mny;
      gx = Math.min(64, Math.floor((mxx - mnx) / cw) + 1);
      gy = Math.min(64, Math.floor((mxy - mny) / ch) + 1);
      grid = Array.from({ length: gx * gy }, () => []);
    }
  }
  const cell = (v: number, o: number, c: number, g: number): number => { const k = Math.floor((v - o) / c); return k < 0 ? 0 : k >= g ? g - 1 : k; };
  const stamp = grid ? new Int32Array(cap).fill(-1) : undefined;
  let nk = 0;
  for (let t = 0; t < n && nk < maxOut; t++) {
    const i = order[t]!;
    const ax0 = x0[i]!, ay0 = y0[i]!, ax1 = x1[i]!, ay1 = y1[i]!;
    const area = Math.max(0, ax1 - ax0) * Math.max(0, ay1 - ay0);
    let ok = true;
    const empty = ax0 === Infinity && ax1 === -Infinity;
    if (grid && stamp) {
      // zeroOk: boxes without overlap never suppress, so only the kept boxes in shared cells matter
      if (!empty) {
        const cx0 = cell(ax0, ox, cw, gx), cx1 = cell(ax1, ox, cw, gx), cy0 = cell(ay0, oy, ch, gy), cy1 = cell(ay1, oy, ch, gy);
        scan: for (let cy = cy0; cy <= cy1; cy++) {
          for (let cx = cx0; cx <= cx1; cx++) {
            const list: number[] = grid[cy * gx + cx]!;
            for (let j = 0; j < list.length; j++) {
              const k = list[j]!;
              if (stamp[k] === t) continue;
              stamp[k] = t;
              const o = k * 5;
              const bx0 = kb[o]!, by0 = kb[o + 1]!, bx1 = kb[o + 2]!, by1 = kb[o + 3]!;
              const iw = (ax1 < bx1 ? ax1 : bx1) - (ax0 > bx0 ? ax0 : bx0);
              const ih = (ay1 < by1 ? ay1 : by1) - (ay0 > by0 ? ay0 : by0);
              if (!(iw > 0 && ih > 0)) continue;
              const inter = iw * ih;
              const ua = area + kb[o + 4]! - inter;
              const v = ua > 0 ? inter / ua : 0;
              if (!(v <= iouThresh)) { ok = false; break scan; }
            }
          }
        }
      }
    } else {
      for (let k = 0, o = 0; k < nk; k++, o += 5) {
        const bx0 = kb[o]!, by0 = kb[o + 1]!, bx1 = kb[o + 2]!, by1 = kb[o + 3]!;
        const iw = (ax1 < bx1 ? ax1 : bx1) - (ax0 > bx0 ? ax0 : bx0);
        const ih = (ay1 < by1 ? ay1 : by1) - (ay0 > by0 ? ay0 : by0);
        if (!(iw > 0 && ih > 0)) { // no overlap: IoU 0
          if (zeroOk) continue;
          ok = false;
          break;
        }
        const inter = iw * ih;
        const ua = area + kb[o + 4]! - inter;
        const v = ua > 0 ? inter / ua : 0;
        if (!(v <= iouThresh)) { ok = false; break; }
      }
    }
    if (!ok) continue;
    const o = nk * 5;
    kb[o] = ax0; kb[o + 1] = ay0; kb[o + 2] = ax1; kb[o + 3] = ay1; kb[o + 4] = area;
    if (grid && !empty) {
      const cx0 = cell(ax0, ox, cw, gx), cx1 = cell(ax1, ox, cw, gx), cy0 = cell(ay0, oy, ch, gy), cy1 = cell(ay1, oy, ch, gy);
      for (let cy = cy0; cy <= cy1; cy++) for (let cx = cx0; cx <= cx1; cx++) grid[cy * gx + cx]!.push(nk);
    }
    nk++;
    keep.push(i);
  }
  return keep;
}

function coords(n: number, get: (i: number) => readonly number[]): [Float64Array, Float64Array, Float64Array, Float64Array] {
  const x0 = new Float64Array(n), y0 = new Float64Array(n), x1 = new Float64Array(n), y1 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = get(i);
    const a0 = b[0]!, a1 = b[1]!, a2 = b[2]!, a3 = b[3]!;
    // a NaN coordinate makes iou() 0 against every box: an empty box far away does the same here
    if (a0 !== a0 || a1 !== a1 || a2 !== a2 || a3 !== a3) { x0[i] = y0[i] = Infinity; x1[i] = y1[i] = -Infinity; } else { x0[i] = a0; y0[i] = a1; x1[i] = a2; y1[i] = a3; }
  }
  return [x0, y0, x1, y1];
}

/**
 * Greedy NMS: highest score first; a box is suppressed when its IoU with a kept box is > iouThresh.
 * Returns indices into `boxes` (ties in score: lower index first), at most maxOut.
 */
export function nms(boxes: readonly (readonly number[])[], scores: ArrayLike<number>, iouThresh: number, maxOut = Infinity): number[] {
  const n = boxes.length;
  const [x0, y0, x1, y1] = coords(n, (i) => boxes[i]!);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return greedy(x0, y0, x1, y1, scores, idx, iouThresh, maxOut);
}

/** Class-aware NMS: boxes only suppress boxes of their own class. Result sorted by score. */
export function nmsPerClass(dets: Detection[], iouThresh = 0.45, maxDet = 300): Detection[] {
  const n = dets.length;
  const [x0, y0, x1, y1] = coords(n, (i) => dets[i]!.box);
  const scores = new Float64Array(n);
  // per-class index lists (classes in order of first appearance, indices ascending)
  const classOf = new Map<number, number>();
  const counts: number[] = [];
  const cls = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const d = dets[i]!;
    scores[i] = d.score;
    let c = classOf.get(d.classId);
    if (c === undefined) { c = counts.length; classOf.set(d.classId, c); counts.push(0); }
    cls[i] = c;
    counts[c]!++;
  }
  const lists = counts.map((k) => new Int32Array(k));
  const fill = new Int32Array(counts.length);
  for (let i = 0; i < n; i++) { const c = cls[i]!; lists[c]![fill[c]!++] = i; }
  const out: Detection[] = [];
  // no class can contribute more than maxDet boxes to the top maxDet (unless a NaN score makes the final
  // comparator sort inconsistent: then its input stays what it always was)
  let nan = false;
  for (let i = 0; i < n; i++) if (scores[i] !== scores[i]) { nan = true; break; }
  const cap = nan ? Infinity : maxDet;
  for (const l of lists) for (const i of greedy(x0, y0, x1, y1, scores, l, iouThresh, cap)) out.push(dets[i]!);
  return out.sort((a, b) => b.score - a.score).slice(0, maxDet);
}
