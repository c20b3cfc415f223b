/** Data-movement kernels: concat, reshape, transpose, strided_slice, pad, gather, identity. */
import type { Attrs, Op, TensorValue } from '../../../ir/types.js';
import { attrNum, attrNums, attrStr, fail, normAxis, numel, stridesOf, tensor } from './util.js';

export function concatShape(shapes: readonly (readonly number[])[], attrs: Attrs, op?: Op): number[] {
  if (shapes.length === 0) fail(op, 'E_ARITY', 'concat needs at least one input');
  const r = shapes[0]!.length;
  const ax = normAxis(attrNum(attrs, 'axis', undefined, op), r, op);
  const out = [...shapes[0]!];
  for (let i = 1; i < shapes.length; i++) {
    const s = shapes[i]!;
    if (s.length !== r || s.some((d, j) => j !== ax && d !== out[j])) {
      fail(op, 'E_SHAPE', `concat on axis ${ax}: input ${i} has shape ${JSON.stringify(s)}, incompatible with ${JSON.stringify(shapes[0])}`);
    }
    out[ax]! += s[ax]!;
  }
  return out;
}

export function concat(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const shape = concatShape(inputs.map((t) => t.shape), attrs, op);
  const ax = normAxis(attrNum(attrs, 'axis', undefined, op), shape.length, op);
  const out = tensor(shape);
  const outer = numel(shape.slice(0, ax));
  const inner = numel(shape.slice(ax + 1));
  const rowOut = shape[ax]! * inner;
  let off = 0;
  for (const t of inputs) {
    const len = t.shape[ax]! * inner;
    for (let o = 0; o < outer; o++) out.data.set(t.data.subarray(o * len, (o + 1) * len), o * rowOut + off);
    off += len;
  }
  return out;
}

export function reshapeShape(inShape: readonly number[], attrs: Attrs, op?: Op): number[] {
  const s = attrNums(attrs, 'shape', undefined, op);
  if (s.some((d) => !Number.isInteger(d) || d < 0)) fail(op, 'E_ATTR_VALUE', `reshape: shape ${JSON.stringify(s)} must be fully resolved (no -1/0 placeholders)`, 'the importer resolves -1 and 0');
  if (numel(s) !== numel(inShape)) fail(op, 'E_SHAPE', `reshape: cannot reshape ${JSON.stringify(inShape)} (${numel(inShape)} elements) to ${JSON.stringify(s)} (${numel(s)})`);
  return [...s];
}

export function reshape(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const x = inputs[0]!;
  return { shape: reshapeShape(x.shape, attrs, op), data: x.data.slice() };
}

export function identity(inputs: TensorValue[]): TensorValue {
  const x = inputs[0]!;
  return { shape: [...x.shape], data: x.data.slice() };
}

export function transposeShape(inShape: readonly number[], attrs: Attrs, op?: Op): number[] {
  const order = attrNums(attrs, 'order', [...inShape.keys()].reverse(), op);
  const seen = new Set(order);
  if (order.length !== inShape.length || seen.size !== order.length || order.some((p) => p < 0 || p >= inShape.length)) {
    fail(op, 'E_ATTR_VALUE', `transpose: order ${JSON.stringify(order)} is not a permutation of rank ${inShape.length}`);
  }
  return order.map((p) => inShape[p]!);
}

/** Generic gather-walk: out[idx] = x[sum idx[d]·srcStride[d] + base], innermost axis as a tight loop. */
function strideWalk(src: Float32Array, base: number, srcStr: readonly number[], outShape: readonly number[], out: Float32Array): void {
  const r = outShape.length;
  const n = out.length;
  if (n === 0) return;
  if (r === 0) { out[0] = src[base]!; return; }
  const inner = outShape[r - 1]!, s1 = srcStr[r - 1]!;
  const idx = new Array<number>(r).fill(0);
  let off = base;
  for (let i = 0; i < n; i += inner) {
    for (let k = 0; k < inner; k++) out[i + k] = src[off + k * s1]!;
    for (let d = r - 2; d >= 0; d--) {
      idx[d]!++; off += srcStr[d]!;
      if (idx[d]! < outShape[d]!) break;
      off -= srcStr[d]! * idx[d]!; idx[d] = 0;
    }
  }
}

export function transpose(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const x = inputs[0]!;
  const shape = transposeShape(x.shape, attrs, op);
  const order = attrNums(attrs, 'order', [...x.shape.keys()].reverse(), op);
  const st = stridesOf(x.shape);
  const out = tensor(shape);
  strideWalk(x.data, 0, order.map((p) => st[p]!), shape, out.data);
  return out;
}

interface SliceAxis { start: number; step: number; len: number }

function sliceAxes(inShape: readonly number[], attrs: Attrs, op?: Op): SliceAxis[] {
  const r = inShape.length;
  const begin = attrNums(attrs, 'begin', undefined, op);
  const end = attrNums(attrs, 'end', undefined, op);
  const strides = attrNums(attrs, 'strides', new Array<number>(r).fill(1), op);
  if (begin.length !== r || end.length !== r || strides.length !== r) {
    fail(op, 'E_ATTR_SHAPE', `strided_slice: begin/end/strides need one entry per axis (${r}); got ${begin.length}/${end.length}/${strides.length}`);
  }
  return inShape.map((dim, i) => {
    const s = strides[i]!;
    if (s === 0 || !Number.isInteger(s)) fail(op, 'E_ATTR_VALUE', `strided_slice: stride on axis ${i} is ${s}`);
    let b = begin[i]!, e = end[i]!;
    if (s > 0) {
      b = Math.min(Math.max(b, 0), dim); e = Math.min(Math.max(e, 0), dim);
      return { start: b, step: s, len: Math.max(0, Math.ceil((e - b) / s)) };
    }
    b = Math.min(Math.max(b, -1), dim - 1); e = Math.min(Math.max(e, -1), dim - 1);
    return { start: b, step: s, len: Math.max(0, Math.ceil((b - e) / -s)) };
  });
}

export function stridedSliceShape(inShape: readonly number[], attrs: Attrs, op?: Op): number[] {
  return sliceAxes(inShape, attrs, op).map((a) => a.len);
}

export function stridedSlice(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const x = inputs[0]!;
  const ax = sliceAxes(x.shape, attrs, op);
  const shape = ax.map((a) => a.len);
  const st = stridesOf(x.shape);
  const out = tensor(shape);
  const base = ax.reduce((acc, a, i) => acc + (a.len > 0 ? a.start * st[i]! : 0), 0);
  strideWalk(x.data, base, ax.map((a, i) => a.step * st[i]!), shape, out.data);
  return out;
}

export function padShape(inShape: readonly number[], attrs: Attrs, op?: Op): number[] {
  const p = attrNums(attrs, 'paddings', undefined, op);
  if (p.length !== 2 * inShape.length) fail(op, 'E_ATTR_SHAPE', `pad: paddings has ${p.length} entries, need 2 per axis (${2 * inShape.length}) as [before0, after0, before1, after1…]`);
  const out = inShape.map((d, i) => d + p[2 * i]! + p[2 * i + 1]!);
  if (out.some((d) => d < 0)) fail(op, 'E_SHAPE', `pad: negative output shape ${JSON.stringify(out)}`);
  return out;
}

function padSource(i: number, n: number, mode: string): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'EDGE': return i < 0 ? 0 : n - 1;
    case 'REFLECT': {
      if (n === 1) return 0;
      const per = 2 * (n - 1);
      let j = i % per; if (j < 0) j += per;
      return j >= n ? per - j : j;
    }
    case 'SYMMETRIC': {
      const per = 2 * n;
      let j = i % per; if (j < 0) j += per;
      return j >= n ? per - 1 - j : j;
    }
    default: return -1;
  }
}

export function pad(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const x = inputs[0]!;
  const shape = padShape(x.shape, attrs, op);
  const p = attrNums(attrs, 'paddings', undefined, op);
  const mode = attrStr(attrs, 'mode', 'CONSTANT').toUpperCase();
  if (!['CONSTANT', 'REFLECT', 'SYMMETRIC', 'EDGE'].includes(mode)) fail(op, 'E_ATTR_VALUE', `pad: unknown mode '${mode}'`, 'use CONSTANT, REFLECT, SYMMETRIC or EDGE');
  const cv = attrNum(attrs, 'constant_value', 0, op);
  const r = shape.length;
  if (mode !== 'CONSTANT' && x.shape.some((d, i) => d === 0 && shape[i]! > 0)) fail(op, 'E_SHAPE', `pad: mode ${mode} needs non-empty axes`);
  const st = stridesOf(x.shape);
  // per-axis source offsets (−1 = constant)
  const maps = shape.map((d, ax) => {
    const m = new Int32Array(d);
    for (let o = 0; o < d; o++) { const s = padSource(o - p[2 * ax]!, x.shape[ax]!, mode); m[o] = s < 0 ? -1 : s * st[ax]!; }
    return m;
  });
  const out = tensor(shape);
  const n = out.data.length;
  if (n === 0) return out;
  if (r === 0) { out.data[0] = x.data[0]!; return out; }
  const inner = shape[r - 1]!, mi = maps[r - 1]!;
  const idx = new Array<number>(r).fill(0);
  const o = out.data, xd = x.data;
  for (let i = 0; i < n; i += inner) {
    let off = 0, isConst = false;
    for (let d = 0; d < r - 1; d++) { const m = maps[d]![idx[d]!]!; if (m < 0) { isConst = true; break; } off += m; }
    if (isConst) o.fill(cv, i, i + inner);
    else for (let k = 0; k < inner; k++) { const m = mi[k]!; o[i + k] = m < 0 ? cv : xd[off + m]!; }
    for (let d = r - 2; d >= 0; d--) { if (++idx[d]! < shape[d]!) break; idx[d] = 0; }
  }
  return out;
}

/** Indices of a gather: attr `indices` (number → scalar index, number[] → 1-D) or input 1. */
export function gatherIndices(attrs: Attrs, idxInput: TensorValue | undefined, op?: Op): { shape: number[]; values: ArrayLike<number> } {
  if (idxInput) return { shape: [...idxInput.shape], values: idxInput.data };
  const v = attrs['indices'];
  if (typeof v === 'number') return { shape: [], values: [v] };
  if (Array.isArray(v) && v.every((e) => typeof e === 'number')) {
    const shape = Array.isArray(attrs['indices_shape']) ? (attrs['indices_shape'] as number[]) : [v.length];
    return { shape, values: v as number[] };
  }
  return fail(op, 'E_ATTR_MISSING', 'gather: indices must be a second input or attr `indices`');
}

export function gatherShape(xShape: readonly number[], idxShape: readonly number[], attrs: Attrs, op?: Op): number[] {
  const ax = normAxis(attrNum(attrs, 'axis', 0, op), xShape.length, op);
  return [...xShape.slice(0, ax), ...idxShape, ...xShape.slice(ax + 1)];
}

export function gather(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const x = inputs[0]!;
  const { shape: ishape, values } = gatherIndices(attrs, inputs[1], op);
  const shape = gatherShape(x.shape, ishape, attrs, op);
  const ax = normAxis(attrNum(attrs, 'axis', 0, op), x.shape.length, op);
  const outer = numel(x.shape.slice(0, ax));
  const inner = numel(x.shape.slice(ax + 1));
  const dim = x.shape[ax]!;
  const ni = numel(ishape);
  const out = tensor(shape);
  for (let j = 0; j < ni; j++) {
    let k = Math.trunc(values[j]!);
    if (k < 0) k += dim;
    if (k < 0 || k >= dim) fail(op, 'E_INDEX', `gather: index ${values[j]} out of range for axis ${ax} of size ${dim}`);
    for (let o = 0; o < outer; o++) out.data.set(x.data.subarray((o * dim + k) * inner, (o * dim + k + 1) * inner), (o * ni + j) * inner);
  }
  return out;
}
