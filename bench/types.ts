/**
 * The benchmark module contract. `npm run bench` (bench/run.ts) imports every module in bench/
 * that exports `run`, calls it with a BenchContext and collects the BenchResults into a table
 * and bench/results.json. A module measures dpuflow and its peer (onnxruntime-node) in the same
 * run and reports both, with the ratio.
 *
 *   // bench/my-stage.ts
 *   import type { BenchContext, BenchResult } from './types.js';
 *   export async function run(ctx: BenchContext): Promise<BenchResult[]> {
 *     const t = await ctx.time(() => doWork());
 *     const p = await ctx.time(() => peerWork());
 *     return [ctx.result({ group: 'my-stage', name: 'thing per second', value: 1000 / t.medianMs,
 *       unit: 'fps', higherIsBetter: true, peer: { name: 'ORT FP32 1 thread', value: 1000 / p.medianMs } })];
 *   }
 */

export interface Timing {
  runs: number;
  /** Milliseconds per run. */
  medianMs: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

export interface TimeOptions {
  /** Untimed runs first (default 1). */
  warmup?: number;
  /** At least this many timed runs (default 3, 1 with --quick). */
  minRuns?: number;
  /** Keep running until this much time was spent timing (default 2 s, 0.3 s with --quick)… */
  minSeconds?: number;
  /** …but never more runs than this (default 50). */
  maxRuns?: number;
}

export interface BenchContext {
  /** `--quick`: fewer repetitions, for smoke runs. Modules may also shrink inputs. */
  quick: boolean;
  /** Shows `label` as the current status line on a TTY (no-op elsewhere). */
  progress(label: string): void;
  /** A note printed above the table (and stored in results.json under `notes`). */
  note(msg: string): void;
  /** Times `fn` (sync or async): warm-up runs, then timed runs; progress is shown while it runs. */
  time(fn: () => unknown, opts?: TimeOptions): Promise<Timing>;
  /** Fills `ratio` from value and peer (> 1 means dpuflow is better), checks the fields. */
  result(r: BenchResult): BenchResult;
}

export interface BenchResult {
  /** The module's group, e.g. 'float', 'quantizer', 'dpu-run'. */
  group: string;
  /** What was measured, with the model and input size, e.g. 'ResNet-50 224² float executor'. */
  name: string;
  value: number;
  /** 'fps', 'ms', 's', 'GMAC/s', 'MB', … */
  unit: string;
  higherIsBetter: boolean;
  /** The same figure for the peer (onnxruntime-node) measured in the same run; say threads in its name. */
  peer?: { name: string; value: number };
  /** dpuflow ÷ peer for higher-is-better figures, peer ÷ dpuflow otherwise: > 1 means dpuflow wins. */
  ratio?: number;
  /** Threads dpuflow used for this figure. */
  threads?: number;
  /** Anything else worth keeping (input shape, runs, GOPs…). Strings, numbers, booleans only. */
  details?: Record<string, string | number | boolean>;
}

/** What a benchmark module exports. */
export interface BenchModule {
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

/** The document bench/run.ts writes to bench/results.json. */
export interface BenchReport {
  date: string;
  machine: { cpu: string; cores: number; memoryGB: number; platform: string; arch: string; features: string[]; loadAvg1m: number };
  /** The benchmark modules this run ran (a filtered run covers only some). */
  modules: string[];
  node: string;
  onnxruntime: string;
  quick: boolean;
  notes: string[];
  results: BenchResult[];
  /** Modules that threw: the module file and the error message. */
  errors: { module: string; message: string }[];
}
