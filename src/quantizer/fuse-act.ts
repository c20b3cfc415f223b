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
  /** hard-sigmoid(α, β=0.5) rewritten exactly as the DPU's relu6(x+3)/6 of the conv scaled by 6α. */
  hsigmoid: { op: string; conv: string; scale: number }[];
}

/**
 * clamp(αx + 0.5, 0, 1) = relu6(6αx + 3)/6: a hard-sigmoid with β = 0.5 and another α (Paddle's 0.2)
 * becomes the DPU's form when the producing conv's weights and bias are multiplied by 6α (exact in
 * float). Mutates `g`; only for convs whose output feeds nothing else.
 */
export function canonicalizeHardSigmoid(g: Graph, canFuse: (conv: Op) => boolean = () => true): FuseResult['hsigmoid'] {
  const out: FuseResult['hsigmoid'] = [];
  const ops = opMap(g);
  const cons = consumerMap(g);
  for (const hs of g.ops) {
    if (hs.type !== 'hard-sigmoid') continue;
    const a = typeof hs.attrs['alpha'] === 'number' ? (hs.attrs['alpha'] as number) : 0.2;
    const b = typeof hs.attrs['beta'] === 'number' ? (hs.attrs['beta'] as number) : 0.5;
    if (Math.abs(b - 0.5) > 1e-6 || Math.abs(a - 1 / 6) < 1e-6 || !(a > 0)) continue;
    const conv = ops.get(hs.inputs[0]);
    if (!conv || !CONV_TYPES.has(conv.type) || (conv.attrs['nonlinear'] ?? 'NONE') !== 'NONE' || !canFuse(conv)) continue;
    if ((cons.get(conv.name) ?? []).length !== 1) continue;
    const w = ops.get(conv.inputs[1]);
    const bias = conv.inputs[2] ? ops.get(conv.inputs[2]) : undefined;
    if (w?.type !== 'const' || !w.data || (cons.get(w.name) ?? []).length !== 1) continue;
    if (bias && (bias.type !== 'const' || !bias.data || (cons.get(bias.name) ?? []).length !== 1)) continue;
    const k = 6 * a;
    w.data = w.data.map((v) => v * k);
    if (bias?.data) bias.data = bias.data.map((v) => v * k);
    hs.attrs['alpha'] = 1 / 6;
    hs.attrs['beta'] = 0.5;
    out.push({ op: hs.name, conv: conv.name, scale: k });
  }
  return out;
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
  const res: FuseResult = { fused: [], leaky: [], hsigmoid: canonicalizeHardSigmoid(g, canFuse) };
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
