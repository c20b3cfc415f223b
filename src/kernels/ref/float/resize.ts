/**
 * Resize over NHWC (H and W axes) with the ONNX Resize semantics: nearest (4 rounding modes) and
 * bilinear, coordinate modes half_pixel / asymmetric / align_corners / pytorch_half_pixel.
 * Coordinates are computed in float32 like onnxruntime (ties in nearest mode then match).
 */
import type { Attrs, Op, TensorValue } from '../../../ir/types.js';
import { attrNums, attrStr, fail, tensor } from './util.js';

const f = Math.fround;

export function originalCoord(xo: number, inLen: number, outLen: number, mode: string, op?: Op): number {
  const scale = f(outLen / inLen);
  switch (mode) {
    case 'half_pixel': return f(f(f(xo + 0.5) / scale) - 0.5);
    case 'pytorch_half_pixel': return outLen > 1 ? f(f(f(xo + 0.5) / scale) - 0.5) : 0;
    case 'asymmetric': return f(xo / scale);
    case 'align_corners': return outLen === 1 ? 0 : f(f(xo * (inLen - 1)) / (outLen - 1));
    default: return fail(op, 'E_ATTR_VALUE', `resize: unknown coordinate mode '${mode}'`, 'use half_pixel, asymmetric, align_corners or pytorch_half_pixel');
  }
}

export function nearestIndex(x: number, mode: string, op?: Op): number {
  const fl = Math.floor(x);
  switch (mode) {
    case 'round_prefer_floor': return x === fl + 0.5 ? fl : Math.round(x);
    case 'round_prefer_ceil': return x === fl + 0.5 ? fl + 1 : Math.round(x);
    case 'floor': return fl;
    case 'ceil': return Math.ceil(x);
    default: return fail(op, 'E_ATTR_VALUE', `resize: unknown nearest_mode '${mode}'`, 'use round_prefer_floor, round_prefer_ceil, floor or ceil');
  }
}

export function resizeOutShape(shape: readonly number[], attrs: Attrs, op?: Op): number[] {
  if (shape.length !== 4) fail(op, 'E_RANK', `resize expects a 4-D NHWC input, got ${JSON.stringify(shape)}`);
  const size = attrNums(attrs, 'size', undefined, op);
  if (size.length !== 2 || size.some((v) => !(v > 0))) fail(op, 'E_ATTR_VALUE', `resize: size must be [w, h] > 0, got ${JSON.stringify(size)}`);
  return [shape[0]!, size[1]!, size[0]!, shape[3]!];
}

interface AxisTable { i0: Int32Array; i1: Int32Array; w1: Float64Array }

function axisTable(inLen: number, outLen: number, linear: boolean, coord: string, nearest: string, op?: Op): AxisTable {
  const i0 = new Int32Array(outLen), i1 = new Int32Array(outLen), w1 = new Float64Array(outLen);
  for (let o = 0; o < outLen; o++) {
    const x = originalCoord(o, inLen, outLen, coord, op);
    if (linear) {
      const xc = Math.min(Math.max(x, 0), inLen - 1);
      const a = Math.min(Math.floor(xc), inLen - 1);
      i0[o] = a; i1[o] = Math.min(a + 1, inLen - 1); w1[o] = xc - a;
    } else {
      const n = Math.min(Math.max(nearestIndex(x, nearest, op), 0), inLen - 1);
      i0[o] = n; i1[o] = n; w1[o] = 0;
    }
  }
  return { i0, i1, w1 };
}

export function resize(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const x = inputs[0]!;
  const [N, OH, OW, C] = resizeOutShape(x.shape, attrs, op) as [number, number, number, number];
  const [, H, W] = x.shape as [number, number, number, number];
  const mode = attrStr(attrs, 'mode', 'NEAREST').toUpperCase();
  if (mode !== 'NEAREST' && mode !== 'BILINEAR') fail(op, 'E_ATTR_VALUE', `resize: unknown mode '${mode}'`, 'use NEAREST or BILINEAR');
  const linear = mode === 'BILINEAR';
  const coord = attrStr(attrs, 'coordinate', linear ? 'half_pixel' : 'asymmetric');
  const nearest = attrStr(attrs, 'nearest_mode', 'round_prefer_floor');
  const ty = axisTable(H, OH, linear, coord, nearest, op);
  const tx = axisTable(W, OW, linear, coord, nearest, op);
  const out = tensor([N, OH, OW, C]);
  const o = out.data, xd = x.data;
  for (let n = 0; n < N; n++) {
    const xb = n * H * W * C, ob0 = n * OH * OW * C;
    for (let oy = 0; oy < OH; oy++) {
      const y0 = ty.i0[oy]!, y1 = ty.i1[oy]!, wy = ty.w1[oy]!;
      for (let ox = 0; ox < OW; ox++) {
        const ob = ob0 + (oy * OW + ox) * C;
        const x0 = tx.i0[ox]!, x1 = tx.i1[ox]!, wx = tx.w1[ox]!;
        const p00 = xb + (y0 * W + x0) * C;
        if (!linear) { for (let c = 0; c < C; c++) o[ob + c] = xd[p00 + c]!; continue; }
        const p01 = xb + (y0 * W + x1) * C, p10 = xb + (y1 * W + x0) * C, p11 = xb + (y1 * W + x1) * C;
        const w00 = (1 - wy) * (1 - wx), w01 = (1 - wy) * wx, w10 = wy * (1 - wx), w11 = wy * wx;
        for (let c = 0; c < C; c++) o[ob + c] = xd[p00 + c]! * w00 + xd[p01 + c]! * w01 + xd[p10 + c]! * w10 + xd[p11 + c]! * w11;
      }
    }
  }
  return out;
}
