/** Max / average pooling over NHWC (ceil mode arrives as extra right/bottom pad from the importer). */
import type { Attrs, Op, TensorValue } from '../../../ir/types.js';
import { convOutSize } from './conv.js';
import { attrBool, attrNums, fail, tensor } from './util.js';

export interface PoolGeom { H: number; W: number; C: number; KH: number; KW: number; SH: number; SW: number; DH: number; DW: number; PL: number; PR: number; PT: number; PB: number; OH: number; OW: number }

export function poolGeom(shape: readonly number[], attrs: Attrs, op?: Op): PoolGeom {
  if (shape.length !== 4) fail(op, 'E_RANK', `pooling expects a 4-D NHWC input, got ${JSON.stringify(shape)}`);
  const [, H, W, C] = shape as [number, number, number, number];
  if (attrBool(attrs, 'global', false)) {
    return { H, W, C, KH: H, KW: W, SH: 1, SW: 1, DH: 1, DW: 1, PL: 0, PR: 0, PT: 0, PB: 0, OH: 1, OW: 1 };
  }
  const k = attrNums(attrs, 'kernel', undefined, op);
  const s = attrNums(attrs, 'stride', k, op);
  const d = attrNums(attrs, 'dilation', [1, 1], op);
  const p = attrNums(attrs, 'pad', [0, 0, 0, 0], op);
  if (k.length !== 2 || s.length !== 2 || p.length !== 4) fail(op, 'E_ATTR_SHAPE', `pool needs kernel/stride [w,h] and pad [l,r,t,b]; got kernel=${JSON.stringify(k)} stride=${JSON.stringify(s)} pad=${JSON.stringify(p)}`);
  const [KW, KH] = k as [number, number];
  const [SW, SH] = s as [number, number];
  const [DW, DH] = [d[0] ?? 1, d[1] ?? 1];
  const [PL, PR, PT, PB] = p as [number, number, number, number];
  const OH = convOutSize(H, KH, SH, DH, PT, PB);
  const OW = convOutSize(W, KW, SW, DW, PL, PR);
  if (OH <= 0 || OW <= 0) fail(op, 'E_SHAPE', `pool window ${KW}x${KH} larger than padded input ${W}x${H}`);
  return { H, W, C, KH, KW, SH, SW, DH, DW, PL, PR, PT, PB, OH, OW };
}

export function maxpool2d(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const x = inputs[0]!;
  const g = poolGeom(x.shape, attrs, op);
  const { H, W, C, OH, OW } = g;
  const out = tensor([1, OH, OW, C]);
  const o = out.data, xd = x.data;
  const acc = new Float64Array(C);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      acc.fill(-Infinity);
      for (let ky = 0; ky < g.KH; ky++) {
        const iy = oy * g.SH - g.PT + ky * g.DH;
        if (iy < 0 || iy >= H) continue;
        for (let kx = 0; kx < g.KW; kx++) {
          const ix = ox * g.SW - g.PL + kx * g.DW;
          if (ix < 0 || ix >= W) continue;
          const b = (iy * W + ix) * C;
          for (let c = 0; c < C; c++) { const v = xd[b + c]!; if (v > acc[c]! || v !== v) acc[c] = v; }
        }
      }
      const ob = (oy * OW + ox) * C;
      for (let c = 0; c < C; c++) o[ob + c] = acc[c]!;
    }
  }
  return out;
}

export function avgpool2d(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  const x = inputs[0]!;
  const g = poolGeom(x.shape, attrs, op);
  const includePad = attrBool(attrs, 'count_include_pad', false);
  const { H, W, C, OH, OW } = g;
  const out = tensor([1, OH, OW, C]);
  const o = out.data, xd = x.data;
  const acc = new Float64Array(C);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      acc.fill(0);
      let n = 0, nPad = 0;
      for (let ky = 0; ky < g.KH; ky++) {
        const iy = oy * g.SH - g.PT + ky * g.DH;
        const inPadY = iy >= -g.PT && iy < H + g.PB;
        for (let kx = 0; kx < g.KW; kx++) {
          const ix = ox * g.SW - g.PL + kx * g.DW;
          if (inPadY && ix >= -g.PL && ix < W + g.PR) nPad++;
          if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
          n++;
          const b = (iy * W + ix) * C;
          for (let c = 0; c < C; c++) acc[c] += xd[b + c]!;
        }
      }
      const div = includePad ? nPad : n;
      const ob = (oy * OW + ox) * C;
      for (let c = 0; c < C; c++) o[ob + c] = div > 0 ? acc[c]! / div : 0;
    }
  }
  return out;
}
