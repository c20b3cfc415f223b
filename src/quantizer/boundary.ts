/**
 * The float → fixed boundary contract (docs/quantized-ir.md rule 5), checked and assigned in one
 * place for every edge of every model:
 *
 * - `resolveBoundaries(g, plan)`: a float op can carry a fix point on its output (the boundary
 *   quantization) only when its type has NO INT8 kernel — runQuantized runs every fixed op that has
 *   one in integer arithmetic. So a DPU op reading a float op that has an INT8 kernel (a matmul of
 *   two activations, a reshape after a CPU op…) is demoted to float, until nothing changes. Returns
 *   the boundary tensors: float ops (and inputs) feeding a quantized op, which get an output fix point.
 * - `boundaryViolations(q)`: on a quantized graph, every fixed-point op that runs in integer
 *   arithmetic and reads a tensor without a fix point (must be empty; quantize() throws otherwise).
 */
import type { Graph } from '../ir/types.js';
import { hasInt8Kernel } from '../kernels/ref/int8/index.js';
import { consumerMap, opMap } from './graph-util.js';
import type { QuantDecision } from './quantizable.js';

export function resolveBoundaries(g: Graph, plan: Map<string, QuantDecision>): Set<string> {
  const ops = opMap(g);
  const isQ = (n: string): boolean => plan.get(n)?.quantize === true;
  for (let changed = true; changed; ) {
    changed = false;
    for (const op of g.ops) {
      if (!isQ(op.name) || op.type === 'data') continue;
      const bad = op.inputs.find((n) => {
        const p = ops.get(n);
        return !!p && p.type !== 'const' && p.type !== 'data' && !isQ(n) && hasInt8Kernel(p.type);
      });
      if (bad) {
        plan.set(op.name, { quantize: false, reason: `reads float '${bad}' (${ops.get(bad)?.type}), which cannot carry a fix point at a CPU → DPU boundary` });
        changed = true;
      }
    }
  }
  const cons = consumerMap(g);
  const boundary = new Set<string>();
  for (const op of g.ops) {
    if (op.type === 'const' || isQ(op.name)) continue;
    if ((cons.get(op.name) ?? []).some((c) => c !== '' && isQ(c))) boundary.add(op.name);
  }
  return boundary;
}

export interface BoundaryViolation {
  /** The fixed-point op. */
  op: string;
  /** Its input without a fix point. */
  input: string;
}

export function boundaryViolations(q: Graph): BoundaryViolation[] {
  const ops = opMap(q);
  const out: BoundaryViolation[] = [];
  for (const op of q.ops) {
    if (op.type === 'const' || op.type === 'data' || op.output.fixPoint === undefined || !hasInt8Kernel(op.type)) continue;
    for (const n of op.inputs) {
      const p = ops.get(n);
      if (p && p.output.fixPoint === undefined) out.push({ op: op.name, input: n });
    }
  }
  return out;
}
