/**
 * Pass `fuse-activations`: conv/depthwise/matmul + relu|relu6|leaky-relu(26/256)|clamp(0,6) and
 * eltwise add + relu become one op with `attrs.nonlinear`, when the producer has that single
 * consumer and both tensors share one fix point (then the fused result is bit-identical). The
 * fused op takes the activation's name (its output tensor).
 */
import type { Op } from '../../ir/types.js';
import { consumers, withOps } from '../graph-util.js';
import { DPU_LEAKY_ALPHA } from '../support/rules.js';
import type { Pass } from '../types.js';

function actKind(a: Op): string | undefined {
  switch (a.type) {
    case 'relu': return 'RELU';
    case 'relu6': return 'RELU6';
    case 'leaky-relu': return Math.abs(Number(a.attrs['alpha']) - DPU_LEAKY_ALPHA) < 1e-6 ? 'LEAKYRELU' : undefined;
    case 'clamp': return a.attrs['min'] === 0 && a.attrs['max'] === 6 ? 'RELU6' : a.attrs['min'] === 0 && a.attrs['max'] === undefined ? 'RELU' : undefined;
    default: return undefined;
  }
}

const PRODUCERS: Record<string, string[]> = {
  'conv2d': ['RELU', 'RELU6', 'LEAKYRELU'],
  'transposed-conv2d': ['RELU', 'RELU6', 'LEAKYRELU'],
  'depthwise-conv2d': ['RELU', 'RELU6'],
  'matmul': ['RELU', 'RELU6', 'LEAKYRELU'],
  'add': ['RELU'],
};

export const fuseActivations: Pass = (state, ctx) => {
  const g = state.graph;
  const cons = consumers(g);
  const byName = new Map(g.ops.map((o) => [o.name, o]));
  const fusedInto = new Map<string, Op>();
  const removed = new Set<string>();
  for (const a of g.ops) {
    const kind = actKind(a);
    if (!kind) continue;
    const p = byName.get(a.inputs[0]);
    if (!p || !PRODUCERS[p.type]?.includes(kind)) continue;
    if (String(p.attrs['nonlinear'] ?? 'NONE') !== 'NONE') continue;
    if ((cons.get(p.name)?.length ?? 0) !== 1 || g.outputs.includes(p.name)) continue;
    if (p.output.fixPoint !== a.output.fixPoint) continue;
    if (fusedInto.has(p.name)) continue;
    const attrs = { ...p.attrs, nonlinear: kind, ...(kind === 'LEAKYRELU' ? { alpha: DPU_LEAKY_ALPHA } : {}) };
    fusedInto.set(a.name, { ...p, name: a.name, attrs, output: { ...a.output } });
    removed.add(p.name);
    ctx.report.notes.push(`fuse-activations: '${p.name}' + ${a.type} '${a.name}' → one ${p.type} with nonlinear ${kind}`);
  }
  if (removed.size === 0) return state;
  const ops = g.ops.filter((o) => !removed.has(o.name)).map((o) => fusedInto.get(o.name) ?? o);
  return { ...state, graph: withOps(g, ops) };
};
