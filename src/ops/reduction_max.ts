/** 'reduction_max': over attrs.axis (number[]; empty = all axes), keep_dims. */
import type { OpDef } from '../ir/registry.js';
import { reductionMax, reduceShape } from '../kernels/ref/float/reduce.js';
import { arity } from './common.js';

export const reductionMaxOp: OpDef = {
  type: 'reduction_max',
  shape: (ctx) => { arity(ctx, 1); return reduceShape(ctx.inputs[0]!.shape, ctx.op.attrs, ctx.op); },
  float: reductionMax,
};
