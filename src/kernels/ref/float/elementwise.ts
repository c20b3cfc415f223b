/** Element-wise float kernels: unary activations/math and numpy-broadcasting binary ops. */
import type { Attrs, Op, TensorValue } from '../../../ir/types.js';
import { attrNum, broadcastShapes, broadcastStrides, fail, numel, tensor } from './util.js';

// ───────────────────────── erf ─────────────────────────

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;

/**
 * erf in double precision: Maclaurin series for |x| < 3 (alternating, ≤ 60 terms, error ~1e-15),
 * Laplace continued fraction of erfc for |x| ≥ 3. Accurate far beyond 1e-7.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    const x2 = x * x;
    let term = x; // x^(2n+1) (-1)^n / n!
    let sum = x;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = (Math.exp(-ax * ax) * ONE_OVER_SQRT_PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}

// ───────────────────────── unary ─────────────────────────

export type UnaryFn = (x: number) => number;

export function unary(fn: UnaryFn): (inputs: TensorValue[]) => TensorValue {
  return (inputs) => {
    const x = inputs[0]!;
    const out = tensor([...x.shape]);
    const a = x.data, o = out.data;
    const n = a.length;
    // Fast paths: the hot activations as tight monomorphic loops (no per-element call).
    if (fn === relu) { for (let i = 0; i < n; i++) { const v = a[i]!; o[i] = v < 0 ? 0 : v; } return out; }
    if (fn === relu6) { for (let i = 0; i < n; i++) { const v = a[i]!; o[i] = v < 0 ? 0 : v > 6 ? 6 : v; } return out; }
    if (fn === hardSwish) { for (let i = 0; i < n; i++) { const v = a[i]!, w = v + 3; o[i] = (v * (w < 0 ? 0 : w > 6 ? 6 : w)) / 6; } return out; }
    for (let i = 0; i < n; i++) o[i] = fn(a[i]!);
    return out;
  };
}

export const relu: UnaryFn = (x) => (x < 0 ? 0 : x);
export const relu6: UnaryFn = (x) => (x < 0 ? 0 : x > 6 ? 6 : x);
/** Stable logistic: never computes exp of a large positive number. */
export const sigmoid: UnaryFn = (x) => {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
};
export const hardSwish: UnaryFn = (x) => { const v = x + 3; return (x * (v < 0 ? 0 : v > 6 ? 6 : v)) / 6; };

export function leakyRelu(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const a = attrNum(attrs, 'alpha', 0.01, op);
  return unary((x) => (x < 0 ? x * a : x))(inputs);
}
export function hardSigmoid(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const a = attrNum(attrs, 'alpha', 0.2, op);
  const b = attrNum(attrs, 'beta', 0.5, op);
  return unary((x) => { const v = a * x + b; return v < 0 ? 0 : v > 1 ? 1 : v; })(inputs);
}
export function clamp(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const lo = attrNum(attrs, 'min', -Infinity, op);
  const hi = attrNum(attrs, 'max', Infinity, op);
  // ONNX Clip: min first then max → if min > max, result is max.
  return unary((x) => { const v = x < lo ? lo : x; return v > hi ? hi : v; })(inputs);
}

// ───────────────────────── binary (numpy broadcast) ─────────────────────────

export type BinaryFn = (a: number, b: number) => number;

export function binaryShape(a: readonly number[], b: readonly number[], op?: Op): number[] {
  const s = broadcastShapes(a, b);
  if (!s) fail(op, 'E_BROADCAST', `shapes ${JSON.stringify(a)} and ${JSON.stringify(b)} do not broadcast`, 'check the operand shapes (numpy broadcasting: trailing dims equal or 1)');
  return s;
}

type Arith = '+' | '-' | '*' | '/';

/**
 * Tight loops for + − × ÷ in the common broadcast shapes: same shape, scalar either side, and a
 * per-channel (last-axis) vector either side. Returns false for other shapes. Same float64
 * arithmetic rounded to float32 as the generic path, so results are bit-identical.
 */
function arithFast(k: Arith, a: Float32Array, b: Float32Array, o: Float32Array, aLast: number, bLast: number, last: number): boolean {
  const n = o.length;
  if (a.length === n && b.length === n) {
    switch (k) {
      case '+': for (let i = 0; i < n; i++) o[i] = a[i]! + b[i]!; return true;
      case '-': for (let i = 0; i < n; i++) o[i] = a[i]! - b[i]!; return true;
      case '*': for (let i = 0; i < n; i++) o[i] = a[i]! * b[i]!; return true;
      case '/': for (let i = 0; i < n; i++) o[i] = a[i]! / b[i]!; return true;
    }
  }
  if (a.length === n && b.length === 1) {
    const v = b[0]!;
    switch (k) {
      case '+': for (let i = 0; i < n; i++) o[i] = a[i]! + v; return true;
      case '-': for (let i = 0; i < n; i++) o[i] = a[i]! - v; return true;
      case '*': for (let i = 0; i < n; i++) o[i] = a[i]! * v; return true;
      case '/': for (let i = 0; i < n; i++) o[i] = a[i]! / v; return true;
    }
  }
  if (b.length === n && a.length === 1) {
    const v = a[0]!;
    switch (k) {
      case '+': for (let i = 0; i < n; i++) o[i] = v + b[i]!; return true;
      case '-': for (let i = 0; i < n; i++) o[i] = v - b[i]!; return true;
      case '*': for (let i = 0; i < n; i++) o[i] = v * b[i]!; return true;
      case '/': for (let i = 0; i < n; i++) o[i] = v / b[i]!; return true;
    }
  }
  const C = last;
  if (a.length === n && b.length === C && bLast === C) {
    switch (k) {
      case '+': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[i + c]! + b[c]!; return true;
      case '-': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[i + c]! - b[c]!; return true;
      case '*': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[i + c]! * b[c]!; return true;
      case '/': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[i + c]! / b[c]!; return true;
    }
  }
  if (b.length === n && a.length === C && aLast === C) {
    switch (k) {
      case '+': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[c]! + b[i + c]!; return true;
      case '-': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[c]! - b[i + c]!; return true;
      case '*': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[c]! * b[i + c]!; return true;
      case '/': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[c]! / b[i + c]!; return true;
    }
  }
  return false;
}

export function binary(fn: BinaryFn, arith?: Arith): (inputs: TensorValue[], attrs: Attrs, op?: Op) => TensorValue {
  return (inputs, _attrs, op) => {
    const A = inputs[0]!, B = inputs[1]!;
    const shape = binaryShape(A.shape, B.shape, op);
    const out = tensor(shape);
    const o = out.data, a = A.data, b = B.data;
    const n = o.length;
    if (arith && arithFast(arith, a, b, o, A.shape[A.shape.length - 1] ?? 1, B.shape[B.shape.length - 1] ?? 1, shape[shape.length - 1] ?? 1)) return out;
    if (a.length === n && b.length === n) { for (let i = 0; i < n; i++) o[i] = fn(a[i]!, b[i]!); return out; }
    if (b.length === 1 && a.length === n) { const bv = b[0]!; for (let i = 0; i < n; i++) o[i] = fn(a[i]!, bv); return out; }
    if (a.length === 1 && b.length === n) { const av = a[0]!; for (let i = 0; i < n; i++) o[i] = fn(av, b[i]!); return out; }
    const last = shape[shape.length - 1] ?? 1;
    // b is a per-channel (last axis) vector, a full
    if (a.length === n && b.length === last && B.shape[B.shape.length - 1] === last) {
      for (let i = 0; i < n; i += last) for (let c = 0; c < last; c++) o[i + c] = fn(a[i + c]!, b[c]!);
      return out;
    }
    if (b.length === n && a.length === last && A.shape[A.shape.length - 1] === last) {
      for (let i = 0; i < n; i += last) for (let c = 0; c < last; c++) o[i + c] = fn(a[c]!, b[i + c]!);
      return out;
    }
    // general strided walk
    const r = shape.length;
    const sa = broadcastStrides(A.shape, shape), sb = broadcastStrides(B.shape, shape);
    const idx = new Array<number>(r).fill(0);
    let ia = 0, ib = 0;
    const inner = shape[r - 1]!, ia1 = sa[r - 1]!, ib1 = sb[r - 1]!;
    for (let i = 0; i < n; i += inner) {
      for (let k = 0; k < inner; k++) o[i + k] = fn(a[ia + k * ia1]!, b[ib + k * ib1]!);
      for (let d = r - 2; d >= 0; d--) {
        idx[d]!++; ia += sa[d]!; ib += sb[d]!;
        if (idx[d]! < shape[d]!) break;
        ia -= sa[d]! * idx[d]!; ib -= sb[d]! * idx[d]!; idx[d] = 0;
      }
    }
    return out;
  };
}

export const add = binary((a, b) => a + b, '+');
export const sub = binary((a, b) => a - b, '-');
export const mul = binary((a, b) => a * b, '*');
export const div = binary((a, b) => a / b, '/');
export const pow = binary((a, b) => Math.pow(a, b));
/** ONNX Min/Max propagate NaN. */
export const min = binary((a, b) => (a !== a || b !== b ? NaN : a < b ? a : b));
export const max = binary((a, b) => (a !== a || b !== b ? NaN : a > b ? a : b));

export { numel };
