/**
 * RunnerPool: N host threads (worker_threads), each holding its own GraphRunner of one compiled model,
 * running jobs from one queue — what `xdputil benchmark <model> N` does with N runner threads.
 *
 *   const pool = await RunnerPool.create({ xmodel: 'resnet18.xmodel', mode: 'sim', threads: 2 });
 *   const [id] = pool.executeAsync({ input: x });   await pool.wait(id, -1);   pool.takeResult(id);
 *   const { outputs } = await pool.run({ input: x });
 *   await pool.close();
 *
 * A worker that throws fails only that job (RuntimeError naming the job); a worker that dies (crash,
 * terminate) fails the job it was running with E_WORKER_DIED, is replaced, and every other job keeps
 * going: no job is lost (each one ends in a result or a RuntimeError) and none runs twice.
 */
import { Worker } from 'node:worker_threads';
import fs from 'node:fs';
import { RuntimeError } from '../../errors.js';
import type { TensorValue } from '../../ir/types.js';
import type { RunnerMode } from '../backend.js';
import { JobTable } from '../jobs.js';
import type { SubgraphTiming } from '../graph-runner.js';

export interface PoolOptions {
  /** A compiled .xmodel: its bytes or a path. */
  xmodel: Uint8Array | string;
  mode?: RunnerMode;
  /** Target DPU (board, preset, fingerprint) — as GraphRunner's `target`. */
  target?: string;
  /** Worker threads (default 1). */
  threads?: number;
}

export interface PoolResult {
  outputs: Record<string, TensorValue>;
  timings: SubgraphTiming[];
  /** Index of the worker slot that ran the job. */
  worker: number;
}

interface Pending {
  id: number;
  feeds: Record<string, Float32Array>;
  resolve: () => void;
  reject: (e: RuntimeError) => void;
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  job?: Pending;
  /** Bumped on replacement, so late events of a dead worker are ignored. */
  generation: number;
}

type WorkerMsg =
  | { type: 'ready' }
  | { type: 'init-error'; message: string; code: string }
  | { type: 'done'; id: number; outputs: Record<string, TensorValue>; timings: SubgraphTiming[] }
  | { type: 'fail'; id: number; message: string; code: string };

const WORKER_URL = new URL('./pool-worker.js', import.meta.url);

export class RunnerPool {
  private readonly jobs = new JobTable('runner pool');
  private readonly queue: Pending[] = [];
  private readonly slots: Slot[] = [];
  private readonly results = new Map<number, PoolResult>();
  private closed = false;
  /** Workers started so far (replacements included). */
  spawned = 0;

  private constructor(private readonly bytes: Uint8Array, private readonly mode: RunnerMode, private readonly target: string | undefined) {}

  static async create(opts: PoolOptions): Promise<RunnerPool> {
    const bytes = typeof opts.xmodel === 'string' ? new Uint8Array(fs.readFileSync(opts.xmodel)) : opts.xmodel;
    const threads = opts.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new RuntimeError('E_POOL_THREADS', `threads must be an integer in 1..64, got ${threads}`, { fix: 'pass --threads N with 1 ≤ N ≤ 64' });
    }
    const pool = new RunnerPool(bytes, opts.mode ?? 'run', opts.target);
    try {
      await Promise.all(Array.from({ length: threads }, (_, i) => pool.start(i)));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get threads(): number {
    return this.slots.length;
  }

  /** Queues one inference (float feeds by input name). Returns [jobId, status] like VART. */
  executeAsync(feeds: Record<string, Float32Array>): [number, number] {
    if (this.closed) throw new RuntimeError('E_RUNNER_CLOSED', 'pool is closed', { where: 'runner pool', fix: 'create a new pool' });
    let pending!: Pending;
    const id = this.jobs.submit(() => new Promise<void>((resolve, reject) => {
      pending = { id, feeds, resolve, reject };
      this.queue.push(pending);
      this.dispatch();
    }));
    return [id, 0];
  }

  /** -1 blocks, 0 polls, > 0 bounded; resolves 0, rejects with RuntimeError. Then takeResult(jobId). */
  wait(jobId: number, timeoutMs = -1): Promise<number> {
    return this.jobs.wait(jobId, timeoutMs);
  }

  /** The outputs of a finished, waited-for job (once). */
  takeResult(jobId: number): PoolResult | undefined {
    const r = this.results.get(jobId);
    this.results.delete(jobId);
    return r;
  }

  async run(feeds: Record<string, Float32Array>): Promise<PoolResult> {
    const [id] = this.executeAsync(feeds);
    await this.wait(id, -1);
    return this.takeResult(id)!;
  }

  /** Which worker runs which job now. */
  busy(): Array<{ worker: number; job: number }> {
    return this.slots.filter((s) => s.job).map((s) => ({ worker: s.index, job: s.job!.id }));
  }

  /** Kills a worker thread as a crash would (for tests and fault drills); it is replaced. */
  async terminateWorker(index: number): Promise<void> {
    const s = this.slots[index];
    if (!s) throw new RuntimeError('E_POOL_WORKER', `no worker ${index}`, { where: 'runner pool' });
    await s.worker.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new RuntimeError('E_RUNNER_CLOSED', `job ${p.id} was queued when the pool was closed`, { where: `pool job ${p.id}` }));
    this.jobs.close();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private start(index: number): Promise<void> {
    return new Promise<void>((resolveReady, rejectReady) => {
      const worker = new Worker(WORKER_URL, { workerData: { xmodel: this.bytes, mode: this.mode, target: this.target } });
      this.spawned++;
      const gen = (this.slots[index]?.generation ?? 0) + 1;
      const slot: Slot = { index, worker, ready: false, generation: gen };
      this.slots[index] = slot;
      const live = () => this.slots[index] === slot;
      worker.on('message', (m: WorkerMsg) => {
        if (!live()) return;
        if (m.type === 'ready') { slot.ready = true; resolveReady(); this.dispatch(); return; }
        if (m.type === 'init-error') {
          rejectReady(new RuntimeError(m.code, m.message, { where: `pool worker ${index}` }));
          return;
        }
        const job = slot.job;
        if (!job || job.id !== m.id) return;
        slot.job = undefined;
        if (m.type === 'done') {
          this.results.set(job.id, { outputs: m.outputs, timings: m.timings, worker: index });
          job.resolve();
        } else {
          job.reject(new RuntimeError(m.code, `job ${job.id} failed in worker ${index}: ${m.message}`, { where: `pool job ${job.id}` }));
        }
        this.dispatch();
      });
      const died = (why: string) => {
        if (!live()) return;
        const job = slot.job;
        const wasReady = slot.ready;
        slot.job = undefined;
        slot.ready = false;
        if (!wasReady) rejectReady(new RuntimeError('E_WORKER_DIED', `worker ${index} died while loading the model: ${why}`, { where: `pool worker ${index}` }));
        if (job) {
          job.reject(new RuntimeError('E_WORKER_DIED', `job ${job.id} lost its worker ${index} (${why}); the worker was replaced, other jobs continue`, {
            where: `pool job ${job.id}`, fix: 'submit the job again',
          }));
        }
        if (this.closed) return;
        this.start(index).catch(() => undefined); // replacement; its own failure is reported to the jobs it takes
      };
      worker.on('error', (e: unknown) => died(`error: ${(e as Error)?.message ?? String(e)}`));
      worker.on('exit', (code) => died(`exit code ${code}`));
    });
  }

  private dispatch(): void {
    for (const s of this.slots) {
      if (this.queue.length === 0) return;
      if (!s || !s.ready || s.job) continue;
      const job = this.queue.shift()!;
      s.job = job;
      s.worker.postMessage({ type: 'job', id: job.id, feeds: job.feeds });
    }
  }
}
