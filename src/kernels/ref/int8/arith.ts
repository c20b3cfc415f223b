/**
 * DPU integer arithmetic primitives: the rounding modes, saturation, shifts and the
 * float <-> fixed-point conversions. Every other INT8 kernel is built from these.
 * See docs/dpu-arithmetic.md for the rules with worked examples.
 *
 * Exactness: all values here are integers (or integers times powers of two) held in JS
 * numbers. Multiplying/dividing by a power of two is exact in IEEE-754, so
 * `Math.floor(acc / 2^s + 0.5)` is exact whenever |acc| + 2^(s-1) < 2^53. The kernels keep
 * |acc| < 2^40 and |shift| <= 48 (checked by `shiftRound`), far inside that bound.
 */
import { QuantizeError } from '../../../errors.js';

/** A rounding function: real -> integer. */
export type RoundFn = (x: number) => number;

/** DPU_ROUND: round half toward +inf, `floor(x + 0.5)` (+2.5 -> 3, -2.5 -> -2, -0.5 -> 0). */
export function dpuRound(x: number): number {
  return Math.floor(x + 0.5);
}

/** STD_ROUND: C++ `std::round`, half away from zero (+2.5 -> 3, -2.5 -> -3, -0.5 -> -1). */
export function stdRound(x: number): number {
  const r = x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
  return r === 0 ? 0 : r; // no -0
}

/** PY3_ROUND: Python 3 `round`, half to even (+2.5 -> 2, -2.5 -> -2, +0.5 -> 0, 1.5 -> 2). */
export function py3Round(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * THE rounding choices, in one place. They are those of vai_q_pytorch (Xilinx/Vitis-AI,
 * src/vai_quantizer/vai_q_pytorch): `torchquantizer.py` quantizes activations with fix-neuron
 * method 2 and parameters (weights, bias) with method 3; `include/cpu/nndct_fix_kernels_cpu.h`
 * defines method 2 as "half_up" (std::round, except negative .5 ties go to ceil = floor(x+0.5))
 * and method 3 as std::round. PY3_ROUND is used only where vai_q uses Python's round (the
 * avgpool reciprocal search).
 */
export const DPU_ROUNDING = {
  /** Activations, the DPU's output shifts, graph inputs at float->fixed boundaries. */
  activation: dpuRound,
  /** Weights and biases when the quantizer rounds them (STD_ROUND). */
  param: stdRound,
  /** Python-side integer choices in vai_q (avgpool multiplier search). */
  python: py3Round,
} as const;

/** Alias: the DPU's activation/output rounding. */
export const DPU_ROUND: RoundFn = DPU_ROUNDING.activation;
/** Alias: weight/bias rounding. */
export const STD_ROUND: RoundFn = DPU_ROUNDING.param;
/** Alias: Python 3 rounding. */
export const PY3_ROUND: RoundFn = DPU_ROUNDING.python;

export const INT8_MIN = -128;
export const INT8_MAX = 127;

/** Saturate an integer to [-128, 127]. */
export function saturate8(v: number): number {
  return v < INT8_MIN ? INT8_MIN : v > INT8_MAX ? INT8_MAX : v;
}

/** Largest |shift| that `shiftRound` accepts (keeps the floating arithmetic exact). */
export const MAX_ABS_SHIFT = 48;

/**
 * `DPU_ROUND(acc / 2^shift)` for an integer `acc`, exact.
 * shift > 0: arithmetic right shift with round-half-up (`floor((acc + 2^(shift-1)) / 2^shift)`).
 * shift = 0: acc. shift < 0: left shift, `acc * 2^-shift` (no rounding needed).
 */
export function shiftRound(acc: number, shift: number): number {
  if (shift === 0) return acc;
  if (shift > 0) return Math.floor(acc / 2 ** shift + 0.5);
  return acc * 2 ** -shift;
}

/** `saturate8(shiftRound(acc, shift))`: the DPU's output stage. */
export function shiftRoundSat(acc: number, shift: number): number {
  return saturate8(shiftRound(acc, shift));
}

/** Throws unless |shift| is within what shiftRound handles exactly. */
export function checkShift(shift: number, where: string): void {
  if (!Number.isInteger(shift) || Math.abs(shift) > MAX_ABS_SHIFT) {
    throw new QuantizeError('E_Q_SHIFT_RANGE', `shift ${shift} is not an integer in [-${MAX_ABS_SHIFT}, ${MAX_ABS_SHIFT}]`, {
      where,
      fix: 'fix points of this op are far apart; check the quantizer output for this tensor',
    });
  }
}

/**
 * `DPU_ROUND(num / den)` for integers num and den > 0, exact for |num|, den < 2^51
 * (`floor((2·num + den) / (2·den))` in integer arithmetic). Used where a divisor is not a
 * power of two (bilinear resize weights).
 */
export function roundDivHalfUp(num: number, den: number): number {
  const n = 2 * num + den;
  const d = 2 * den;
  // floor division of integers, exact: q = trunc(n/d) corrected for negatives.
  let q = Math.trunc(n / d);
  if (q * d > n) q -= 1;
  else if ((q + 1) * d <= n) q += 1;
  return q;
}

/** Float -> int8 at fix point `fp`: `saturate8(round(x · 2^fp))` (DPU_ROUND by default). */
export function quantizeValue(x: number, fp: number, round: RoundFn = DPU_ROUND): number {
  return saturate8(round(x * 2 ** fp));
}

/** int8 -> float at fix point `fp`: `q · 2^-fp` (exact). */
export function dequantizeValue(q: number, fp: number): number {
  return q * 2 ** -fp;
}

/** Quantize a float array (DPU_ROUND unless `round` says otherwise). NaN quantizes to 0. */
export function quantize(x: ArrayLike<number>, fp: number, round: RoundFn = DPU_ROUND): Int8Array {
  const out = new Int8Array(x.length);
  const s = 2 ** fp;
  if (round === dpuRound) {
    // the same arithmetic with dpuRound inlined (graph inputs every frame): NaN → 0, saturation by compare
    for (let i = 0; i < x.length; i++) {
      const r = Math.floor(x[i] * s + 0.5);
      out[i] = r >= 127 ? 127 : r <= -128 ? -128 : r === r ? r : 0;
    }
    return out;
  }
  for (let i = 0; i < x.length; i++) {
    const v = x[i] * s;
    out[i] = Number.isNaN(v) ? 0 : saturate8(round(v));
  }
  return out;
}

/** Dequantize int8 values at fix point `fp` to float32. */
export function dequantize(q: ArrayLike<number>, fp: number): Float32Array {
  const out = new Float32Array(q.length);
  const s = 2 ** -fp;
  for (let i = 0; i < q.length; i++) out[i] = q[i] * s;
  return out;
}

/** Re-quantize int8 `q` from fix point `fpIn` to `fpOut`: `saturate8(shiftRound(q, fpIn - fpOut))`. */
export function requantize(q: Int8Array, fpIn: number, fpOut: number, where = 'requantize'): Int8Array {
  if (fpIn === fpOut) return q.slice();
  const s = fpIn - fpOut;
  checkShift(s, where);
  const out = new Int8Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = shiftRoundSat(q[i], s);
  return out;
}
