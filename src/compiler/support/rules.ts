/**
 * The DPU support rule of every IR op type (DPUCZDX8G ISA1). A rule returns undefined when the
 * DPU runs the op, else `{reason, fix}`. Limits come from the arch (src/compiler/arch.ts), never
 * from magic numbers here. Quantization is checked once for every op by `checkQuantized`.
 */
import type { Op } from '../../ir/types.js';
import type { DpuReason, DpuRule, DpuRuleContext } from './types.js';

/** The DPU's LeakyReLU slope: 26/256 = 0.1015625. */
export const DPU_LEAKY_ALPHA = 26 / 256;

const num = (op: Op, k: string, d: number): number => (typeof op.attrs[k] === 'number' ? (op.attrs[k] as number) : d);
const pair = (op: Op, k: string, d: number): [number, number] => {
  const v = op.attrs[k];
  return Array.isArray(v) && v.length >= 2 ? [Number(v[0]), Number(v[1])] : [d, d];
};
const quad = (op: Op, k: string): [number, number, number, number] => {
  const v = op.attrs[k];
  return Array.isArray(v) && v.length >= 4 ? [Number(v[0]), Number(v[1]), Number(v[2]), Number(v[3])] : [0, 0, 0, 0];
};

/**
 * Activations a conv / depthwise output stage can apply: the arch's conv-engine list plus
 * HSIGMOID/HSWISH, which DPUCZDX8G ISA1 computes on its ALU (dpu.md: ALU op hsigmoid; hard-swish =
 * x · hard-sigmoid(x)); our ISA folds them into the CONVINIT/DWINIT output stage (docs/isa.md), with
 * the INT8 reference arithmetic (docs/dpu-arithmetic.md).
 */
export const HARD_ACTS = ['HSIGMOID', 'HSWISH'];

/** Not a DPU op at all. */
function cpuOnly(what: string, fix = 'nothing to do: it runs on the CPU, in float'): DpuRule {
  return { engine: 'none', cpuOnly: true, check: (op) => ({ reason: `${op.type}: ${what}; stays on CPU`, fix }) };
}

function isConst(op: Op | undefined): boolean {
  return !!op && op.type === 'const';
}

function checkLeaky(op: Op, alpha: number): DpuReason | undefined {
  if (Math.abs(alpha - DPU_LEAKY_ALPHA) > 1e-6) {
    return {
      reason: `LeakyReLU alpha ${alpha} is not 26/256: DPU supports only ${DPU_LEAKY_ALPHA}`,
      fix: `quantize with alpha set to 26/256 (the quantizer does this by default), or retrain '${op.name}' with alpha 0.1015625`,
    };
  }
  return undefined;
}

function checkNonlinear(op: Op, allowed: string[], engine: string): DpuReason | undefined {
  const nl = String(op.attrs['nonlinear'] ?? 'NONE');
  if (!allowed.includes(nl)) {
    return {
      reason: `${op.type} with fused ${nl}: the ${engine} engine applies only ${allowed.join('/')}`,
      fix: `keep ${nl} as a separate op (it then runs on the ALU or the CPU)`,
    };
  }
  if (nl === 'LEAKYRELU') return checkLeaky(op, num(op, 'alpha', DPU_LEAKY_ALPHA));
  return undefined;
}

function range(op: Op, what: string, v: [number, number], lo: number, hi: number): DpuReason | undefined {
  for (const x of v) {
    if (!(Number.isInteger(x) && x >= lo && x <= hi)) {
      return {
        reason: `${op.type} ${what} [${v.join(',')}] is outside the DPU range ${lo}–${hi}`,
        fix: `change ${what} of '${op.name}' to ${lo}–${hi}, or leave it on the CPU`,
      };
    }
  }
  return undefined;
}

const conv2d: DpuRule = {
  engine: 'conv',
  check(op, ctx) {
    const group = num(op, 'group', 1);
    if (group !== 1) return { reason: `grouped conv2d (group ${group}) is not a DPU op`, fix: 'use group 1 or a depthwise conv (group = channels)' };
    const a = ctx.arch.conv;
    const k = pair(op, 'kernel', 1), s = pair(op, 'stride', 1), d = pair(op, 'dilation', 1);
    const eff: [number, number] = [(k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1];
    const pad = quad(op, 'pad');
    if (!isConst(ctx.inputOps[1])) return { reason: 'conv2d with non-constant weights is not a DPU op', fix: 'make the weights a constant' };
    if (ctx.inputs[0]?.shape.length !== 4) return { reason: `conv2d on a rank-${ctx.inputs[0]?.shape.length} tensor: DPU takes NHWC only`, fix: 'reshape to NHWC' };
    return range(op, 'kernel', k, 1, a.kernelMax) ?? range(op, 'stride', s, 1, a.strideMax)
      ?? range(op, 'dilated kernel', eff, 1, a.kernelMax)
      ?? range(op, 'pad left/right', [pad[0], pad[1]], 0, eff[0] - 1) ?? range(op, 'pad top/bottom', [pad[2], pad[3]], 0, eff[1] - 1)
      ?? checkNonlinear(op, [...a.nonlinear, ...HARD_ACTS], 'conv');
  },
};

const depthwise: DpuRule = {
  engine: 'alu',
  check(op, ctx) {
    const a = ctx.arch.alu;
    const k = pair(op, 'kernel', 1), s = pair(op, 'stride', 1), d = pair(op, 'dilation', 1);
    const pad = quad(op, 'pad');
    if (!isConst(ctx.inputOps[1])) return { reason: 'depthwise-conv2d with non-constant weights is not a DPU op', fix: 'make the weights a constant' };
    if (d[0] !== 1 || d[1] !== 1) return { reason: `depthwise-conv2d dilation [${d.join(',')}]: the ALU engine takes dilation 1 only`, fix: 'use dilation 1 or leave it on the CPU' };
    return range(op, 'kernel', k, 1, Math.min(a.kernelMax, ctx.arch.conv.kernelMax)) ?? range(op, 'stride', s, 1, Math.min(a.strideMax, ctx.arch.conv.strideMax))
      ?? range(op, 'pad left/top', [pad[0], pad[2]], 0, Math.min(a.padLeftTopMax, k[0] - 1))
      ?? range(op, 'pad right/bottom', [pad[1], pad[3]], 0, Math.min(a.padRightBottomMax, k[1] - 1))
      ?? checkNonlinear(op, ['NONE', 'RELU', 'RELU6', 'LEAKYRELU', ...HARD_ACTS], 'depthwise');
  },
};

function pool(kind: 'max' | 'avg'): DpuRule {
  return {
    engine: 'alu',
    check(op, ctx) {
      const a = ctx.arch.alu;
      const x = ctx.inputs[0];
      if (x?.shape.length !== 4) return { reason: `${op.type} on a rank-${x?.shape.length} tensor: DPU takes NHWC only`, fix: 'reshape to NHWC' };
      const global = op.attrs['global'] === true;
      const k: [number, number] = global ? [x.shape[2], x.shape[1]] : pair(op, 'kernel', 1);
      const s: [number, number] = global ? [1, 1] : pair(op, 'stride', 1);
      const pad = global ? [0, 0, 0, 0] : quad(op, 'pad');
      const r = range(op, 'kernel', k, 1, a.kernelMax) ?? range(op, 'stride', s, 1, a.strideMax)
        ?? range(op, 'pad left/top', [pad[0], pad[2]], 0, a.padLeftTopMax) ?? range(op, 'pad right/bottom', [pad[1], pad[3]], 0, a.padRightBottomMax);
      if (r) return r;
      if (kind === 'avg' && pad.some((p) => p > 0) && op.attrs['count_include_pad'] !== true) {
        return { reason: 'avgpool2d with padding and count_include_pad=false: the DPU divides by the full kernel', fix: 'export with count_include_pad=1, or leave it on the CPU' };
      }
      return undefined;
    },
  };
}

/** One operand NHWC, the other a per-channel vector [1,1,1,C] of the same C (SE blocks). */
export function channelBroadcast(a: number[], b: number[]): boolean {
  if (a.length !== 4 || b.length !== 4 || a[3] !== b[3]) return false;
  const vec = (s: number[]) => s[0] === 1 && s[1] === 1 && s[2] === 1;
  return vec(a) !== vec(b);
}

function eltwise(kind: 'ADD' | 'MUL'): DpuRule {
  return {
    engine: 'eltwise',
    check(op, ctx) {
      if (!ctx.arch.eltwise.types.includes(kind)) return { reason: `eltwise ${kind} is not in this arch's eltwise engine`, fix: 'leave it on the CPU' };
      const [a, b] = ctx.inputs;
      if (!a || !b) return { reason: `${op.type} needs two operands`, fix: 'check the model' };
      const ci = ctx.inputOps.findIndex(isConst);
      if (ci >= 0) {
        // a scalar or per-channel constant: stored in REG_0, broadcast by LOAD (row_stride 0)
        const c = ctx.inputs[ci], x = ctx.inputs[1 - ci];
        const n = c.shape.reduce((p, q) => p * q, 1);
        if (isConst(ctx.inputOps[1 - ci]) || x.shape.length !== 4 || (n !== 1 && !(n === x.shape[3] && c.shape[c.shape.length - 1] === n))) {
          return { reason: `${op.type} with a constant of shape [${c.shape.join(',')}]: the eltwise engine broadcasts only a scalar or a per-channel vector over an NHWC map`, fix: 'fold the constant into the previous conv' };
        }
        return checkNonlinear(op, ctx.arch.eltwise.nonlinear, 'eltwise');
      }
      if (a.shape.join('x') !== b.shape.join('x') && !channelBroadcast(a.shape, b.shape)) {
        return { reason: `${op.type} with broadcasting (${a.shape.join('x')} vs ${b.shape.join('x')}): the eltwise engine takes equal shapes or one [1,1,1,C] operand only`, fix: 'expand the smaller operand, or leave it on the CPU' };
      }
      return checkNonlinear(op, ctx.arch.eltwise.nonlinear, 'eltwise');
    },
  };
}

/** A standalone activation on the ALU engine (after a non-conv producer). */
function aluAct(check?: (op: Op, ctx: DpuRuleContext) => DpuReason | undefined): DpuRule {
  return {
    engine: 'alu',
    check(op, ctx) {
      if (ctx.inputs[0]?.shape.length !== 4) return { reason: `${op.type} on a rank-${ctx.inputs[0]?.shape.length} tensor: the ALU engine takes NHWC only`, fix: 'leave it on the CPU' };
      return check?.(op, ctx);
    },
  };
}

/** Pure views of the same bytes in NHWC order: no code on the DPU. */
const view: DpuRule = {
  engine: 'none',
  check(op, ctx) {
    const x = ctx.inputs[0];
    if (x?.fixPoint !== op.output.fixPoint) return { reason: `${op.type} changes the fix point (${x?.fixPoint} → ${op.output.fixPoint})`, fix: 'give input and output one fix point' };
    return undefined;
  },
};

const matmul: DpuRule = {
  engine: 'conv',
  check(op, ctx) {
    const [a, b] = ctx.inputs;
    if (!isConst(ctx.inputOps[1])) return { reason: 'matmul of two activations: the DPU runs only inner-product with constant weights', fix: 'nothing to do: it runs on the CPU, in float' };
    if (!a || a.shape.length !== 2 || a.shape[0] !== 1 || op.attrs['transpose_a'] === true) {
      return { reason: `matmul on a ${a?.shape.join('x')} activation: the DPU runs inner-product only on a flattened [1, K] input`, fix: 'nothing to do: it runs on the CPU, in float' };
    }
    if (b?.shape.length !== 2) return { reason: 'matmul weights are not 2-D', fix: 'nothing to do: it runs on the CPU' };
    return undefined;
  },
};

const concat: DpuRule = {
  engine: 'none',
  check(op, ctx) {
    const r = ctx.inputs[0]?.shape.length ?? 0;
    const axis = num(op, 'axis', -1);
    if (r !== 4 || (axis !== -1 && axis !== 3)) return { reason: `concat on axis ${axis} of a rank-${r} tensor: the DPU concatenates NHWC channels only`, fix: 'concatenate on channels, or leave it on the CPU' };
    if (ctx.inputs.some((t) => t.fixPoint !== op.output.fixPoint)) return { reason: 'concat inputs have other fix points than its output: in-place concat needs one fix point', fix: 'quantize with one fix point for concat inputs and output (the quantizer does)' };
    return undefined;
  },
};

const resize: DpuRule = {
  engine: 'alu',
  check(op, ctx) {
    const x = ctx.inputs[0];
    const y = op.output.shape;
    if (op.attrs['mode'] !== 'NEAREST') return { reason: `resize mode ${String(op.attrs['mode'])}: the DPU upsamples with NEAREST only`, fix: 'use nearest resize, or leave it on the CPU' };
    if (x?.shape.length !== 4) return { reason: 'resize of a non-NHWC tensor', fix: 'leave it on the CPU' };
    const sh = y[1] / x.shape[1], sw = y[2] / x.shape[2];
    if (!Number.isInteger(sh) || !Number.isInteger(sw) || sh < 1 || sw < 1 || sh > 8 || sw > 8) {
      return { reason: `resize by ${sw}×${sh}: the DPU upsamples by integer factors 1–8 only`, fix: 'use an integer scale, or leave it on the CPU' };
    }
    if (x.fixPoint !== op.output.fixPoint) return { reason: 'nearest resize changes the fix point', fix: 'give input and output one fix point' };
    return undefined;
  },
};

const clampRule = aluAct((op) => {
  const lo = num(op, 'min', -Infinity), hi = num(op, 'max', Infinity);
  if (lo === 0 && (hi === 6 || hi === Infinity)) return undefined;
  return { reason: `clamp(${lo}, ${hi}) is neither ReLU nor ReLU6`, fix: 'nothing to do: it runs on the CPU, in float' };
});

/** Every op type of the catalog (src/ir/catalog.ts) → its DPU rule. */
export const DPU_RULES: Record<string, DpuRule> = {
  'conv2d': conv2d,
  'depthwise-conv2d': depthwise,
  'transposed-conv2d': {
    engine: 'conv',
    check(op, ctx) {
      if (!isConst(ctx.inputOps[1])) return { reason: 'transposed-conv2d with non-constant weights is not a DPU op', fix: 'make the weights a constant' };
      if (ctx.inputs[0]?.shape.length !== 4) return { reason: 'transposed-conv2d on a non-NHWC tensor', fix: 'reshape to NHWC' };
      const k = pair(op, 'kernel', 1), s = pair(op, 'stride', 1), d = pair(op, 'dilation', 1), pad = quad(op, 'pad'), opad = pair(op, 'output_padding', 0);
      if (k[0] !== s[0] || k[1] !== s[1] || d[0] !== 1 || d[1] !== 1 || pad.some((x) => x !== 0) || opad.some((x) => x !== 0)) {
        return {
          reason: `transposed-conv2d kernel [${k.join(',')}] stride [${s.join(',')}] pad [${pad.join(',')}]: dpuflow compiles only kernel = stride, dilation 1, no padding (as kernel_h·kernel_w 1×1 convs writing interleaved pixels)`,
          fix: 'use kernel = stride (e.g. 2×2 stride 2, as DBNet heads do), or leave it on the CPU',
        };
      }
      return range(op, 'kernel', k, 1, ctx.arch.conv.strideMax) ?? checkNonlinear(op, [...ctx.arch.conv.nonlinear, ...HARD_ACTS], 'conv');
    },
  },
  'matmul': matmul,
  'batchnorm': cpuOnly('batchnorm not after a conv (nothing to fold it into)', 'put the batchnorm after a conv, or accept the CPU op'),
  'maxpool2d': pool('max'),
  'avgpool2d': pool('avg'),
  'add': eltwise('ADD'),
  'mul': eltwise('MUL'),
  'relu': aluAct(),
  'relu6': aluAct(),
  'leaky-relu': aluAct((op) => checkLeaky(op, num(op, 'alpha', 0.01))),
  'hard-sigmoid': aluAct((op) => (Math.abs(num(op, 'alpha', 0.2) - 1 / 6) < 1e-6 && Math.abs(num(op, 'beta', 0.5) - 0.5) < 1e-6 ? undefined
    : { reason: `hard-sigmoid alpha ${num(op, 'alpha', 0.2)} beta ${num(op, 'beta', 0.5)} is not relu6(x+3)/6`, fix: 'use alpha 1/6, beta 0.5 (PyTorch Hardsigmoid)' })),
  'hard-swish': cpuOnly('hard-swish not fused into a conv is not a DPU op'),
  'clamp': clampRule,
  'concat': concat,
  'reshape': view,
  'identity': view,
  'resize': resize,
  'sub': cpuOnly('not a DPU op'),
  'div': cpuOnly('not a DPU op'),
  'pow': cpuOnly('not a DPU op'),
  'min': cpuOnly('not a DPU op'),
  'max': cpuOnly('not a DPU op'),
  'sigmoid': cpuOnly('not a DPU op (the DPU has hard-sigmoid only)', 'use hard-sigmoid to keep it on the DPU, or accept the CPU op'),
  'tanh': cpuOnly('not a DPU op'),
  'sqrt': cpuOnly('not a DPU op'),
  'exp': cpuOnly('not a DPU op'),
  'neg': cpuOnly('not a DPU op'),
  'abs': cpuOnly('not a DPU op'),
  'erf': cpuOnly('not a DPU op'),
  'reciprocal': cpuOnly('not a DPU op'),
  'transpose': {
    engine: 'none',
    check(op, ctx) {
      const r = view.check(op, ctx);
      if (r) return r;
      const order = (op.attrs['order'] as number[] | undefined) ?? [];
      const shape = ctx.inputs[0]?.shape ?? [];
      const moved = order.filter((a) => shape[a] !== 1);
      if (moved.some((a, i) => i > 0 && a < moved[i - 1])) {
        return { reason: `transpose ${JSON.stringify(order)} of ${shape.join('x')} moves data: not a DPU op (the DPU has no transpose); stays on CPU`, fix: 'nothing to do: it runs on the CPU, in float' };
      }
      return undefined; // only size-1 axes move: the same bytes, a view
    },
  },
  'strided_slice': cpuOnly('not a DPU op'),
  'pad': cpuOnly('a pad not folded into a following conv/avgpool is not a DPU op', 'use a zero pad directly before a conv'),
  'softmax': cpuOnly('not a DPU op (DPUCZDX8G has no softmax engine)'),
  'reduction_mean': cpuOnly('not a DPU op', 'use global average pooling to keep it on the DPU'),
  'reduction_max': cpuOnly('not a DPU op'),
  'reduction_sum': cpuOnly('not a DPU op'),
  'layernorm': cpuOnly('not a DPU op'),
  'gather': cpuOnly('not a DPU op'),
};
