/**
 * Pre-pass: fuse an activation into the producing conv as `attrs.nonlinear` (the canonical form of
 * docs/quantized-ir.md), when the conv's only consumer is the activation. LeakyReLU's alpha becomes
 * the DPU's 26/256 (reported) — on fused and on standalone leaky-relu ops.
 */
import type { Graph, Op } from '../ir/types.js';
import { CONV_TYPES, bypassOp, consumerMap, opMap } from './graph-util.js';
import { LEAKY_NUM, LEAKY_SHIFT } from '../kernels/ref/int8/conv.js';

export const DPU_LEAKY_ALPHA = LEAKY_NUM / 2 ** LEAKY_SHIFT;

export interface FuseResult {
  fused: { conv: string; act: string; nonlinear: string }[];
  leaky: { op: string; from: number; to: number }[];
}

function nonlinearOf(op: Op): string | undefined {
  switch (op.type) {
    case 'relu':
      return 'RELU';
    case 'relu6':
      return 'RELU6';
    case 'leaky-relu':
      return 'LEAKYRELU';
    case 'hard-swish':
      return 'HSWISH';
    case 'hard-sigmoid': {
      const a = op.attrs['alpha'] ?? 0.2;
      const b = op.attrs['beta'] ?? 0.5;
      return typeof a === 'number' && typeof b === 'number' && Math.abs(a - 1 / 6) < 1e-6 && Math.abs(b - 0.5) < 1e-6 ? 'HSIGMOID' : undefined;
    }
    case 'clamp':
      return op.attrs['min'] === 0 && op.attrs['max'] === 6 ? 'RELU6' : undefined;
    default:
      return undefined;
  }
}

/** Mutates `g`. `canFuse(conv)` lets the caller restrict fusion to ops that will be quantized. */
export function fuseActivations(g: Graph, canFuse: (conv: Op) => boolean = () => true): FuseResult {
  const res: FuseResult = { fused: [], leaky: [] };
  for (;;) {
    const ops = opMap(g);
    const cons = consumerMap(g);
    const act = g.ops.find((op) => {
      const nl = nonlinearOf(op);
      if (!nl) return false;
      const conv = ops.get(op.inputs[0]);
      return !!conv && CONV_TYPES.has(conv.type) && (conv.attrs['nonlinear'] ?? 'NONE') === 'NONE'
        && (cons.get(conv.name) ?? []).length === 1 && !g.outputs.includes(conv.name) && canFuse(conv);
    });
    if (!act) break;
    const conv = ops.get(act.inputs[0]) as Op;
    const nl = nonlinearOf(act) as string;
    conv.attrs['nonlinear'] = nl;
    if (nl === 'LEAKYRELU') {
      const a = typeof act.attrs['alpha'] === 'number' ? (act.attrs['alpha'] as number) : 0.01;
      conv.attrs['alpha'] = DPU_LEAKY_ALPHA;
      if (a !== DPU_LEAKY_ALPHA) res.leaky.push({ op: conv.name, from: a, to: DPU_LEAKY_ALPHA });
    }
    conv.output = { ...conv.output, shape: [...act.output.shape] };
    bypassOp(g, act.name, conv.name);
    res.fused.push({ conv: conv.name, act: act.name, nonlinear: nl });
  }
  for (const op of g.ops) {
    if (op.type === 'leaky-relu') {
      const a = typeof op.attrs['alpha'] === 'number' ? (op.attrs['alpha'] as number) : 0.01;
      if (a !== DPU_LEAKY_ALPHA) {
        op.attrs['alpha'] = DPU_LEAKY_ALPHA;
        res.leaky.push({ op: op.name, from: a, to: DPU_LEAKY_ALPHA });
      }
    }
  }
  return res;
}
