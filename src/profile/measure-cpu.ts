/**
 * Host time of a compiled model's CPU subgraphs (browser-safe): each runs alone, with the reference runner, on
 * deterministic inputs; used by `dpuflow profile` and the playground so both report the same way.
 */
import { Runner } from '../runtime/runner.js';
import { allocBuffers } from '../runtime/tensor.js';
import type { Graph } from '../xir/graph.js';

/** Host time (ms, best of `reps`) of every CPU subgraph, run alone on deterministic inputs. */
export async function measureCpuSubgraphs(g: Graph, reps = 3): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const kids = g.getRootSubgraph().isLeaf() ? [] : g.getRootSubgraph().toposortChildSubgraph();
  for (const sg of kids) {
    if (!sg.hasAttr('device') || sg.getAttr('device') !== 'CPU') continue;
    const r = Runner.create(sg, 'ref');
    const ins = allocBuffers(r.getInputTensors());
    for (const b of ins) for (let i = 0; i < b.data.length; i++) b.data[i] = b.data instanceof Int8Array ? ((i * 37) % 64) - 32 : Math.sin(i);
    const outs = allocBuffers(r.getOutputTensors());
    let best = Infinity;
    for (let k = 0; k < reps; k++) {
      const t0 = performance.now();
      await r.execute(ins, outs);
      best = Math.min(best, performance.now() - t0);
    }
    r.close();
    out[sg.getName()] = best;
  }
  return out;
}

