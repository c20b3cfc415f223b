// Helpers for benchmark modules (not a benchmark itself: it exports no `run`).
import ort from 'onnxruntime-node';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { buildModel, exposeAllTensors, foldBatchNorm, toQdq, type TensorRanges } from '../src/models/index.js';
import { importOnnx } from '../src/importers/onnx/index.js';
import { quantize } from '../src/quantizer/index.js';
import { compile } from '../src/compiler/index.js';
import type { Graph, TensorValue } from '../src/ir/types.js';
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

/** NHWC → NCHW (the IR's feeds are NHWC, onnxruntime's NCHW). */
export function nhwcToNchw(t: TensorValue): Float32Array {
  const [n, h, w, c] = t.shape as [number, number, number, number];
  const src = t.data;
  const out = new Float32Array(src.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++)
    out[((b * c + k) * h + y) * w + x] = src[((b * h + y) * w + x) * c + k]!;
  return out;
}

/** One of the bench networks, built, imported, quantized (and compiled) the same way for every module. */
export interface BenchModel {
  /** The float ONNX model and its input (NCHW), for onnxruntime. */
  onnx: Uint8Array;
  onnxInput: string;
  onnxShape: number[];
  /** The IR input (NHWC) and the deterministic feed used for calibration and timing (noiseInput, seed 7). */
  input: string;
  feed: TensorValue;
  /** The same feed in NCHW. */
  nchw: Float32Array;
  /** The quantized IR graph (maxmin, no CLE / bias correction). */
  graph: Graph;
  /** The compiled .xmodel (B4096), when asked for. */
  xmodel?: Uint8Array;
}

/**
 * Builds `name` (src/models, seed 1) at `size`², imports it, quantizes it on one noise frame (maxmin,
 * cle off, bias correction off) and, with `compileXmodel`, compiles it for B4096 — what bench/throughput.ts
 * and bench/run-mode.ts time.
 */
export async function benchModel(name: string, size: number, opts: { compileXmodel?: boolean } = {}): Promise<BenchModel> {
  const m = buildModel(name, { seed: 1, inputSize: size });
  const fg = importOnnx(m.onnx);
  const input = fg.inputs[0]!;
  const shape = fg.ops.find((o) => o.name === input)?.output.shape ?? [1, size, size, 3];
  const feed: TensorValue = { shape, data: noiseInput(shape.reduce((a, b) => a * b, 1), 7) };
  const { graph } = await quantize(fg, [{ [input]: feed }], { method: 'maxmin', cle: false, biasCorrection: false, skipReport: true });
  return {
    onnx: m.onnx, onnxInput: m.inputName, onnxShape: m.inputShape, input, feed, nchw: nhwcToNchw(feed), graph,
    ...(opts.compileXmodel ? { xmodel: compile(graph, 'B4096').xmodel } : {}),
  };
}

/** Idle cores of this machine over `ms` (Linux /proc/stat; undefined elsewhere). */
export async function idleCores(ms: number): Promise<number | undefined> {
  const read = (): number[] | undefined => {
    try {
      return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    } catch {
      return undefined;
    }
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  if (!a || !b) return undefined;
  const idle = b[3]! + b[4]! - a[3]! - a[4]!;
  const total = b.reduce((x, y) => x + y, 0) - a.reduce((x, y) => x + y, 0);
  return total > 0 ? (os.cpus().length * idle) / total : undefined;
}

/** Before a timing: wait (up to maxWaitMs) until ≥ want cores were idle over 250 ms; returns the idle cores seen. */
export async function waitQuiet(want: number, maxWaitMs: number): Promise<number | undefined> {
  const end = Date.now() + maxWaitMs;
  let idle = await idleCores(250);
  while (idle !== undefined && idle < want && Date.now() < end) idle = await idleCores(250);
  return idle;
}

/**
 * Wait until this process's own threads are idle: onnxruntime's intra-op pool keeps spinning for tens of ms after a
 * run (measured: MobileNetV2 native 2T frames right after an ORT 2-thread run took 6.8–7.8 ms instead of 3.5, still
 * 3.6 ms after 50 ms of sleep, clean from ~75–100 ms), and so do worker pools of other engines; an engine timed
 * while they spin loses a core. Samples process CPU time over `windowMs` windows until it uses < 5 % of one core
 * (≥ minMs, ≤ maxMs); returns the ms waited. Worker threads of this process count (process.cpuUsage covers them).
 */
export async function settleSpinners(minMs = 5, maxMs = 1000, windowMs = 5): Promise<number> {
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, minMs));
  for (;;) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, windowMs));
    const c = process.cpuUsage(c0);
    const wallUs = (performance.now() - w0) * 1000;
    if (c.user + c.system < 0.05 * wallUs || performance.now() - t0 >= maxMs) return performance.now() - t0;
  }
}
