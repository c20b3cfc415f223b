/**
 * The `diffs` per-batch search (diffs.ts: the fp in [fp_maxabs, fp_maxabs + 5) with the least
 * squared fake-quantization error, ties → the smaller fp) computed from one pass over the tensor
 * instead of five.
 *
 * For activations (DPU_ROUND = floor(v + 0.5)) the values are binned on the grid w = 2^-(fp0+5),
 * half of the finest candidate's step: every rounding cell [(j − ½)/s, (j + ½)/s) of every candidate
 * s = 2^fp and every saturation threshold (127.5/s, −128.5/s) starts and ends on a bin edge, so all
 * values of one bin quantize to the same q at each candidate. With per-bin moments of d = x − edge
 * (count, Σd) and the tensor's Σd², the error at a candidate is Σd² + Σ_bins (2·o·Σd + n·o²) with
 * o = edge − q/s — algebraically the exact SSE; only the float summation order differs from the
 * direct sum (relative ~1e-15), so the chosen fp is the same unless two candidates are that close to
 * a tie (test/quantizer/speed.test.ts checks equality on every PP-OCRv4 det activation of real crops).
 *
 * The loops run in WebAssembly (src/kernels/ref/float/wasm/stats.ts; the same f64 operations in the
 * same order as binnedSse here) when available, else here. Other rounding functions, or ranges the
 * grid cannot hold (fix points clamped at FP_MIN/FP_MAX), use the direct sum in one pass with
 * `candidates` accumulators (bit-identical to the five-pass loop).
 */
import { DPU_ROUND, QMAX, QMIN, fpForMaxAbs, maxAbs, type RoundFn } from '../fixpoint.js';
import { DIFFS_HALF, diffsBinnedSseWasm, maxAbsWasm } from '../../kernels/ref/float/wasm/stats.js';
/** Bins per sign: the range 2^(7−fp0) in steps of 2^-(fp0+5). */
const HALF = DIFFS_HALF;
const NBINS = 2 * HALF + 2;
/** Two histogram copies (even / odd elements) of [count, Σd] per bin; reused (single-threaded). */
let scratch: Float64Array | undefined;

/** Squared error of every candidate fp0 … fp0+nc−1, one pass, direct sums (any rounding). */
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

/**
 * Squared error of every candidate fp0 − below … fp0 + nc − 1 from the binned moments (DPU_ROUND only): the same
 * operations in the same order as the WebAssembly diffshist/diffssse (assembly/float/kernels.ts).
 */
function binnedSse(x: Float32Array, fp0: number, nc: number, below = 0): number[] {
  const h = scratch ?? (scratch = new Float64Array(4 * NBINS));
  h.fill(0);
  const c1 = 2 * NBINS;
  const sc = 2 ** (fp0 + 5);
  const w = 2 ** -(fp0 + 5);
  let q0 = 0;
  let q1 = 0;
  let i = 0;
  for (; i + 2 <= x.length; i += 2) {
    const v0 = x[i];
    const v1 = x[i + 1];
    const f0 = Math.floor(v0 * sc);
    const f1 = Math.floor(v1 * sc);
    const d0 = v0 - f0 * w;
    const d1 = v1 - f1 * w;
    const b0 = 2 * (f0 + HALF);
    const b1 = c1 + 2 * (f1 + HALF);
    h[b0] += 1;
    h[b0 + 1] += d0;
    h[b1] += 1;
    h[b1 + 1] += d1;
    q0 += d0 * d0;
    q1 += d1 * d1;
  }
  if (i < x.length) {
    const v0 = x[i];
    const f0 = Math.floor(v0 * sc);
    const d0 = v0 - f0 * w;
    const b0 = 2 * (f0 + HALF);
    h[b0] += 1;
    h[b0 + 1] += d0;
    q0 += d0 * d0;
  }
  const d2 = q0 + q1;
  const e = new Array<number>(below + nc).fill(0);
  for (let k = -below; k < nc; k++) {
    const s = 2 ** (fp0 + k);
    const inv = 2 ** -(fp0 + k);
    let sum = 0;
    for (let j = 0; j < NBINS; j++) {
      const n = h[2 * j] + h[c1 + 2 * j];
      if (n === 0) continue;
      const sd = h[2 * j + 1] + h[c1 + 2 * j + 1];
      const edge = (j - HALF) * w;
      let q = Math.floor(edge * s + 0.5);
      if (q < QMIN) q = QMIN;
      else if (q > QMAX) q = QMAX;
      const o = edge - q * inv;
      sum += 2 * o * sd + n * o * o;
    }
    e[k + below] = d2 + sum;
  }
  return e;
}

/**
 * Same result as `diffsFixPoint` (diffs.ts) with `candidates` fix points searched, in one pass over
 * `x` (two with the max |x| scan). The binned path needs candidates ≤ 5 (grid of fp0 + 5).
 */
export function diffsFixPointFast(x: Float32Array, round: RoundFn, candidates: number, tensor = 'tensor'): number {
  let e: number[] | null = null;
  let fp0: number;
  const wasm = round === DPU_ROUND ? diffsBinnedSseWasm(x, fpForMaxAbs, candidates) : null;
  if (wasm) {
    if (!Number.isFinite(wasm.m)) maxAbs(x, tensor); // throws the QuantizeError naming the element
    fp0 = wasm.fp0;
    e = wasm.sse;
  } else fp0 = fpForMaxAbs(maxAbs(x, tensor));
  if (!e) {
    // the grid holds |x| ≤ 2^(7−fp0) (a clamped fp0 may not) with cell edges of fp ≤ fp0 + 4
    const gridOk = round === DPU_ROUND && candidates <= 5 && (wasm ? wasm.m : maxAbs(x, tensor)) <= 2 ** (7 - fp0);
    e = gridOk ? binnedSse(x, fp0, candidates) : directSse(x, fp0, candidates, round);
  }
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

/** max |x| like fixpoint.ts `maxAbs` (the same QuantizeError for NaN/Inf), by SIMD for large arrays. */
export function maxAbsChecked(x: Float32Array, tensor = 'tensor'): number {
  if (x.length >= 1024) {
    const m = maxAbsWasm(x);
    if (m !== null && Number.isFinite(m)) return m;
  }
  return maxAbs(x, tensor);
}

/**
 * The squared fake-quantization error of x at every fix point fpLo … fpLo + sse.length − 1, where fpLo = fp_maxabs −
 * `below` (coarser steps, no clipping) and the last is fp_maxabs + candidates − 1 (the diffs window, candidates ≤ 5):
 * one pass, the same sums as the per-batch search. For pooling batches (DiffsObserver's 'pooled' rule).
 */
export function diffsSseTable(x: Float32Array, round: RoundFn, candidates: number, below: number, tensor = 'tensor'): { fpLo: number; sse: number[] } {
  const nc = candidates;
  const wasm = round === DPU_ROUND ? diffsBinnedSseWasm(x, fpForMaxAbs, nc, below) : null;
  if (wasm) {
    if (!Number.isFinite(wasm.m)) maxAbs(x, tensor);
    if (wasm.sse) return { fpLo: wasm.fp0 - below, sse: wasm.sse };
  }
  const m = maxAbs(x, tensor);
  const fp0 = fpForMaxAbs(m);
  const gridOk = round === DPU_ROUND && nc <= 5 && m <= 2 ** (7 - fp0);
  return { fpLo: fp0 - below, sse: gridOk ? binnedSse(x, fp0, nc, below) : directSse(x, fp0 - below, below + nc, round) };
}
