/**
 * Node worker_threads pool for the fast executor: `threads − 1` workers plus the calling thread
 * share one WebAssembly memory (SharedArrayBuffer); a job's range (conv output rows or output
 * channel blocks, pool rows, eltwise elements) is split between them, with no copy of
 * activations. Synchronisation is Atomics.wait / notify on a control block in that memory, so
 * `run()` stays synchronous.
 */
import { Worker } from 'node:worker_threads';
import { RuntimeError } from '../../../errors.js';
import type { Graph } from '../../../ir/types.js';
import { type FastExecutor, createFastExecutor } from '../executor.js';
import { canShareMemory, createKernelMemory, type KernelInstance } from '../loader.js';
import { KERNEL_FNS, type Parallel, type ParallelJob, setStage } from '../parallel.js';
import { DONE, FN, GEN, HAS_STAGE, MAX_ARGS, NARGS, QUIT, RANGE, THREADS, ctrlViews, runShare } from './protocol.js';

export interface ThreadedExecutor extends FastExecutor {
  /** Stops the workers. */
  close(): Promise<void>;
}

/** Creates a fast executor whose kernels run on `threads` threads (the caller's included). */
export async function createThreadedExecutor(graph: Graph, opts: { threads: number }): Promise<ThreadedExecutor> {
  const threads = Math.max(1, Math.floor(opts.threads));
  if (!canShareMemory()) throw new RuntimeError('E_WASM_NO_SHARED', 'this runtime cannot share WebAssembly memory between threads', { fix: 'use createFastExecutor (one thread)' });
  const memory = createKernelMemory();
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 1; i < threads; i++) {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { memory, index: i } });
    workers.push(w);
    ready.push(new Promise((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', (e: Error) => reject(new RuntimeError('E_WASM_WORKER', `kernel worker ${i} failed: ${e.message}`, { where: `worker ${i}` })));
    }));
  }
  await Promise.all(ready);
  let dead: string | undefined;
  for (const [i, w] of workers.entries()) {
    w.on('error', (e: Error) => (dead = `kernel worker ${i + 1} died: ${e.message}`));
    w.on('exit', (code) => (dead ??= `kernel worker ${i + 1} exited (code ${code})`));
  }
  const v = ctrlViews(memory.buffer as SharedArrayBuffer);
  v.i32[THREADS] = threads;
  const scratch: number[] = [];
  const makeParallel = (inst: KernelInstance): Parallel => ({
    threads,
    run(job: ParallelJob) {
      const k = inst.exports;
      if (threads === 1) {
        if (job.stage) setStage(k, job.stage);
        (k[job.fn] as (...a: number[]) => void)(...job.args);
        return;
      }
      if (dead) throw new RuntimeError('E_WASM_WORKER', dead, { fix: 'create a new executor' });
      if (job.args.length > MAX_ARGS) throw new RuntimeError('E_WASM_JOB', `too many kernel arguments (${job.args.length})`);
      v.i32[FN] = KERNEL_FNS.indexOf(job.fn);
      v.i32[NARGS] = job.args.length;
      v.i32[RANGE] = job.range;
      for (let i = 0; i < job.args.length; i++) v.args[i] = job.args[i];
      v.i32[HAS_STAGE] = job.stage ? 1 : 0;
      if (job.stage) for (let i = 0; i < 9; i++) v.stage[i] = job.stage[i];
      Atomics.store(v.i32, DONE, 0);
      Atomics.add(v.i32, GEN, 1);
      Atomics.notify(v.i32, GEN);
      runShare(k, v, 0, scratch);
      for (;;) {
        const d = Atomics.load(v.i32, DONE);
        if (d >= threads - 1) break;
        if (Atomics.wait(v.i32, DONE, d, 5000) === 'timed-out' && dead) throw new RuntimeError('E_WASM_WORKER', dead, { fix: 'create a new executor' });
      }
    },
  });
  const ex = createFastExecutor(graph, { memory, parallel: makeParallel });
  return Object.assign(ex, {
    async close() {
      Atomics.store(v.i32, QUIT, 1);
      Atomics.add(v.i32, GEN, 1);
      Atomics.notify(v.i32, GEN);
      await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        setTimeout(() => void w.terminate(), 1000).unref();
      })));
    },
  });
}
