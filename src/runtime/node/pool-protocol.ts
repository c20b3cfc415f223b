// Messages between the RunnerPool (pool.ts) and its workers (pool-worker.ts).
import type { SubgraphTiming } from '../graph-runner.js';
import type { RunnerTensor } from '../tensor.js';

/** A feed: a typed array (shared: by reference; else cloned), or 'f32' / 'i8' = the slot's staging input. */
export type WorkerFeed = Float32Array | Int8Array | 'f32' | 'i8';
/** An output: a shared typed array to write into, the slot's staging output ('f32' / 'i8'), or a new buffer. */
export type WorkerOut = Float32Array | Int8Array | 'f32' | 'i8' | 'new-f32' | 'new-i8';

export interface WorkerJob {
  type: 'job';
  id: number;
  feeds: Record<string, WorkerFeed>;
  /** One per graph output, in getOutputTensors() order. */
  outs: WorkerOut[];
}

export type WorkerMsg =
  | {
      type: 'ready';
      inputs: RunnerTensor[];
      outputs: RunnerTensor[];
      /** Per input / output: the slot's staging memory, 4 bytes per element. */
      stageIn: SharedArrayBuffer[];
      stageOut: SharedArrayBuffer[];
    }
  | { type: 'init-error'; message: string; code: string }
  | { type: 'done'; id: number; fresh: Record<string, Float32Array | Int8Array>; timings: SubgraphTiming[] }
  | { type: 'fail'; id: number; message: string; code: string };
