import type { Op } from '../../ir/types.js';
import { attachDpuRule } from '../../ir/registry.js';
import { DPU_RULES } from './rules.js';
import type { DpuReason, DpuRule, DpuRuleContext } from './types.js';

export type { DpuReason, DpuRule, DpuRuleContext, DpuEngine } from './types.js';
export { DPU_RULES, DPU_LEAKY_ALPHA } from './rules.js';

/** The DPU rule of an op type (undefined for data/const and types the catalog doesn't know). */
export function dpuRuleFor(type: string): DpuRule | undefined {
  return Object.prototype.hasOwnProperty.call(DPU_RULES, type) ? DPU_RULES[type] : undefined;
}

/**
 * Attach every rule to the op registry (OpDef.dpu) for the op types registered so far.
 * Idempotent; returns the types attached.
 */
export function installDpuRules(): string[] {
  const done: string[] = [];
  for (const [type, rule] of Object.entries(DPU_RULES)) if (attachDpuRule(type, rule)) done.push(type);
  return done;
}

/**
 * Full check of one op: the op type's rule first (its reason is the most specific), then the
 * quantization of its tensors (a float tensor can't be on the DPU: "not quantized").
 */
export function checkDpuSupport(op: Op, ctx: DpuRuleContext): DpuReason | undefined {
  const rule = dpuRuleFor(op.type);
  if (!rule) return { reason: `${op.type}: not a DPU op; stays on CPU`, fix: 'nothing to do: it runs on the CPU, in float' };
  const r = rule.check(op, ctx);
  if (r) return r;
  if (op.output.fixPoint === undefined) {
    return { reason: `${op.type}: output is float (not quantized)`, fix: `quantize the model (dpuflow quantize); '${op.name}' has no fix point` };
  }
  for (let i = 0; i < ctx.inputs.length; i++) {
    if (ctx.inputs[i].fixPoint === undefined) {
      return { reason: `${op.type}: input '${ctx.inputOps[i]?.name}' is float (not quantized)`, fix: 'quantize the model (dpuflow quantize)' };
    }
  }
  return undefined;
}
