/** 'resize': NHWC, size[w,h], mode NEAREST|BILINEAR, coordinate and nearest_mode as ONNX Resize. */
import type { OpDef } from '../ir/registry.js';
import { resize, resizeOutShape } from '../kernels/ref/float/resize.js';
import { arity } from './common.js';

export const resizeOp: OpDef = {
  type: 'resize',
  shape: (ctx) => { arity(ctx, 1); return resizeOutShape(ctx.inputs[0]!.shape, ctx.op.attrs, ctx.op); },
  float: resize,
};
