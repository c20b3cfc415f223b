/** 'depthwise-conv2d': x [1,H,W,C], weights [1,KH,KW,C], bias [C]? → [1,OH,OW,C] (multiplier 1). */
import type { OpDef } from '../ir/registry.js';
import { convOutSize, convParams, depthwiseConv2d } from '../kernels/ref/float/conv.js';
import { arity, fail, numel, rank } from './common.js';

export const depthwiseConv2dOp: OpDef = {
  type: 'depthwise-conv2d',
  shape: (ctx) => {
    arity(ctx, 2, 3);
    const { op } = ctx;
    const [, H, W, C] = rank(ctx, 0, 4, 'input') as [number, number, number, number];
    const [M, KH, KW, WC] = rank(ctx, 1, 4, 'weights [1,kh,kw,c]') as [number, number, number, number];
    if (M !== 1 || WC !== C) fail(op, 'E_SHAPE', `depthwise-conv2d: input has ${C} channels but weights are ${JSON.stringify(ctx.inputs[1]!.shape)} (expected [1,kh,kw,${C}])`, 'a channel multiplier > 1 is a grouped conv2d');
    const p = convParams(op.attrs, ctx.inputs[1]!.shape, op);
    if (p.kw !== KW || p.kh !== KH) fail(op, 'E_SHAPE', `depthwise-conv2d: attr kernel [${p.kw},${p.kh}] differs from weights ${KW}x${KH}`);
    if (ctx.inputs[2] && numel(ctx.inputs[2].shape) !== C) fail(op, 'E_SHAPE', `depthwise-conv2d: bias has ${numel(ctx.inputs[2].shape)} values for ${C} channels`);
    const OH = convOutSize(H, KH, p.sh, p.dh, p.pt, p.pb), OW = convOutSize(W, KW, p.sw, p.dw, p.pl, p.pr);
    if (OH <= 0 || OW <= 0) fail(op, 'E_SHAPE', `depthwise-conv2d: kernel ${KW}x${KH} larger than padded input ${W}x${H}`);
    return [1, OH, OW, C];
  },
  float: depthwiseConv2d,
};
