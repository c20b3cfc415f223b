/** 'reshape': attrs.shape fully resolved; element count must match. */
import type { OpDef } from '../ir/registry.js';
import { reshape, reshapeShape } from '../kernels/ref/float/layout.js';
import { arity } from './common.js';

export const reshapeOp: OpDef = {
  type: 'reshape',
  shape: (ctx) => { arity(ctx, 1); return reshapeShape(ctx.inputs[0]!.shape, ctx.op.attrs, ctx.op); },
  float: reshape,
};
