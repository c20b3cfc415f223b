/** Helpers shared by the op definitions (shape-rule checks, unary/binary factories). */
import type { OpDef, ShapeContext } from '../ir/registry.js';
import type { Op, TensorValue, Attrs } from '../ir/types.js';
import { fail, numel } from '../kernels/ref/float/util.js';
import { binary, binaryShape, unary, type BinaryFn, type UnaryFn } from '../kernels/ref/float/elementwise.js';

export { fail, numel };

/** Checks the number of inputs of an op (min..max). */
export function arity(ctx: ShapeContext, min: number, max = min): void {
  const n = ctx.inputs.length;
  if (n < min || n > max) {
    fail(ctx.op, 'E_ARITY', `${ctx.op.type} takes ${min === max ? min : `${min}–${max}`} input(s), got ${n}`);
  }
}

export function rank(ctx: ShapeContext, i: number, r: number, what: string): number[] {
  const s = ctx.inputs[i]!.shape;
  if (s.length !== r) fail(ctx.op, 'E_RANK', `${ctx.op.type}: ${what} must be ${r}-D, got ${JSON.stringify(s)}`);
  return s;
}

export function unaryDef(type: string, fn: UnaryFn): OpDef {
  const k = unary(fn);
  return {
    type,
    elementwise: true,
    shape: (ctx) => { arity(ctx, 1); return [...ctx.inputs[0]!.shape]; },
    float: (inputs: TensorValue[]) => k(inputs),
  };
}

export function unaryAttrDef(type: string, k: (inputs: TensorValue[], attrs: Attrs, op?: Op) => TensorValue): OpDef {
  return {
    type,
    elementwise: true,
    shape: (ctx) => { arity(ctx, 1); return [...ctx.inputs[0]!.shape]; },
    float: k,
  };
}

export function binaryDef(type: string, fn: BinaryFn): OpDef {
  return {
    type,
    elementwise: true,
    shape: (ctx) => { arity(ctx, 2); return binaryShape(ctx.inputs[0]!.shape, ctx.inputs[1]!.shape, ctx.op); },
    float: binary(fn),
  };
}
