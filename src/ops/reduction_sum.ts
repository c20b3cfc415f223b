/** 'reduction_sum': over attrs.axis (number[]; empty = all axes), keep_dims. */
import type { OpDef } from '../ir/registry.js';
import { reductionSum, reduceShape } from '../kernels/ref/float/reduce.js';
import { arity } from './common.js';

export const reductionSumOp: OpDef = {
  type: 'reduction_sum',
  shape: (ctx) => { arity(ctx, 1); return reduceShape(ctx.inputs[0]!.shape, ctx.op.attrs, ctx.op); },
  float: reductionSum,
};
