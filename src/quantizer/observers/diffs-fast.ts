/**
 * The `diffs` per-batch search (diffs.ts: the fp in [fp_maxabs, fp_maxabs + 5) with the least
 * squared fake-quantization error, ties → the smaller fp) computed from one pass over the tensor
 * instead of five.
 *
 * For activations (DPU_ROUND = floor(v + 0.5)) the values are binned on the grid w = 2^-(fp0+5),
 * half of the finest candidate's step: every rounding cell [(j − ½)/s, (j + ½)/s) of every candidate
 * s = 2^fp and every saturation threshold (127.5/s, −128.5/s) starts and ends on a bin edge, so all
 * values of one bin quantize to the same q at each candidate. With per-bin moments of d = x − edge
 * (count, Σd, Σd²), the error of a bin at a candidate is Σd² + 2·o·Σd + n·o² with o = edge − q/s —
 * algebraically the exact SSE; only the float summation order differs from the direct sum (relative
 * ~1e-15), so the chosen fp is the same unless two candidates are that close to a tie
 * (test/quantizer/observer-speed.test.ts checks equality on every PP-OCR det activation).
 *
 * Other rounding functions, or ranges the grid cannot hold (fix points clamped at FP_MIN/FP_MAX),
 * use the direct sum in one pass with five accumulators (bit-identical to the five-pass loop).
 */
import { DPU_ROUND, QMAX, QMIN, fpForMaxAbs, maxAbs, type RoundFn } from '../fixpoint.js';
/** Bins per sign: the range 2^(7−fp0) in steps of 2^-(fp0+5). */
const HALF = 1 << 12;
const NBINS = 2 * HALF + 2;
/** [count, Σd, Σd²] interleaved per bin; reused (stage code is single-threaded per instance). */
let scratch: Float64Array | undefined;

/** Squared error of every candidate fp0 … fp0+4, one pass, direct sums (any rounding). */
function directSse(x: Float32Array, fp0: number, nc: number, round: RoundFn): number[] {
  const s: number[] = [];
  const inv: number[] = [];
  for (let k = 0; k < nc; k++) {
    s.push(2 ** (fp0 + k));
    inv.push(2 ** -(fp0 + k));
  }
  const e = new Array<number>(nc).fill(0);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    for (let k = 0; k < nc; k++) {
      let q = round(v * s[k]);
      if (q < QMIN) q = QMIN;
      else if (q > QMAX) q = QMAX;
      const d = v - q * inv[k];
      e[k] += d * d;
    }
  }
  return e;
}

/** Squared error of every candidate from the binned moments (DPU_ROUND only). */
function binnedSse(x: Float32Array, fp0: number, nc: number): number[] {
  const h = scratch ?? (scratch = new Float64Array(3 * NBINS));
  h.fill(0);
  const sc = 2 ** (fp0 + 5);
  const w = 2 ** -(fp0 + 5);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const f = Math.floor(v * sc);
    const d = v - f * w;
    const b = 3 * (f + HALF);
    h[b] += 1;
    h[b + 1] += d;
    h[b + 2] += d * d;
  }
  const e = new Array<number>(nc).fill(0);
  for (let k = 0; k < nc; k++) {
    const s = 2 ** (fp0 + k);
    const inv = 2 ** -(fp0 + k);
    let sum = 0;
    for (let j = 0; j < NBINS; j++) {
      const n = h[3 * j];
      if (n === 0) continue;
      const edge = (j - HALF) * w;
      let q = Math.floor(edge * s + 0.5);
      if (q < QMIN) q = QMIN;
      else if (q > QMAX) q = QMAX;
      const o = edge - q * inv;
      sum += h[3 * j + 2] + 2 * o * h[3 * j + 1] + n * o * o;
    }
    e[k] = sum;
  }
  return e;
}

/**
 * Same result as `diffsFixPoint` (diffs.ts) with `candidates` fix points searched, in one pass over
 * `x` (two with the max |x| scan). The binned path needs candidates ≤ 5 (grid of fp0 + 5).
 */
export function diffsFixPointFast(x: Float32Array, round: RoundFn, candidates: number, tensor = 'tensor'): number {
  const m = maxAbs(x, tensor);
  const fp0 = fpForMaxAbs(m);
  // the grid holds |x| ≤ 2^(7−fp0) (a clamped fp0 may not) with cell edges of fp ≤ fp0 + 4
  const gridOk = round === DPU_ROUND && candidates <= 5 && m <= 2 ** (7 - fp0);
  const e = gridOk ? binnedSse(x, fp0, candidates) : directSse(x, fp0, candidates, round);
  let best = fp0;
  let bestErr = Infinity;
  for (let k = 0; k < candidates; k++) {
    if (e[k] < bestErr) {
      bestErr = e[k];
      best = fp0 + k;
    }
  }
  return best;
}
