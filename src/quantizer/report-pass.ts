/**
 * The report pass of quantize(): every tensor's INT8 result (bit-exact test mode) vs FP32 over the
 * first batches, plus each quantized op's local error (its float kernel on the same, already
 * quantized, inputs vs its INT8 result).
 *
 * The INT8 side runs on the WASM fast executor (`createFastExecutor`, bit-exact with runQuantized,
 * ~40× faster); after each run every tensor is read back from its arena slot (`value(name)`). Ops
 * without a WASM kernel run the INT8 reference inside the executor, as in 'run' mode. If the
 * executor cannot prepare or run the graph, the pass uses runQuantized (the reference executor);
 * `executor: 'reference'` forces that (tests compare both).
 */
import type { Graph, Op, TensorValue } from '../ir/types.js';
import { getOpDef } from '../ir/registry.js';
import { runFloat } from '../kernels/ref/float-executor.js';
import { runQuantized } from '../kernels/ref/quant-executor.js';
import { type FastExecutor, createFastExecutor } from '../kernels/wasm/executor.js';
import { ErrorStats } from './report.js';

export type ReportExecutor = 'fast' | 'reference';

export interface ReportPassResult {
  /** INT8 vs FP32 of every non-const tensor, in graph order of first appearance. */
  stats: Map<string, ErrorStats>;
  /** Local error of every fixed-point op (not 'data'). */
  local: Map<string, ErrorStats>;
  /** The executor that ran the INT8 side. */
  executor: ReportExecutor;
}

/**
 * `gRef`: the float graph (before bias correction), `qg`: the quantized graph (same op names).
 * Runs `batches` (already limited to the report count); `onBatch(i)` after each.
 */
export function reportPass(gRef: Graph, qg: Graph, batches: Record<string, TensorValue>[], executor: ReportExecutor = 'fast', onBatch?: (i: number) => void): ReportPassResult {
  const stats = new Map<string, ErrorStats>();
  const local = new Map<string, ErrorStats>();
  let fx: FastExecutor | undefined;
  if (executor === 'fast' && batches.length) {
    try {
      fx = createFastExecutor(qg);
    } catch {
      fx = undefined; // runQuantized below reports the graph's problem in its own terms, or runs it
    }
  }

  const account = (op: Op, v: TensorValue, fvals: Map<string, Float32Array>, qval: (n: string) => TensorValue | undefined): void => {
    const f = fvals.get(op.name);
    if (!f) return;
    let st = stats.get(op.name);
    if (!st) stats.set(op.name, (st = new ErrorStats()));
    st.add(f, v.data, op.output.fixPoint);
    if (op.output.fixPoint !== undefined && op.type !== 'data') {
      const ins = op.inputs.map((n) => qval(n) as TensorValue);
      const ref = getOpDef(op.type).float(ins, op.attrs, op);
      let ls = local.get(op.name);
      if (!ls) local.set(op.name, (ls = new ErrorStats()));
      ls.add(ref.data, v.data, op.output.fixPoint);
    }
  };

  const byName = new Map(qg.ops.map((o) => [o.name, o]));
  batches.forEach((feeds, i) => {
    const fvals = new Map<string, Float32Array>();
    runFloat(gRef, feeds, { onTensor: (op, v) => fvals.set(op.name, v.data) });
    if (fx) {
      try {
        fx.run(feeds);
      } catch {
        fx = undefined; // a kernel the executor could plan but not run: the reference decides (and names the problem)
      }
    }
    if (fx) {
      const ex = fx;
      // consts: their data is already fake-quantized (applyFixPoints), equal to the int8 value · 2^-fp
      const qval = (n: string): TensorValue | undefined => {
        const op = byName.get(n);
        if (op?.type === 'const') return { shape: op.output.shape.slice(), data: op.data ?? new Float32Array(0) };
        return ex.value(n);
      };
      for (const op of qg.ops) {
        if (op.type === 'const') continue;
        const v = ex.value(op.name);
        if (v) account(op, v, fvals, qval);
      }
    } else {
      const qvals = new Map<string, TensorValue>();
      runQuantized(qg, feeds, {
        onTensor: (op, v) => {
          qvals.set(op.name, v);
          if (op.type !== 'const') account(op, v, fvals, (n) => qvals.get(n));
        },
      });
    }
    onBatch?.(i);
  });
  return { stats, local, executor: fx ? 'fast' : 'reference' };
}
