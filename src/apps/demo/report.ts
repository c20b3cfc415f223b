/**
 * The demo's pipeline table and agreement figures (browser-safe): host-measured stage times from the OCR
 * pipeline, modeled board ms for DPU subgraphs (cycle model), A53 estimates for CPU work, fps and the bound.
 */
import type { StageTiming } from '../timing.js';

/** One row of the pipeline table (per frame: summed over the calls of one image). */
export interface PipelineRow {
  stage: string;
  device: 'CPU' | 'DPU';
  calls: number;
  hostMs: number;
  /** DPU: modeled board ms (cycle model × calls); CPU: host ms × A53 factor (estimate). */
  boardMs: number;
  boardSource: 'cycle model' | 'A53 estimate';
}

export interface PipelineSummary {
  rows: PipelineRow[];
  /** Σ board ms of DPU rows / CPU rows (one frame). */
  dpuBoardMs: number;
  cpuBoardMs: number;
  /** One frame end to end on the board (stages in sequence). */
  boardMs: number;
  fps: number;
  /** What bounds fps: the larger share; 'DDR' when the DPU share dominates and the DPU is bandwidth-bound. */
  bound: 'DPU' | 'CPU' | 'DDR';
  boundReason: string;
  hostMs: number;
}

/** Per DPU subgraph of one model: modeled ms on the board and its mean DDR bandwidth. */
export interface DpuModel {
  timeMs: number;
  avgBwGBps: number;
}

/**
 * Table rows from the OCR timings. `dpuModel(stageModel, subgraph)` gives the modeled time of one DPU
 * subgraph call (stage rows look like 'rec DPU subgraph_dpu_0'); `ddrGBps` is the board's DDR bandwidth.
 */
export function pipelineSummary(timings: StageTiming[], dpuModel: (model: string, subgraph: string) => DpuModel | undefined, ddrGBps: number): PipelineSummary {
  const rows: PipelineRow[] = [];
  let dpuMs = 0, cpuMs = 0, hostMs = 0, bwWeighted = 0;
  for (const t of timings) {
    hostMs += t.hostMs;
    if (t.device === 'DPU') {
      const m = /^(\S+) DPU (.+)$/.exec(t.stage);
      const model = m ? dpuModel(m[1]!, m[2]!) : undefined;
      const ms = (model?.timeMs ?? 0) * t.calls;
      rows.push({ stage: t.stage, device: 'DPU', calls: t.calls, hostMs: t.hostMs, boardMs: ms, boardSource: 'cycle model' });
      dpuMs += ms;
      bwWeighted += (model?.avgBwGBps ?? 0) * ms;
    } else {
      const ms = t.boardCpuMsEstimate ?? t.hostMs;
      rows.push({ stage: t.stage, device: 'CPU', calls: t.calls, hostMs: t.hostMs, boardMs: ms, boardSource: 'A53 estimate' });
      cpuMs += ms;
    }
  }
  const boardMs = dpuMs + cpuMs;
  const avgBw = dpuMs > 0 ? bwWeighted / dpuMs : 0;
  let bound: PipelineSummary['bound'];
  let boundReason: string;
  if (cpuMs >= dpuMs) {
    bound = 'CPU';
    boundReason = `CPU work (A53 estimate) is ${cpuMs.toFixed(1)} ms of the ${boardMs.toFixed(1)} ms frame; the DPU ${dpuMs.toFixed(1)} ms`;
  } else if (avgBw >= 0.7 * ddrGBps) {
    bound = 'DDR';
    boundReason = `DPU subgraphs dominate (${dpuMs.toFixed(1)} ms) and move ${avgBw.toFixed(2)} GB/s on average, ≥ 70% of the board's ${ddrGBps} GB/s DDR`;
  } else {
    bound = 'DPU';
    boundReason = `DPU subgraphs (cycle model) are ${dpuMs.toFixed(1)} ms of the ${boardMs.toFixed(1)} ms frame at ${avgBw.toFixed(2)} GB/s mean DDR traffic`;
  }
  return { rows, dpuBoardMs: dpuMs, cpuBoardMs: cpuMs, boardMs, fps: boardMs > 0 ? 1000 / boardMs : 0, bound, boundReason, hostMs };
}

/** Levenshtein distance (characters). */
export function editDistance(a: string, b: string): number {
  const A = [...a], B = [...b];
  let prev = Array.from({ length: B.length + 1 }, (_, j) => j);
  for (let i = 1; i <= A.length; i++) {
    const cur = [i];
    for (let j = 1; j <= B.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (A[i - 1] === B[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[B.length]!;
}

export interface LineAgreement {
  /** Reference lines (float pipeline) and the INT8 pipeline's, in reading order. */
  reference: string[];
  int8: string[];
  /** Reference lines found verbatim among the INT8 lines. */
  sameLines: number;
  /** 1 − Σ edit distance / Σ reference characters, pairing lines by order (missing lines count fully). */
  charAccuracy: number;
  identical: boolean;
}

export function lineAgreement(reference: string[], int8: string[]): LineAgreement {
  const pool = [...int8];
  let same = 0;
  for (const r of reference) {
    const k = pool.indexOf(r);
    if (k >= 0) { same++; pool.splice(k, 1); }
  }
  let dist = 0, chars = 0;
  const n = Math.max(reference.length, int8.length);
  for (let i = 0; i < n; i++) {
    const r = reference[i] ?? '', q = int8[i] ?? '';
    dist += editDistance(r, q);
    chars += Math.max([...r].length, [...q].length);
  }
  return { reference, int8, sameLines: same, charAccuracy: chars === 0 ? 1 : Math.max(0, 1 - dist / chars), identical: reference.length === int8.length && reference.every((r, i) => r === int8[i]) };
}
