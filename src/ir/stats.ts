/**
 * Graph statistics: op counts by type, multiply-accumulates and GOPs (2 ops per MAC, the
 * convention of Vitis AI's model zoo and of the "ResNet-50 = 8.2 GOP" figure).
 *
 * What counts as MACs (everything else — element-wise ops, pooling, batchnorm, activations,
 * softmax, resize, data movement — counts 0, as in the published figures):
 *  - conv2d            out_elems · kh · kw · ic_per_group          (weights [oc, kh, kw, ic/g])
 *  - depthwise-conv2d  out_elems · kh · kw                          (weights [1, kh, kw, c])
 *  - transposed-conv2d in_elems · kh · kw · oc                      (each input pixel hits kh·kw·oc outputs)
 *  - matmul            out_elems · K    (K = a's reduced dim, after transpose_a)
 *  - inner-product     out_elems · in_features (XIR op; weights [out, in])
 * XIR "-fix" variants (conv2d-fix, depthwise-conv2d-fix, transposed-conv2d-fix) count as their float op.
 * A bias add is not counted (it is not a multiply).
 */
import type { Attrs, Graph } from './types.js';

export interface GraphStats {
  /** Number of ops per op type (all ops, data/const included), keys sorted. */
  opCounts: Record<string, number>;
  /** Total multiply-accumulates. */
  macs: number;
  /** 2 · macs / 1e9. */
  gops: number;
  /** MACs per op name, for ops with MACs > 0 (in graph order). */
  macsByOp: Record<string, number>;
  /** Total parameter elements held by const ops. */
  params: number;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/**
 * MACs of one op from its type, attrs, input shapes (in argument order: x, weights, …) and
 * output shape. Shared by the IR and the XIR (xmodel) statistics.
 */
export function opMacs(type: string, attrs: Attrs, inputShapes: readonly (readonly number[])[], outShape: readonly number[]): number {
  const base = type.endsWith('-fix') ? type.slice(0, -4) : type;
  const w = inputShapes[1];
  switch (base) {
    case 'conv2d':
      return w && w.length === 4 ? prod(outShape) * w[1]! * w[2]! * w[3]! : 0;
    case 'depthwise-conv2d':
      return w && w.length === 4 ? prod(outShape) * w[1]! * w[2]! : 0;
    case 'transposed-conv2d': {
      const x = inputShapes[0];
      return x && w && w.length === 4 ? prod(x) * w[0]! * w[1]! * w[2]! : 0;
    }
    case 'matmul': {
      const a = inputShapes[0];
      if (!a || a.length === 0) return 0;
      const k = a.length === 1 ? a[0]! : attrs.transpose_a === true ? a[a.length - 2]! : a[a.length - 1]!;
      return prod(outShape) * k;
    }
    case 'inner-product':
      return w && w.length >= 2 ? prod(outShape) * prod(w.slice(1)) : 0;
    default:
      return 0;
  }
}

/** Op counts, MACs and GOPs of an IR graph. */
export function graphStats(graph: Graph): GraphStats {
  const shapes = new Map(graph.ops.map((o) => [o.name, o.output.shape]));
  const counts: Record<string, number> = {};
  const macsByOp: Record<string, number> = {};
  let macs = 0;
  let params = 0;
  for (const op of graph.ops) {
    counts[op.type] = (counts[op.type] ?? 0) + 1;
    if (op.type === 'const') params += prod(op.output.shape);
    const m = opMacs(op.type, op.attrs, op.inputs.map((n) => shapes.get(n) ?? []), op.output.shape);
    if (m > 0) {
      macsByOp[op.name] = m;
      macs += m;
    }
  }
  return { opCounts: sortKeys(counts), macs, gops: (2 * macs) / 1e9, macsByOp, params };
}

export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k] as T]));
}
