/**
 * Import-time evaluation of constant sub-graphs (shape arithmetic, weight preprocessing): the values
 * are float64 arrays tagged with their TF kind; float results are rounded to float32 after every op,
 * as TF computes them.
 */
import {
  broadcastDims, concatData, expandData, gatherData, numel, reduceData, sliceData, transposeData, type ReduceFn,
} from '../common/const-math.js';

export type Kind = 'float' | 'int' | 'bool';
export interface CVal {
  k: 'const';
  shape: number[];
  kind: Kind;
  data: Float64Array;
}

export { numel, stridesOf } from '../common/const-math.js';

export function cval(shape: number[], kind: Kind, data: ArrayLike<number>): CVal {
  const d = Float64Array.from(data);
  if (kind === 'float') for (let i = 0; i < d.length; i++) d[i] = Math.fround(d[i]!);
  return { k: 'const', shape, kind, data: d };
}

export const broadcastShape = broadcastDims;

/** Element-wise binary op with numpy broadcasting. */
export function binaryConst(a: CVal, b: CVal, fn: (x: number, y: number) => number, kind: Kind): CVal | undefined {
  const shape = broadcastDims(a.shape, b.shape);
  if (!shape) return undefined;
  const x = expandData(a.data, a.shape, shape), y = expandData(b.data, b.shape, shape);
  const out = new Float64Array(numel(shape));
  for (let i = 0; i < out.length; i++) out[i] = fn(x[i]!, y[i]!);
  return cval(shape, kind, out);
}

/** General strided gather: out[idx] = x[start + Σ idx_d · step_d · stride_d]. */
export function sliceConst(x: CVal, start: number[], step: number[], len: number[]): CVal {
  return { k: 'const', shape: len, kind: x.kind, data: sliceData(x.data, x.shape, start, step, len) };
}

export function transposeConst(x: CVal, perm: number[]): CVal {
  return { k: 'const', shape: perm.map((p) => x.shape[p]!), kind: x.kind, data: transposeData(x.data, x.shape, perm) };
}

export function concatConst(xs: CVal[], axis: number): CVal {
  const { dims, data } = concatData(xs.map((x) => ({ dims: x.shape, data: x.data })), axis);
  const kind = xs.some((x) => x.kind === 'float') ? 'float' : xs[0]!.kind;
  return { k: 'const', shape: dims, kind, data };
}

export function gatherConst(x: CVal, idx: number[], idxShape: number[], axis: number): CVal {
  const { dims, data } = gatherData(x.data, x.shape, axis, idx, idxShape);
  return { k: 'const', shape: dims, kind: x.kind, data };
}

export function reduceConst(x: CVal, axes: number[], keep: boolean, fn: ReduceFn): CVal {
  const r = x.shape.length;
  const ax = axes.map((a) => (a < 0 ? a + r : a));
  const { keepDims, data } = reduceData(x.data, x.shape, ax, fn);
  return cval(keep ? keepDims : x.shape.filter((_, i) => !ax.includes(i)), x.kind, data);
}

/**
 * TF StridedSlice (begin/end/strides + begin/end/ellipsis/new_axis/shrink_axis masks) resolved to one
 * begin/end/stride per input axis (non-negative, as the IR strided_slice takes them) and the final shape.
 */
export interface ResolvedSlice {
  begin: number[];
  end: number[];
  strides: number[];
  /** Length of each input axis after slicing. */
  sliced: number[];
  /** Output shape after shrink/new axes. */
  out: number[];
}

export function resolveStridedSlice(
  shape: readonly number[], begin: number[], end: number[], strides: number[],
  masks: { begin: number; end: number; ellipsis: number; newAxis: number; shrink: number },
): ResolvedSlice | string {
  const rank = shape.length;
  const bit = (m: number, i: number): boolean => ((m >> i) & 1) === 1;
  interface Dense { b: number; e: number; s: number; bm: boolean; em: boolean; shrink: boolean }
  const dense: Dense[] = [];
  const plan: ({ t: 'axis'; shrink: boolean } | { t: 'new' })[] = [];
  const full = (): Dense => ({ b: 0, e: 0, s: 1, bm: true, em: true, shrink: false });
  let ellipsis = false;
  const n = begin.length;
  for (let i = 0; i < n; i++) {
    if (bit(masks.ellipsis, i)) {
      if (ellipsis) return 'more than one ellipsis';
      ellipsis = true;
      let rest = 0;
      for (let j = i + 1; j < n; j++) if (!bit(masks.newAxis, j)) rest++;
      const cover = rank - dense.length - rest;
      for (let c = 0; c < cover; c++) { dense.push(full()); plan.push({ t: 'axis', shrink: false }); }
    } else if (bit(masks.newAxis, i)) {
      plan.push({ t: 'new' });
    } else {
      const sh = bit(masks.shrink, i);
      dense.push({ b: begin[i]!, e: end[i]!, s: strides[i] ?? 1, bm: bit(masks.begin, i), em: bit(masks.end, i), shrink: sh });
      plan.push({ t: 'axis', shrink: sh });
    }
  }
  while (dense.length < rank) { dense.push(full()); plan.push({ t: 'axis', shrink: false }); }
  if (dense.length !== rank) return `the slice spec covers ${dense.length} axes of a rank-${rank} tensor`;
  const rb: number[] = [], re: number[] = [], rs: number[] = [], sliced: number[] = [];
  for (let a = 0; a < rank; a++) {
    const d = dense[a]!, dim = shape[a]!;
    let s = d.s, b: number, e: number;
    if (s === 0) return `stride 0 on axis ${a}`;
    if (d.shrink) {
      b = d.b < 0 ? d.b + dim : d.b;
      if (b < 0 || b >= dim) return `shrink index ${d.b} out of range for axis ${a} (size ${dim})`;
      e = b + 1; s = 1;
    } else {
      const lo = s > 0 ? 0 : -1, hi = s > 0 ? dim : dim - 1;
      const clamp = (v: number): number => Math.min(Math.max(v, lo), hi);
      b = d.bm ? (s > 0 ? 0 : dim - 1) : clamp(d.b < 0 ? d.b + dim : d.b);
      e = d.em ? (s > 0 ? dim : -1) : clamp(d.e < 0 ? d.e + dim : d.e);
    }
    rb.push(b); re.push(e); rs.push(s);
    sliced.push(Math.max(0, s > 0 ? Math.ceil((e - b) / s) : Math.ceil((b - e) / -s)));
  }
  const out: number[] = [];
  let a = 0;
  for (const p of plan) {
    if (p.t === 'new') out.push(1);
    else { if (!p.shrink) out.push(sliced[a]!); a++; }
  }
  return { begin: rb, end: re, strides: rs, sliced, out };
}
