/**
 * Weight sensitivity: for each quantized weight tensor alone, the graph's output SQNR when only that
 * tensor takes its INT8 values (everything else, activations included, stays float). It separates
 * "this layer's per-tensor power-of-two weights are too coarse" from activation fix-point choices,
 * which the accumulated per-tensor report mixes up. On PP-OCRv4 rec it is what showed that
 * weight quantization alone makes the output unreadable (docs/quantizer.md).
 *
 * `floatGraph` is the float graph the quantized IR was built from (same op and const names: the
 * quantizer's pre-passed copy); `quantGraph` the quantized IR (consts hold q·2^-fp).
 */
import type { Graph, Op, TensorValue } from '../ir/types.js';
import { runFloat } from '../kernels/ref/float-executor.js';
import { cloneGraph, opMap } from './graph-util.js';
import { WEIGHTED } from './quantizable.js';

export interface WeightSensitivity {
  /** Weight tensor name. */
  tensor: string;
  /** The op that reads it, and its type. */
  op: string;
  opType: string;
  fixPoint: number;
  /** Graph-output SQNR (dB, over all outputs) with only this tensor quantized. */
  outputSqnrDb: number;
  /** SQNR of the weights themselves (float vs INT8 values). */
  weightSqnrDb: number;
  /** Largest per-output-channel max|w| over the median one (per-tensor scales suffer when ≫ 1). */
  channelSpread: number;
}

/** 10·log10(signal / noise); +Infinity when noise is 0. */
export function sqnrDb(sig: number, noise: number): number {
  if (noise === 0) return Infinity;
  return 10 * Math.log10(sig / noise);
}

function spread(w: Float32Array, oc: number, depthwise: boolean): number {
  const m = new Float64Array(oc);
  if (depthwise) for (let i = 0; i < w.length; i++) m[i % oc] = Math.max(m[i % oc] as number, Math.abs(w[i] as number));
  else {
    const per = w.length / oc;
    for (let c = 0; c < oc; c++) for (let i = 0; i < per; i++) m[c] = Math.max(m[c] as number, Math.abs(w[c * per + i] as number));
  }
  const s = Array.from(m).sort((a, b) => a - b);
  const med = s[s.length >> 1] as number;
  return med > 0 ? (s[s.length - 1] as number) / med : Infinity;
}

/** Sorted worst (lowest output SQNR) first. Cost: one float inference per weight tensor per batch. */
export function weightSensitivity(floatGraph: Graph, quantGraph: Graph, batches: Record<string, TensorValue>[]): WeightSensitivity[] {
  const work = cloneGraph(floatGraph);
  const wOps = opMap(work);
  const qOps = opMap(quantGraph);
  const outs = work.outputs;
  const run = (): Float32Array[][] => batches.map((feeds) => {
    const r = runFloat(work, feeds);
    return outs.map((o) => (r[o] as TensorValue).data);
  });
  const ref = run();
  const res: WeightSensitivity[] = [];
  for (const op of quantGraph.ops) {
    if (!WEIGHTED.has(op.type) || op.output.fixPoint === undefined) continue;
    const qw = qOps.get(op.inputs[1] as string);
    const fw = wOps.get(op.inputs[1] as string);
    if (!qw || qw.type !== 'const' || qw.output.fixPoint === undefined || !qw.data || !fw?.data || fw.data.length !== qw.data.length) continue;
    const orig = fw.data;
    let ws = 0;
    let wn = 0;
    for (let i = 0; i < orig.length; i++) {
      ws += (orig[i] as number) ** 2;
      wn += ((orig[i] as number) - (qw.data[i] as number)) ** 2;
    }
    fw.data = new Float32Array(qw.data);
    let s = 0;
    let n = 0;
    run().forEach((outsB, b) => outsB.forEach((o, k) => {
      const r = (ref[b] as Float32Array[])[k] as Float32Array;
      for (let i = 0; i < r.length; i++) {
        s += (r[i] as number) ** 2;
        n += ((o[i] as number) - (r[i] as number)) ** 2;
      }
    }));
    fw.data = orig;
    const shape = (fw as Op).output.shape;
    const dw = op.type === 'depthwise-conv2d';
    const oc = dw ? (shape[shape.length - 1] as number) : (shape[0] as number);
    res.push({
      tensor: qw.name, op: op.name, opType: op.type, fixPoint: qw.output.fixPoint,
      outputSqnrDb: sqnrDb(s, n), weightSqnrDb: sqnrDb(ws, wn), channelSpread: op.type === 'matmul' ? 1 : spread(orig, oc, dw),
    });
  }
  return res.sort((a, b) => a.outputSqnrDb - b.outputSqnrDb);
}
