/**
 * Power-of-two fix point helpers shared by all observers and passes.
 * value = q · 2^-fp, q = saturate8(round(value · 2^fp)). Rounding modes come from the
 * INT8 reference kernels (one named constant each): weights/bias STD_ROUND, activations DPU_ROUND.
 */
import { DPU_ROUND, STD_ROUND, type RoundFn } from '../kernels/ref/int8/arith.js';
import { QuantizeError } from '../errors.js';

export { DPU_ROUND, STD_ROUND };
export type { RoundFn };

/** Rounding of parameters (weights, bias): vai_q's STD_ROUND. */
export const PARAM_ROUND: RoundFn = STD_ROUND;
/** Rounding of activations and graph inputs: vai_q's DPU_ROUND. */
export const ACT_ROUND: RoundFn = DPU_ROUND;

export const QMIN = -128;
export const QMAX = 127;
/** Sanity range for any fix point we produce (far outside what real tensors need). */
export const FP_MIN = -16;
export const FP_MAX = 24;
/** Fix point given to an all-zero tensor (any value represents it exactly). */
export const FP_ZERO_TENSOR = 7;

export function clampFp(fp: number): number {
  return Math.max(FP_MIN, Math.min(FP_MAX, fp));
}

/** max |x| over the array; throws QuantizeError on NaN/Inf naming `tensor`. */
export function maxAbs(x: Float32Array, tensor = 'tensor'): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) {
      throw new QuantizeError('E_Q_NONFINITE', `tensor contains ${Number.isNaN(v) ? 'NaN' : 'Inf'} at element ${i}`, {
        where: tensor,
        fix: 'check the model weights / the calibration inputs (normalisation, corrupt file); the quantizer cannot pick a fix point for non-finite values',
      });
    }
    const a = v < 0 ? -v : v;
    if (a > m) m = a;
  }
  return m;
}

/**
 * vai_q's "no clipping" fix point for a max |x|: fp = 7 − ceil(log2(maxabs)), so 2^(7−fp) ≥ maxabs.
 * All-zero tensors get FP_ZERO_TENSOR.
 */
export function fpForMaxAbs(m: number): number {
  if (!(m > 0)) return FP_ZERO_TENSOR;
  return clampFp(7 - Math.ceil(Math.log2(m)));
}

/** Largest fp whose range covers |x| ≤ t without clipping beyond rounding: fp = floor(log2(127.5 / t)). */
export function fpForThreshold(t: number): number {
  if (!(t > 0)) return FP_ZERO_TENSOR;
  return clampFp(Math.floor(Math.log2(127.5 / t)));
}

/** Fake-quantize one value. */
export function fakeQuantValue(v: number, fp: number, round: RoundFn): number {
  const s = 2 ** fp;
  let q = round(v * s);
  if (q < QMIN) q = QMIN;
  else if (q > QMAX) q = QMAX;
  return q / s;
}

/** Fake-quantize an array: saturate8(round(x·2^fp))·2^-fp, as float32 (exact). */
export function fakeQuant(x: Float32Array, fp: number, round: RoundFn): Float32Array {
  const out = new Float32Array(x.length);
  const s = 2 ** fp;
  const inv = 2 ** -fp;
  for (let i = 0; i < x.length; i++) {
    let q = round(x[i] * s);
    if (q < QMIN) q = QMIN;
    else if (q > QMAX) q = QMAX;
    out[i] = q * inv;
  }
  return out;
}

/** Sum of squared errors between x and its fake-quantized version at fp. */
export function quantSse(x: Float32Array, fp: number, round: RoundFn): number {
  const s = 2 ** fp;
  const inv = 2 ** -fp;
  let e = 0;
  for (let i = 0; i < x.length; i++) {
    let q = round(x[i] * s);
    if (q < QMIN) q = QMIN;
    else if (q > QMAX) q = QMAX;
    const d = x[i] - q * inv;
    e += d * d;
  }
  return e;
}

/** Fraction of elements that saturate at fp. */
export function clipRate(x: Float32Array, fp: number, round: RoundFn): number {
  if (x.length === 0) return 0;
  const s = 2 ** fp;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    const q = round(x[i] * s);
    if (q < QMIN || q > QMAX) n++;
  }
  return n / x.length;
}
