/** 'avgpool2d': kernel stride pad global count_include_pad (divisor: window ∩ padded area, or ∩ input). */
import type { OpDef } from '../ir/registry.js';
import { avgpool2d, poolGeom } from '../kernels/ref/float/pool.js';
import { arity } from './common.js';

export const avgpool2dOp: OpDef = {
  type: 'avgpool2d',
  shape: (ctx) => {
    arity(ctx, 1);
    const g = poolGeom(ctx.inputs[0]!.shape, ctx.op.attrs, ctx.op);
    return [ctx.inputs[0]!.shape[0]!, g.OH, g.OW, g.C];
  },
  float: avgpool2d,
};
