/** Small helpers shared by the IR passes (pure). */
import type { Graph, Op } from '../types.js';

export function opMap(g: Graph): Map<string, Op> {
  return new Map(g.ops.map((o) => [o.name, o]));
}

/** Consumers of every op, by name. */
export function usersOf(g: Graph): Map<string, Op[]> {
  const m = new Map<string, Op[]>();
  for (const o of g.ops) {
    for (const i of o.inputs) {
      let l = m.get(i);
      if (!l) m.set(i, (l = []));
      l.push(o);
    }
  }
  return m;
}

/** Replace every use of `from` by `to` (inputs and graph outputs). */
export function replaceUses(g: Graph, from: string, to: string): void {
  for (const o of g.ops) o.inputs = o.inputs.map((i) => (i === from ? to : i));
  g.outputs = g.outputs.map((o) => (o === from ? to : o));
}

/** A scalar (or all-equal) constant's value, else undefined. */
export function scalarConst(op: Op | undefined): number | undefined {
  if (!op || op.type !== 'const' || !op.data || op.data.length === 0) return undefined;
  const v = op.data[0]!;
  for (let i = 1; i < op.data.length; i++) if (op.data[i] !== v) return undefined;
  return v;
}

export function isOutput(g: Graph, name: string): boolean {
  return g.outputs.includes(name);
}

export function shallowCopy(g: Graph): Graph {
  return { ...g, ops: g.ops.map((o) => ({ ...o, inputs: [...o.inputs], attrs: { ...o.attrs }, output: { ...o.output, shape: [...o.output.shape] } })), inputs: [...g.inputs], outputs: [...g.outputs], meta: { ...g.meta } };
}

/** Stable topological re-sort (ops are usually sorted already). */
export function toposortOps(ops: Op[]): Op[] {
  const names = new Set(ops.map((o) => o.name));
  const done = new Set<string>();
  const out: Op[] = [];
  let pending = ops;
  while (pending.length) {
    const next: Op[] = [];
    for (const o of pending) {
      if (o.inputs.every((i) => done.has(i) || !names.has(i))) {
        out.push(o);
        done.add(o.name);
      } else next.push(o);
    }
    if (next.length === pending.length) return [...out, ...next];
    pending = next;
  }
  return out;
}
