/**
 * Pass `concat-in-place`: a DPU concat gets one buffer; each input produced by a compute layer of
 * the same DPU subgraph writes straight into it at its channel offset (no copy). Inputs that can't
 * (subgraph inputs, views, other concats, a tensor already writing into another concat, subgraph
 * outputs) are copied by a `copy` layer that `lower` inserts.
 */
import type { Pass } from '../types.js';

const NOT_IN_PLACE = new Set(['data', 'concat', 'reshape', 'identity', 'transpose']);

export const concatInPlace: Pass = (state, ctx) => {
  const g = state.graph;
  const byName = new Map(g.ops.map((o) => [o.name, o]));
  const result: Record<string, { input: string; channelOffset: number }[]> = {};
  const claimed = new Set<string>();
  for (const sg of state.subgraphs) {
    if (sg.device !== 'DPU') continue;
    const members = new Set(sg.ops);
    for (const name of sg.ops) {
      const op = byName.get(name)!;
      if (op.type !== 'concat') continue;
      let off = 0;
      const list: { input: string; channelOffset: number }[] = [];
      for (const inp of op.inputs) {
        const src = byName.get(inp)!;
        const c = src.output.shape[3];
        const ok = members.has(inp) && !NOT_IN_PLACE.has(src.type) && !claimed.has(inp) && !sg.outputs.includes(inp)
          && op.inputs.filter((x) => x === inp).length === 1;
        if (ok) { claimed.add(inp); list.push({ input: inp, channelOffset: off }); }
        off += c;
      }
      result[name] = list;
      ctx.report.notes.push(`concat-in-place: '${name}': ${list.length}/${op.inputs.length} inputs written in place`);
    }
  }
  return { ...state, concatInPlace: result };
};
