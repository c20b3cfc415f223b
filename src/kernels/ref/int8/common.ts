/** Shared types and helpers of the INT8 reference kernels. */
import type { Attrs, AttrValue } from '../../../ir/types.js';
import { QuantizeError } from '../../../errors.js';
import { checkShift } from './arith.js';
import { numel, stridesOf as strides } from '../float/util.js';

/** A fixed-point tensor: value[i] = data[i] · 2^-fixPoint. Dense row-major (NHWC for 4-D). */
export interface QTensor {
  shape: number[];
  data: Int8Array;
  fixPoint: number;
}

export { numel, strides };

export function qerr(code: string, msg: string, where: string, fix?: string): QuantizeError {
  return new QuantizeError(code, msg, { where, fix });
}

export function attrNums(attrs: Attrs, key: string, dflt: number[]): number[] {
  const v: AttrValue | undefined = attrs[key];
  if (v === undefined) return dflt;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  if (typeof v === 'number') return [v];
  throw qerr('E_Q_ATTR', `attr '${key}' must be a number list, got ${JSON.stringify(v)}`, key);
}

export function attrNum(attrs: Attrs, key: string, dflt: number): number {
  const v = attrs[key];
  if (v === undefined) return dflt;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw qerr('E_Q_ATTR', `attr '${key}' must be a number, got ${JSON.stringify(v)}`, key);
}

export function attrBool(attrs: Attrs, key: string, dflt: boolean): boolean {
  const v = attrs[key];
  if (v === undefined) return dflt;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw qerr('E_Q_ATTR', `attr '${key}' must be a boolean, got ${JSON.stringify(v)}`, key);
}

export function attrStr(attrs: Attrs, key: string, dflt: string): string {
  const v = attrs[key];
  if (v === undefined) return dflt;
  if (typeof v === 'string') return v;
  throw qerr('E_Q_ATTR', `attr '${key}' must be a string, got ${JSON.stringify(v)}`, key);
}

/** Re-quantize a whole tensor's data to `fpOut` (copy when equal). */
export function requantData(x: QTensor, fpOut: number, where: string): Int8Array {
  if (x.fixPoint === fpOut) return x.data.slice();
  const s = x.fixPoint - fpOut;
  checkShift(s, where);
  const out = new Int8Array(x.data.length);
  const d = 2 ** s;
  for (let i = 0; i < out.length; i++) {
    const v = Math.floor(x.data[i] / d + 0.5);
    out[i] = v < -128 ? -128 : v > 127 ? 127 : v;
  }
  return out;
}

/** Index of an output element's source under numpy broadcasting of `inShape` to `outShape`. */
export function broadcastIndexer(inShape: readonly number[], outShape: readonly number[]): (outIdx: number) => number {
  const r = outShape.length;
  const pad = r - inShape.length;
  const inS = strides(inShape);
  const outS = strides(outShape);
  const same = inShape.length === r && inShape.every((d, i) => d === outShape[i]);
  if (same) return (i) => i;
  return (outIdx) => {
    let rem = outIdx;
    let src = 0;
    for (let a = 0; a < r; a++) {
      const c = Math.floor(rem / outS[a]);
      rem -= c * outS[a];
      const ia = a - pad;
      if (ia >= 0 && inShape[ia] !== 1) src += c * inS[ia];
    }
    return src;
  };
}

export function broadcastShapes(a: readonly number[], b: readonly number[], where: string): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw qerr('E_Q_SHAPE', `shapes [${a}] and [${b}] do not broadcast`, where);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}
