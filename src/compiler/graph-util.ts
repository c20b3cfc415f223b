import type { Graph, Op } from '../ir/types.js';

export function opMap(g: Graph): Map<string, Op> {
  return new Map(g.ops.map((o) => [o.name, o]));
}

export function consumers(g: Graph): Map<string, Op[]> {
  const m = new Map<string, Op[]>();
  for (const o of g.ops) m.set(o.name, []);
  for (const o of g.ops) for (const i of o.inputs) m.get(i)?.push(o);
  return m;
}

/** Replace op list, keeping everything else (a new Graph object). */
export function withOps(g: Graph, ops: Op[]): Graph {
  return { ...g, ops };
}

/** Drop const ops nobody reads any more. */
export function dropDeadConsts(ops: Op[], outputs: string[]): Op[] {
  const used = new Set<string>(outputs);
  for (const o of ops) for (const i of o.inputs) used.add(i);
  return ops.filter((o) => o.type !== 'const' || used.has(o.name));
}
