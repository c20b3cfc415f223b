/**
 * Element-wise INT8 ops: add / sub / mul (numpy broadcasting) and the standalone activations
 * relu, relu6, leaky-relu (k/256), hard-sigmoid (2731/16384), hard-swish, clamp, identity.
 */
import { DPU_ROUND, saturate8, shiftRound } from './arith.js';
import { type QTensor, broadcastIndexer, broadcastShapes, numel, qerr } from './common.js';
import { HSIGMOID_NUM, HSIGMOID_SHIFT, HSWISH_SIG_FP, LEAKY_NUM, LEAKY_SHIFT } from './conv.js';

export interface EltwiseParams {
  fpOut: number;
  /** Optional fused activation of the eltwise engine: only RELU. */
  nonlinear?: 'NONE' | 'RELU';
  where: string;
}

/**
 * add / sub: both inputs brought to the larger fix point F = max(fa, fb) (exact left shifts),
 * added (or subtracted), then y = saturate8(DPU_ROUND(sum / 2^(F − fo))) — a left shift when
 * fo > F. With nonlinear RELU, negative sums give 0.
 */
export function addInt8(a: QTensor, b: QTensor, p: EltwiseParams, subtract = false): QTensor {
  const shape = broadcastShapes(a.shape, b.shape, p.where);
  const n = numel(shape);
  const F = Math.max(a.fixPoint, b.fixPoint);
  const sa = 2 ** (F - a.fixPoint);
  const sb = (subtract ? -1 : 1) * 2 ** (F - b.fixPoint);
  const cut = F - p.fpOut;
  const ia = broadcastIndexer(a.shape, shape);
  const ib = broadcastIndexer(b.shape, shape);
  const relu = p.nonlinear === 'RELU';
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const s = a.data[ia(i)] * sa + b.data[ib(i)] * sb;
    out[i] = relu && s <= 0 ? 0 : saturate8(shiftRound(s, cut));
  }
  return { shape, data: out, fixPoint: p.fpOut };
}

/** mul: y = saturate8(DPU_ROUND(qa·qb / 2^(fa + fb − fo))). */
export function mulInt8(a: QTensor, b: QTensor, p: EltwiseParams): QTensor {
  const shape = broadcastShapes(a.shape, b.shape, p.where);
  const n = numel(shape);
  const cut = a.fixPoint + b.fixPoint - p.fpOut;
  const ia = broadcastIndexer(a.shape, shape);
  const ib = broadcastIndexer(b.shape, shape);
  const relu = p.nonlinear === 'RELU';
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const s = a.data[ia(i)] * b.data[ib(i)];
    out[i] = relu && s <= 0 ? 0 : saturate8(shiftRound(s, cut));
  }
  return { shape, data: out, fixPoint: p.fpOut };
}

function mapUnary(x: QTensor, fpOut: number, f: (q: number) => number): QTensor {
  const out = new Int8Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]);
  return { shape: x.shape.slice(), data: out, fixPoint: fpOut };
}

/** relu: y = saturate8(DPU_ROUND(max(q, 0) / 2^(fi − fo))). */
export function reluInt8(x: QTensor, fpOut: number): QTensor {
  const s = x.fixPoint - fpOut;
  return mapUnary(x, fpOut, (q) => (q <= 0 ? 0 : saturate8(shiftRound(q, s))));
}

/**
 * clamp(x, lo, hi) in real terms, then quantized to fo: y = saturate8(DPU_ROUND(clamp(x)·2^fo)).
 * x = q·2^-fi is exact; a bound, when it wins, is quantized like any float (relu6: 6·2^fo).
 */
export function clampInt8(x: QTensor, lo: number, hi: number, fpOut: number): QTensor {
  const inv = 2 ** -x.fixPoint;
  const so = 2 ** fpOut;
  return mapUnary(x, fpOut, (q) => {
    let v = q * inv;
    if (v < lo) v = lo;
    else if (v > hi) v = hi;
    return saturate8(DPU_ROUND(v * so));
  });
}

/** relu6 = clamp(x, 0, 6). */
export function relu6Int8(x: QTensor, fpOut: number): QTensor {
  return clampInt8(x, 0, 6, fpOut);
}

/** Numerator k of a LeakyReLU slope k/256; throws unless alpha·256 is an integer in [0, 256]. */
export function leakyNumerator(alpha: number, where: string): number {
  const num = alpha * 2 ** LEAKY_SHIFT;
  if (!Number.isInteger(num) || num < 0 || num > 256) {
    throw qerr('E_Q_LEAKY_ALPHA', `LeakyReLU alpha ${alpha} is not k/256 (the DPU uses 26/256)`, where,
      'set alpha to 26/256 = 0.1015625 (the quantizer does so) or keep the activation on the CPU');
  }
  return num;
}

/** leaky-relu: q ≥ 0 → DPU_ROUND(q / 2^(fi−fo)); q < 0 → DPU_ROUND(q·k / 2^(fi−fo+8)); saturate. */
export function leakyReluInt8(x: QTensor, alpha: number, fpOut: number, where: string): QTensor {
  const k = leakyNumerator(alpha, where);
  const s = x.fixPoint - fpOut;
  return mapUnary(x, fpOut, (q) => saturate8(q >= 0 ? shiftRound(q, s) : shiftRound(q * k, s + LEAKY_SHIFT)));
}

/** r = relu6(x + 3) in input units (a dyadic rational when fi < 0). */
function relu6Plus3(q: number, fi: number): number {
  const three = 3 * 2 ** fi;
  const r = q + three;
  return r < 0 ? 0 : r > 2 * three ? 2 * three : r;
}

/**
 * hard-sigmoid (DPU form, alpha = 1/6, beta = 1/2 only):
 * y = saturate8(DPU_ROUND(relu6(x + 3)·2731 / 2^14 · 2^fo)) = DPU_ROUND(r·2731 / 2^(fi + 14 − fo)).
 */
export function hardSigmoidInt8(x: QTensor, fpOut: number): QTensor {
  const fi = x.fixPoint;
  return mapUnary(x, fpOut, (q) => saturate8(shiftRound(relu6Plus3(q, fi) * HSIGMOID_NUM, fi + HSIGMOID_SHIFT - fpOut)));
}

/**
 * hard-swish (vai_q's Hardswish): h = saturate8(DPU_ROUND(r·2731 / 2^(fi + 14 − 7))) is the
 * hard-sigmoid at fix point 7 (so h ∈ [0, 127]); y = saturate8(DPU_ROUND(q·h / 2^(fi + 7 − fo))).
 */
export function hardSwishInt8(x: QTensor, fpOut: number): QTensor {
  const fi = x.fixPoint;
  return mapUnary(x, fpOut, (q) => {
    const h = saturate8(shiftRound(relu6Plus3(q, fi) * HSIGMOID_NUM, fi + HSIGMOID_SHIFT - HSWISH_SIG_FP));
    return saturate8(shiftRound(q * h, fi + HSWISH_SIG_FP - fpOut));
  });
}

export { LEAKY_NUM };
