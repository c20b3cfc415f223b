/**
 * Planned float kernels for the CPU 'run' backend: the float reference kernels' arithmetic
 * (src/kernels/ref/float), operation for operation — the same float64 expressions rounded to float32
 * at the same points, the same summation order, the same Math.exp — so outputs are bit-identical, but
 * with everything that does not depend on the data (shapes, strides, broadcast index maps, packed
 * matmul weights, case selection) worked out once when the subgraph is prepared, monomorphic loops,
 * and the output written into a buffer the executor owns (no allocation per call).
 *
 * `planFloatKernel` returns undefined for an op (or an attribute/shape combination) it does not cover;
 * the executor then runs the reference kernel itself, so coverage only changes speed, never values.
 * Stage code: no I/O.
 */
import type { Op } from '../../ir/types.js';
import { broadcastShapes, broadcastStrides, normAxis, numel, offsetMap, stridesOf } from '../ref/float/util.js';
import { gemmWasm, packGemmB } from '../ref/float/wasm/kernels.js';
import { layernormRows } from '../ref/float/reduce.js';

/** ins: the op's input values (float; weights included), out: the op's output buffer (numel of its shape). */
export type FloatKernel = (ins: Float32Array[], out: Float32Array) => void;

/** What a kernel plan may know about an input: its shape and, for a float const, its data. */
export interface PlanInput {
  shape: number[];
  constData?: Float32Array;
}

export interface FloatKernelPlan {
  run: FloatKernel;
  /** Set when the planned path can refuse at run time (the WASM GEMM unavailable): run the reference instead. */
  mayDecline?: () => boolean;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

function num(op: Op, key: string, dflt: number): number | undefined {
  const v = op.attrs[key];
  if (v === undefined) return dflt;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return v[0];
  return undefined;
}

function nums(op: Op, key: string): number[] | undefined {
  const v = op.attrs[key];
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  return undefined;
}

function bool(op: Op, key: string): boolean | undefined {
  const v = op.attrs[key];
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v === 'true' || v === '1';
  return undefined;
}

// ───────────────────────── unary ─────────────────────────

// The loops are top-level functions shared by every op and every executor: they reach optimized code after
// a few calls in the process instead of once per planned op (closures per op would each start cold).

function reluLoop(a: Float32Array, o: Float32Array, n: number): void { for (let i = 0; i < n; i++) { const v = a[i]!; o[i] = v < 0 ? 0 : v; } }
function relu6Loop(a: Float32Array, o: Float32Array, n: number): void { for (let i = 0; i < n; i++) { const v = a[i]!; o[i] = v < 0 ? 0 : v > 6 ? 6 : v; } }
function hardSwishLoop(a: Float32Array, o: Float32Array, n: number): void { for (let i = 0; i < n; i++) { const v = a[i]!, w = v + 3; o[i] = (v * (w < 0 ? 0 : w > 6 ? 6 : w)) / 6; } }
/** The reference's stable logistic: exp of a non-positive number only. */
function sigmoidLoop(a: Float32Array, o: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    if (x >= 0) o[i] = 1 / (1 + Math.exp(-x));
    else { const e = Math.exp(x); o[i] = e / (1 + e); }
  }
}

function unaryKernel(type: string): FloatKernel | undefined {
  switch (type) {
    case 'relu': return ([a], o) => reluLoop(a!, o, o.length);
    case 'relu6': return ([a], o) => relu6Loop(a!, o, o.length);
    case 'hard-swish': return ([a], o) => hardSwishLoop(a!, o, o.length);
    case 'sigmoid': return ([a], o) => sigmoidLoop(a!, o, o.length);
    case 'reshape': case 'identity': return ([a], o) => { o.set(a!.subarray(0, o.length)); };
    default: return undefined;
  }
}

// ───────────────────────── binary (numpy broadcast) ─────────────────────────

type Arith = '+' | '-' | '*' | '/';
const ARITH: Record<string, Arith> = { add: '+', sub: '-', mul: '*', div: '/' };

/** Binary loops by broadcast case; `k` is switched outside the loops. */
function binSame(k: Arith, a: Float32Array, b: Float32Array, o: Float32Array, n: number): void {
  switch (k) {
    case '+': for (let i = 0; i < n; i++) o[i] = a[i]! + b[i]!; return;
    case '-': for (let i = 0; i < n; i++) o[i] = a[i]! - b[i]!; return;
    case '*': for (let i = 0; i < n; i++) o[i] = a[i]! * b[i]!; return;
    case '/': for (let i = 0; i < n; i++) o[i] = a[i]! / b[i]!; return;
  }
}
function binScalarB(k: Arith, a: Float32Array, v: number, o: Float32Array, n: number): void {
  switch (k) {
    case '+': for (let i = 0; i < n; i++) o[i] = a[i]! + v; return;
    case '-': for (let i = 0; i < n; i++) o[i] = a[i]! - v; return;
    case '*': for (let i = 0; i < n; i++) o[i] = a[i]! * v; return;
    case '/': for (let i = 0; i < n; i++) o[i] = a[i]! / v; return;
  }
}
function binScalarA(k: Arith, v: number, b: Float32Array, o: Float32Array, n: number): void {
  switch (k) {
    case '+': for (let i = 0; i < n; i++) o[i] = v + b[i]!; return;
    case '-': for (let i = 0; i < n; i++) o[i] = v - b[i]!; return;
    case '*': for (let i = 0; i < n; i++) o[i] = v * b[i]!; return;
    case '/': for (let i = 0; i < n; i++) o[i] = v / b[i]!; return;
  }
}
/** a full, b a vector of the last axis (C). */
function binRowB(k: Arith, a: Float32Array, b: Float32Array, o: Float32Array, n: number, C: number): void {
  switch (k) {
    case '+': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[i + c]! + b[c]!; return;
    case '-': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[i + c]! - b[c]!; return;
    case '*': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[i + c]! * b[c]!; return;
    case '/': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[i + c]! / b[c]!; return;
  }
}
/** b full, a a vector of the last axis (C). */
function binRowA(k: Arith, a: Float32Array, b: Float32Array, o: Float32Array, n: number, C: number): void {
  switch (k) {
    case '+': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[c]! + b[i + c]!; return;
    case '-': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[c]! - b[i + c]!; return;
    case '*': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[c]! * b[i + c]!; return;
    case '/': for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) o[i + c] = a[c]! / b[i + c]!; return;
  }
}
/** out[i] = a[ia[i]] ∘ b[ib[i]]: precomputed broadcast index maps (any broadcast). */
function binMapped(k: Arith, a: Float32Array, b: Float32Array, o: Float32Array, ia: Int32Array, ib: Int32Array): void {
  const n = o.length;
  switch (k) {
    case '+': for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! + b[ib[i]!]!; return;
    case '-': for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! - b[ib[i]!]!; return;
    case '*': for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! * b[ib[i]!]!; return;
    case '/': for (let i = 0; i < n; i++) o[i] = a[ia[i]!]! / b[ib[i]!]!; return;
  }
}

function broadcastIndex(shape: readonly number[], out: readonly number[]): Int32Array {
  return offsetMap(out, broadcastStrides(shape, out));
}

function binaryKernel(k: Arith, A: readonly number[], B: readonly number[]): FloatKernel | undefined {
  const shape = broadcastShapes(A, B);
  if (!shape) return undefined;
  const n = numel(shape), la = numel(A), lb = numel(B);
  const C = shape[shape.length - 1] ?? 1;
  // the reference's case order (src/kernels/ref/float/elementwise.ts binary): the same operands per element
  if (la === n && lb === n) return ([a, b], o) => binSame(k, a!, b!, o, n);
  if (la === n && lb === 1) return ([a, b], o) => binScalarB(k, a!, b![0]!, o, n);
  if (lb === n && la === 1) return ([a, b], o) => binScalarA(k, a![0]!, b!, o, n);
  if (la === n && lb === C && B[B.length - 1] === C) return ([a, b], o) => binRowB(k, a!, b!, o, n, C);
  if (lb === n && la === C && A[A.length - 1] === C) return ([a, b], o) => binRowA(k, a!, b!, o, n, C);
  // Any other broadcast: element i reads the same two values as the reference's strided walk.
  if (n > 1 << 24) return undefined;
  const ia = broadcastIndex(A, shape), ib = broadcastIndex(B, shape);
  return ([a, b], o) => binMapped(k, a!, b!, o, ia, ib);
}

// ───────────────────────── softmax / layernorm / global avgpool ─────────────────────────

/** Softmax along an axis of extent L with `inner` elements after it: the reference's three passes. */
function softmaxLoop(xd: Float32Array, o: Float32Array, outer: number, L: number, inner: number, tmp: Float64Array): void {
  for (let a = 0; a < outer; a++) {
    for (let b = 0; b < inner; b++) {
      const base = a * L * inner + b;
      let m = -Infinity;
      for (let l = 0, p = base; l < L; l++, p += inner) { const v = xd[p]!; if (v > m) m = v; }
      let s = 0;
      for (let l = 0, p = base; l < L; l++, p += inner) { const e = Math.exp(xd[p]! - m); tmp[l] = e; s += e; }
      for (let l = 0, p = base; l < L; l++, p += inner) o[p] = tmp[l]! / s;
    }
  }
}

function softmaxKernel(op: Op, X: readonly number[]): FloatKernel | undefined {
  const axis = num(op, 'axis', -1);
  if (axis === undefined || X.length === 0) return undefined;
  const ax = normAxis(axis, X.length, op);
  const outer = numel(X.slice(0, ax)), L = X[ax]!, inner = numel(X.slice(ax + 1));
  const tmp = new Float64Array(L);
  return ([x], o) => softmaxLoop(x!, o, outer, L, inner, tmp);
}

/** Layer norm over trailing axes with gamma/beta of exactly the normalised extent (or absent). */
function layernormKernel(op: Op, ins: PlanInput[]): FloatKernel | undefined {
  const X = ins[0]!.shape;
  const eps = num(op, 'epsilon', 1e-5);
  const axRaw = nums(op, 'axis') ?? (op.attrs['axis'] === undefined ? [-1] : undefined);
  if (eps === undefined || !axRaw || X.length === 0) return undefined;
  const axes = axRaw.length === 0 ? [...X.keys()] : [...new Set(axRaw.map((a) => normAxis(a, X.length, op)))].sort((p, q) => p - q);
  const trailing = axes.every((a, i) => a === X.length - axes.length + i);
  if (!trailing) return undefined;
  const n = numel(X);
  const cnt = numel(axes.map((a) => X[a]!));
  if (cnt === 0) return undefined;
  const nOut = n / cnt;
  // a parameter whose broadcast to X is "repeat every cnt elements": its shape (leading 1s dropped) is X's trailing dims
  const simpleParam = (p: PlanInput | undefined): boolean => {
    if (!p) return true;
    const s = p.shape.slice();
    while (s.length && s[0] === 1 && s.length > axes.length) s.shift();
    const bs = broadcastShapes(p.shape, X);
    return !!bs && sameShape(bs, X) && numel(p.shape) === cnt && sameShape(s, X.slice(X.length - s.length)) && s.length <= axes.length;
  };
  const G = ins[1], Bt = ins[2];
  if (!simpleParam(G) || !simpleParam(Bt)) return undefined;
  const hasG = !!G, hasB = !!Bt;
  return (v, o) => layernormRows(v[0]!, hasG ? v[1]! : undefined, hasB ? v[2]! : undefined, o, nOut, cnt, eps, true);
}

/** Global average pool, NHWC batch 1 (the reference's summation order: pixels in row order). */
function globalAvgKernel(op: Op, X: readonly number[]): FloatKernel | undefined {
  if (X.length !== 4 || X[0] !== 1 || !bool(op, 'global')) return undefined;
  const [, H, W, C] = X as [number, number, number, number];
  const P = H * W;
  const acc = new Float64Array(C);
  return ([x], o) => {
    const xd = x!;
    acc.fill(0);
    for (let p = 0; p < P; p++) { const b = p * C; for (let c = 0; c < C; c++) acc[c] += xd[b + c]!; }
    for (let c = 0; c < C; c++) o[c] = P > 0 ? acc[c]! / P : 0;
  };
}

// ───────────────────────── data movement ─────────────────────────

type Arr = Float32Array | Int8Array;

/** out[idx] = src[base + Σ idx[d]·srcStride[d]], innermost axis a tight loop (a pure copy: exact). */
function walkLoop(src: Arr, o: Arr, base: number, st: Int32Array, sh: Int32Array, idx: Int32Array, n: number, inner: number, s1: number): void {
  const r = sh.length;
  idx.fill(0);
  let off = base;
  for (let i = 0; i < n; i += inner) {
    if (s1 === 1) for (let k = 0; k < inner; k++) o[i + k] = src[off + k]!;
    else for (let k = 0; k < inner; k++) o[i + k] = src[off + k * s1]!;
    for (let d = r - 2; d >= 0; d--) {
      idx[d]!++; off += st[d]!;
      if (idx[d]! < sh[d]!) break;
      off -= st[d]! * idx[d]!; idx[d] = 0;
    }
  }
}

function walkKernel<T extends Arr>(base: number, srcStr: readonly number[], outShape: readonly number[]): (ins: T[], o: T) => void {
  const r = outShape.length;
  const n = numel(outShape);
  if (r === 0) return ([x], o) => { o[0] = x![base]!; };
  const inner = outShape[r - 1]!, s1 = srcStr[r - 1]!;
  const idx = new Int32Array(r);
  const st = Int32Array.from(srcStr), sh = Int32Array.from(outShape);
  return ([x], o) => { if (n > 0) walkLoop(x!, o, base, st, sh, idx, n, inner, s1); };
}

function transposeKernel(op: Op, X: readonly number[], wantN: number): FloatKernel | undefined {
  const order = nums(op, 'order') ?? [...X.keys()].reverse();
  if (order.length !== X.length || new Set(order).size !== order.length || order.some((p) => p < 0 || p >= X.length)) return undefined;
  if (numel(X) !== wantN) return undefined;
  const st = stridesOf(X);
  return walkKernel(0, order.map((p) => st[p]!), order.map((p) => X[p]!));
}

function sliceKernel(op: Op, X: readonly number[], wantN: number): FloatKernel | undefined {
  const r = X.length;
  const begin = nums(op, 'begin'), end = nums(op, 'end');
  const strides = nums(op, 'strides') ?? (op.attrs['strides'] === undefined ? new Array<number>(r).fill(1) : undefined);
  if (!begin || !end || !strides || begin.length !== r || end.length !== r || strides.length !== r) return undefined;
  const ax: { start: number; step: number; len: number }[] = [];
  for (let i = 0; i < r; i++) {
    const dim = X[i]!, s = strides[i]!;
    if (s === 0 || !Number.isInteger(s)) return undefined;
    let b = begin[i]!, e = end[i]!;
    if (s > 0) {
      b = Math.min(Math.max(b, 0), dim); e = Math.min(Math.max(e, 0), dim);
      ax.push({ start: b, step: s, len: Math.max(0, Math.ceil((e - b) / s)) });
    } else {
      b = Math.min(Math.max(b, -1), dim - 1); e = Math.min(Math.max(e, -1), dim - 1);
      ax.push({ start: b, step: s, len: Math.max(0, Math.ceil((b - e) / -s)) });
    }
  }
  if (numel(ax.map((a) => a.len)) !== wantN) return undefined;
  const st = stridesOf(X);
  const base = ax.reduce((acc, a, i) => acc + (a.len > 0 ? a.start * st[i]! : 0), 0);
  return walkKernel(base, ax.map((a, i) => a.step * st[i]!), ax.map((a) => a.len));
}

function concatKernel<T extends Arr>(op: Op, shapes: number[][]): ((ins: T[], o: T) => void) | undefined {
  if (shapes.length === 0) return undefined;
  const r = shapes[0]!.length;
  const axis = num(op, 'axis', Number.NaN);
  if (axis === undefined || Number.isNaN(axis) || r === 0) return undefined;
  const ax = normAxis(axis, r, op);
  let total = 0;
  for (const s of shapes) {
    if (s.length !== r || s.some((d, j) => j !== ax && d !== shapes[0]![j])) return undefined;
    total += s[ax]!;
  }
  const outer = numel(shapes[0]!.slice(0, ax));
  const inner = numel(shapes[0]!.slice(ax + 1));
  const rowOut = total * inner;
  const lens = shapes.map((s) => s[ax]! * inner);
  return (ins, o) => {
    let off = 0;
    for (let j = 0; j < ins.length; j++) {
      const t = ins[j]!, len = lens[j]!;
      if (len >= 256) for (let q = 0; q < outer; q++) o.set(t.subarray(q * len, (q + 1) * len) as T, q * rowOut + off);
      else concatRows(t, o, outer, len, rowOut, off);
      off += len;
    }
  };
}

function concatRows(t: Arr, o: Arr, outer: number, len: number, rowOut: number, off: number): void {
  for (let q = 0; q < outer; q++) { const s = q * len, d = q * rowOut + off; for (let i = 0; i < len; i++) o[d + i] = t[s + i]!; }
}

// ───────────────────────── matmul with constant B ─────────────────────────

/** The reference's threshold for its WASM GEMM (src/kernels/ref/float/matmul.ts WASM_MIN_MACS). */
const WASM_MIN_MACS = 4096;

/**
 * matmul A · B(+ bias) with B a float const of rank 2 and A's batch dims only its own: B is packed once
 * (the reference packs it on every call), the same WASM GEMM computes, the bias is added like the
 * reference's broadcasting add (product rounded to float32 first). Below the reference's WASM
 * threshold, undefined (the reference's scalar loop is the definition there).
 */
function matmulKernel(op: Op, ins: PlanInput[]): FloatKernelPlan | undefined {
  const [A, B, bias] = ins;
  if (!A || !B?.constData || B.shape.length !== 2 || A.shape.length < 2) return undefined;
  const ta = bool(op, 'transpose_a'), tb = bool(op, 'transpose_b');
  if (ta === undefined || tb === undefined) return undefined;
  const a = A.shape;
  const M = ta ? a[a.length - 1]! : a[a.length - 2]!;
  const K = ta ? a[a.length - 2]! : a[a.length - 1]!;
  const KB = tb ? B.shape[1]! : B.shape[0]!;
  const N = tb ? B.shape[0]! : B.shape[1]!;
  if (K !== KB || M * K * N < WASM_MIN_MACS) return undefined;
  const nb = numel(a.slice(0, -2));
  const aRow = ta ? 1 : K, aCol = ta ? M : 1;
  const bRow = tb ? 1 : N, bCol = tb ? K : 1;
  const packed = packGemmB(B.constData, 0, K, N, bRow, bCol, false);
  let biasLen = 0;
  if (bias) {
    // the reference adds the bias with numpy broadcasting: cover the per-column vector only
    if (bias.shape[bias.shape.length - 1] !== N || numel(bias.shape) !== N || bias.shape.length > a.length) return undefined;
    biasLen = N;
  }
  let declined = false;
  return {
    mayDecline: () => declined,
    run: (v, o) => {
      const x = v[0]!;
      for (let bi = 0; bi < nb; bi++) {
        if (!gemmWasm(x, bi * M * K, aRow, aCol, M, K, packed, N, o, bi * M * N)) { declined = true; return; }
      }
      if (biasLen) {
        const bv = v[2]!, n = o.length;
        for (let i = 0; i < n; i += N) for (let c = 0; c < N; c++) o[i + c] = o[i + c]! + bv[c]!;
      }
    },
  };
}

/**
 * A planned kernel for `op` given its inputs' shapes (and float const data), or undefined when this
 * module does not cover it (the caller runs the reference kernel). `outShape` is the op's output shape
 * as the graph records it; a plan whose own shape rule disagrees is refused.
 */
export function planFloatKernel(op: Op, ins: PlanInput[], outShape: readonly number[]): FloatKernelPlan | undefined {
  const shapes = ins.map((i) => i.shape);
  const want = (s: readonly number[] | undefined): boolean => !!s && numel(s) === numel(outShape);
  let run: FloatKernel | undefined;
  switch (op.type) {
    case 'relu': case 'relu6': case 'hard-swish': case 'sigmoid':
      if (ins.length === 1 && want(shapes[0])) run = unaryKernel(op.type);
      break;
    case 'reshape': case 'identity':
      if (ins.length === 1 && want(shapes[0])) run = unaryKernel(op.type);
      break;
    case 'add': case 'sub': case 'mul': case 'div':
      if (ins.length === 2 && want(broadcastShapes(shapes[0]!, shapes[1]!))) run = binaryKernel(ARITH[op.type]!, shapes[0]!, shapes[1]!);
      break;
    case 'softmax':
      if (ins.length === 1 && want(shapes[0])) run = softmaxKernel(op, shapes[0]!);
      break;
    case 'layernorm':
      if (ins.length >= 1 && ins.length <= 3 && want(shapes[0])) run = layernormKernel(op, ins);
      break;
    case 'avgpool2d':
      if (ins.length === 1 && numel(outShape) === (shapes[0]![3] ?? -1)) run = globalAvgKernel(op, shapes[0]!);
      break;
    case 'transpose':
      if (ins.length === 1) run = transposeKernel(op, shapes[0]!, numel(outShape));
      break;
    case 'strided_slice':
      if (ins.length === 1) run = sliceKernel(op, shapes[0]!, numel(outShape));
      break;
    case 'concat':
      run = concatKernel(op, shapes);
      if (run && numel(outShape) !== shapes.reduce((s, x) => s + numel(x), 0)) run = undefined;
      break;
    case 'matmul': {
      const p = matmulKernel(op, ins);
      if (p) return p;
      break;
    }
    default:
      break;
  }
  return run ? { run } : undefined;
}

/** A planned int8 data-movement kernel (ins: int8 inputs, out: int8 output buffer). */
export type Int8MoveKernel = (ins: Int8Array[], out: Int8Array) => void;

/**
 * transpose / strided_slice / concat on int8 values whose fix point does not change (every input's
 * equals the output's): a pure copy, exactly what the INT8 reference kernels (src/kernels/ref/int8/
 * movement.ts) compute then. Undefined otherwise (a requantizing move stays with the fast executor).
 */
export function planInt8Move(op: Op, shapes: number[][], fpIns: (number | undefined)[], fpOut: number, outShape: readonly number[]): Int8MoveKernel | undefined {
  if (!fpIns.length || fpIns.some((f) => f !== fpOut)) return undefined;
  const X = shapes[0]!;
  const wantN = numel(outShape);
  switch (op.type) {
    case 'transpose': {
      const order = nums(op, 'order') ?? [];
      if (shapes.length !== 1 || order.length !== X.length || new Set(order).size !== order.length || order.some((p) => p < 0 || p >= X.length)) return undefined;
      if (numel(X) !== wantN) return undefined;
      const st = stridesOf(X);
      return walkKernel<Int8Array>(0, order.map((p) => st[p]!), order.map((p) => X[p]!));
    }
    case 'strided_slice': {
      // the INT8 reference's index lists: [max(b, 0), min(e, dim)) step s > 0; (max(e, −1), min(b, dim − 1)] step s < 0
      const begin = nums(op, 'begin') ?? [], end = nums(op, 'end') ?? [], strides = nums(op, 'strides') ?? [];
      if (shapes.length !== 1) return undefined;
      const start: number[] = [], step: number[] = [], len: number[] = [];
      for (let a = 0; a < X.length; a++) {
        const dim = X[a]!, s = strides[a] ?? 1;
        if (s === 0 || !Number.isInteger(s)) return undefined;
        const b = begin[a] ?? 0, e = end[a] ?? dim;
        let first: number, count: number;
        if (s > 0) { first = Math.max(b, 0); const stop = Math.min(e, dim); count = stop > first ? Math.ceil((stop - first) / s) : 0; }
        else { first = Math.min(b, dim - 1); const stop = Math.max(e, -1); count = first > stop ? Math.ceil((first - stop) / -s) : 0; }
        start.push(first); step.push(s); len.push(count);
      }
      if (numel(len) !== wantN) return undefined;
      const st = stridesOf(X);
      const base = len.every((l) => l > 0) ? start.reduce((acc, v, i) => acc + v * st[i]!, 0) : 0;
      return walkKernel<Int8Array>(base, step.map((v, i) => v * st[i]!), len);
    }
    case 'concat': {
      const k = concatKernel<Int8Array>(op, shapes);
      return k && shapes.reduce((s, x) => s + numel(x), 0) === wantN ? k : undefined;
    }
    default:
      return undefined;
  }
}
