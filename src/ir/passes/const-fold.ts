/**
 * IR constant folding: every op whose inputs are all `const` is evaluated once with its float
 * reference kernel (getOpDef(type).float) and replaced by a const op of the same name.
 */
import { getOpDef } from '../registry.js';
import type { Graph, Op, TensorValue } from '../types.js';
import { opMap } from './util.js';

export function foldConstants(g: Graph): Graph {
  const byName = opMap(g);
  const ops = g.ops.map((op) => {
    if (op.type === 'const' || op.type === 'data' || op.inputs.length === 0) return op;
    const ins = op.inputs.map((i) => byName.get(i));
    if (!ins.every((i) => i && i.type === 'const' && i.data)) return op;
    const values: TensorValue[] = ins.map((i) => ({ shape: [...i!.output.shape], data: i!.data! }));
    const r = getOpDef(op.type).float(values, op.attrs, op);
    const folded: Op = { name: op.name, type: 'const', inputs: [], attrs: {}, output: { ...op.output, shape: [...r.shape] }, data: Float32Array.from(r.data) };
    byName.set(op.name, folded);
    return folded;
  });
  return { ...g, ops };
}
