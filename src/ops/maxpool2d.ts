/** 'maxpool2d': kernel[w,h] stride[w,h] pad[l,r,t,b] global; padding never wins the max. */
import type { OpDef } from '../ir/registry.js';
import { maxpool2d, poolGeom } from '../kernels/ref/float/pool.js';
import { arity } from './common.js';

export const maxpool2dOp: OpDef = {
  type: 'maxpool2d',
  shape: (ctx) => {
    arity(ctx, 1);
    const g = poolGeom(ctx.inputs[0]!.shape, ctx.op.attrs, ctx.op);
    return [ctx.inputs[0]!.shape[0]!, g.OH, g.OW, g.C];
  },
  float: maxpool2d,
};
