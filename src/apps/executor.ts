/**
 * The one interface every pipeline runs its models through, so the same OCR / detection / classification
 * code runs on dpuflow's float IR executor, on onnxruntime-node (src/apps/node/ort-executor.ts, tests and
 * comparisons) and on the virtual DPU's GraphRunner (compiled .xmodel). Feeds and outputs are NHWC for
 * 4-D tensors (the IR's layout); executors over NCHW engines transpose at their boundary.
 */
import type { Graph, TensorValue } from '../ir/types.js';
import { AppError } from '../errors.js';
import { decodeOnnx, importOnnx } from '../importers/onnx/index.js';
import { optimizeForInference } from '../ir/passes/optimize/index.js';
import { runFloat } from '../kernels/ref/float-executor.js';

export interface ExecutorTiming {
  /** Part of the model (e.g. a subgraph) or the whole model. */
  name: string;
  /** 'DPU' (virtual DPU), 'CPU' (host kernels on the board CPU) or 'HOST' (a float executor). */
  device: string;
  /** Host-measured milliseconds. */
  ms: number;
}

export interface ModelExecutor {
  /** Model name shown in tables. */
  readonly name: string;
  /** Inputs in model order, NHWC; a dimension of -1 is free (the executor accepts any size there). */
  readonly inputs: { name: string; shape: number[] }[];
  /** Output names in model order. */
  readonly outputs: string[];
  /** What runs the model: 'float' (IR executor), 'onnxruntime', 'dpu-run' / 'dpu-sim' / 'dpu-ref'. */
  readonly backend: string;
  run(feeds: Record<string, TensorValue>): Promise<Record<string, TensorValue>>;
  /** Breakdown of the last run (per DPU/CPU subgraph for the GraphRunner), if the executor has one. */
  lastTimings?(): ExecutorTiming[];
  close?(): void;
}

/** The first input of a model and its (possibly free) NHWC shape. */
export function firstInput(ex: ModelExecutor): { name: string; shape: number[] } {
  const i = ex.inputs[0];
  if (!i) throw new AppError('E_APP_MODEL', `model has no inputs`, { where: ex.name });
  return i;
}

/** The output tensor at position `index` (by name, falling back to the only/first value). */
export function outputAt(ex: ModelExecutor, outs: Record<string, TensorValue>, index = 0): TensorValue {
  const name = ex.outputs[index];
  const v = (name !== undefined ? outs[name] : undefined) ?? (index === 0 ? Object.values(outs)[0] : undefined);
  if (!v) throw new AppError('E_APP_MODEL_OUTPUT', `model gave no output #${index}${name ? ` '${name}'` : ''}`, { where: ex.name, fix: 'check that the model fits the task' });
  return v;
}

export interface FloatOnnxOptions {
  /** File name for messages. */
  fileName?: string;
  /** Model name (default: fileName or the graph name). */
  name?: string;
  /** Cache at most this many imported graphs (one per input shape; default 4). */
  cacheShapes?: number;
}

/**
 * Runs an ONNX model on dpuflow's float IR executor. Models with free input dimensions (PP-OCR det has
 * H×W free) are imported once per input shape (cached), as the IR has static shapes.
 */
export function floatOnnxExecutor(onnx: Uint8Array, opts: FloatOnnxOptions = {}): ModelExecutor {
  const model = decodeOnnx(onnx, opts.fileName);
  const g0 = model.graph!;
  const inits = new Set((g0.initializer ?? []).map((t) => (t as { name?: string }).name));
  const dimOf = (d: { dim_value?: unknown }): number => {
    const v = Number(d.dim_value ?? 0);
    return Number.isFinite(v) && v > 0 ? v : -1;
  };
  const inputs = (g0.input ?? []).filter((i) => i.name && !inits.has(i.name)).map((i) => {
    const s = (i.type?.tensor_type?.shape?.dim ?? []).map(dimOf);
    return { name: i.name!, shape: s.length === 4 ? [s[0]!, s[2]!, s[3]!, s[1]!] : s };
  });
  const outputs = (g0.output ?? []).map((o) => o.name ?? '');
  const cache = new Map<string, Graph>();
  const limit = opts.cacheShapes ?? 4;
  let last: ExecutorTiming[] = [];
  const name = opts.name ?? opts.fileName ?? g0.name ?? 'onnx';
  return {
    name,
    inputs,
    outputs,
    backend: 'float',
    async run(feeds) {
      const key = JSON.stringify(inputs.map((i) => feeds[i.name]?.shape ?? null));
      let g = cache.get(key);
      if (!g) {
        const inputShapes: Record<string, number[]> = {};
        for (const i of inputs) {
          const f = feeds[i.name];
          if (!f) throw new AppError('E_APP_FEED', `no feed for model input '${i.name}'`, { where: name });
          const s = f.shape;
          // IR is NHWC; ONNX wants NCHW for 4-D inputs.
          inputShapes[i.name] = s.length === 4 ? [s[0]!, s[3]!, s[1]!, s[2]!] : [...s];
        }
        g = optimizeForInference(importOnnx(onnx, { fileName: opts.fileName, inputShapes }));
        if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
        cache.set(key, g);
      }
      const t0 = performance.now();
      const out = runFloat(g, feeds);
      last = [{ name, device: 'HOST', ms: performance.now() - t0 }];
      return out;
    },
    lastTimings: () => last,
  };
}

/** The part of dpuflow's GraphRunner a pipeline needs (src/runtime/graph-runner.ts satisfies it). */
export interface GraphRunnerLike {
  getInputTensors(): { name: string; dims: readonly number[] }[];
  getOutputTensors(): { name: string; dims: readonly number[] }[];
  run(feeds: Record<string, Float32Array | TensorValue>): Promise<Record<string, TensorValue>>;
  lastTimings(): { name: string; device: string; ms: number }[];
  readonly mode: string;
  close(): void;
}

/**
 * Runs a compiled .xmodel on the virtual DPU through the runtime's GraphRunner (float in / float out,
 * NHWC, fixed shapes). Timings per DPU/CPU subgraph come from `GraphRunner.lastTimings()`.
 */
export function graphRunnerExecutor(runner: GraphRunnerLike, name = 'xmodel'): ModelExecutor {
  return {
    name,
    inputs: runner.getInputTensors().map((t) => ({ name: t.name, shape: [...t.dims] })),
    outputs: runner.getOutputTensors().map((t) => t.name),
    backend: `dpu-${runner.mode}`,
    run: (feeds) => runner.run(feeds),
    lastTimings: () => runner.lastTimings().map((t) => ({ name: t.name, device: t.device, ms: t.ms })),
    close: () => runner.close(),
  };
}
