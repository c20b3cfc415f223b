/**
 * Which ops get fix points: the ops the DPU runs. Everything else keeps float and goes to the CPU.
 * `isQuantizableOp` is THE decision for one op (shared with the compiler's partitioner);
 * `quantizationPlan` applies it to a graph, resolving the context-dependent cases
 * (reshape-likes between DPU ops, graph inputs feeding DPU ops).
 */
import type { Graph, Op } from '../ir/types.js';
import { consumerMap, opMap } from './graph-util.js';

/** Ops that only move/reshape data: quantized (with their input's fix point) when between DPU ops. */
export const RESHAPE_LIKE = new Set(['reshape', 'transpose', 'strided_slice', 'identity']);
/** Ops whose output fix point must equal their input's (no arithmetic on the DPU). */
export const SAME_FP_AS_INPUT = new Set(['reshape', 'transpose', 'strided_slice', 'identity', 'maxpool2d', 'pad', 'resize', 'concat']);
/** Ops with constant weights (+ optional bias) quantized as parameters. */
export const WEIGHTED = new Set(['conv2d', 'depthwise-conv2d', 'transposed-conv2d', 'matmul']);

const NEAR = (a: unknown, b: number): boolean => typeof a === 'number' && Math.abs(a - b) < 1e-6;

/**
 * Why the DPU cannot run `op` (undefined: it can, i.e. the op is quantized).
 * `producer` resolves input names to ops (needed to tell constant weights from activations).
 */
export function notQuantizableReason(op: Op, producer?: (name: string) => Op | undefined): string | undefined {
  const isConst = (i: number): boolean => producer?.(op.inputs[i] ?? '')?.type === 'const';
  switch (op.type) {
    case 'conv2d': {
      const g = op.attrs['group'];
      if (g !== undefined && g !== 1) return `grouped conv2d (group ${String(g)}) is not a DPU op`;
      if (producer && !isConst(1)) return 'conv2d with non-constant weights';
      return undefined;
    }
    case 'depthwise-conv2d':
    case 'transposed-conv2d':
      if (producer && !isConst(1)) return `${op.type} with non-constant weights`;
      return undefined;
    case 'matmul':
      if (producer && !isConst(1)) return 'matmul of two activations is not a DPU op (only inner product with constant weights)';
      if (op.attrs['transpose_a'] === true) return 'matmul with transposed activations';
      return undefined;
    case 'add':
    case 'mul':
      // A constant operand is quantized as a parameter (its own fix point).
      return undefined;
    case 'maxpool2d':
    case 'avgpool2d':
    case 'relu':
    case 'relu6':
    case 'leaky-relu':
    case 'hard-swish':
    case 'concat':
    case 'data':
      return undefined;
    case 'hard-sigmoid':
      return NEAR(op.attrs['alpha'] ?? 0.2, 1 / 6) && NEAR(op.attrs['beta'] ?? 0.5, 0.5)
        ? undefined
        : `hard-sigmoid alpha ${String(op.attrs['alpha'])} beta ${String(op.attrs['beta'])} is not the DPU's relu6(x+3)/6`;
    case 'resize':
      return op.attrs['mode'] === 'NEAREST' ? undefined : `resize mode ${String(op.attrs['mode'])} (the DPU upsamples NEAREST only)`;
    case 'pad': {
      const mode = op.attrs['mode'] ?? 'CONSTANT';
      const v = op.attrs['constant_value'] ?? 0;
      return mode === 'CONSTANT' && v === 0 ? undefined : `pad mode ${String(mode)} value ${String(v)} (the DPU pads with zeros only)`;
    }
    default:
      if (RESHAPE_LIKE.has(op.type)) return undefined;
      if (op.type === 'const') return 'constant (quantized as a parameter of its consumer)';
      return `${op.type} is not a DPU op`;
  }
}

/** True when the DPU runs `op` (it gets fix points); see `notQuantizableReason`. */
export function isQuantizableOp(op: Op, producer?: (name: string) => Op | undefined): boolean {
  return notQuantizableReason(op, producer) === undefined;
}

export interface QuantDecision {
  quantize: boolean;
  /** Why it stays float (when quantize is false). */
  reason?: string;
}

/**
 * Per non-const op of `g`: quantized or not, with the reason. Reshape-likes are quantized only
 * when their input is quantized and some consumer is; data inputs only when a consumer is.
 */
export function quantizationPlan(g: Graph): Map<string, QuantDecision> {
  const ops = opMap(g);
  const producer = (n: string): Op | undefined => ops.get(n);
  const cons = consumerMap(g);
  const plan = new Map<string, QuantDecision>();
  for (const op of g.ops) {
    if (op.type === 'const') continue;
    const reason = notQuantizableReason(op, producer);
    plan.set(op.name, reason ? { quantize: false, reason } : { quantize: true });
  }
  // Resolve reshape-likes and data inputs until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const op of g.ops) {
      const d = plan.get(op.name);
      if (!d || !d.quantize) continue;
      const anyQuantConsumer = (cons.get(op.name) ?? []).some((c) => c !== '' && plan.get(c)?.quantize === true);
      if (op.type === 'data' && !anyQuantConsumer) {
        plan.set(op.name, { quantize: false, reason: 'graph input feeding no DPU op' });
        changed = true;
      } else if (RESHAPE_LIKE.has(op.type)) {
        const inQ = plan.get(op.inputs[0])?.quantize === true;
        if (!inQ || !anyQuantConsumer) {
          plan.set(op.name, { quantize: false, reason: `${op.type} not between DPU ops` });
          changed = true;
        }
      }
    }
  }
  return plan;
}
