/**
 * The control block the main thread and the kernel workers share (inside the WebAssembly
 * memory at CTRL_OFFSET): i32 words, then f64 job arguments. The main thread writes a job,
 * bumps GEN and notifies; every worker runs its share of the job's range and increments DONE.
 */
import type { KernelExports } from '../loader.js';
import { CTRL_OFFSET, KERNEL_FNS, type StageArgs, callKernel, setStage, share } from '../parallel.js';

export const GEN = 0;
export const DONE = 1;
export const FN = 2;
export const NARGS = 3;
export const RANGE = 4;
export const HAS_STAGE = 5;
export const QUIT = 6;
export const THREADS = 7;
export const ARGS_BYTE = CTRL_OFFSET + 64;
export const MAX_ARGS = 24;
export const STAGE_BYTE = ARGS_BYTE + MAX_ARGS * 8;

export interface CtrlViews {
  i32: Int32Array;
  args: Float64Array;
  stage: Float64Array;
}

export function ctrlViews(buf: SharedArrayBuffer): CtrlViews {
  return {
    i32: new Int32Array(buf, CTRL_OFFSET, 16),
    args: new Float64Array(buf, ARGS_BYTE, MAX_ARGS),
    stage: new Float64Array(buf, STAGE_BYTE, 9),
  };
}

/** Runs thread `index`'s share of the job currently in the control block. */
export function runShare(k: KernelExports, v: CtrlViews, index: number, scratch: number[]): void {
  const n = v.i32[NARGS];
  const threads = v.i32[THREADS];
  scratch.length = n;
  for (let i = 0; i < n; i++) scratch[i] = v.args[i];
  const r = v.i32[RANGE];
  const [lo, hi] = share(scratch[r], scratch[r + 1], index, threads);
  if (lo >= hi) return;
  scratch[r] = lo;
  scratch[r + 1] = hi;
  if (v.i32[HAS_STAGE]) setStage(k, Array.from(v.stage) as StageArgs);
  callKernel(k, KERNEL_FNS[v.i32[FN]], scratch);
}
