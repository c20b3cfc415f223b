/**
 * RunnerPool: N host threads (worker_threads), each holding its own GraphRunner of one compiled model,
 * running jobs from one queue — what `xdputil benchmark <model> N` does with N runner threads.
 *
 *   const pool = await RunnerPool.create({ xmodel: 'resnet18.xmodel', mode: 'sim', threads: 2 });
 *   const [id] = pool.executeAsync({ input: x });   await pool.wait(id, -1);   pool.takeResult(id);
 *   const { outputs } = await pool.run({ input: x });
 *   await pool.close();
 *
 * Per frame the main thread only posts a small message: feeds are copied into the worker slot's shared
 * staging memory (SharedArrayBuffer; no structured clone) or, when they already live in a
 * SharedArrayBuffer (`allocBuffers()`), passed by reference; the worker quantizes, runs and dequantizes
 * into the caller's shared output buffers (or into new buffers it transfers). Int8Array feeds / outputs
 * are xint8 at the tensor's fixPoint, like VART's int8 tensors:
 *
 *   const io = pool.allocBuffers('xint8');         // shared buffers, reused every frame
 *   io.inputs.input.set(myInt8Frame);  const r = await pool.run(io.inputs, io.outputs);   // r.xint8.output0
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
import { elementCount, type RunnerTensor, type XintValue } from '../tensor.js';
import type { WorkerFeed, WorkerJob, WorkerMsg, WorkerOut } from './pool-protocol.js';

export interface PoolOptions {
  /** A compiled .xmodel: its bytes or a path. */
  xmodel: Uint8Array | string;
  mode?: RunnerMode;
  /** Target DPU (board, preset, fingerprint) — as GraphRunner's `target`. */
  target?: string;
  /** Worker threads (default 1). */
  threads?: number;
}

/** Feeds by input name: Float32Array (float) or Int8Array (xint8 at the input's fixPoint). */
export type PoolFeeds = Record<string, Float32Array | Int8Array>;
/**
 * Where outputs go: buffers by output name (Float32Array: float; Int8Array: xint8 at the output's
 * fixPoint; in a SharedArrayBuffer the worker writes them directly, else they are copied in on the main
 * thread), or 'xint8' / 'float32' for new buffers (xint8 where the output has a fixPoint).
 */
export type PoolOutputs = Record<string, Float32Array | Int8Array> | 'float32' | 'xint8';

export interface PoolResult {
  /** Float outputs. */
  outputs: Record<string, TensorValue>;
  /** xint8 outputs (those asked for as Int8Array or with 'xint8'), with their fixPoint. */
  xint8: Record<string, XintValue>;
  timings: SubgraphTiming[];
  /** Index of the worker slot that ran the job. */
  worker: number;
}

/** Shared (SharedArrayBuffer) buffers for every graph input and output, from `allocBuffers`. */
export interface PoolBuffers {
  inputs: Record<string, Float32Array | Int8Array>;
  outputs: Record<string, Float32Array | Int8Array>;
}

interface Pending {
  id: number;
  feeds: PoolFeeds;
  /** Per output tensor: the caller's buffer, or 'f32' / 'i8' for a new one. */
  outs: Array<Float32Array | Int8Array | 'f32' | 'i8'>;
  resolve: () => void;
  reject: (e: RuntimeError) => void;
}

/** A slot's staging memory: 4 bytes per element (float32, or int8 in the first bytes). */
interface Stage {
  inF: Float32Array[];
  inI: Int8Array[];
  outF: Float32Array[];
  outI: Int8Array[];
}

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  job?: Pending;
  stage?: Stage;
  /** Bumped on replacement, so late events of a dead worker are ignored. */
  generation: number;
  /** terminateWorker was called: it gets no new job while the thread stops (a job it finishes meanwhile completes). */
  killed?: boolean;
}

const WORKER_URL = new URL('./pool-worker.js', import.meta.url);
const isShared = (a: Float32Array | Int8Array): boolean => typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;

export class RunnerPool {
  private readonly jobs = new JobTable('runner pool');
  private readonly queue: Pending[] = [];
  private readonly slots: Slot[] = [];
  private readonly results = new Map<number, PoolResult>();
  private closed = false;
  private inputs: RunnerTensor[] = [];
  private outputs: RunnerTensor[] = [];
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

  /** The graph inputs (float32 view; fixPoint where an Int8Array may be fed), as GraphRunner's. */
  getInputTensors(): RunnerTensor[] {
    return this.inputs;
  }

  /** The graph outputs (float32 view; fixPoint where an Int8Array output may be asked for). */
  getOutputTensors(): RunnerTensor[] {
    return this.outputs;
  }

  /**
   * Buffers in SharedArrayBuffers for every input and output ('xint8': Int8Array where the tensor has a
   * fixPoint): fill the inputs, pass both to executeAsync / run — nothing is copied per frame. One set
   * per frame in flight (a job reads and writes them until it is waited for).
   */
  allocBuffers(dtype: 'float32' | 'xint8' = 'float32'): PoolBuffers {
    const mk = (t: RunnerTensor): Float32Array | Int8Array => {
      const n = elementCount(t.dims);
      return dtype === 'xint8' && t.fixPoint !== undefined ? new Int8Array(new SharedArrayBuffer(n)) : new Float32Array(new SharedArrayBuffer(4 * n));
    };
    return {
      inputs: Object.fromEntries(this.inputs.map((t) => [t.name, mk(t)])),
      outputs: Object.fromEntries(this.outputs.map((t) => [t.name, mk(t)])),
    };
  }

  /**
   * Queues one inference. Feeds by input name (Float32Array, or Int8Array = xint8 at the input's fixPoint;
   * a bad feed fails the job in its worker with a RuntimeError naming the tensor); outputs as PoolOutputs
   * (default: new float arrays; bad output buffers throw here). Returns [jobId, status] like VART.
   */
  executeAsync(feeds: PoolFeeds, outputs: PoolOutputs = 'float32'): [number, number] {
    if (this.closed) throw new RuntimeError('E_RUNNER_CLOSED', 'pool is closed', { where: 'runner pool', fix: 'create a new pool' });
    const outs = this.bindOutputs(outputs);
    let pending!: Pending;
    const id = this.jobs.submit(() => new Promise<void>((resolve, reject) => {
      pending = { id, feeds, outs, resolve, reject };
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

  async run(feeds: PoolFeeds, outputs: PoolOutputs = 'float32'): Promise<PoolResult> {
    const [id] = this.executeAsync(feeds, outputs);
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
    s.killed = true;
    await s.worker.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new RuntimeError('E_RUNNER_CLOSED', `job ${p.id} was queued when the pool was closed`, { where: `pool job ${p.id}` }));
    this.jobs.close();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private bindOutputs(outputs: PoolOutputs): Pending['outs'] {
    if (outputs === 'float32' || outputs === 'xint8') {
      return this.outputs.map((t) => (outputs === 'xint8' && t.fixPoint !== undefined ? 'i8' : 'f32'));
    }
    if (typeof outputs !== 'object' || outputs === null) {
      throw new RuntimeError('E_BUFFER_MISSING', `outputs must be buffers by output name, 'float32' or 'xint8'`, { where: 'runner pool' });
    }
    return this.outputs.map((t) => {
      const b = outputs[t.name];
      if (b === undefined) return 'f32';
      const where = `runner pool output '${t.name}'`;
      if (!(b instanceof Float32Array) && !(b instanceof Int8Array && t.fixPoint !== undefined)) {
        throw new RuntimeError('E_BUFFER_DTYPE', `output '${t.name}' must be a Float32Array${t.fixPoint !== undefined ? ` or an Int8Array (xint8 at fix point ${t.fixPoint})` : ''}`, { where });
      }
      if (b.length !== elementCount(t.dims)) {
        throw new RuntimeError('E_BUFFER_SIZE', `output '${t.name}' has ${b.length} elements, expected ${elementCount(t.dims)} (dims ${t.dims.join('x')})`, { where });
      }
      return b;
    });
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
        if (m.type === 'ready') {
          if (this.inputs.length === 0 && this.outputs.length === 0) { this.inputs = m.inputs; this.outputs = m.outputs; }
          const f = (b: SharedArrayBuffer) => new Float32Array(b);
          const i8 = (b: SharedArrayBuffer) => new Int8Array(b, 0, b.byteLength >> 2);
          slot.stage = { inF: m.stageIn.map(f), inI: m.stageIn.map(i8), outF: m.stageOut.map(f), outI: m.stageOut.map(i8) };
          slot.ready = true; resolveReady(); this.dispatch(); return;
        }
        if (m.type === 'init-error') {
          rejectReady(new RuntimeError(m.code, m.message, { where: `pool worker ${index}` }));
          return;
        }
        const job = slot.job;
        if (!job || job.id !== m.id) return;
        slot.job = undefined;
        if (m.type === 'done') {
          this.results.set(job.id, this.collect(job, slot, m.fresh, m.timings));
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

  /** The result of a finished job: staged outputs copied into the caller's buffers, new ones as sent. */
  private collect(job: Pending, slot: Slot, fresh: Record<string, Float32Array | Int8Array>, timings: SubgraphTiming[]): PoolResult {
    const r: PoolResult = { outputs: {}, xint8: {}, timings, worker: slot.index };
    this.outputs.forEach((t, k) => {
      const o = job.outs[k]!;
      let data: Float32Array | Int8Array;
      if (typeof o === 'string') data = fresh[t.name]!;
      else {
        if (!isShared(o)) o.set(o instanceof Int8Array ? slot.stage!.outI[k]!.subarray(0, o.length) : slot.stage!.outF[k]!.subarray(0, o.length));
        data = o;
      }
      if (data instanceof Int8Array) r.xint8[t.name] = { shape: [...t.dims], data, fixPoint: t.fixPoint! };
      else r.outputs[t.name] = { shape: [...t.dims], data };
    });
    return r;
  }

  private dispatch(): void {
    for (const s of this.slots) {
      if (this.queue.length === 0) return;
      if (!s || !s.ready || s.job || s.killed) continue;
      const job = this.queue.shift()!;
      s.job = job;
      const st = s.stage!;
      // feeds: shared ones by reference, others copied into the slot's staging memory (a bad one is sent as
      // it is, for the worker's GraphRunner to refuse with the tensor's name)
      const feeds: Record<string, WorkerFeed> = {};
      this.inputs.forEach((t, i) => {
        const d = job.feeds[t.name];
        if (d === undefined) return;
        const n = elementCount(t.dims);
        if (isShared(d) || d.length !== n) feeds[t.name] = d;
        else if (d instanceof Float32Array) { st.inF[i]!.set(d); feeds[t.name] = 'f32'; }
        else if (d instanceof Int8Array && t.fixPoint !== undefined) { st.inI[i]!.set(d); feeds[t.name] = 'i8'; }
        else feeds[t.name] = d;
      });
      const outs: WorkerOut[] = job.outs.map((o) => (typeof o === 'string' ? (o === 'i8' ? 'new-i8' : 'new-f32') : isShared(o) ? o : o instanceof Int8Array ? 'i8' : 'f32'));
      const msg: WorkerJob = { type: 'job', id: job.id, feeds, outs };
      s.worker.postMessage(msg);
    }
  }
}
