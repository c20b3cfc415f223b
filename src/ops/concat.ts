/** 'concat': x0…xn joined along attrs.axis (negative allowed). */
import type { OpDef } from '../ir/registry.js';
import { concat, concatShape } from '../kernels/ref/float/layout.js';

export const concatOp: OpDef = {
  type: 'concat',
  shape: (ctx) => concatShape(ctx.inputs.map((i) => i.shape), ctx.op.attrs, ctx.op),
  float: concat,
};
