/** 'pad': paddings [before0, after0, before1, after1…] (negative crops); mode CONSTANT|REFLECT|SYMMETRIC|EDGE. */
import type { OpDef } from '../ir/registry.js';
import { pad, padShape } from '../kernels/ref/float/layout.js';
import { arity } from './common.js';

export const padOp: OpDef = {
  type: 'pad',
  shape: (ctx) => { arity(ctx, 1); return padShape(ctx.inputs[0]!.shape, ctx.op.attrs, ctx.op); },
  float: pad,
};
