/**
 * Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization…", §4.1) on conv → conv
 * pairs joined by a positively homogeneous activation (none, ReLU; also LeakyReLU since
 * f(s·x) = s·f(x) for s > 0 — not ReLU6, hard-swish, hard-sigmoid). For each channel c between the
 * two convs: r1 = max|W1[c]|, r2 = max|W2[:, c]|, s = √(r1·r2)/r2; W1[c] /= s, b1[c] /= s,
 * W2[:, c] *= s — the float function is unchanged and both ranges become √(r1·r2).
 * Pairs include depthwise convs on either side. Runs in rounds until the scales settle.
 */
import type { Graph, Op, TensorValue } from '../ir/types.js';
import { channelMaxAbs, consumerMap, opMap, outChannels, scaleInChannels, scaleOutChannels } from './graph-util.js';

const HOMOGENEOUS = new Set(['NONE', 'RELU', 'LEAKYRELU']);
const FIRST = new Set(['conv2d', 'depthwise-conv2d']);
const SECOND = new Set(['conv2d', 'depthwise-conv2d']);

export interface CleResult {
  pairs: { first: string; second: string }[];
  rounds: number;
  /** Mean |log2 s| of the first round (how unbalanced the ranges were). */
  firstRoundMeanLog2Scale: number;
}

export interface CleOptions {
  maxRounds?: number;
  /** Stop when max |log2 s| of a round is below this. */
  tolerance?: number;
  /**
   * Per-channel max |x| of each pair's intermediate tensor (the first op's output, by op name) on
   * calibration data. When given, a channel is never scaled up beyond the tensor's largest channel
   * (s ≥ a[c] / max a): the intermediate activation is quantized per tensor too, and plain CLE can
   * blow its range up (PP-OCRv4 rec conv2d_185 → depthwise_0: fix point 4 → 0, SQNR 28 → 15 dB after
   * the depthwise conv).
   */
  actRanges?: Map<string, Float64Array>;
}

/** Per-channel max |x| of the intermediate tensor of every CLE pair over `batches` (float inference). */
export function cleActivationRanges(g: Graph, batches: Record<string, TensorValue>[]): Map<string, Float64Array> {
  return channelMaxAbs(g, batches, new Set(findPairs(g).map(([first]) => first.name)));
}

function findPairs(g: Graph): [Op, Op][] {
  const ops = opMap(g);
  const cons = consumerMap(g);
  const pairs: [Op, Op][] = [];
  for (const second of g.ops) {
    if (!SECOND.has(second.type)) continue;
    if (second.type === 'conv2d' && (second.attrs['group'] ?? 1) !== 1) continue;
    const first = ops.get(second.inputs[0]);
    if (!first || !FIRST.has(first.type)) continue;
    if ((cons.get(first.name) ?? []).length !== 1) continue; // also excludes graph outputs
    if (!HOMOGENEOUS.has(String(first.attrs['nonlinear'] ?? 'NONE'))) continue;
    const w1 = ops.get(first.inputs[1]);
    const w2 = ops.get(second.inputs[1]);
    if (w1?.type !== 'const' || w2?.type !== 'const' || !w1.data || !w2.data) continue;
    if ((cons.get(w1.name) ?? []).length !== 1 || (cons.get(w2.name) ?? []).length !== 1) continue;
    const b1 = first.inputs[2] ? ops.get(first.inputs[2]) : undefined;
    if (b1 && (b1.type !== 'const' || (cons.get(b1.name) ?? []).length !== 1)) continue;
    pairs.push([first, second]);
  }
  return pairs;
}

function outRanges(op: Op, w: Float32Array, shape: number[]): Float64Array {
  const oc = outChannels(op, shape);
  const r = new Float64Array(oc);
  if (op.type === 'depthwise-conv2d') {
    for (let i = 0; i < w.length; i++) r[i % oc] = Math.max(r[i % oc], Math.abs(w[i]));
  } else {
    const per = w.length / oc;
    for (let c = 0; c < oc; c++) for (let i = 0; i < per; i++) r[c] = Math.max(r[c], Math.abs(w[c * per + i]));
  }
  return r;
}

function inRanges(w: Float32Array, shape: number[]): Float64Array {
  const ic = shape[shape.length - 1];
  const r = new Float64Array(ic);
  for (let i = 0; i < w.length; i++) r[i % ic] = Math.max(r[i % ic], Math.abs(w[i]));
  return r;
}

/** Equalizes in place. */
export function crossLayerEqualize(g: Graph, opts: CleOptions = {}): CleResult {
  const maxRounds = opts.maxRounds ?? 20;
  const tol = opts.tolerance ?? 1e-3;
  const pairs = findPairs(g);
  const ops = opMap(g);
  let rounds = 0;
  let firstMean = 0;
  const act = new Map<string, Float64Array>();
  for (const [first] of pairs) {
    const a = opts.actRanges?.get(first.name);
    if (a) act.set(first.name, Float64Array.from(a));
  }
  for (; rounds < maxRounds && pairs.length; ) {
    rounds++;
    let maxLog = 0;
    let sumLog = 0;
    let nCh = 0;
    for (const [first, second] of pairs) {
      const w1Op = ops.get(first.inputs[1]) as Op;
      const w2Op = ops.get(second.inputs[1]) as Op;
      // fresh arrays (never mutate a payload in place: executors may cache per array)
      const w1 = (w1Op.data = new Float32Array(w1Op.data as Float32Array));
      const w2 = (w2Op.data = new Float32Array(w2Op.data as Float32Array));
      const r1 = outRanges(first, w1, w1Op.output.shape);
      const r2 = second.type === 'depthwise-conv2d' ? outRanges(second, w2, w2Op.output.shape) : inRanges(w2, w2Op.output.shape);
      if (r1.length !== r2.length) continue;
      const s = new Float64Array(r1.length);
      const inv = new Float64Array(r1.length);
      const a = act.get(first.name);
      const aMax = a && a.length === r1.length ? Math.max(...a) : 0;
      for (let c = 0; c < r1.length; c++) {
        s[c] = r1[c] > 0 && r2[c] > 0 ? Math.sqrt(r1[c] * r2[c]) / r2[c] : 1;
        if (aMax > 0 && a) s[c] = Math.max(s[c], (a[c] as number) / aMax);
        inv[c] = 1 / s[c];
        const l = Math.abs(Math.log2(s[c]));
        maxLog = Math.max(maxLog, l);
        sumLog += l;
        nCh++;
      }
      scaleOutChannels(first, w1, w1Op.output.shape, inv);
      if (aMax > 0 && a) for (let c = 0; c < a.length; c++) a[c] = (a[c] as number) * (inv[c] as number);
      const b1 = first.inputs[2] ? ops.get(first.inputs[2]) : undefined;
      if (b1?.data) {
        const b = (b1.data = new Float32Array(b1.data));
        for (let c = 0; c < b.length; c++) b[c] *= inv[c];
      }
      if (second.type === 'depthwise-conv2d') scaleOutChannels(second, w2, w2Op.output.shape, s);
      else scaleInChannels(w2, w2Op.output.shape, s);
    }
    if (rounds === 1) firstMean = nCh ? sumLog / nCh : 0;
    if (maxLog < tol) break;
  }
  return { pairs: pairs.map(([a, b]) => ({ first: a.name, second: b.name })), rounds, firstRoundMeanLog2Scale: firstMean };
}
