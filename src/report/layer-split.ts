/**
 * Splits each layer's modeled cycles into compute (a CONV or MISC engine busy) and DDR wait (only LOAD/SAVE
 * busy, or nothing: the compute engines idle). Derived from the cycle model's own per-instruction timings,
 * so computeCycles + ddrWaitCycles = the layer's cycles exactly. Browser-safe, pure.
 */
import type { ProgramPerf } from '../dpu/cycle/model.js';

export interface LayerSplit {
  name: string;
  fused?: string[];
  cycles: number;
  computeCycles: number;
  ddrWaitCycles: number;
  timeMs: number;
  efficiency: number;
}

const COMPUTE = new Set(['CONV', 'MISC']);

/** Union of the compute engines' busy intervals, sorted and merged. */
function computeIntervals(perf: Pick<ProgramPerf, 'timings'>): Array<[number, number]> {
  const iv = perf.timings.filter((t) => t && COMPUTE.has(t.engine) && t.end > t.start).map((t) => [t.start, t.end] as [number, number]);
  iv.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of iv) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** Per-layer compute vs DDR-wait split; each layer's window is (previous layer's end, previous end + cycles]. */
export function layerTimeSplit(perf: Pick<ProgramPerf, 'timings' | 'layers'>, clockMHz: number): LayerSplit[] {
  const iv = computeIntervals(perf);
  const out: LayerSplit[] = [];
  let t0 = 0, k = 0;
  for (const l of perf.layers) {
    const t1 = t0 + l.cycles;
    while (k < iv.length && iv[k]![1] <= t0) k++;
    let busy = 0;
    for (let j = k; j < iv.length && iv[j]![0] < t1; j++) busy += Math.min(t1, iv[j]![1]) - Math.max(t0, iv[j]![0]);
    out.push({
      name: l.name, ...(l.fused ? { fused: l.fused } : {}), cycles: l.cycles, computeCycles: busy, ddrWaitCycles: l.cycles - busy,
      timeMs: l.cycles / (clockMHz * 1e3), efficiency: l.efficiency,
    });
    t0 = t1;
  }
  return out;
}
