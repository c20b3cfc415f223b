/**
 * Empirical bias correction: for each quantized conv-like op with a bias, on calibration data,
 * compare the per-output-channel mean of the float pre-activation output with that of the
 * quantized layer (int8 weights and bias, input fake-quantized at its fix point — exactly the DPU
 * accumulator before the output shift), both fed the *float* input of the layer so that errors
 * from earlier layers are not counted twice. The difference is added to the float bias, which is
 * then re-quantized.
 */
import type { Graph, Op, TensorValue } from '../ir/types.js';
import { getOpDef } from '../ir/registry.js';
import { fakeQuant, ACT_ROUND } from './fixpoint.js';
import { outChannels, opMap } from './graph-util.js';
import { type QSlot, constSlot, quantizedStep, slotFloat } from './quantized-step.js';

export interface BiasStats {
  /** per op: Σ over batches of per-channel mean difference (float − quantized) */
  sum: Map<string, Float64Array>;
  batches: number;
}

function channelMeans(v: TensorValue, oc: number): Float64Array {
  const m = new Float64Array(oc);
  const n = v.data.length / oc;
  for (let i = 0; i < v.data.length; i++) m[i % oc] += v.data[i];
  for (let c = 0; c < oc; c++) m[c] /= n;
  return m;
}

/**
 * Accumulate the mean error of every layer in `layers` for one batch.
 * `floatG` is the float (pre-passed) graph, `qG` the quantized graph (same names),
 * `acts` the float tensors of this batch by name.
 */
export function accumulateBiasError(floatG: Graph, qG: Graph, layers: string[], acts: Map<string, TensorValue>, stats: BiasStats): void {
  const fOps = opMap(floatG);
  const qOps = opMap(qG);
  for (const name of layers) {
    const fop = fOps.get(name) as Op;
    const qop = qOps.get(name) as Op;
    const x = acts.get(fop.inputs[0]);
    if (!x) continue;
    const def = getOpDef(fop.type);
    const attrs = { ...fop.attrs, nonlinear: 'NONE' };
    const fw = fOps.get(fop.inputs[1]) as Op;
    const fb = fOps.get(fop.inputs[2]) as Op;
    const qw = qOps.get(qop.inputs[1]) as Op;
    const qb = qOps.get(qop.inputs[2]) as Op;
    const val = (o: Op): TensorValue => ({ shape: o.output.shape, data: o.data as Float32Array });
    const yf = def.float([x, val(fw), val(fb)], attrs, fop);
    const fpIn = qOps.get(qop.inputs[0])?.output.fixPoint;
    const xq = fpIn === undefined ? x : { shape: x.shape, data: fakeQuant(x.data, fpIn, ACT_ROUND) };
    const yq = def.float([xq, val(qw), val(qb)], attrs, qop);
    const oc = outChannels(fop, fw.output.shape);
    const mf = channelMeans(yf, oc);
    const mq = channelMeans(yq, oc);
    let s = stats.sum.get(name);
    if (!s) stats.sum.set(name, (s = new Float64Array(oc)));
    for (let c = 0; c < oc; c++) s[c] += mf[c] - mq[c];
  }
  stats.batches++;
}

/**
 * Sequential empirical bias correction against the *quantized upstream* (what the DPU will see):
 * the quantized graph is run on all `batches` at once, op by op in graph order, with the bit-exact
 * INT8 kernels (runQuantized's rules); before a layer of `layers` runs, the per-channel mean of its
 * float pre-activation output on the float upstream (`floatMeans`, from runFloat) is compared with
 * the mean of its quantized form on the quantized upstream (int8 weights/bias on the dequantized
 * int8 input: the DPU accumulator before the output shift), and the difference goes into its bias
 * (re-quantized by `requantBias`). Later layers then see the corrected output, so upstream error is
 * corrected once, where it is cheapest to correct (no double counting).
 * `qG` is mutated (bias const data). Returns the largest |correction|.
 */
export function sequentialBiasCorrection(
  qG: Graph,
  layers: Set<string>,
  batches: Record<string, TensorValue>[],
  floatMeans: Map<string, Float64Array>,
  requantBias: (layer: Op, bias: Op, corrected: Float32Array) => void,
): number {
  const ops = opMap(qG);
  const lastUse = new Map<string, number>();
  qG.ops.forEach((op, i) => { for (const n of op.inputs) lastUse.set(n, i); });
  for (const o of qG.outputs) lastUse.set(o, Infinity);
  const slots = batches.map(() => new Map<string, QSlot>());
  let maxCorr = 0;
  qG.ops.forEach((op, idx) => {
    if (layers.has(op.name) && floatMeans.has(op.name)) {
      const mf = floatMeans.get(op.name) as Float64Array;
      const w = ops.get(op.inputs[1]) as Op;
      const b = ops.get(op.inputs[2]) as Op;
      const def = getOpDef(op.type);
      const attrs = { ...op.attrs, nonlinear: 'NONE' };
      const oc = mf.length;
      const diff = new Float64Array(oc);
      for (const sl of slots) {
        const x = slotFloat(sl.get(op.inputs[0]) as QSlot);
        const y = def.float([x, { shape: w.output.shape, data: w.data as Float32Array }, { shape: b.output.shape, data: b.data as Float32Array }], attrs, op);
        const mq = channelMeans(y, oc);
        for (let c = 0; c < oc; c++) diff[c] += (mf[c] - mq[c]) / slots.length;
      }
      const nb = new Float32Array(b.data as Float32Array);
      for (let c = 0; c < oc; c++) { nb[c] += diff[c]; maxCorr = Math.max(maxCorr, Math.abs(diff[c])); }
      requantBias(op, b, nb);
      // the bias const ran before this op: its slots hold the old values
      for (const sl of slots) sl.set(b.name, constSlot(b));
    }
    for (let bi = 0; bi < slots.length; bi++) {
      const sl = slots[bi];
      const s = quantizedStep(op, (n) => sl.get(n) as QSlot, batches[bi][op.name]);
      sl.set(op.name, s);
      for (const n of op.inputs) if ((lastUse.get(n) ?? -1) <= idx) sl.delete(n);
    }
  });
  return maxCorr;
}

/** Per-channel means of each layer's float pre-activation output (float weights, float input). */
export function floatLayerMeans(floatG: Graph, layer: Op, x: TensorValue): Float64Array {
  const fOps = opMap(floatG);
  const fw = fOps.get(layer.inputs[1]) as Op;
  const fb = fOps.get(layer.inputs[2]) as Op;
  const y = getOpDef(layer.type).float([x, { shape: fw.output.shape, data: fw.data as Float32Array }, { shape: fb.output.shape, data: fb.data as Float32Array }], { ...layer.attrs, nonlinear: 'NONE' }, layer);
  return channelMeans(y, outChannels(layer, fw.output.shape));
}
