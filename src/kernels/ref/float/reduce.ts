/** Reductions and normalisations: softmax, reduction_{mean,max,sum}, layernorm, batchnorm. */
import type { Attrs, Op, TensorValue } from '../../../ir/types.js';
import { attrBool, attrNum, attrNums, broadcastShapes, broadcastTo, fail, normAxis, numel, offsetMap, stridesOf, tensor } from './util.js';

/** Softmax along one axis, max-subtracted (stable), sums in double. */
export function softmax(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const x = inputs[0]!;
  const ax = normAxis(attrNum(attrs, 'axis', -1, op), x.shape.length, op);
  const outer = numel(x.shape.slice(0, ax)), L = x.shape[ax]!, inner = numel(x.shape.slice(ax + 1));
  const out = tensor([...x.shape]);
  const xd = x.data, o = out.data;
  const tmp = new Float64Array(L);
  for (let a = 0; a < outer; a++) {
    for (let b = 0; b < inner; b++) {
      const base = a * L * inner + b;
      let m = -Infinity;
      for (let l = 0; l < L; l++) { const v = xd[base + l * inner]!; if (v > m) m = v; }
      let s = 0;
      for (let l = 0; l < L; l++) { const e = Math.exp(xd[base + l * inner]! - m); tmp[l] = e; s += e; }
      for (let l = 0; l < L; l++) o[base + l * inner] = tmp[l]! / s;
    }
  }
  return out;
}

/** Normalised, sorted, de-duplicated reduction axes (empty list = all axes). */
export function reduceAxes(rank: number, attrs: Attrs, op?: Op): number[] {
  const a = attrNums(attrs, 'axis', [], op);
  if (a.length === 0) return [...Array(rank).keys()];
  return [...new Set(a.map((x) => normAxis(x, rank, op)))].sort((p, q) => p - q);
}

export function reduceShape(shape: readonly number[], attrs: Attrs, op?: Op): number[] {
  const axes = new Set(reduceAxes(shape.length, attrs, op));
  const keep = attrBool(attrs, 'keep_dims', false);
  const out: number[] = [];
  shape.forEach((d, i) => { if (!axes.has(i)) out.push(d); else if (keep) out.push(1); });
  return out;
}

/**
 * For every input element, the offset of its reduced output element (walk with incremental
 * offsets; reduced axes contribute 0). Calls visit(inputIndex, outputOffset).
 */
function reduceMap(shape: readonly number[], axes: readonly number[]): Int32Array {
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return offsetMap(shape, stridesOf(keptShape).map((s, i) => (axes.includes(i) ? 0 : s)));
}

function reduceKernel(kind: 'mean' | 'max' | 'sum') {
  return (inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue => {
    const x = inputs[0]!;
    const axes = reduceAxes(x.shape.length, attrs, op);
    const shape = reduceShape(x.shape, attrs, op);
    const nOut = numel(shape);
    const cnt = numel(axes.map((a) => x.shape[a]!));
    const acc = new Float64Array(nOut).fill(kind === 'max' ? -Infinity : 0);
    const map = reduceMap(x.shape, axes);
    const xd = x.data;
    if (kind === 'max') for (let i = 0; i < xd.length; i++) { const v = xd[i]!; const j = map[i]!; if (v > acc[j]! || v !== v) acc[j] = v; }
    else for (let i = 0; i < xd.length; i++) acc[map[i]!] += xd[i]!;
    const out = tensor(shape);
    for (let j = 0; j < nOut; j++) out.data[j] = kind === 'mean' ? acc[j]! / cnt : acc[j]!;
    return out;
  };
}

export const reductionMean = reduceKernel('mean');
export const reductionMax = reduceKernel('max');
export const reductionSum = reduceKernel('sum');

/**
 * Layer norm of `nOut` consecutive rows of `cnt` values (the trailing-axes case): mean and variance summed
 * in double, in order; `(x − mean)·inv·gamma + beta`, missing gamma/beta as ·1 / +0. Gamma/beta are
 * indexed like x (`paramsPerRow` false: broadcast to x's shape) or hold one row of `cnt` values
 * (`paramsPerRow` true). Shared by this reference and the float 'run' backend (the same arithmetic).
 */
export function layernormRows(xd: Float32Array, g: Float32Array | undefined, b: Float32Array | undefined, o: Float32Array, nOut: number, cnt: number, eps: number, paramsPerRow: boolean): void {
  for (let r = 0; r < nOut; r++) {
    const base = r * cnt;
    const pb = paramsPerRow ? 0 : base;
    let s = 0;
    for (let i = 0; i < cnt; i++) s += xd[base + i]!;
    const mean = s / cnt;
    let v = 0;
    for (let i = 0; i < cnt; i++) { const d = xd[base + i]! - mean; v += d * d; }
    const inv = 1 / Math.sqrt(v / cnt + eps);
    if (g && b) for (let i = 0; i < cnt; i++) o[base + i] = (xd[base + i]! - mean) * inv * g[pb + i]! + b[pb + i]!;
    else for (let i = 0; i < cnt; i++) o[base + i] = (xd[base + i]! - mean) * inv * (g ? g[pb + i]! : 1) + (b ? b[pb + i]! : 0);
  }
}

/** Layer normalisation over attrs.axis (any set; usually the trailing ones), gamma/beta broadcast. */
export function layernorm(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const [x, gamma, beta] = inputs as [TensorValue, TensorValue | undefined, TensorValue | undefined];
  const eps = attrNum(attrs, 'epsilon', 1e-5, op);
  const axes = reduceAxes(x.shape.length, { axis: attrNums(attrs, 'axis', [-1], op) }, op);
  for (const p of [gamma, beta]) if (p && !broadcastShapes(p.shape, x.shape)?.every((d, i) => d === x.shape[i])) fail(op, 'E_BROADCAST', `layernorm: parameter of shape ${JSON.stringify(p.shape)} does not broadcast to ${JSON.stringify(x.shape)}`);
  const g = gamma ? broadcastTo(gamma, x.shape) : undefined;
  const b = beta ? broadcastTo(beta, x.shape) : undefined;
  const n = x.data.length;
  const nOut = n / Math.max(1, numel(axes.map((a) => x.shape[a]!)));
  const cnt = n / nOut;
  const out = tensor([...x.shape]);
  const xd = x.data, o = out.data;
  const trailing = axes.every((a, i) => a === x.shape.length - axes.length + i);
  if (trailing) {
    layernormRows(xd, g, b, o, nOut, cnt, eps, false);
    return out;
  }
  const map = reduceMap(x.shape, axes);
  const mean = new Float64Array(nOut), vr = new Float64Array(nOut);
  for (let i = 0; i < n; i++) mean[map[i]!] += xd[i]!;
  for (let j = 0; j < nOut; j++) mean[j]! /= cnt;
  for (let i = 0; i < n; i++) { const d = xd[i]! - mean[map[i]!]!; vr[map[i]!] += d * d; }
  for (let j = 0; j < nOut; j++) vr[j] = 1 / Math.sqrt(vr[j]! / cnt + eps);
  for (let i = 0; i < n; i++) { const j = map[i]!; o[i] = (xd[i]! - mean[j]!) * vr[j]! * (g ? g[i]! : 1) + (b ? b[i]! : 0); }
  return out;
}

/** Inference batchnorm along attrs.axis (−1 = channels last). */
export function batchnorm(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const [x, gamma, beta, mean, vr] = inputs as [TensorValue, TensorValue, TensorValue, TensorValue, TensorValue];
  const eps = attrNum(attrs, 'epsilon', 1e-5, op);
  const ax = normAxis(attrNum(attrs, 'axis', -1, op), x.shape.length, op);
  const C = x.shape[ax]!;
  const inner = numel(x.shape.slice(ax + 1));
  const outer = numel(x.shape.slice(0, ax));
  const out = tensor([...x.shape]);
  const scale = new Float64Array(C), shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = gamma.data[c]! / Math.sqrt(vr.data[c]! + eps);
    shift[c] = beta.data[c]! - mean.data[c]! * scale[c]!;
  }
  const xd = x.data, o = out.data;
  for (let a = 0; a < outer; a++) for (let c = 0; c < C; c++) {
    const base = (a * C + c) * inner, s = scale[c]!, t = shift[c]!;
    for (let i = 0; i < inner; i++) o[base + i] = xd[base + i]! * s + t;
  }
  return out;
}
