/**
 * 'strided_slice': begin/end/strides with one entry per axis, already resolved by the importer
 * (no negative wrap here); clamped like ONNX Slice: [0, dim] for step > 0, [−1, dim−1] for step < 0.
 */
import type { OpDef } from '../ir/registry.js';
import { stridedSlice, stridedSliceShape } from '../kernels/ref/float/layout.js';
import { arity } from './common.js';

export const stridedSliceOp: OpDef = {
  type: 'strided_slice',
  shape: (ctx) => { arity(ctx, 1); return stridedSliceShape(ctx.inputs[0]!.shape, ctx.op.attrs, ctx.op); },
  float: stridedSlice,
};
