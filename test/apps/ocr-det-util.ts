/**
 * Helpers of the INT8-det OCR measurements (issue 8: ocr-det-int8.test.ts on the 5-image proof, ocr-det-recipe.test.ts
 * on the development set): how the boxes DB post-processing finds on an INT8 det map differ from those on FP32's map,
 * and how the maps differ.
 */
import type { TextBox } from '../../src/apps/ocr/db.js';
import { boxIoU } from '../../src/apps/demo/report.js';

const bounds = (b: TextBox['points']): number[] => {
  const xs = b.map((p) => p[0]), ys = b.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
};

export interface BoxStats { fp32: number; int8: number; missing: number; extra: number; ious: number[]; edge: number[] }

/** Pairs every FP32 box with the unpaired INT8 box of highest IoU (≥ 0.5); edge = the largest move of the four axis-aligned bounds, image px. */
export function compareBoxes(a: TextBox[], b: TextBox[]): BoxStats {
  const used = new Set<number>();
  const s: BoxStats = { fp32: a.length, int8: b.length, missing: 0, extra: 0, ious: [], edge: [] };
  for (const ra of a) {
    let best = -1, bi = 0.5;
    b.forEach((rb, k) => { if (!used.has(k)) { const v = boxIoU(ra.points, rb.points); if (v >= bi) { bi = v; best = k; } } });
    if (best < 0) { s.missing++; continue; }
    used.add(best);
    s.ious.push(bi);
    const x = bounds(ra.points), y = bounds(b[best]!.points);
    s.edge.push(Math.max(...x.map((v, i) => Math.abs(v - y[i]!))));
  }
  s.extra = b.length - used.size;
  return s;
}

/** The q-quantile (lower) of a list; NaN when empty. */
export const pct = (a: number[], q: number): number => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN; };

export interface MapStats { flips: number; pixels: number; near: number; nearSq: number }

/** Pixels whose p > 0.3 binarization differs, and the squared logit error where FP32's p is near the threshold (0.12–0.54). */
export function compareMaps(mf: Float32Array, mq: Float32Array): MapStats {
  const logit = (p: number): number => { const c = Math.min(Math.max(p, 1e-6), 1 - 1e-6); return Math.log(c / (1 - c)); };
  let flips = 0, near = 0, nearSq = 0;
  for (let i = 0; i < mf.length; i++) {
    if ((mf[i]! > 0.3) !== (mq[i]! > 0.3)) flips++;
    if (mf[i]! > 0.12 && mf[i]! < 0.54) { near++; nearSq += (logit(mf[i]!) - logit(mq[i]!)) ** 2; }
  }
  return { flips, pixels: mf.length, near, nearSq };
}
