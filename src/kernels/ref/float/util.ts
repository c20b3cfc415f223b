/** Shared helpers of the float reference kernels (pure, no I/O). */
import type { AttrValue, Attrs, Op, TensorValue } from '../../../ir/types.js';
import { GraphError } from '../../../errors.js';

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function tensor(shape: number[], data?: Float32Array): TensorValue {
  return { shape, data: data ?? new Float32Array(numel(shape)) };
}

export function fail(op: Op | undefined, code: string, msg: string, fix?: string): never {
  throw new GraphError(code, msg, { where: op ? `${op.type} ${op.name}` : undefined, fix });
}

export function attrNum(attrs: Attrs, key: string, dflt?: number, op?: Op): number {
  const v: AttrValue | undefined = attrs[key];
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    fail(op, 'E_ATTR_MISSING', `missing attr '${key}'`);
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return v[0];
  return fail(op, 'E_ATTR_TYPE', `attr '${key}' must be a number, got ${JSON.stringify(v)}`);
}

export function attrNums(attrs: Attrs, key: string, dflt?: number[], op?: Op): number[] {
  const v = attrs[key];
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    fail(op, 'E_ATTR_MISSING', `missing attr '${key}'`);
  }
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  return fail(op, 'E_ATTR_TYPE', `attr '${key}' must be a number list, got ${JSON.stringify(v)}`);
}

export function attrBool(attrs: Attrs, key: string, dflt: boolean): boolean {
  const v = attrs[key];
  if (v === undefined) return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v === 'true' || v === '1';
  return dflt;
}

export function attrStr(attrs: Attrs, key: string, dflt: string): string {
  const v = attrs[key];
  return typeof v === 'string' ? v : dflt;
}

/** Normalises a possibly negative axis against a rank; throws if out of range. */
export function normAxis(axis: number, rank: number, op?: Op): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(op, 'E_AXIS', `axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** numpy broadcast of two shapes; undefined if incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else return undefined;
  }
  return out;
}

/** Strides of `shape` viewed as broadcast into `outShape` (0 on broadcast dims). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const st = stridesOf(shape);
  const r = outShape.length;
  const out = new Array<number>(r).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const oi = r - shape.length + i;
    out[oi] = shape[i] === 1 && outShape[oi] !== 1 ? 0 : st[i]!;
  }
  return out;
}

/** For every element of `shape` in row-major order, its offset under `strides` (broadcast or reduce maps). */
export function offsetMap(shape: readonly number[], strides: readonly number[]): Int32Array {
  const r = shape.length;
  const n = numel(shape);
  const map = new Int32Array(n);
  const idx = new Array<number>(r).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    map[i] = off;
    for (let d = r - 1; d >= 0; d--) {
      idx[d]!++;
      off += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      off -= strides[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
  return map;
}

/**
 * dst[i] = src[base + Σ_d idx_d·strides_d] for every element i (index idx) of `shape` in row-major order: a
 * strided gather (transpose, broadcast, slice). offsetMap over all but the last axis, a plain loop along it.
 */
export function gatherStrided(src: ArrayLike<number>, dst: { [i: number]: number }, shape: readonly number[], strides: readonly number[], base = 0): void {
  const r = shape.length;
  const inner = r > 0 ? shape[r - 1]! : 1;
  const step = r > 0 ? strides[r - 1]! : 0;
  const rows = offsetMap(shape.slice(0, Math.max(0, r - 1)), strides.slice(0, Math.max(0, r - 1)));
  let o = 0;
  for (let i = 0; i < rows.length; i++) {
    let s = base + rows[i]!;
    for (let k = 0; k < inner; k++, s += step) dst[o++] = src[s]!;
  }
}

/** Materialises `t` broadcast to `outShape` (used for small params such as layernorm gamma). */
export function broadcastTo(t: TensorValue, outShape: number[]): Float32Array {
  if (numel(t.shape) === numel(outShape) && t.shape.length <= outShape.length) {
    const bs = broadcastShapes(t.shape, outShape);
    if (bs && bs.every((d, i) => d === outShape[i])) return t.data;
  }
  const out = new Float32Array(numel(outShape));
  gatherStrided(t.data, out, outShape, broadcastStrides(t.shape, outShape));
  return out;
}
