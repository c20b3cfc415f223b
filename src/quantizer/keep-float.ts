/**
 * `floatOps` (opt-in): ops the DPU could run but that will run on the CPU anyway stay float, as Vitis AI's
 * CPU runner executes CPU subgraphs in float. On PP-OCRv4 rec the compiler moves the SVTR neck's small DPU
 * islands (the constant-weight matmuls, their bias adds, the residual adds and the layout ops between them)
 * to the CPU subgraph; without this option they keep their fix points there and every one of them
 * requantizes its output to 8 bits on the CPU. With it only the real DPU subgraphs are INT8.
 *
 * `keepFloat(g, plan, names)` marks the named ops float in the quantization plan, then re-resolves what
 * `quantizationPlan` resolves from context: a reshape-like is quantized only between quantized ops, a graph
 * input only when a quantized op reads it. `cpuSubgraphOps(device)` reads the names from a compile's device
 * map (the caller compiles a first quantization to learn the partition; see src/apps/demo/build.ts).
 */
import type { Graph } from '../ir/types.js';
import { consumerMap } from './graph-util.js';
import { RESHAPE_LIKE, type QuantDecision } from './quantizable.js';

/** Mutates `plan`; returns the ops it turned float (named ops that were quantized, and resolved reshape-likes/inputs). */
export function keepFloat(g: Graph, plan: Map<string, QuantDecision>, names: Iterable<string>): string[] {
  const changed: string[] = [];
  for (const n of names) {
    if (plan.get(n)?.quantize !== true) continue;
    const op = g.ops.find((o) => o.name === n);
    if (!op || op.type === 'data') continue;
    plan.set(n, { quantize: false, reason: 'runs on the CPU (floatOps): kept float as the CPU runner computes it' });
    changed.push(n);
  }
  if (!changed.length) return changed;
  const cons = consumerMap(g);
  for (let again = true; again; ) {
    again = false;
    for (const op of g.ops) {
      const d = plan.get(op.name);
      if (!d?.quantize) continue;
      const anyQuantConsumer = (cons.get(op.name) ?? []).some((c) => c !== '' && plan.get(c)?.quantize === true);
      if (op.type === 'data' && !anyQuantConsumer) {
        plan.set(op.name, { quantize: false, reason: 'graph input feeding no DPU op' });
      } else if (RESHAPE_LIKE.has(op.type) && (plan.get(op.inputs[0] as string)?.quantize !== true || !anyQuantConsumer)) {
        plan.set(op.name, { quantize: false, reason: `${op.type} not between DPU ops` });
      } else continue;
      changed.push(op.name);
      again = true;
    }
  }
  return changed;
}

/** Names of the ops a compile placed on the CPU (device map of CompileState: op name → 'DPU' | 'CPU' | 'USER'). */
export function cpuSubgraphOps(device: Record<string, string>): string[] {
  return Object.entries(device).filter(([, d]) => d === 'CPU').map(([n]) => n).sort();
}
