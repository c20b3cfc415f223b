// Helpers for benchmark modules (not a benchmark itself: it exports no `run`).
import ort from 'onnxruntime-node';
import { exposeAllTensors, foldBatchNorm, toQdq, type TensorRanges } from '../src/models/index.js';
import type { BenchContext, Timing } from './types.js';

/** Deterministic noise in [-2, 2). */
export function noiseInput(n: number, seed = 12345): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 4294967296) * 4 - 2;
  }
  return a;
}

/**
 * The INT8 onnxruntime peer of a float ONNX model: BatchNormalization folded, activation ranges
 * measured by onnxruntime on `calib` (NCHW), then rewritten to QDQ (per-tensor; onnxruntime fuses
 * it into QLinearConv/QLinearAdd/…). Returns the QDQ model bytes.
 */
export async function ortQdqPeer(onnx: Uint8Array, inputName: string, inputShape: number[], calib: Float32Array): Promise<Uint8Array> {
  const folded = foldBatchNorm(onnx);
  const probe = exposeAllTensors(folded);
  const s = await ort.InferenceSession.create(probe.onnx, { intraOpNumThreads: 2 });
  const out = await s.run({ [inputName]: new ort.Tensor('float32', calib, inputShape) });
  await s.release();
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of calib) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const ranges: TensorRanges = { [inputName]: [lo, hi] };
  for (const t of probe.tensors) {
    const d = out[t]!.data as Float32Array;
    let a = Infinity;
    let b = -Infinity;
    for (const v of d) {
      a = Math.min(a, v);
      b = Math.max(b, v);
    }
    ranges[t] = [a, b];
  }
  return toQdq(folded, ranges);
}

/** Times onnxruntime on `onnx` with `threads` intra-op threads (session created outside the timing). */
export async function timeOrt(ctx: BenchContext, onnx: Uint8Array, inputName: string, input: Float32Array, shape: number[], threads: number): Promise<Timing> {
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    const t = new ort.Tensor('float32', input, shape);
    return await ctx.time(() => session.run({ [inputName]: t }), { warmup: 2, minRuns: 5 });
  } finally {
    await session.release();
  }
}
