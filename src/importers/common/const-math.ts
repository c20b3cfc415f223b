/**
 * Array arithmetic both importers use to evaluate constant sub-graphs at import (ONNX fold.ts, TF.js
 * consts.ts): row-major float64 data with its dims, numpy broadcasting, transpose, strided slice,
 * concat, gather and reductions. Integers stay exact; rounding to float32 is the caller's (it knows
 * the value's kind).
 */

// element count, row-major strides, the strided-offset odometer and the strided gather built on it: the float
// reference kernels' helpers (one copy in the tree)
import { gatherStrided, numel, offsetMap, stridesOf } from '../../kernels/ref/float/util.js';

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
  const inStr = stridesOf(dims);
  const out = new (data.constructor as { new (n: number): T })(numel(dims));
  gatherStrided(data, out, perm.map((p) => dims[p]!), perm.map((p) => inStr[p]!));
  return out;
}

/** `data` (shape `dims`) broadcast to `to` (numpy rules; `to` must be a broadcast of `dims`). The input itself when no broadcast is needed. */
export function expandData(data: Float64Array, dims: readonly number[], to: readonly number[]): Float64Array {
  const n = numel(to);
  if (numel(dims) === n && dims.length === to.length) return data;
  const vd = [...new Array<number>(to.length - dims.length).fill(1), ...dims];
  const out = new Float64Array(n);
  gatherStrided(data, out, to, stridesOf(vd).map((s, i) => (vd[i] === 1 ? 0 : s)));
  return out;
}

/** out[idx] = data[Σ_d (starts_d + idx_d·steps_d)·stride_d] for every idx of `outDims`. */
export function sliceData(data: Float64Array, dims: readonly number[], starts: readonly number[], steps: readonly number[], outDims: readonly number[]): Float64Array {
  const st = stridesOf(dims);
  let base = 0;
  for (let a = 0; a < dims.length; a++) base += starts[a]! * st[a]!;
  const out = new Float64Array(numel(outDims));
  gatherStrided(data, out, outDims, st.map((s, a) => steps[a]! * s), base);
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
  const reduced = dims.map((_, i) => axes.includes(i));
  const keepDims = dims.map((d, i) => (reduced[i] ? 1 : d));
  const n = numel(keepDims);
  const init = fn === 'prod' ? 1 : fn === 'max' ? -Infinity : fn === 'min' ? Infinity : 0;
  const out = new Float64Array(n).fill(init);
  // each input element's output offset: keep-dims strides, 0 on the reduced axes
  const dst = offsetMap(dims, stridesOf(keepDims).map((s, k) => (reduced[k] ? 0 : s)));
  for (let i = 0; i < data.length; i++) {
    const o = dst[i]!;
    const v = data[i]!;
    if (fn === 'prod') out[o] *= v;
    else if (fn === 'max') out[o] = Math.max(out[o]!, v);
    else if (fn === 'min') out[o] = Math.min(out[o]!, v);
    else out[o] += v;
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
