/**
 * Array arithmetic both importers use to evaluate constant sub-graphs at import (ONNX fold.ts, TF.js
 * consts.ts): row-major float64 data with its dims, numpy broadcasting, transpose, strided slice,
 * concat, gather and reductions. Integers stay exact; rounding to float32 is the caller's (it knows
 * the value's kind).
 */

// element count and row-major strides: the float reference kernels' helpers (one copy in the tree)
import { numel, stridesOf } from '../../kernels/ref/float/util.js';

export { numel, stridesOf };

/** numpy broadcast of two shapes; undefined when they don't broadcast. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Transpose any typed array laid out row-major with `dims` by `perm`. */
export function transposeData<T extends Float64Array | Float32Array>(data: T, dims: readonly number[], perm: readonly number[]): T {
  const rank = dims.length;
  const outDims = perm.map((p) => dims[p]!);
  const inStr = stridesOf(dims);
  const n = numel(dims);
  const out = new (data.constructor as { new (n: number): T })(n);
  const idx = new Array<number>(rank).fill(0);
  const srcStr = perm.map((p) => inStr[p]!);
  let src = 0;
  for (let i = 0; i < n; i++) {
    out[i] = data[src]!;
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]!++;
      src += srcStr[a]!;
      if (idx[a]! < outDims[a]!) break;
      src -= srcStr[a]! * outDims[a]!;
      idx[a] = 0;
    }
  }
  return out;
}

/** `data` (shape `dims`) broadcast to `to` (numpy rules; `to` must be a broadcast of `dims`). The input itself when no broadcast is needed. */
export function expandData(data: Float64Array, dims: readonly number[], to: readonly number[]): Float64Array {
  const n = numel(to);
  if (numel(dims) === n && dims.length === to.length) return data;
  const r = to.length;
  const vd = [...new Array<number>(r - dims.length).fill(1), ...dims];
  const vs = stridesOf(vd).map((s, i) => (vd[i] === 1 ? 0 : s));
  const out = new Float64Array(n);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    out[i] = data[src]!;
    for (let a = r - 1; a >= 0; a--) {
      idx[a]!++;
      src += vs[a]!;
      if (idx[a]! < to[a]!) break;
      src -= vs[a]! * to[a]!;
      idx[a] = 0;
    }
  }
  return out;
}

/** out[idx] = data[Σ_d (starts_d + idx_d·steps_d)·stride_d] for every idx of `outDims`. */
export function sliceData(data: Float64Array, dims: readonly number[], starts: readonly number[], steps: readonly number[], outDims: readonly number[]): Float64Array {
  const r = dims.length;
  const st = stridesOf(dims);
  const n = numel(outDims);
  const out = new Float64Array(n);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let a = 0; a < r; a++) src += (starts[a]! + idx[a]! * steps[a]!) * st[a]!;
    out[i] = data[src]!;
    for (let a = r - 1; a >= 0; a--) {
      idx[a]!++;
      if (idx[a]! < outDims[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}

/** Concatenation along `axis` of tensors whose other dims agree. */
export function concatData(parts: readonly { dims: readonly number[]; data: Float64Array }[], axis: number): { dims: number[]; data: Float64Array } {
  const dims = [...parts[0]!.dims];
  dims[axis] = parts.reduce((s, v) => s + v.dims[axis]!, 0);
  const outer = numel(dims.slice(0, axis));
  const out = new Float64Array(numel(dims));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const v of parts) {
      const chunk = numel(v.dims.slice(axis));
      out.set(v.data.subarray(i * chunk, (i + 1) * chunk), o);
      o += chunk;
    }
  }
  return { dims, data: out };
}

/** Gather along `axis` (negative indices count from the end; the caller checks the range). */
export function gatherData(data: Float64Array, dims: readonly number[], axis: number, indices: Iterable<number>, indexDims: readonly number[]): { dims: number[]; data: Float64Array } {
  const outer = numel(dims.slice(0, axis));
  const inner = numel(dims.slice(axis + 1));
  const dim = dims[axis]!;
  const outDims = [...dims.slice(0, axis), ...indexDims, ...dims.slice(axis + 1)];
  const out = new Float64Array(numel(outDims));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const k0 of indices) {
      const k = k0 < 0 ? k0 + dim : k0;
      out.set(data.subarray((i * dim + k) * inner, (i * dim + k + 1) * inner), o);
      o += inner;
    }
  }
  return { dims: outDims, data: out };
}

export type ReduceFn = 'sum' | 'prod' | 'max' | 'min' | 'mean';

/** Reduction over `axes` (non-negative); the result has the keep-dims shape (reduced axes → 1). */
export function reduceData(data: Float64Array, dims: readonly number[], axes: readonly number[], fn: ReduceFn): { keepDims: number[]; data: Float64Array } {
  const r = dims.length;
  const reduced = dims.map((_, i) => axes.includes(i));
  const keepDims = dims.map((d, i) => (reduced[i] ? 1 : d));
  const n = numel(keepDims);
  const init = fn === 'prod' ? 1 : fn === 'max' ? -Infinity : fn === 'min' ? Infinity : 0;
  const out = new Float64Array(n).fill(init);
  const st = stridesOf(keepDims);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < data.length; i++) {
    let o = 0;
    for (let k = 0; k < r; k++) o += (reduced[k] ? 0 : idx[k]!) * st[k]!;
    const v = data[i]!;
    if (fn === 'prod') out[o] *= v;
    else if (fn === 'max') out[o] = Math.max(out[o]!, v);
    else if (fn === 'min') out[o] = Math.min(out[o]!, v);
    else out[o] += v;
    for (let k = r - 1; k >= 0; k--) {
      idx[k]!++;
      if (idx[k]! < dims[k]!) break;
      idx[k] = 0;
    }
  }
  if (fn === 'mean') {
    const cnt = data.length / n;
    for (let i = 0; i < n; i++) out[i]! /= cnt;
  }
  return { keepDims, data: out };
}

/** Round half to even (ONNX Round, TF Round). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}
