/** 'batchnorm': x, gamma, beta, mean, var along attrs.axis (−1 = channels last); epsilon. */
import type { OpDef } from '../ir/registry.js';
import { batchnorm } from '../kernels/ref/float/reduce.js';
import { attrNum, normAxis } from '../kernels/ref/float/util.js';
import { arity, fail, numel } from './common.js';

export const batchnormOp: OpDef = {
  type: 'batchnorm',
  shape: (ctx) => {
    arity(ctx, 5);
    const x = ctx.inputs[0]!.shape;
    const ax = normAxis(attrNum(ctx.op.attrs, 'axis', -1, ctx.op), x.length, ctx.op);
    ['gamma', 'beta', 'mean', 'var'].forEach((n, i) => {
      const k = numel(ctx.inputs[i + 1]!.shape);
      if (k !== x[ax]) fail(ctx.op, 'E_SHAPE', `batchnorm: ${n} has ${k} values for ${x[ax]} channels (axis ${ax})`);
    });
    return [...x];
  },
  float: batchnorm,
};
