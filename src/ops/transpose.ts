/** 'transpose': out.shape[i] = in.shape[order[i]] (default: reversed axes, as ONNX). */
import type { OpDef } from '../ir/registry.js';
import { transpose, transposeShape } from '../kernels/ref/float/layout.js';
import { arity } from './common.js';

export const transposeOp: OpDef = {
  type: 'transpose',
  shape: (ctx) => { arity(ctx, 1); return transposeShape(ctx.inputs[0]!.shape, ctx.op.attrs, ctx.op); },
  float: transpose,
};
