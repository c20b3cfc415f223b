/** Dead-op elimination: drop ops no graph output depends on (graph inputs are always kept). */
import type { Graph } from '../types.js';
import { opMap } from './util.js';

export function eliminateDeadOps(g: Graph): Graph {
  const byName = opMap(g);
  const live = new Set<string>(g.inputs);
  const stack = [...g.outputs];
  while (stack.length) {
    const n = stack.pop()!;
    if (live.has(n) && !g.inputs.includes(n)) continue;
    live.add(n);
    for (const i of byName.get(n)?.inputs ?? []) if (!live.has(i)) stack.push(i);
  }
  return { ...g, ops: g.ops.filter((o) => live.has(o.name)) };
}
