/**
 * Import-time evaluation of constant sub-graphs (shape arithmetic, weight preprocessing): the values
 * are float64 arrays tagged with their TF kind; float results are rounded to float32 after every op,
 * as TF computes them.
 */
export type Kind = 'float' | 'int' | 'bool';
export interface CVal {
  k: 'const';
  shape: number[];
  kind: Kind;
  data: Float64Array;
}

export const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export function stridesOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1]! * shape[i + 1]!;
  return st;
}

export function cval(shape: number[], kind: Kind, data: ArrayLike<number>): CVal {
  const d = Float64Array.from(data);
  if (kind === 'float') for (let i = 0; i < d.length; i++) d[i] = Math.fround(d[i]!);
  return { k: 'const', shape, kind, data: d };
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1, y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Element-wise binary op with numpy broadcasting. */
export function binaryConst(a: CVal, b: CVal, fn: (x: number, y: number) => number, kind: Kind): CVal | undefined {
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) return undefined;
  const n = numel(shape);
  const out = new Float64Array(n);
  const r = shape.length;
  const sa = stridesOf(a.shape), sb = stridesOf(b.shape), so = stridesOf(shape);
  for (let i = 0; i < n; i++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < r; d++) {
      const c = Math.floor(i / so[d]!) % shape[d]!;
      const da = d - (r - a.shape.length), db = d - (r - b.shape.length);
      if (da >= 0 && a.shape[da]! !== 1) ia += c * sa[da]!;
      if (db >= 0 && b.shape[db]! !== 1) ib += c * sb[db]!;
    }
    out[i] = fn(a.data[ia]!, b.data[ib]!);
  }
  return cval(shape, kind, out);
}

/** General strided gather: out[idx] = x[start + Σ idx_d · step_d · stride_d]. */
export function sliceConst(x: CVal, start: number[], step: number[], len: number[]): CVal {
  const st = stridesOf(x.shape);
  const n = numel(len);
  const out = new Float64Array(n);
  const so = stridesOf(len);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < len.length; d++) {
      const c = Math.floor(i / so[d]!) % len[d]!;
      off += (start[d]! + c * step[d]!) * st[d]!;
    }
    out[i] = x.data[off]!;
  }
  return { k: 'const', shape: len, kind: x.kind, data: out };
}

export function transposeConst(x: CVal, perm: number[]): CVal {
  const shape = perm.map((p) => x.shape[p]!);
  const st = stridesOf(x.shape);
  return sliceConstPerm(x, shape, perm.map((p) => st[p]!));
}

function sliceConstPerm(x: CVal, shape: number[], srcStrides: number[]): CVal {
  const n = numel(shape);
  const out = new Float64Array(n);
  const so = stridesOf(shape);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += (Math.floor(i / so[d]!) % shape[d]!) * srcStrides[d]!;
    out[i] = x.data[off]!;
  }
  return { k: 'const', shape, kind: x.kind, data: out };
}

export function concatConst(xs: CVal[], axis: number): CVal {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((a, x) => a + x.shape[axis]!, 0);
  const outer = numel(shape.slice(0, axis));
  const out = new Float64Array(numel(shape));
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const inner = numel(x.shape.slice(axis));
      out.set(x.data.subarray(o * inner, (o + 1) * inner), pos);
      pos += inner;
    }
  }
  const kind = xs.some((x) => x.kind === 'float') ? 'float' : xs[0]!.kind;
  return { k: 'const', shape, kind, data: out };
}

export function gatherConst(x: CVal, idx: number[], idxShape: number[], axis: number): CVal {
  const outer = numel(x.shape.slice(0, axis)), inner = numel(x.shape.slice(axis + 1)), dim = x.shape[axis]!;
  const out = new Float64Array(outer * idx.length * inner);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (const i0 of idx) {
      const i = i0 < 0 ? i0 + dim : i0;
      out.set(x.data.subarray((o * dim + i) * inner, (o * dim + i + 1) * inner), p);
      p += inner;
    }
  }
  return { k: 'const', shape: [...x.shape.slice(0, axis), ...idxShape, ...x.shape.slice(axis + 1)], kind: x.kind, data: out };
}

export function reduceConst(x: CVal, axes: number[], keep: boolean, fn: 'sum' | 'prod' | 'max' | 'min' | 'mean'): CVal {
  const r = x.shape.length;
  const ax = new Set(axes.map((a) => (a < 0 ? a + r : a)));
  const outShapeKeep = x.shape.map((d, i) => (ax.has(i) ? 1 : d));
  const n = numel(outShapeKeep);
  const init = fn === 'prod' ? 1 : fn === 'max' ? -Infinity : fn === 'min' ? Infinity : 0;
  const out = new Float64Array(n).fill(init);
  const si = stridesOf(x.shape), so = stridesOf(outShapeKeep);
  for (let i = 0; i < x.data.length; i++) {
    let o = 0;
    for (let d = 0; d < r; d++) if (!ax.has(d)) o += (Math.floor(i / si[d]!) % x.shape[d]!) * so[d]!;
    const v = x.data[i]!;
    out[o] = fn === 'prod' ? out[o]! * v : fn === 'max' ? Math.max(out[o]!, v) : fn === 'min' ? Math.min(out[o]!, v) : out[o]! + v;
  }
  if (fn === 'mean') { const c = x.data.length / Math.max(1, n); for (let i = 0; i < n; i++) out[i] = out[i]! / c; }
  return cval(keep ? outShapeKeep : x.shape.filter((_, i) => !ax.has(i)), x.kind, out);
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
