/**
 * Plane geometry for post-processing: convex hull, minimum-area rotated rectangle (rotating calipers,
 * what cv2.minAreaRect computes), polygon area/perimeter, round-join polygon offset (what pyclipper's
 * ClipperOffset with JT_ROUND does to a convex polygon) and point-in-convex-polygon.
 */
import type { Point } from './image/image.js';

const cross = (o: Point, a: Point, b: Point): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

/** Convex hull (Andrew's monotone chain), counter-clockwise in a y-up frame, no collinear points. */
export function convexHull(points: Point[]): Point[] {
  const p = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const lower: Point[] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Point[] = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop();
    upper.push(q);
  }
  lower.pop();
  upper.pop();
  return lower.concat(upper);
}

export interface RotatedRect {
  /** The four corners (in hull order). */
  corners: Point[];
  /** Side lengths. */
  width: number;
  height: number;
}

const dot = (q: Point, dx: number, dy: number): number => q[0] * dx + q[1] * dy;

/**
 * The hull point farthest in direction sign·(dx, dy): from index `from`, step forward around the hull while the
 * next point lies at least as far (a lap at most: a guard, on a convex hull it stops at the extreme); with
 * from < 0, the first farthest of a scan of every point.
 */
function extreme(hull: Point[], from: number, dx: number, dy: number, sign: 1 | -1): number {
  const n = hull.length;
  if (from < 0) {
    let k = 0;
    for (let j = 1; j < n; j++) if (sign * dot(hull[j]!, dx, dy) > sign * dot(hull[k]!, dx, dy)) k = j;
    return k;
  }
  let k = from;
  let far = sign * dot(hull[k]!, dx, dy);
  for (let s = 0; s < n; s++) {
    const j = k + 1 === n ? 0 : k + 1;
    const d = sign * dot(hull[j]!, dx, dy);
    if (d < far) break;
    k = j;
    far = d;
  }
  // of two equally far points (a side parallel to the caliper) the lower index, as the scan picks: only the
  // sign of a zero could tell their values apart
  const p = k === 0 ? n - 1 : k - 1;
  return p < k && dot(hull[p]!, dx, dy) === dot(hull[k]!, dx, dy) ? p : k;
}

/**
 * Minimum-area enclosing rectangle of a point set: rotating calipers over the hull edges, O(hull). For each edge
 * (direction u, normal v) the four extreme hull points — min/max of u, min/max of v — only move forward around
 * the hull as the edge turns, so each starts from where it stood for the previous edge; the first edge with the
 * smallest area (1e-9 tolerance) wins. Fewer than two distinct points: a zero-size rectangle at the point.
 */
export function minAreaRect(points: Point[]): RotatedRect {
  const hull = convexHull(points);
  if (hull.length === 0) return { corners: [[0, 0], [0, 0], [0, 0], [0, 0]], width: 0, height: 0 };
  const q0 = hull[0]!;
  if (hull.every((q) => q[0] === q0[0] && q[1] === q0[1])) return { corners: [q0, q0, q0, q0], width: 0, height: 0 };
  const n = hull.length;
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  let iMinU = -1, iMaxU = -1, iMinV = -1, iMaxV = -1; // -1: the first edge scans the whole hull
  for (let i = 0; i < (n === 2 ? 1 : n); i++) {
    const a = hull[i]!;
    const b = hull[i + 1 === n ? 0 : i + 1]!;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len;
    const uy = (b[1] - a[1]) / len;
    // v = (−uy, ux)·q: bit for bit −q₀·uy + q₁·ux (negation is exact)
    iMinU = extreme(hull, iMinU, ux, uy, -1);
    iMaxU = extreme(hull, iMaxU, ux, uy, 1);
    iMinV = extreme(hull, iMinV, -uy, ux, -1);
    iMaxV = extreme(hull, iMaxV, -uy, ux, 1);
    const minU = dot(hull[iMinU]!, ux, uy), maxU = dot(hull[iMaxU]!, ux, uy);
    const minV = dot(hull[iMinV]!, -uy, ux), maxV = dot(hull[iMaxV]!, -uy, ux);
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea - 1e-9) {
      bestArea = area;
      const at = (u: number, v: number): Point => [u * ux - v * uy, u * uy + v * ux];
      best = { corners: [at(minU, minV), at(maxU, minV), at(maxU, maxV), at(minU, maxV)], width: maxU - minU, height: maxV - minV };
    }
  }
  return best!;
}

export function polygonArea(poly: Point[]): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    s += a[0] * b[1] - b[0] * a[1];
  }
  return Math.abs(s) / 2;
}

export function polygonPerimeter(poly: Point[]): number {
  let s = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    s += Math.hypot(b[0] - a[0], b[1] - a[1]);
  }
  return s;
}

/**
 * Outward offset of a convex polygon by `d` with round joins: every edge moves out by d and every
 * vertex becomes an arc of radius d (`arcSteps` segments per 90°).
 */
export function offsetConvexPolygon(poly: Point[], d: number, arcSteps = 8): Point[] {
  const hull = convexHull(poly);
  if (hull.length === 0) return [];
  if (hull.length === 1 || d <= 0) {
    if (d <= 0) return hull;
  }
  const out: Point[] = [];
  const n = hull.length;
  // hull is CCW in y-up coordinates (monotone chain with the standard cross product): outward normal of
  // edge a→b is (dy, -dx)/len.
  const normal = (a: Point, b: Point): [number, number] => {
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
    return [(b[1] - a[1]) / len, -(b[0] - a[0]) / len];
  };
  for (let i = 0; i < n; i++) {
    const prev = hull[(i - 1 + n) % n]!;
    const cur = hull[i]!;
    const next = hull[(i + 1) % n]!;
    const n0 = n === 1 ? [1, 0] : normal(prev, cur);
    const n1 = n === 1 ? [1, 0] : normal(cur, next);
    let a0 = Math.atan2(n0[1]!, n0[0]!);
    let a1 = Math.atan2(n1[1]!, n1[0]!);
    if (n === 1) a1 = a0 + 2 * Math.PI;
    while (a1 < a0) a1 += 2 * Math.PI;
    const steps = Math.max(1, Math.ceil(((a1 - a0) / (Math.PI / 2)) * arcSteps));
    for (let s = 0; s <= steps; s++) {
      const a = a0 + ((a1 - a0) * s) / steps;
      out.push([cur[0] + d * Math.cos(a), cur[1] + d * Math.sin(a)]);
    }
  }
  return out;
}

/** Is (x, y) inside or on the convex polygon (any orientation)? */
export function inConvexPolygon(poly: Point[], x: number, y: number, eps = 1e-6): boolean {
  let sign = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    const c = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
    if (Math.abs(c) <= eps * len) continue;
    const s = c > 0 ? 1 : -1;
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}
