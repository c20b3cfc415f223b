/**
 * How the fast executor hands a kernel call to threads. A job is one kernel call whose
 * `args[range]`, `args[range + 1]` are a [start, end) range (output rows, channel blocks or
 * elements) that may be split between threads. The serial implementation runs it whole; the
 * Node worker pool (node/pool.ts) splits it over workers sharing the WebAssembly memory.
 */
import type { KernelExports } from './loader.js';

export const KERNEL_FNS = ['widen', 'conv', 'dwconv', 'maxpool', 'avgpool', 'addq', 'mulq', 'requant', 'reluq'] as const;
export type KernelFn = (typeof KERNEL_FNS)[number];

/** setStage arguments: mode, cut, accShift, six, three, leaky, hswShift, fast, biasPtr. */
export type StageArgs = [number, number, number, number, number, number, number, number, number];

export interface ParallelJob {
  fn: KernelFn;
  args: number[];
  /** Index in args of the range start (the end is the next arg). */
  range: number;
  /** Output stage to set (on every thread) before the call. */
  stage?: StageArgs;
}

export interface Parallel {
  readonly threads: number;
  run(job: ParallelJob): void;
}

/** Bytes reserved at the start of the kernel memory for the thread control block. */
export const CTRL_OFFSET = 64;
export const CTRL_BYTES = 960;
/** First byte the executor may allocate. */
export const ARENA_START = 1024;

export function setStage(k: KernelExports, s: StageArgs): void {
  k.setStage(s[0], s[1], s[2], BigInt(s[3]), BigInt(s[4]), s[5], s[6], s[7], s[8]);
}

/** Thread `index` of `threads`'s share of [lo, hi). */
export function share(lo: number, hi: number, index: number, threads: number): [number, number] {
  const n = hi - lo;
  const chunk = Math.ceil(n / threads);
  const a = Math.min(hi, lo + index * chunk);
  return [a, Math.min(hi, a + chunk)];
}

export function callKernel(k: KernelExports, fn: KernelFn, args: number[]): void {
  (k[fn] as (...a: number[]) => void)(...args);
}

/** Runs every job whole on the calling thread. */
export function serialParallel(k: KernelExports): Parallel {
  return {
    threads: 1,
    run(job) {
      if (job.stage) setStage(k, job.stage);
      callKernel(k, job.fn, job.args);
    },
  };
}
