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
