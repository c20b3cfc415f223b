/** 'matmul': a, b, bias? with transpose_a/transpose_b; batch dims broadcast (numpy matmul). */
import type { OpDef } from '../ir/registry.js';
import { matmul, matmulPlan } from '../kernels/ref/float/matmul.js';
import { binaryShape } from '../kernels/ref/float/elementwise.js';
import { arity } from './common.js';

export const matmulOp: OpDef = {
  type: 'matmul',
  shape: (ctx) => {
    arity(ctx, 2, 3);
    const out = matmulPlan(ctx.inputs[0]!.shape, ctx.inputs[1]!.shape, ctx.op.attrs, ctx.op).out;
    return ctx.inputs[2] ? binaryShape(out, ctx.inputs[2].shape, ctx.op) : out;
  },
  float: matmul,
};
