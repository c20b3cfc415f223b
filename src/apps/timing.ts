/**
 * Per-stage timing of a pipeline run and the board-CPU estimate (issue 8 item 4).
 *
 * Work that runs on the board's CPU (pre-processing, post-processing, CPU subgraphs, float models) is
 * measured on the host and scaled by HOST_TO_A53_FACTOR to estimate the Cortex-A53 time on ZCU102 /
 * ZCU104 / KV260. The factor is an *estimate* (see docs/apps.md for where 6 comes from) and configurable.
 * DPU subgraphs are not scaled: their board time comes from the cycle model (src/dpu), not from host ms.
 */
import type { ExecutorTiming, ModelExecutor } from './executor.js';

/**
 * Host ms × this ≈ Cortex-A53 ms (one A53 core at 1.2–1.33 GHz vs one host core). Estimate; derivation
 * in docs/apps.md ("Board CPU estimate"). Override per run with `a53Factor` / `--a53-factor`.
 */
export const HOST_TO_A53_FACTOR = 6;

export type StageKind = 'pre' | 'model' | 'post';

export interface StageTiming {
  /** 'pre-processing', 'det', 'cls', 'rec', 'post-processing', … */
  stage: string;
  kind: StageKind;
  /** Where it runs on the board: 'CPU' (A53) or 'DPU'. */
  device: 'CPU' | 'DPU';
  /** Host-measured milliseconds (sum over calls). */
  hostMs: number;
  /** Number of calls summed (e.g. one rec call per text line). */
  calls: number;
  /** Board estimate for CPU work: hostMs × factor. Absent for DPU work (use the cycle model). */
  boardCpuMsEstimate?: number;
}

export class StageTimer {
  private readonly map = new Map<string, StageTiming>();
  constructor(readonly a53Factor = HOST_TO_A53_FACTOR) {}

  add(stage: string, kind: StageKind, device: 'CPU' | 'DPU', ms: number): void {
    const key = `${stage}\u0000${device}`;
    const t = this.map.get(key) ?? { stage, kind, device, hostMs: 0, calls: 0 };
    t.hostMs += ms;
    t.calls++;
    this.map.set(key, t);
  }

  /** Times a synchronous CPU step. */
  time<T>(stage: string, kind: StageKind, fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.add(stage, kind, 'CPU', performance.now() - t0);
    }
  }

  /**
   * Runs a model and records it: per-subgraph rows when the executor reports DPU/CPU parts
   * (GraphRunner), else one row (a float executor runs on the CPU).
   */
  async model(stage: string, ex: ModelExecutor, feeds: Parameters<ModelExecutor['run']>[0]): Promise<Awaited<ReturnType<ModelExecutor['run']>>> {
    const t0 = performance.now();
    const out = await ex.run(feeds);
    const total = performance.now() - t0;
    const parts: ExecutorTiming[] = ex.lastTimings?.() ?? [];
    const split = parts.some((p) => p.device === 'DPU');
    if (split) {
      for (const p of parts) this.add(`${stage} ${p.device === 'DPU' ? 'DPU' : 'CPU'} ${p.name}`, 'model', p.device === 'DPU' ? 'DPU' : 'CPU', p.ms);
    } else {
      this.add(stage, 'model', 'CPU', total);
    }
    return out;
  }

  rows(): StageTiming[] {
    return [...this.map.values()].map((t) => (t.device === 'CPU' ? { ...t, boardCpuMsEstimate: t.hostMs * this.a53Factor } : { ...t }));
  }
}

/** Plain-text table of stage timings (every number with its unit; the board column says it is an estimate). */
export function formatTimings(rows: StageTiming[], factor = HOST_TO_A53_FACTOR): string {
  const head = ['stage', 'device', 'calls', 'host ms', `board A53 ms (estimate, ×${factor})`];
  const body = rows.map((r) => [r.stage, r.device, String(r.calls), r.hostMs.toFixed(1), r.boardCpuMsEstimate !== undefined ? r.boardCpuMsEstimate.toFixed(1) : 'cycle model']);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]): string => cols.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}
