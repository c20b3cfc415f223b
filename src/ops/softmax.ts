/** 'softmax': along attrs.axis (default −1), max-subtracted for stability. */
import type { OpDef } from '../ir/registry.js';
import { softmax } from '../kernels/ref/float/reduce.js';
import { attrNum, normAxis } from '../kernels/ref/float/util.js';
import { arity } from './common.js';

export const softmaxOp: OpDef = {
  type: 'softmax',
  shape: (ctx) => {
    arity(ctx, 1);
    const s = ctx.inputs[0]!.shape;
    normAxis(attrNum(ctx.op.attrs, 'axis', -1, ctx.op), s.length, ctx.op);
    return [...s];
  },
  float: softmax,
};
