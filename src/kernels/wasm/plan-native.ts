/**
 * The fast executor's native plan (FastExecutorOptions.native with the addon's program API): every
 * op the native kernels cover — conv, depthwise, const matmul (through planConv), same-shape
 * add/sub/mul, relu, max/avg pool, concat along channels — is added to the context's program, and
 * each run of consecutive native steps becomes ONE call: the addon's threads go through those ops
 * with one dispatch (a chunk counter and a wait per op instead of a fork/join per layer).
 * The arithmetic is the WASM kernels' (the job arguments are passed as they are); ops the plan does
 * not take stay on the WASM kernels. Stage code: no Node imports.
 */
import { NATIVE_OP, NATIVE_PROFILE_COLS, NATIVE_TASK_KIND, type NativeContext, type NativeKernels, type NativeOption, type NativeWeights } from '../native/types.js';
import type { ParallelJob } from './parallel.js';
import { isNoop } from './plan-extra.js';

export type Step = () => void;
type NativeStep = Step & { nativeTasks?: [number, number] };

export interface NativePlan {
  readonly ctx: NativeContext;
  /** Adds a conv (native weights + conv parameter block) and returns its step. */
  conv(w: NativeWeights, params: Float64Array): Step;
  /** The native step for a WASM kernel job with the same arithmetic, or undefined (keep WASM). */
  job(job: ParallelJob): Step | undefined;
  /** Concat along the last axis: parts are [src offset, width, shift (fix point in − out)]. */
  concat(out: number, pixels: number, total: number, parts: [number, number, number][]): Step | undefined;
  /** Nearest resize (NHWC batch 1): source row per output row, source column per output column, shift = fix point in − out. */
  resize(x: number, H: number, W: number, C: number, out: number, OH: number, OW: number, shift: number, ys: number[], xs: number[]): Step | undefined;
  /** The steps with every run of consecutive native steps merged into one dispatch. */
  fuse(steps: Step[]): Step[];
  /** Call at the start of a frame: idle workers start spinning while the feeds are quantized. */
  begin(): void;
  /** Feed quantization / output dequantization (the kernels' arithmetic) on the plan's threads when the
   * tensor is large, else on the calling thread; undefined when the kernels have no conversion. */
  quantize?: (src: Float32Array, mem: Int8Array, off: number, n: number, fp: number) => void;
  dequantize?: (mem: Int8Array, off: number, n: number, fp: number, dst: Float32Array) => void;
  /** Names the op a step was planned for (its native tasks carry the name in `profile()`). */
  label(step: Step, op: string, type: string): void;
  /** Per-task timing (DPUFLOW_NATIVE_PROFILE=1 or 2 when the plan was made), or undefined without it. */
  profile(reset?: boolean): NativeTaskProfile[] | undefined;
}

/** One native task's accumulated timing (ns, summed over the frames run since the last reset). */
export interface NativeTaskProfile {
  task: number;
  op: string;
  type: string;
  /** pad-u8, conv, depthwise, add, … (the addon's task kind) */
  kind: string;
  units: number;
  chunks: number;
  runs: number;
  /** caller thread: from the task's start to all of its chunks done */
  wallNs: number;
  /** time inside the kernel, per thread (threads 0..3) */
  busyNs: number[];
  chunksRun: number[];
  /** thread CPU time inside the kernel (excludes time the thread was preempted), per thread */
  cpuNs: number[];
}

const JOB_KIND: Partial<Record<ParallelJob['fn'], number>> = {
  addq: NATIVE_OP.addq, mulq: NATIVE_OP.mulq, reluq: NATIVE_OP.reluq, maxpool: NATIVE_OP.maxpool, avgpool: NATIVE_OP.avgpool,
};

type ProgramKernels = Required<Pick<NativeKernels, 'addConv' | 'addOp' | 'run' | 'wake'>> & NativeKernels;

function hasProgram(k: NativeKernels): k is ProgramKernels {
  return typeof k.addConv === 'function' && typeof k.addOp === 'function' && typeof k.run === 'function' && typeof k.wake === 'function';
}

/** A native plan on a new context of `nat.threads`, or undefined when the kernels lack the program API. */
export function createNativePlan(nat: NativeOption, mem: () => Int8Array): NativePlan | undefined {
  const k = nat.kernels;
  if (!hasProgram(k)) return undefined;
  const ctx = k.createContext(nat.threads ?? 1);
  let end = 0;
  const labels: { from: number; to: number; op: string; type: string }[] = [];
  const step = (start: number, stop: number): Step => {
    const s: NativeStep = () => k.run(ctx, mem(), start, stop);
    s.nativeTasks = [start, stop];
    return s;
  };
  const add = (stop: number): Step => {
    const s = step(end, stop);
    end = stop;
    return s;
  };
  return {
    ctx,
    conv: (w, params) => add(k.addConv(ctx, w, params)),
    job(job) {
      const kind = JOB_KIND[job.fn];
      return kind === undefined ? undefined : add(k.addOp(ctx, kind, Float64Array.from(job.args)));
    },
    concat(out, pixels, total, parts) {
      const p = [out, pixels, total, parts.length];
      for (const [src, width, shift] of parts) p.push(src, width, shift);
      return add(k.addOp(ctx, NATIVE_OP.concat, Float64Array.from(p)));
    },
    resize(x, H, W, C, out, OH, OW, shift, ys, xs) {
      let stop: number;
      try {
        stop = k.addOp(ctx, NATIVE_OP.resize, Float64Array.from([x, H, W, C, out, OH, OW, shift, ...ys, ...xs]));
      } catch (e) {
        // an addon built before the resize op: keep the WASM/JS step
        if (/unknown op kind/.test(String((e as Error).message))) return undefined;
        throw e;
      }
      return add(stop);
    },
    fuse(steps) {
      const out: Step[] = [];
      let run: [number, number] | undefined;
      const flush = (): void => {
        if (run) out.push(step(run[0], run[1]));
        run = undefined;
      };
      for (const s of steps) {
        if (isNoop(s)) continue; // an alias (reshape, identity, byte-identity transpose): nothing to run, no cut
        const t = (s as NativeStep).nativeTasks;
        if (t && run && run[1] === t[0]) run[1] = t[1];
        else {
          flush();
          if (t) run = [t[0], t[1]];
          else out.push(s);
        }
      }
      flush();
      return out;
    },
    begin: () => k.wake(ctx),
    ...conversions(k, ctx, nat.threads ?? 1),
    label(s, op, type) {
      const t = (s as NativeStep).nativeTasks;
      if (t) labels.push({ from: t[0], to: t[1], op, type });
    },
    profile(reset = false) {
      const p = k.profile?.(ctx, reset);
      if (!p) return undefined;
      const rows: NativeTaskProfile[] = [];
      for (let i = 0; i * NATIVE_PROFILE_COLS < p.length; i++) {
        const r = p.subarray(i * NATIVE_PROFILE_COLS, (i + 1) * NATIVE_PROFILE_COLS);
        const l = labels.find((x) => x.from <= i && i < x.to);
        rows.push({
          task: i, op: l?.op ?? '?', type: l?.type ?? '?', kind: NATIVE_TASK_KIND[r[0]!] ?? String(r[0]), units: r[1]!, chunks: r[2]!,
          wallNs: r[3]!, runs: r[4]!, busyNs: Array.from(r.subarray(5, 9)), chunksRun: Array.from(r.subarray(9, 13)), cpuNs: Array.from(r.subarray(13, 17)),
        });
      }
      return rows;
    },
  };
}

/** Below this many values a conversion stays on the calling thread (a dispatch costs more than it saves). */
const SPLIT_CONVERSION_MIN = 1 << 16;

function conversions(k: NativeKernels, ctx: NativeContext, threads: number): Pick<NativePlan, 'quantize' | 'dequantize'> {
  const q = k.quantize, dq = k.dequantize, qi = k.quantizeIn, dqi = k.dequantizeIn;
  if (!q || !dq) return {};
  if (threads < 2 || !qi || !dqi) return { quantize: q, dequantize: dq };
  return {
    quantize: (src, mem, off, n, fp) => (n >= SPLIT_CONVERSION_MIN ? qi(ctx, src, mem, off, n, fp) : q(src, mem, off, n, fp)),
    dequantize: (mem, off, n, fp, dst) => (n >= SPLIT_CONVERSION_MIN ? dqi(ctx, mem, off, n, fp, dst) : dq(mem, off, n, fp, dst)),
  };
}
