/**
 * Pooling on NHWC int8.
 * maxpool: max over the window (padding ignored), then re-quantized to the output fix point.
 * avgpool: integer window sum S, then y = saturate8(DPU_ROUND(S · m / 2^(s + fi − fo))) where
 * m / 2^s is the DPU's fixed-point reciprocal of the window size (`avgpoolReciprocal`).
 */
import { PY3_ROUND, checkShift, saturate8, shiftRound } from './arith.js';
import { type QTensor, qerr } from './common.js';

/** A reciprocal as multiplier / 2^shift. */
export interface Reciprocal {
  mult: number;
  shift: number;
}

/**
 * The DPU's approximation of 1/(kh·kw), as vai_q's `DPUAvgPool2d` / xir converter define it
 * (pytorch_nndct avgpool "scale to DPU accuracy"):
 *   3×3 → 7/64, 5×5 → 10/256, 6×6 → 7/256, 3×6 and 6×3 → 14/256 (vai_q's scale 36·7/256
 *   applied to an 18-element mean), 7×7 → 21/1024, 14×14 → 21/4096;
 * any other window of N = kh·kw elements: for s = 0 … ceil(log2(128·N)) − 1 take
 * f = PY3_ROUND(2^s / N) and keep the first s with the strictly smallest |f/2^s − 1/N|
 * (powers of two come out exact: 1/4 = 1/2^2). Global pools use the input's H×W as the window.
 */
export function avgpoolReciprocal(kh: number, kw: number): Reciprocal {
  const key = `${kh}x${kw}`;
  switch (key) {
    case '3x3': return { mult: 7, shift: 6 };
    case '5x5': return { mult: 10, shift: 8 };
    case '6x6': return { mult: 7, shift: 8 };
    case '3x6':
    case '6x3': return { mult: 14, shift: 8 };
    case '7x7': return { mult: 21, shift: 10 };
    case '14x14': return { mult: 21, shift: 12 };
    default: return reciprocalSearch(kh * kw);
  }
}

/** vai_q's generic reciprocal search for an N-element window (see avgpoolReciprocal). */
export function reciprocalSearch(n: number): Reciprocal {
  const maxFactor = Math.ceil(Math.log2(n * 128));
  let diff = 1.0;
  let mult = 0;
  let shift = 0;
  for (let s = 0; s < maxFactor; s++) {
    const f = PY3_ROUND(2 ** s / n);
    const d = Math.abs(f / 2 ** s - 1 / n);
    if (d < diff) {
      mult = f;
      diff = d;
      shift = s;
    }
  }
  return { mult, shift };
}

export interface PoolParams {
  /** [w, h] */
  kernel: number[];
  stride: number[];
  /** [left, right, top, bottom] */
  pad: number[];
  global: boolean;
  countIncludePad?: boolean;
  fpOut: number;
  where: string;
}

function geometry(x: QTensor, p: PoolParams) {
  if (x.shape.length !== 4) throw qerr('E_Q_SHAPE', `input must be NHWC 4-D, got [${x.shape}]`, p.where);
  const [n, h, w, c] = x.shape;
  if (p.global) return { n, h, w, c, kh: h, kw: w, sh: 1, sw: 1, pl: 0, pt: 0, oh: 1, ow: 1 };
  const [kw, kh] = p.kernel;
  const [sw, sh] = p.stride;
  const [pl, pr, pt, pb] = p.pad;
  const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
  const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
  return { n, h, w, c, kh, kw, sh, sw, pl, pt, oh, ow };
}

export function maxpool2dInt8(x: QTensor, p: PoolParams): QTensor {
  const g = geometry(x, p);
  const s = x.fixPoint - p.fpOut;
  checkShift(s, p.where);
  const out = new Int8Array(g.n * g.oh * g.ow * g.c);
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let ch = 0; ch < g.c; ch++) {
          let m = -Infinity;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.sh - g.pt + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.sw - g.pl + kx;
              if (ix < 0 || ix >= g.w) continue;
              const v = x.data[((b * g.h + iy) * g.w + ix) * g.c + ch];
              if (v > m) m = v;
            }
          }
          if (m === -Infinity) throw qerr('E_Q_POOL_EMPTY', 'a pooling window lies entirely in the padding', p.where);
          out[((b * g.oh + oy) * g.ow + ox) * g.c + ch] = saturate8(shiftRound(m, s));
        }
  return { shape: [g.n, g.oh, g.ow, g.c], data: out, fixPoint: p.fpOut };
}

/**
 * avgpool. The divisor is the full window (kh·kw) — padding counts as zeros — which is what the
 * DPU does. With count_include_pad = false, a window that overlaps the padding uses the
 * reciprocal of its number of valid elements (generic rule); a DPU compiler must either keep
 * such a pool on the CPU or pad explicitly.
 */
export function avgpool2dInt8(x: QTensor, p: PoolParams): QTensor {
  const g = geometry(x, p);
  const full = avgpoolReciprocal(g.kh, g.kw);
  const include = p.countIncludePad ?? true;
  const out = new Int8Array(g.n * g.oh * g.ow * g.c);
  const cache = new Map<number, Reciprocal>();
  for (let b = 0; b < g.n; b++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++)
        for (let ch = 0; ch < g.c; ch++) {
          let sum = 0;
          let cnt = 0;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.sh - g.pt + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.sw - g.pl + kx;
              if (ix < 0 || ix >= g.w) continue;
              sum += x.data[((b * g.h + iy) * g.w + ix) * g.c + ch];
              cnt++;
            }
          }
          let r = full;
          if (!include && cnt !== g.kh * g.kw) {
            if (cnt === 0) throw qerr('E_Q_POOL_EMPTY', 'a pooling window lies entirely in the padding', p.where);
            let c = cache.get(cnt);
            if (!c) cache.set(cnt, (c = reciprocalSearch(cnt)));
            r = c;
          }
          const s = r.shift + x.fixPoint - p.fpOut;
          out[((b * g.oh + oy) * g.ow + ox) * g.c + ch] = saturate8(shiftRound(sum * r.mult, s));
        }
  return { shape: [g.n, g.oh, g.ow, g.c], data: out, fixPoint: p.fpOut };
}
