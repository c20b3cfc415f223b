/**
 * Data movement on int8: concat, reshape, transpose, strided_slice, pad, resize.
 * Rule for all of them: values move unchanged; when the output fix point differs from an
 * input's, that input is first re-quantized: saturate8(DPU_ROUND(q / 2^(fi − fo))).
 */
import { DPU_ROUND, roundDivHalfUp, saturate8 } from './arith.js';
import { type QTensor, numel, qerr, requantData, strides } from './common.js';

/** concat along `axis` (negative counts from the end); inputs re-quantized to fpOut. */
export function concatInt8(xs: QTensor[], axis: number, fpOut: number, where: string): QTensor {
  if (xs.length === 0) throw qerr('E_Q_SHAPE', 'concat of no inputs', where);
  const r = xs[0].shape.length;
  const ax = axis < 0 ? axis + r : axis;
  const shape = xs[0].shape.slice();
  shape[ax] = 0;
  for (const x of xs) {
    if (x.shape.length !== r || x.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      throw qerr('E_Q_SHAPE', `concat inputs [${xs.map((t) => `[${t.shape}]`).join(', ')}] differ off axis ${ax}`, where);
    }
    shape[ax] += x.shape[ax];
  }
  const outer = numel(shape.slice(0, ax));
  const inner = numel(shape.slice(ax + 1));
  const out = new Int8Array(numel(shape));
  const rowOut = shape[ax] * inner;
  let off = 0;
  for (const x of xs) {
    const d = requantData(x, fpOut, where);
    const row = x.shape[ax] * inner;
    for (let o = 0; o < outer; o++) out.set(d.subarray(o * row, (o + 1) * row), o * rowOut + off);
    off += row;
  }
  return { shape, data: out, fixPoint: fpOut };
}

export function reshapeInt8(x: QTensor, shape: number[], fpOut: number, where: string): QTensor {
  if (numel(shape) !== x.data.length) throw qerr('E_Q_SHAPE', `cannot reshape [${x.shape}] to [${shape}]`, where);
  return { shape: shape.slice(), data: requantData(x, fpOut, where), fixPoint: fpOut };
}

export function transposeInt8(x: QTensor, order: number[], fpOut: number, where: string): QTensor {
  const r = x.shape.length;
  if (order.length !== r) throw qerr('E_Q_SHAPE', `transpose order [${order}] does not fit rank ${r}`, where);
  const shape = order.map((a) => x.shape[a]);
  const inS = strides(x.shape);
  const src = requantData(x, fpOut, where);
  const out = new Int8Array(src.length);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let a = 0; a < r; a++) s += idx[a] * inS[order[a]];
    out[i] = src[s];
    for (let a = r - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return { shape, data: out, fixPoint: fpOut };
}

/** strided_slice with one resolved (begin, end, stride) per axis; stride may be negative. */
export function stridedSliceInt8(x: QTensor, begin: number[], end: number[], stridesArg: number[], fpOut: number, where: string): QTensor {
  const r = x.shape.length;
  const axes: number[][] = [];
  for (let a = 0; a < r; a++) {
    const st = stridesArg[a] ?? 1;
    if (st === 0) throw qerr('E_Q_ATTR', 'strided_slice stride 0', where);
    const list: number[] = [];
    const b = begin[a] ?? 0;
    const e = end[a] ?? x.shape[a];
    if (st > 0) for (let i = Math.max(b, 0); i < Math.min(e, x.shape[a]); i += st) list.push(i);
    else for (let i = Math.min(b, x.shape[a] - 1); i > Math.max(e, -1); i += st) list.push(i);
    axes.push(list);
  }
  const shape = axes.map((l) => l.length);
  const inS = strides(x.shape);
  const src = requantData(x, fpOut, where);
  const out = new Int8Array(numel(shape));
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let a = 0; a < r; a++) s += axes[a][idx[a]] * inS[a];
    out[i] = src[s];
    for (let a = r - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return { shape, data: out, fixPoint: fpOut };
}

export type PadMode = 'CONSTANT' | 'REFLECT' | 'SYMMETRIC' | 'EDGE';

/** pad: paddings [before0, after0, …]; the constant is quantized with DPU_ROUND at fpOut. */
export function padInt8(x: QTensor, paddings: number[], mode: PadMode, constantValue: number, fpOut: number, where: string): QTensor {
  const r = x.shape.length;
  const shape = x.shape.map((d, a) => d + (paddings[2 * a] ?? 0) + (paddings[2 * a + 1] ?? 0));
  const src = requantData(x, fpOut, where);
  const cq = saturate8(DPU_ROUND(constantValue * 2 ** fpOut));
  const inS = strides(x.shape);
  const out = new Int8Array(numel(shape));
  const idx = new Array<number>(r).fill(0);
  const mapIndex = (i: number, n: number): number => {
    if (i >= 0 && i < n) return i;
    switch (mode) {
      case 'EDGE': return i < 0 ? 0 : n - 1;
      case 'REFLECT': {
        if (n === 1) return 0;
        const p = 2 * (n - 1);
        let m = ((i % p) + p) % p;
        if (m >= n) m = p - m;
        return m;
      }
      case 'SYMMETRIC': {
        const p = 2 * n;
        let m = ((i % p) + p) % p;
        if (m >= n) m = p - 1 - m;
        return m;
      }
      default: return -1;
    }
  };
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    let inside = true;
    for (let a = 0; a < r; a++) {
      const j = mapIndex(idx[a] - (paddings[2 * a] ?? 0), x.shape[a]);
      if (j < 0) { inside = false; break; }
      s += j * inS[a];
    }
    out[i] = inside ? src[s] : cq;
    for (let a = r - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return { shape, data: out, fixPoint: fpOut };
}

export type Coordinate = 'half_pixel' | 'asymmetric' | 'align_corners' | 'pytorch_half_pixel';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

/** Source coordinate of output index `o` as an exact fraction num/den (den > 0), ONNX Resize. */
export function sourceCoordinate(o: number, inSize: number, outSize: number, coord: Coordinate): [number, number] {
  switch (coord) {
    case 'half_pixel': return [(2 * o + 1) * inSize - outSize, 2 * outSize];
    case 'pytorch_half_pixel': return outSize > 1 ? [(2 * o + 1) * inSize - outSize, 2 * outSize] : [0, 1];
    case 'asymmetric': return [o * inSize, outSize];
    case 'align_corners': return outSize === 1 ? [0, 1] : [o * (inSize - 1), outSize - 1];
  }
}

function floorDiv(n: number, d: number): number {
  return Math.floor(n / d); // exact for the small integers of resize coordinates
}

export function nearestIndex(o: number, inSize: number, outSize: number, coord: Coordinate, mode: NearestMode): number {
  const [num, den] = sourceCoordinate(o, inSize, outSize, coord);
  const f = floorDiv(num, den);
  const rem = num - f * den;
  let i: number;
  switch (mode) {
    case 'floor': i = f; break;
    case 'ceil': i = rem > 0 ? f + 1 : f; break;
    case 'round_prefer_ceil': i = 2 * rem >= den ? f + 1 : f; break;
    default: i = 2 * rem > den ? f + 1 : f; break; // round_prefer_floor
  }
  return i < 0 ? 0 : i >= inSize ? inSize - 1 : i;
}

export interface ResizeParams {
  /** [w, h] */
  size: number[];
  mode: 'NEAREST' | 'BILINEAR';
  coordinate: Coordinate;
  nearestMode: NearestMode;
  fpOut: number;
  where: string;
}

/**
 * resize on NHWC int8. NEAREST: pure index mapping (exact integer coordinate rounding), then
 * re-quantization if fo ≠ fi. BILINEAR (our exact definition): the source coordinate
 * num/den is clamped to [0, in−1]; with i0 = floor, i1 = min(i0+1, in−1), weights
 * (den−rem)/den and rem/den per axis; the output is the exact rational
 * S / (den_y·den_x) with S = Σ q·wy·wx (integers), and y = saturate8(DPU_ROUND(S·2^(fo−fi) / (den_y·den_x))).
 */
export function resizeInt8(x: QTensor, p: ResizeParams): QTensor {
  if (x.shape.length !== 4) throw qerr('E_Q_SHAPE', `resize input must be NHWC 4-D, got [${x.shape}]`, p.where);
  const [n, h, w, c] = x.shape;
  const [ow, oh] = p.size;
  const out = new Int8Array(n * oh * ow * c);
  if (p.mode === 'NEAREST') {
    const src = requantData(x, p.fpOut, p.where);
    const ys = Array.from({ length: oh }, (_, o) => nearestIndex(o, h, oh, p.coordinate, p.nearestMode));
    const xs = Array.from({ length: ow }, (_, o) => nearestIndex(o, w, ow, p.coordinate, p.nearestMode));
    for (let b = 0; b < n; b++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const si = ((b * h + ys[oy]) * w + xs[ox]) * c;
          out.set(src.subarray(si, si + c), ((b * oh + oy) * ow + ox) * c);
        }
    return { shape: [n, oh, ow, c], data: out, fixPoint: p.fpOut };
  }
  if (p.mode !== 'BILINEAR') throw qerr('E_Q_ATTR', `resize mode '${String(p.mode)}' has no INT8 definition`, p.where);
  const axis = (inSize: number, outSize: number) =>
    Array.from({ length: outSize }, (_, o) => {
      let [num, den] = sourceCoordinate(o, inSize, outSize, p.coordinate);
      if (num < 0) num = 0;
      if (num > (inSize - 1) * den) num = (inSize - 1) * den;
      const i0 = floorDiv(num, den);
      const rem = num - i0 * den;
      return { i0, i1: Math.min(i0 + 1, inSize - 1), w0: den - rem, w1: rem, den };
    });
  const ay = axis(h, oh);
  const axx = axis(w, ow);
  const dfp = p.fpOut - x.fixPoint;
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const Y = ay[oy];
        const X = axx[ox];
        let den = Y.den * X.den;
        const base = (yy: number, xx: number) => ((b * h + yy) * w + xx) * c;
        const b00 = base(Y.i0, X.i0), b01 = base(Y.i0, X.i1), b10 = base(Y.i1, X.i0), b11 = base(Y.i1, X.i1);
        const w00 = Y.w0 * X.w0, w01 = Y.w0 * X.w1, w10 = Y.w1 * X.w0, w11 = Y.w1 * X.w1;
        let mul = 1;
        if (dfp >= 0) mul = 2 ** dfp;
        else den *= 2 ** -dfp;
        for (let ch = 0; ch < c; ch++) {
          const S = x.data[b00 + ch] * w00 + x.data[b01 + ch] * w01 + x.data[b10 + ch] * w10 + x.data[b11 + ch] * w11;
          out[((b * oh + oy) * ow + ox) * c + ch] = saturate8(roundDivHalfUp(S * mul, den));
        }
      }
  return { shape: [n, oh, ow, c], data: out, fixPoint: p.fpOut };
}
