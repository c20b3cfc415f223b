/**
 * Graph check: unique names, topological order, every input defined, inputs/outputs exist,
 * and every op's stored shape equals its shape rule's result. Throws GraphError.
 */
import { GraphError } from '../../errors.js';
import { getOpDef } from '../registry.js';
import type { Graph } from '../types.js';

export function verifyGraph(g: Graph, stage = 'graph'): Graph {
  const seen = new Map<string, import('../types.js').TensorInfo>();
  for (const op of g.ops) {
    if (seen.has(op.name)) throw new GraphError('E_GRAPH_DUP', `${stage}: op name '${op.name}' is used twice`, { where: `${op.type} ${op.name}` });
    const infos = op.inputs.map((i) => {
      const t = seen.get(i);
      if (!t) throw new GraphError('E_GRAPH_ORDER', `${stage}: input '${i}' of ${op.type} '${op.name}' is not defined before it`, { where: `${op.type} ${op.name}`, fix: 'ops must be topologically sorted and every input must exist' });
      return t;
    });
    const shape = getOpDef(op.type).shape({ op, inputs: infos });
    if (shape.join(',') !== op.output.shape.join(',')) {
      throw new GraphError('E_GRAPH_SHAPE', `${stage}: ${op.type} '${op.name}' stores shape [${op.output.shape}] but its shape rule gives [${shape}]`, { where: `${op.type} ${op.name}` });
    }
    seen.set(op.name, op.output);
  }
  for (const n of [...g.inputs, ...g.outputs]) {
    if (!seen.has(n)) throw new GraphError('E_GRAPH_IO', `${stage}: graph input/output '${n}' is not an op`, { where: n });
  }
  return g;
}
