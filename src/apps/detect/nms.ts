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
 * Greedy NMS: highest score first; a box is suppressed when its IoU with a kept box is > iouThresh.
 * Returns indices into `boxes` (ties in score: lower index first), at most maxOut.
 */
export function nms(boxes: readonly (readonly number[])[], scores: ArrayLike<number>, iouThresh: number, maxOut = Infinity): number[] {
  const order = Array.from({ length: boxes.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const keep: number[] = [];
  for (const i of order) {
    if (keep.length >= maxOut) break;
    if (keep.every((k) => iou(boxes[i]!, boxes[k]!) <= iouThresh)) keep.push(i);
  }
  return keep;
}

/** Class-aware NMS: boxes only suppress boxes of their own class. Result sorted by score. */
export function nmsPerClass(dets: Detection[], iouThresh = 0.45, maxDet = 300): Detection[] {
  const byClass = new Map<number, Detection[]>();
  for (const d of dets) {
    const l = byClass.get(d.classId) ?? [];
    l.push(d);
    byClass.set(d.classId, l);
  }
  const out: Detection[] = [];
  for (const l of byClass.values()) {
    for (const i of nms(l.map((d) => d.box), l.map((d) => d.score), iouThresh)) out.push(l[i]!);
  }
  return out.sort((a, b) => b.score - a.score).slice(0, maxDet);
}
