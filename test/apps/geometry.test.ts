// minAreaRect (rotating calipers) against hand-computed rectangles and an independent brute force: the minimum-area
// enclosing rectangle has a side along the direction of some pair of input points (a hull edge), so the least
// (extent along d) × (extent across d) over every pair's direction d is the answer, with no hull involved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minAreaRect } from '../../src/apps/geometry.js';
import type { Point } from '../../src/apps/image/image.js';

function bruteArea(pts: Point[]): number {
  let best = Infinity;
  for (const a of pts) for (const b of pts) {
    const len = Math.sqrt((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2);
    if (len === 0) continue;
    const ux = (b[0] - a[0]) / len, uy = (b[1] - a[1]) / len;
    const us = pts.map((q) => q[0] * ux + q[1] * uy), vs = pts.map((q) => -q[0] * uy + q[1] * ux);
    best = Math.min(best, (Math.max(...us) - Math.min(...us)) * (Math.max(...vs) - Math.min(...vs)));
  }
  return best === Infinity ? 0 : best;
}

test('minAreaRect: hand-computed rectangles (right triangle, rotated square, segment, one point, repeated point)', () => {
  // 3-4-5 right triangle: the legs' box, 3 × 4
  const t = minAreaRect([[0, 0], [3, 0], [0, 4]]);
  assert.ok(Math.abs(t.width * t.height - 12) < 1e-9, `${t.width}×${t.height}`);
  // a square rotated 30° with side 2: 2 × 2, corners are the square's
  const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
  const sq: Point[] = [[0, 0], [2 * c, 2 * s], [2 * c - 2 * s, 2 * s + 2 * c], [-2 * s, 2 * c]];
  const r = minAreaRect([...sq, [c - s, s + c]]);
  assert.ok(Math.abs(r.width - 2) < 1e-9 && Math.abs(r.height - 2) < 1e-9);
  for (const q of sq) assert.ok(r.corners.some((k) => Math.hypot(k[0] - q[0], k[1] - q[1]) < 1e-9), `corner ${q}`);
  // collinear points: the segment, length 5 and width 0
  const seg = minAreaRect([[1, 1], [4, 5], [2.5, 3], [1, 1]]);
  assert.ok(Math.abs(Math.max(seg.width, seg.height) - 5) < 1e-9 && Math.min(seg.width, seg.height) < 1e-12);
  // one point, or the same point repeated: a zero rectangle at it
  for (const pts of [[[7, 8]], [[7, 8], [7, 8]], [[7, 8], [7, 8], [7, 8]]] as Point[][]) {
    const z = minAreaRect(pts);
    assert.deepEqual(z, { corners: [[7, 8], [7, 8], [7, 8], [7, 8]], width: 0, height: 0 });
  }
  assert.deepEqual(minAreaRect([]), { corners: [[0, 0], [0, 0], [0, 0], [0, 0]], width: 0, height: 0 });
});

test('minAreaRect = brute force over every point pair on random float and integer point sets; every point inside', () => {
  let seed = 99;
  const rnd = (): number => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 2 ** 32; };
  for (let t = 0; t < 400; t++) {
    const m = 1 + Math.floor(rnd() * 30);
    const int = t % 2 === 0;
    const pts: Point[] = Array.from({ length: m }, () => (int ? [Math.floor(rnd() * 12), Math.floor(rnd() * 6)] : [rnd() * 200 - 100, rnd() * 50]));
    const r = minAreaRect(pts);
    const want = bruteArea(pts);
    assert.ok(Math.abs(r.width * r.height - want) <= 1e-9 * Math.max(1, want), `case ${t}: ${r.width * r.height} vs ${want}`);
    // the corners form a rectangle of those sides that holds every point
    const [a, b, , d] = r.corners as [Point, Point, Point, Point];
    const w = Math.hypot(b[0] - a[0], b[1] - a[1]), h = Math.hypot(d[0] - a[0], d[1] - a[1]);
    assert.ok(Math.abs(w - r.width) < 1e-6 && Math.abs(h - r.height) < 1e-6);
    const ex: Point = w > 0 ? [(b[0] - a[0]) / w, (b[1] - a[1]) / w] : [1, 0];
    const ey: Point = [-ex[1], ex[0]];
    for (const q of pts) {
      const u = (q[0] - a[0]) * ex[0] + (q[1] - a[1]) * ex[1], v = (q[0] - a[0]) * ey[0] + (q[1] - a[1]) * ey[1];
      assert.ok(u >= -1e-6 && u <= w + 1e-6 && v >= -1e-6 && v <= h + 1e-6, `case ${t}: point ${q} outside`);
    }
  }
});
