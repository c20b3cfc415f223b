/**
 * The float reference executor: runs an IR graph op by op with the float kernels of the op
 * registry (src/ops). Oracle-checked against onnxruntime-node in the tests.
 */
import type { Graph, Op, TensorValue } from '../../ir/types.js';
import { getOpDef } from '../../ir/registry.js';
import { GraphError } from '../../errors.js';
import '../../ops/index.js';

export interface RunFloatOptions {
  /** 'outputs' (default): return the graph outputs and free intermediates after their last use. 'all': return every tensor. */
  keep?: 'outputs' | 'all';
  /** Called for every tensor the run produces: graph inputs ('data' ops) and computed ops (not 'const'). */
  onTensor?: (op: Op, value: TensorValue) => void;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Runs `graph` on `feeds` (keyed by data-op name, NHWC float32). Returns the outputs keyed by
 * op name (all tensors with keep: 'all'). Throws GraphError for a missing/mis-shaped feed.
 */
export function runFloat(graph: Graph, feeds: Record<string, TensorValue>, opts: RunFloatOptions = {}): Record<string, TensorValue> {
  const keepAll = opts.keep === 'all';
  const byName = new Map<string, Op>();
  for (const op of graph.ops) byName.set(op.name, op);
  // last consumer index of every tensor
  const lastUse = new Map<string, number>();
  graph.ops.forEach((op, i) => { for (const inp of op.inputs) lastUse.set(inp, i); });
  const outputs = new Set(graph.outputs);
  for (const o of graph.outputs) if (!byName.has(o)) throw new GraphError('E_OUTPUT', `graph output '${o}' is not produced by any op`, { where: graph.name });
  for (const k of Object.keys(feeds)) {
    const op = byName.get(k);
    if (!op || op.type !== 'data') throw new GraphError('E_FEED', `feed '${k}' is not a graph input`, { where: graph.name, fix: `graph inputs: ${graph.inputs.join(', ')}` });
  }
  const values = new Map<string, TensorValue>();
  graph.ops.forEach((op, i) => {
    let v: TensorValue;
    if (op.type === 'data') {
      const f = feeds[op.name];
      const s = op.attrs['shape'];
      const expected = Array.isArray(s) && s.every((d) => typeof d === 'number') ? (s as number[]) : op.output.shape;
      if (!f) throw new GraphError('E_FEED', `no feed for input '${op.name}' (shape ${JSON.stringify(expected)})`, { where: op.name, fix: `pass feeds['${op.name}'] with shape ${JSON.stringify(expected)} (NHWC)` });
      if (!sameShape(f.shape, expected) || f.data.length !== f.shape.reduce((a, b) => a * b, 1)) {
        throw new GraphError('E_FEED_SHAPE', `input '${op.name}' expects shape ${JSON.stringify(expected)}, got ${JSON.stringify(f.shape)} with ${f.data.length} values`, { where: op.name, fix: `feed an NHWC float32 tensor of shape ${JSON.stringify(expected)}` });
      }
      v = { shape: [...f.shape], data: f.data };
    } else {
      const ins = op.inputs.map((n) => {
        const t = values.get(n);
        if (!t) {
          throw new GraphError('E_ORDER', `input '${n}' of op '${op.name}' has no value (ops not topologically sorted, or unknown producer)`, { where: `${op.type} ${op.name}`, fix: 'sort graph.ops topologically' });
        }
        return t;
      });
      const def = getOpDef(op.type);
      try {
        v = def.float(ins, op.attrs, op);
      } catch (e) {
        if (e instanceof GraphError) throw e;
        throw new GraphError('E_KERNEL', `float kernel of ${op.type} '${op.name}' failed: ${(e as Error).message}`, { where: `${op.type} ${op.name}`, cause: e });
      }
    }
    values.set(op.name, v);
    if (opts.onTensor && op.type !== 'const') opts.onTensor(op, v);
    if (!keepAll) {
      for (const n of op.inputs) if (lastUse.get(n) === i && !outputs.has(n)) values.delete(n);
      if (!lastUse.has(op.name) && !outputs.has(op.name)) values.delete(op.name);
    }
  });
  if (keepAll) return Object.fromEntries(values);
  const res: Record<string, TensorValue> = {};
  for (const o of graph.outputs) res[o] = values.get(o)!;
  return res;
}
