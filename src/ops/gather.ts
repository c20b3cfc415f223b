/**
 * 'gather': x, indices? — along attrs.axis. Indices come from input 1 or from attr `indices`
 * (a number = scalar index, which removes the axis; a number[] = 1-D, or shaped by attr
 * `indices_shape`). Negative indices count from the end (ONNX).
 */
import type { OpDef } from '../ir/registry.js';
import { gather, gatherIndices, gatherShape } from '../kernels/ref/float/layout.js';
import { arity } from './common.js';

export const gatherOp: OpDef = {
  type: 'gather',
  shape: (ctx) => {
    arity(ctx, 1, 2);
    const idxShape = ctx.inputs[1] ? ctx.inputs[1].shape : gatherIndices(ctx.op.attrs, undefined, ctx.op).shape;
    return gatherShape(ctx.inputs[0]!.shape, idxShape, ctx.op.attrs, ctx.op);
  },
  float: gather,
};
