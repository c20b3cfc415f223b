/**
 * Convolution kernels over NHWC float32 (batch 1):
 *  - conv2d: direct convolution as a register-blocked GEMM (4 output pixels × 4 output channels of
 *    accumulators), cache-tiled over output pixels, weights repacked once per weights array
 *    (WeakMap cache), input zero-padded once per call so the inner loop has no bounds checks;
 *  - depthwise-conv2d: its own loop, channels innermost;
 *  - transposed-conv2d: gather form (each output pixel sums the input taps that reach it).
 * Spatial attrs follow XIR: kernel/stride/dilation are [w, h], pad is [left, right, top, bottom].
 */
import type { Attrs, Op, TensorValue } from '../../../ir/types.js';
import { convOutHW, convWindow, type ConvWindow } from '../conv-geometry.js';
import { attrNum, attrNums, attrStr, fail, tensor } from './util.js';
import { conv2dWasm, depthwiseWasm, transposedConvWasm } from './wasm/kernels.js';
import type { ConvGeom } from './wasm/kernels.js';

export { convOutSize, convTransposeOutSize } from '../conv-geometry.js';
export type Conv2dParams = ConvWindow;

export function convParams(attrs: Attrs, wShape: readonly number[] | undefined, op?: Op): Conv2dParams {
  const k = attrNums(attrs, 'kernel', wShape ? [wShape[2]!, wShape[1]!] : undefined, op);
  const s = attrNums(attrs, 'stride', [1, 1], op);
  const d = attrNums(attrs, 'dilation', [1, 1], op);
  const p = attrNums(attrs, 'pad', [0, 0, 0, 0], op);
  if (k.length !== 2 || s.length !== 2 || d.length !== 2 || p.length !== 4) {
    fail(op, 'E_ATTR_SHAPE', `kernel/stride/dilation need 2 entries [w,h] and pad 4 [l,r,t,b]; got kernel=${JSON.stringify(k)} stride=${JSON.stringify(s)} dilation=${JSON.stringify(d)} pad=${JSON.stringify(p)}`);
  }
  return convWindow(k, s, d, p);
}

// ───────────────────────── fused nonlinearity ─────────────────────────

/** Applies attrs.nonlinear (XIR conv fusion) in place. */
export function applyNonlinear(data: Float32Array, attrs: Attrs, op?: Op): void {
  const nl = attrStr(attrs, 'nonlinear', 'NONE').toUpperCase();
  const n = data.length;
  switch (nl) {
    case 'NONE': case '': return;
    case 'RELU': for (let i = 0; i < n; i++) if (data[i]! < 0) data[i] = 0; return;
    case 'RELU6': for (let i = 0; i < n; i++) { const v = data[i]!; data[i] = v < 0 ? 0 : v > 6 ? 6 : v; } return;
    case 'LEAKYRELU': {
      const a = attrNum(attrs, 'alpha', 0.01, op);
      for (let i = 0; i < n; i++) { const v = data[i]!; if (v < 0) data[i] = v * a; }
      return;
    }
    case 'HSIGMOID': for (let i = 0; i < n; i++) { const v = data[i]! + 3; data[i] = (v < 0 ? 0 : v > 6 ? 6 : v) / 6; } return;
    case 'HSWISH': for (let i = 0; i < n; i++) { const x = data[i]!; const v = x + 3; data[i] = (x * (v < 0 ? 0 : v > 6 ? 6 : v)) / 6; } return;
    default: fail(op, 'E_ATTR_VALUE', `unknown nonlinear '${nl}'`, 'use NONE, RELU, RELU6, LEAKYRELU, HSIGMOID or HSWISH');
  }
}

// ───────────────────────── padding ─────────────────────────

/** Zero-pads an [H, W, C] image; returns the input itself when no pad is needed. */
function padImage(x: Float32Array, H: number, W: number, C: number, p: Conv2dParams): { data: Float32Array; Hp: number; Wp: number } {
  const { pl, pr, pt, pb } = p;
  if (pl === 0 && pr === 0 && pt === 0 && pb === 0) return { data: x, Hp: H, Wp: W };
  if (pl < 0 || pr < 0 || pt < 0 || pb < 0) {
    // Negative pads crop: handled by a generic copy.
    const Hp = H + pt + pb, Wp = W + pl + pr;
    const out = new Float32Array(Math.max(0, Hp * Wp * C));
    for (let y = 0; y < Hp; y++) {
      const iy = y - pt;
      if (iy < 0 || iy >= H) continue;
      for (let xx = 0; xx < Wp; xx++) {
        const ix = xx - pl;
        if (ix < 0 || ix >= W) continue;
        out.set(x.subarray((iy * W + ix) * C, (iy * W + ix + 1) * C), (y * Wp + xx) * C);
      }
    }
    return { data: out, Hp, Wp };
  }
  const Hp = H + pt + pb, Wp = W + pl + pr;
  const out = new Float32Array(Hp * Wp * C);
  const rowLen = W * C;
  for (let y = 0; y < H; y++) out.set(x.subarray(y * rowLen, (y + 1) * rowLen), ((y + pt) * Wp + pl) * C);
  return { data: out, Hp, Wp };
}

// ───────────────────────── conv2d ─────────────────────────

interface Packed { key: string; data: Float32Array }
const packCache = new WeakMap<Float32Array, Packed>();

/**
 * Packs weights [OC, KH, KW, ICg] into [group][ocBlock][tap][ic][4] (oc padded to a multiple of 4
 * per group with zeros). Cached per weights array.
 */
function packConvWeights(w: Float32Array, OC: number, KH: number, KW: number, ICg: number, G: number): Float32Array {
  const key = `${OC},${KH},${KW},${ICg},${G}`;
  const hit = packCache.get(w);
  if (hit && hit.key === key) return hit.data;
  const OCg = OC / G;
  const nb = Math.ceil(OCg / 4);
  const T = KH * KW;
  const out = new Float32Array(G * nb * T * ICg * 4);
  for (let g = 0; g < G; g++) {
    for (let o = 0; o < OCg; o++) {
      const oc = g * OCg + o;
      const b = o >> 2, lane = o & 3;
      for (let t = 0; t < T; t++) {
        const src = (oc * T + t) * ICg;
        const dst = (((g * nb + b) * T + t) * ICg) * 4 + lane;
        for (let c = 0; c < ICg; c++) out[dst + c * 4] = w[src + c]!;
      }
    }
  }
  packCache.set(w, { key, data: out });
  return out;
}

/**
 * conv2d: x [1,H,W,IC] (or [H,W,IC]), w [OC,KH,KW,IC/group], bias [OC]? → [1,OH,OW,OC].
 */
export function conv2d(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  return conv2dImpl(inputs, attrs, op, true);
}

/** conv2d with the scalar TypeScript kernel only (the reference the WASM path is tested against). */
export function conv2dScalar(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  return conv2dImpl(inputs, attrs, op, false);
}

function geom(H: number, W: number, C: number, KH: number, KW: number, p: Conv2dParams, OH: number, OW: number): ConvGeom {
  return { H, W, C, KH, KW, sh: p.sh, sw: p.sw, dh: p.dh, dw: p.dw, pl: p.pl, pr: p.pr, pt: p.pt, pb: p.pb, OH, OW };
}

function conv2dImpl(inputs: TensorValue[], attrs: Attrs, op: Op | undefined, useWasm: boolean): TensorValue {
  const [x, w, bias] = inputs as [TensorValue, TensorValue, TensorValue | undefined];
  const [H, W, C] = x.shape.length === 4 ? [x.shape[1]!, x.shape[2]!, x.shape[3]!] : [x.shape[0]!, x.shape[1]!, x.shape[2]!];
  const [OC, KH, KW, ICg] = w.shape as [number, number, number, number];
  const G = attrNum(attrs, 'group', 1, op);
  if (ICg * G !== C || OC % G !== 0) fail(op, 'E_SHAPE', `conv2d: input has ${C} channels but weights ${JSON.stringify(w.shape)} with group ${G} expect ${ICg * G}`);
  const p = convParams(attrs, w.shape, op);
  const [OH, OW] = convOutHW(H, W, p, { kh: KH, kw: KW });
  if (OH <= 0 || OW <= 0) return tensor([1, Math.max(0, OH), Math.max(0, OW), OC]);
  if (useWasm) {
    const r = conv2dWasm(x.data, w.data, bias?.data, OC, G, geom(H, W, C, KH, KW, p, OH, OW));
    if (r) { applyNonlinear(r, attrs, op); return tensor([1, OH, OW, OC], r); }
  }
  const out = tensor([1, OH, OW, OC]);
  const { data: xp, Wp } = padImage(x.data, H, W, C, p);
  const packed = packConvWeights(w.data, OC, KH, KW, ICg, G);
  const OCg = OC / G;
  const nb = Math.ceil(OCg / 4);
  const T = KH * KW;
  const taps = new Int32Array(T);
  for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) taps[ky * KW + kx] = (ky * p.dh * Wp + kx * p.dw) * C;
  const bd = bias?.data;
  const o = out.data;
  const P = OH * OW;
  const pixBase = new Int32Array(P);
  for (let oy = 0, i = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++, i++) pixBase[i] = (oy * p.sh * Wp + ox * p.sw) * C;
  const TILE = 64;
  const blockLen = T * ICg * 4;
  for (let g = 0; g < G; g++) {
    const cOff = g * ICg;
    for (let p0 = 0; p0 < P; p0 += TILE) {
      const p1 = Math.min(P, p0 + TILE);
      for (let b = 0; b < nb; b++) {
        const wb = (g * nb + b) * blockLen;
        const oc0 = g * OCg + b * 4;
        const lanes = Math.min(4, OCg - b * 4);
        const b0 = bd ? bd[oc0]! : 0;
        const b1 = bd && lanes > 1 ? bd[oc0 + 1]! : 0;
        const b2 = bd && lanes > 2 ? bd[oc0 + 2]! : 0;
        const b3 = bd && lanes > 3 ? bd[oc0 + 3]! : 0;
        let px = p0;
        for (; px + 4 <= p1; px += 4) {
          const i0 = pixBase[px]! + cOff, i1 = pixBase[px + 1]! + cOff, i2 = pixBase[px + 2]! + cOff, i3 = pixBase[px + 3]! + cOff;
          let s00 = b0, s01 = b1, s02 = b2, s03 = b3;
          let s10 = b0, s11 = b1, s12 = b2, s13 = b3;
          let s20 = b0, s21 = b1, s22 = b2, s23 = b3;
          let s30 = b0, s31 = b1, s32 = b2, s33 = b3;
          let wi = wb;
          for (let t = 0; t < T; t++) {
            const to = taps[t]!;
            const a0o = i0 + to, a1o = i1 + to, a2o = i2 + to, a3o = i3 + to;
            for (let c = 0; c < ICg; c++, wi += 4) {
              const w0 = packed[wi]!, w1 = packed[wi + 1]!, w2 = packed[wi + 2]!, w3 = packed[wi + 3]!;
              const a0 = xp[a0o + c]!, a1 = xp[a1o + c]!, a2 = xp[a2o + c]!, a3 = xp[a3o + c]!;
              s00 += a0 * w0; s01 += a0 * w1; s02 += a0 * w2; s03 += a0 * w3;
              s10 += a1 * w0; s11 += a1 * w1; s12 += a1 * w2; s13 += a1 * w3;
              s20 += a2 * w0; s21 += a2 * w1; s22 += a2 * w2; s23 += a2 * w3;
              s30 += a3 * w0; s31 += a3 * w1; s32 += a3 * w2; s33 += a3 * w3;
            }
          }
          const q0 = px * OC + oc0, q1 = q0 + OC, q2 = q1 + OC, q3 = q2 + OC;
          if (lanes === 4) {
            o[q0] = s00; o[q0 + 1] = s01; o[q0 + 2] = s02; o[q0 + 3] = s03;
            o[q1] = s10; o[q1 + 1] = s11; o[q1 + 2] = s12; o[q1 + 3] = s13;
            o[q2] = s20; o[q2 + 1] = s21; o[q2 + 2] = s22; o[q2 + 3] = s23;
            o[q3] = s30; o[q3 + 1] = s31; o[q3 + 2] = s32; o[q3 + 3] = s33;
          } else {
            const r = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
            for (let l = 0; l < lanes; l++) { o[q0 + l] = r[l]!; o[q1 + l] = r[4 + l]!; o[q2 + l] = r[8 + l]!; o[q3 + l] = r[12 + l]!; }
          }
        }
        for (; px < p1; px++) {
          const i0 = pixBase[px]! + cOff;
          let s0 = b0, s1 = b1, s2 = b2, s3 = b3;
          let wi = wb;
          for (let t = 0; t < T; t++) {
            const a0o = i0 + taps[t]!;
            for (let c = 0; c < ICg; c++, wi += 4) {
              const a = xp[a0o + c]!;
              s0 += a * packed[wi]!; s1 += a * packed[wi + 1]!; s2 += a * packed[wi + 2]!; s3 += a * packed[wi + 3]!;
            }
          }
          const q0 = px * OC + oc0;
          o[q0] = s0;
          if (lanes > 1) o[q0 + 1] = s1;
          if (lanes > 2) o[q0 + 2] = s2;
          if (lanes > 3) o[q0 + 3] = s3;
        }
      }
    }
  }
  applyNonlinear(o, attrs, op);
  return out;
}

// ───────────────────────── depthwise ─────────────────────────

/** depthwise-conv2d: x [1,H,W,C], w [1,KH,KW,C], bias [C]? → [1,OH,OW,C]. */
export function depthwiseConv2d(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  return depthwiseImpl(inputs, attrs, op, true);
}

/** depthwise-conv2d with the scalar TypeScript kernel only. */
export function depthwiseConv2dScalar(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  return depthwiseImpl(inputs, attrs, op, false);
}

function depthwiseImpl(inputs: TensorValue[], attrs: Attrs, op: Op | undefined, useWasm: boolean): TensorValue {
  const [x, w, bias] = inputs as [TensorValue, TensorValue, TensorValue | undefined];
  const [H, W, C] = x.shape.length === 4 ? [x.shape[1]!, x.shape[2]!, x.shape[3]!] : [x.shape[0]!, x.shape[1]!, x.shape[2]!];
  const [, KH, KW, WC] = w.shape as [number, number, number, number];
  if (WC !== C) fail(op, 'E_SHAPE', `depthwise-conv2d: input has ${C} channels but weights ${JSON.stringify(w.shape)} have ${WC}`);
  const p = convParams(attrs, w.shape, op);
  const [OH, OW] = convOutHW(H, W, p, { kh: KH, kw: KW });
  if (OH <= 0 || OW <= 0) return tensor([1, Math.max(0, OH), Math.max(0, OW), C]);
  if (useWasm) {
    const r = depthwiseWasm(x.data, w.data, bias?.data, geom(H, W, C, KH, KW, p, OH, OW));
    if (r) { applyNonlinear(r, attrs, op); return tensor([1, OH, OW, C], r); }
  }
  const out = tensor([1, OH, OW, C]);
  const { data: xp, Wp } = padImage(x.data, H, W, C, p);
  const wd = w.data;
  const bd = bias?.data;
  const o = out.data;
  const T = KH * KW;
  const taps = new Int32Array(T);
  for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) taps[ky * KW + kx] = (ky * p.dh * Wp + kx * p.dw) * C;
  const C4 = C & ~3;
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      const xb = (oy * p.sh * Wp + ox * p.sw) * C;
      const ob = (oy * OW + ox) * C;
      // 4 channels at a time in registers, taps innermost
      for (let c = 0; c < C4; c += 4) {
        let s0 = bd ? bd[c]! : 0, s1 = bd ? bd[c + 1]! : 0, s2 = bd ? bd[c + 2]! : 0, s3 = bd ? bd[c + 3]! : 0;
        for (let t = 0; t < T; t++) {
          const xi = xb + taps[t]! + c, wi = t * C + c;
          s0 += xp[xi]! * wd[wi]!; s1 += xp[xi + 1]! * wd[wi + 1]!; s2 += xp[xi + 2]! * wd[wi + 2]!; s3 += xp[xi + 3]! * wd[wi + 3]!;
        }
        o[ob + c] = s0; o[ob + c + 1] = s1; o[ob + c + 2] = s2; o[ob + c + 3] = s3;
      }
      for (let c = C4; c < C; c++) {
        let s0 = bd ? bd[c]! : 0;
        for (let t = 0; t < T; t++) s0 += xp[xb + taps[t]! + c]! * wd[t * C + c]!;
        o[ob + c] = s0;
      }
    }
  }
  applyNonlinear(o, attrs, op);
  return out;
}

// ───────────────────────── transposed conv ─────────────────────────

const tPackCache = new WeakMap<Float32Array, Packed>();

/**
 * transposed-conv2d: x [1,H,W,IC], w [OC,KH,KW,IC], bias [OC]? → [1,OH,OW,OC] with
 * OH = sh·(H−1) + out_pad_h + (KH−1)·dh + 1 − pt − pb (ONNX ConvTranspose).
 */
export function transposedConv2d(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  return transposedImpl(inputs, attrs, op, true);
}

/** transposed-conv2d with the scalar TypeScript kernel only. */
export function transposedConv2dScalar(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  return transposedImpl(inputs, attrs, op, false);
}

function transposedImpl(inputs: TensorValue[], attrs: Attrs, op: Op | undefined, useWasm: boolean): TensorValue {
  const [x, w, bias] = inputs as [TensorValue, TensorValue, TensorValue | undefined];
  const [H, W, IC] = x.shape.length === 4 ? [x.shape[1]!, x.shape[2]!, x.shape[3]!] : [x.shape[0]!, x.shape[1]!, x.shape[2]!];
  const [OC, KH, KW, WIC] = w.shape as [number, number, number, number];
  if (WIC !== IC) fail(op, 'E_SHAPE', `transposed-conv2d: input has ${IC} channels but weights ${JSON.stringify(w.shape)} expect ${WIC}`);
  const p = convParams(attrs, w.shape, op);
  const [OH, OW] = convOutHW(H, W, p, { kh: KH, kw: KW, outputPadding: attrNums(attrs, 'output_padding', [0, 0], op) });
  if (useWasm && OH > 0 && OW > 0) {
    const r = transposedConvWasm(x.data, w.data, bias?.data, OC, IC, geom(H, W, IC, KH, KW, p, OH, OW));
    if (r) { applyNonlinear(r, attrs, op); return tensor([1, OH, OW, OC], r); }
  }
  const out = tensor([1, OH, OW, OC]);
  // pack [tap][ic][oc]
  const key = `${OC},${KH},${KW},${IC}`;
  let packed = tPackCache.get(w.data);
  if (!packed || packed.key !== key) {
    const d = new Float32Array(KH * KW * IC * OC);
    for (let oc = 0; oc < OC; oc++) for (let t = 0; t < KH * KW; t++) for (let c = 0; c < IC; c++) d[(t * IC + c) * OC + oc] = w.data[(oc * KH * KW + t) * IC + c]!;
    packed = { key, data: d };
    tPackCache.set(w.data, packed);
  }
  const wp = packed.data;
  const xd = x.data, o = out.data, bd = bias?.data;
  const acc = new Float64Array(OC);
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      if (bd) for (let c = 0; c < OC; c++) acc[c] = bd[c]!;
      else acc.fill(0);
      for (let ky = 0; ky < KH; ky++) {
        const ny = oy + p.pt - ky * p.dh;
        if (ny < 0 || ny % p.sh !== 0) continue;
        const iy = ny / p.sh;
        if (iy >= H) continue;
        for (let kx = 0; kx < KW; kx++) {
          const nx = ox + p.pl - kx * p.dw;
          if (nx < 0 || nx % p.sw !== 0) continue;
          const ix = nx / p.sw;
          if (ix >= W) continue;
          const xi = (iy * W + ix) * IC;
          const wt = (ky * KW + kx) * IC * OC;
          for (let c = 0; c < IC; c++) {
            const a = xd[xi + c]!;
            if (a === 0) continue;
            const wr = wt + c * OC;
            for (let m = 0; m < OC; m++) acc[m] += a * wp[wr + m]!;
          }
        }
      }
      const ob = (oy * OW + ox) * OC;
      for (let m = 0; m < OC; m++) o[ob + m] = acc[m]!;
    }
  }
  applyNonlinear(o, attrs, op);
  return out;
}
