/**
 * The DPU's multiply-accumulate ops: conv2d, depthwise-conv2d, transposed-conv2d and
 * inner-product (matmul), all with the same output stage:
 *
 *   acc  = Σ x·w                                   (exact integer, units 2^-(fi+fw))
 *   acc += bias · 2^shift_bias                     shift_bias = fi + fw − fb
 *   y    = saturate8(DPU_ROUND(act(acc) / 2^shift_cut))   shift_cut = fi + fw − fo
 *
 * with `act` one of NONE RELU RELU6 LEAKYRELU HSIGMOID HSWISH applied in integer arithmetic
 * inside the same rounding (see `outputStage`). Legal ranges (vai_q's, torchquantizer.py
 * `_node_relative_fix_pos_check`): 0 ≤ shift_cut ≤ 16 and min(0, shift_cut − 16) ≤ shift_bias ≤ 16.
 * A negative shift_bias means the bias is finer than the accumulator: the accumulator is shifted
 * left by −shift_bias before the bias is added (no rounding), and the total right shift
 * shift_cut − shift_bias stays ≤ 16, which is what the lower bound guarantees.
 */
import { convOutHW, convWindow, type ConvWindow } from '../conv-geometry.js';
import { saturate8, shiftRound } from './arith.js';
import { type QTensor, numel, qerr } from './common.js';

export type Nonlinear = 'NONE' | 'RELU' | 'RELU6' | 'LEAKYRELU' | 'HSIGMOID' | 'HSWISH';
export const NONLINEARS: readonly Nonlinear[] = ['NONE', 'RELU', 'RELU6', 'LEAKYRELU', 'HSIGMOID', 'HSWISH'];

export const SHIFT_CUT_MIN = 0;
export const SHIFT_CUT_MAX = 16;
export const SHIFT_BIAS_MAX = 16;
/** Lower bound of shift_bias for a given shift_cut: min(0, shift_cut − 16). */
export function shiftBiasMin(shiftCut: number): number {
  return Math.min(0, shiftCut - 16);
}
/** The DPU's LeakyReLU slope: 26/256 (numerator over 2^LEAKY_SHIFT). */
export const LEAKY_NUM = 26;
export const LEAKY_SHIFT = 8;
/** hard-sigmoid = relu6(x + 3) · HSIGMOID_NUM / 2^HSIGMOID_SHIFT (2731/16384 ≈ 1/6). */
export const HSIGMOID_NUM = 2731;
export const HSIGMOID_SHIFT = 14;
/** Fix point of the hard-sigmoid factor inside hard-swish (vai_q quantizes it at 2^-7). */
export const HSWISH_SIG_FP = 7;

export interface OutputStageParams {
  /** Fix point of input activations (fi) and weights (fw). */
  fpIn: number;
  fpW: number;
  /** Bias fix point, when the op has a bias. */
  fpBias?: number;
  fpOut: number;
  nonlinear?: Nonlinear;
  /** LeakyReLU slope; must be k/256 (default 26/256). */
  alpha?: number;
  /** Op name for errors. */
  where: string;
}

/**
 * The output stage as a function of the raw accumulator Σx·w and the raw int8 bias value:
 * validates shift_cut / shift_bias (QuantizeError naming the op) and returns
 * `(acc, biasQ) => int8`.
 */
export function outputStage(p: OutputStageParams): (acc: number, biasQ: number) => number {
  const fa0 = p.fpIn + p.fpW;
  const shiftCut = fa0 - p.fpOut;
  if (!Number.isInteger(shiftCut) || shiftCut < SHIFT_CUT_MIN || shiftCut > SHIFT_CUT_MAX) {
    throw qerr('E_Q_SHIFT_CUT', `shift_cut = fi + fw − fo = ${p.fpIn} + ${p.fpW} − ${p.fpOut} = ${shiftCut} is outside [0, 16]`, p.where,
      shiftCut < 0 ? 'lower the output fix point (the DPU cannot shift left)' : 'lower the weight fix point or raise the output fix point');
  }
  // accScale: factor on Σx·w; biasScale: factor on the bias; fa: fix point of the sum.
  let accScale = 1;
  let biasScale = 0;
  let fa = fa0;
  if (p.fpBias !== undefined) {
    const sb = fa0 - p.fpBias;
    const lo = shiftBiasMin(shiftCut);
    if (!Number.isInteger(sb) || sb < lo || sb > SHIFT_BIAS_MAX) {
      throw qerr('E_Q_SHIFT_BIAS', `shift_bias = fi + fw − fb = ${fa0} − ${p.fpBias} = ${sb} is outside [${lo}, ${SHIFT_BIAS_MAX}] (shift_cut ${shiftCut})`, p.where,
        sb > SHIFT_BIAS_MAX ? 'raise the bias fix point or lower the weight fix point' : 'lower the bias fix point');
    }
    if (sb >= 0) biasScale = 2 ** sb;
    else {
      accScale = 2 ** -sb;
      biasScale = 1;
      fa = p.fpBias;
    }
  }
  const cut = fa - p.fpOut; // total right shift, ≤ 16 by the bounds above
  const nl = p.nonlinear ?? 'NONE';
  switch (nl) {
    case 'NONE':
      return (acc, b) => saturate8(shiftRound(acc * accScale + b * biasScale, cut));
    case 'RELU':
      return (acc, b) => {
        const a = acc * accScale + b * biasScale;
        return a <= 0 ? 0 : saturate8(shiftRound(a, cut));
      };
    case 'RELU6': {
      const six = 6 * 2 ** fa; // 6.0 in accumulator units
      return (acc, b) => {
        const a = acc * accScale + b * biasScale;
        return a <= 0 ? 0 : saturate8(shiftRound(a > six ? six : a, cut));
      };
    }
    case 'LEAKYRELU': {
      const alpha = p.alpha ?? LEAKY_NUM / 2 ** LEAKY_SHIFT;
      const num = alpha * 2 ** LEAKY_SHIFT;
      if (!Number.isInteger(num) || num < 0 || num > 256) {
        throw qerr('E_Q_LEAKY_ALPHA', `LeakyReLU alpha ${alpha} is not k/256 (the DPU uses 26/256)`, p.where,
          'set alpha to 26/256 = 0.1015625 (the quantizer does so) or keep the activation on the CPU');
      }
      return (acc, b) => {
        const a = acc * accScale + b * biasScale;
        return a >= 0 ? saturate8(shiftRound(a, cut)) : saturate8(shiftRound(a * num, cut + LEAKY_SHIFT));
      };
    }
    case 'HSIGMOID': {
      const three = 3 * 2 ** fa;
      const six = 6 * 2 ** fa;
      return (acc, b) => {
        const a = acc * accScale + b * biasScale;
        let r = a + three;
        r = r < 0 ? 0 : r > six ? six : r;
        return saturate8(shiftRound(r * HSIGMOID_NUM, cut + HSIGMOID_SHIFT));
      };
    }
    case 'HSWISH': {
      const three = 3 * 2 ** fa;
      const six = 6 * 2 ** fa;
      return (acc, b) => {
        const a = acc * accScale + b * biasScale;
        let r = a + three;
        r = r < 0 ? 0 : r > six ? six : r;
        // h = hard-sigmoid(a) as int8 at fix point 7: DPU_ROUND(r·2731 / 2^(fa + 14 − 7)), saturated.
        const h = saturate8(shiftRound(r * HSIGMOID_NUM, fa + HSIGMOID_SHIFT - HSWISH_SIG_FP));
        return saturate8(shiftRound(a * h, cut + HSWISH_SIG_FP));
      };
    }
    default:
      throw qerr('E_Q_NONLINEAR', `unknown nonlinear '${String(nl)}'`, p.where, `use one of ${NONLINEARS.join(', ')}`);
  }
}

export interface Conv2dParams {
  /** [w, h] */
  kernel: number[];
  stride: number[];
  dilation: number[];
  /** [left, right, top, bottom] */
  pad: number[];
  nonlinear?: Nonlinear;
  alpha?: number;
  fpOut: number;
  where: string;
}

function checkWeights(w: QTensor, expect: number[], where: string): void {
  if (w.shape.length !== expect.length || w.shape.some((d, i) => d !== expect[i])) {
    throw qerr('E_Q_SHAPE', `weights shape [${w.shape}] does not match [${expect}]`, where);
  }
}

function input4(x: QTensor, where: string): [number, number, number, number] {
  if (x.shape.length !== 4) throw qerr('E_Q_SHAPE', `input must be NHWC 4-D, got [${x.shape}]`, where);
  return [x.shape[0], x.shape[1], x.shape[2], x.shape[3]];
}

/** The output stage of x ⊛ w (+ bias) with p's output fix point and nonlinearity. */
function stageOf(x: QTensor, w: QTensor, bias: QTensor | undefined, p: { fpOut: number; nonlinear?: Nonlinear; alpha?: number; where: string }): (acc: number, biasQ: number) => number {
  return outputStage({ fpIn: x.fixPoint, fpW: w.fixPoint, fpBias: bias?.fixPoint, fpOut: p.fpOut, nonlinear: p.nonlinear, alpha: p.alpha, where: p.where });
}

/**
 * What every conv kernel starts with: the NHWC input dims [n, h, w, c], the window, the weights checked
 * against `weightShape(c, window)`, and the output stage (errors in that order).
 */
function convSetup(x: QTensor, w: QTensor, bias: QTensor | undefined, p: Conv2dParams, weightShape: (c: number, win: ConvWindow) => number[]) {
  const [n, h, wd, c] = input4(x, p.where);
  const win = convWindow(p.kernel, p.stride, p.dilation, p.pad);
  checkWeights(w, weightShape(c, win), p.where);
  return { n, h, wd, c, win, stage: stageOf(x, w, bias, p) };
}

/** conv2d on NHWC int8: weights [oc, kh, kw, ic], bias [oc] (optional). */
export function conv2dInt8(x: QTensor, w: QTensor, bias: QTensor | undefined, p: Conv2dParams): QTensor {
  const oc = w.shape[0];
  const { n, h, wd, c: ic, win, stage } = convSetup(x, w, bias, p, (c, g) => [oc, g.kh, g.kw, c]);
  const { kw, kh, sw, sh, dw, dh, pl, pt } = win;
  const [oh, ow] = convOutHW(h, wd, win);
  const out = new Int8Array(n * oh * ow * oc);
  const xd = x.data;
  const wdata = w.data;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const obase = ((b * oh + oy) * ow + ox) * oc;
        for (let o = 0; o < oc; o++) {
          let acc = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx * dw;
              if (ix < 0 || ix >= wd) continue;
              const xb = ((b * h + iy) * wd + ix) * ic;
              const wb = ((o * kh + ky) * kw + kx) * ic;
              for (let c = 0; c < ic; c++) acc += xd[xb + c] * wdata[wb + c];
            }
          }
          out[obase + o] = stage(acc, bias ? bias.data[o] : 0);
        }
      }
    }
  }
  return { shape: [n, oh, ow, oc], data: out, fixPoint: p.fpOut };
}

/** depthwise-conv2d on NHWC int8: weights [1, kh, kw, c] (channel multiplier 1), bias [c]. */
export function depthwiseConv2dInt8(x: QTensor, w: QTensor, bias: QTensor | undefined, p: Conv2dParams): QTensor {
  const { n, h, wd, c, win, stage } = convSetup(x, w, bias, p, (ch, g) => [1, g.kh, g.kw, ch]);
  const { kw, kh, sw, sh, dw, dh, pl, pt } = win;
  const [oh, ow] = convOutHW(h, wd, win);
  const out = new Int8Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx * dw;
              if (ix < 0 || ix >= wd) continue;
              acc += x.data[((b * h + iy) * wd + ix) * c + ch] * w.data[(ky * kw + kx) * c + ch];
            }
          }
          out[((b * oh + oy) * ow + ox) * c + ch] = stage(acc, bias ? bias.data[ch] : 0);
        }
      }
    }
  }
  return { shape: [n, oh, ow, c], data: out, fixPoint: p.fpOut };
}

export interface TransposedConv2dParams extends Conv2dParams {
  /** [w, h] extra rows/cols at the bottom/right (ONNX output_padding). */
  outputPadding: number[];
}

/**
 * transposed-conv2d on NHWC int8, weights [oc, kh, kw, ic] (not flipped):
 * y[oy, ox, o] = Σ x[iy, ix, c] · w[o, ky, kx, c] over oy = iy·sh + ky·dh − pad_top,
 * ox = ix·sw + kx·dw − pad_left (ONNX ConvTranspose). Output size
 * sh·(H−1) + output_padding_h + (kh−1)·dh + 1 − pad_top − pad_bottom (same for w).
 */
export function transposedConv2dInt8(x: QTensor, w: QTensor, bias: QTensor | undefined, p: TransposedConv2dParams): QTensor {
  const oc = w.shape[0];
  const { n, h, wd, c: ic, win, stage } = convSetup(x, w, bias, p, (c, g) => [oc, g.kh, g.kw, c]);
  const { kw, kh, sw, sh, dw, dh, pl, pt } = win;
  const [oh, ow] = convOutHW(h, wd, win, { outputPadding: p.outputPadding });
  const acc = new Float64Array(n * oh * ow * oc); // exact integers
  for (let b = 0; b < n; b++) {
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < wd; ix++) {
        const xb = ((b * h + iy) * wd + ix) * ic;
        for (let ky = 0; ky < kh; ky++) {
          const oy = iy * sh + ky * dh - pt;
          if (oy < 0 || oy >= oh) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ox = ix * sw + kx * dw - pl;
            if (ox < 0 || ox >= ow) continue;
            const ob = ((b * oh + oy) * ow + ox) * oc;
            for (let o = 0; o < oc; o++) {
              const wb = ((o * kh + ky) * kw + kx) * ic;
              let s = 0;
              for (let c = 0; c < ic; c++) s += x.data[xb + c] * w.data[wb + c];
              acc[ob + o] += s;
            }
          }
        }
      }
    }
  }
  const out = new Int8Array(acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = stage(acc[i], bias ? bias.data[i % oc] : 0);
  return { shape: [n, oh, ow, oc], data: out, fixPoint: p.fpOut };
}

export interface MatmulParams {
  transposeA: boolean;
  transposeB: boolean;
  nonlinear?: Nonlinear;
  alpha?: number;
  fpOut: number;
  where: string;
}

/**
 * Inner product / matmul on int8 with numpy batch broadcasting: a [..., M, K] · b [..., K, N]
 * (after the transpose flags), bias [N] added along the last axis. A rank-1 operand is treated
 * as numpy does (a: [1, K] then the M axis is dropped; b: [K, 1] then the N axis is dropped).
 */
export function matmulInt8(a: QTensor, b: QTensor, bias: QTensor | undefined, p: MatmulParams): QTensor {
  let as = a.shape.slice();
  let bs = b.shape.slice();
  const aVec = as.length === 1;
  const bVec = bs.length === 1;
  if (aVec) as = [1, as[0]];
  if (bVec) bs = [bs[0], 1];
  const ar = as.length;
  const br = bs.length;
  const M = p.transposeA ? as[ar - 1] : as[ar - 2];
  const K = p.transposeA ? as[ar - 2] : as[ar - 1];
  const Kb = p.transposeB ? bs[br - 1] : bs[br - 2];
  const N = p.transposeB ? bs[br - 2] : bs[br - 1];
  if (K !== Kb) throw qerr('E_Q_SHAPE', `matmul inner dims differ: [${a.shape}] · [${b.shape}]`, p.where);
  const aBatch = as.slice(0, ar - 2);
  const bBatch = bs.slice(0, br - 2);
  const r = Math.max(aBatch.length, bBatch.length);
  const batch: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = aBatch[aBatch.length - r + i] ?? 1;
    const db = bBatch[bBatch.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw qerr('E_Q_SHAPE', `matmul batch dims do not broadcast: [${a.shape}] · [${b.shape}]`, p.where);
    batch.push(Math.max(da, db));
  }
  const nb = numel(batch);
  const batchIndex = (shape: number[], flat: number): number => {
    // index into an operand's batch (broadcast) for output batch `flat`
    let rem = flat;
    let idx = 0;
    let mul = 1;
    for (let i = r - 1; i >= 0; i--) {
      const c = rem % batch[i];
      rem = Math.floor(rem / batch[i]);
      const ia = i - (r - shape.length);
      if (ia >= 0) {
        if (shape[ia] !== 1) idx += c * mul;
        mul *= shape[ia];
      }
    }
    return idx;
  };
  if (bias && bias.data.length !== N) throw qerr('E_Q_SHAPE', `bias has ${bias.data.length} values, expected ${N}`, p.where);
  const stage = stageOf(a, b, bias, p);
  const out = new Int8Array(nb * M * N);
  for (let t = 0; t < nb; t++) {
    const ao = batchIndex(aBatch, t) * M * K;
    const bo = batchIndex(bBatch, t) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const av = a.data[ao + (p.transposeA ? k * M + i : i * K + k)];
          const bv = b.data[bo + (p.transposeB ? j * K + k : k * N + j)];
          acc += av * bv;
        }
        out[(t * M + i) * N + j] = stage(acc, bias ? bias.data[j] : 0);
      }
    }
  }
  const shape = [...batch];
  if (!aVec) shape.push(M);
  if (!bVec) shape.push(N);
  return { shape, data: out, fixPoint: p.fpOut };
}
