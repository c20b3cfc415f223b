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

/** A recognized line with its quadrilateral (image pixels). */
export interface BoxedLine {
  text: string;
  box: ReadonlyArray<readonly [number, number]>;
}

export interface LineAgreement {
  /** Reference lines (FP32 pipeline) and the virtual-DPU pipeline's, in reading order. */
  reference: string[];
  int8: string[];
  /** Reference lines paired with a virtual-DPU line on the same spot (bounding-box IoU ≥ 0.5). */
  matched: number;
  /** Pairs with the same text (leading/trailing spaces ignored). */
  sameLines: number;
  /** Each reference line with its paired line (null: none on that spot), then virtual-DPU lines left unpaired. */
  pairs: Array<{ reference: string | null; dpu: string | null }>;
  /** 1 − Σ edit distance / Σ characters over all reference lines (an unpaired line counts as all wrong). */
  charAccuracy: number;
  identical: boolean;
}

function bounds(b: BoxedLine['box']): [number, number, number, number] {
  const xs = b.map((p) => p[0]), ys = b.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

export function boxIoU(a: BoxedLine['box'], b: BoxedLine['box']): number {
  const [ax0, ay0, ax1, ay1] = bounds(a), [bx0, by0, bx1, by1] = bounds(b);
  const iw = Math.max(0, Math.min(ax1, bx1) - Math.max(ax0, bx0)), ih = Math.max(0, Math.min(ay1, by1) - Math.max(ay0, by0));
  const inter = iw * ih;
  const uni = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter;
  return uni > 0 ? inter / uni : 0;
}

/** Pairs each reference line with the unpaired virtual-DPU line of highest box IoU (≥ 0.5) and compares texts. */
export function lineAgreement(reference: BoxedLine[], int8: BoxedLine[]): LineAgreement {
  const used = new Set<number>();
  const pairs: LineAgreement['pairs'] = [];
  let matched = 0, same = 0, dist = 0, chars = 0;
  for (const r0 of reference) {
    const r = { ...r0, text: r0.text.trim() };
    let best = -1, bestIoU = 0.5;
    int8.forEach((q, k) => {
      if (used.has(k)) return;
      const v = boxIoU(r.box, q.box);
      if (v >= bestIoU) { bestIoU = v; best = k; }
    });
    const n = [...r.text].length;
    if (best < 0) { dist += n; chars += n; pairs.push({ reference: r0.text, dpu: null }); continue; }
    used.add(best);
    matched++;
    const q = int8[best]!.text.trim();
    pairs.push({ reference: r0.text, dpu: int8[best]!.text });
    if (q === r.text) same++;
    dist += Math.min(editDistance(r.text, q), Math.max(n, [...q].length));
    chars += Math.max(n, [...q].length);
  }
  int8.forEach((q, k) => { if (!used.has(k)) pairs.push({ reference: null, dpu: q.text }); });
  return {
    reference: reference.map((l) => l.text), int8: int8.map((l) => l.text), matched, sameLines: same, pairs,
    charAccuracy: chars === 0 ? 1 : Math.max(0, 1 - dist / chars),
    identical: reference.length === int8.length && reference.every((r, i) => r.text.trim() === int8[i]!.text.trim()),
  };
}
