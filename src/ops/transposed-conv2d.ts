/**
 * 'transposed-conv2d': x [1,H,W,IC], weights [OC,KH,KW,IC], bias [OC]? → [1,OH,OW,OC],
 * OH = sh·(H−1) + output_padding_h + (KH−1)·dh + 1 − pad_t − pad_b (ONNX ConvTranspose).
 */
import type { OpDef } from '../ir/registry.js';
import { convParams, convTransposeOutSize, transposedConv2d } from '../kernels/ref/float/conv.js';
import { attrNums } from '../kernels/ref/float/util.js';
import { arity, fail, numel, rank } from './common.js';

export const transposedConv2dOp: OpDef = {
  type: 'transposed-conv2d',
  shape: (ctx) => {
    arity(ctx, 2, 3);
    const { op } = ctx;
    const [, H, W, C] = rank(ctx, 0, 4, 'input') as [number, number, number, number];
    const [OC, KH, KW, IC] = rank(ctx, 1, 4, 'weights [oc,kh,kw,ic]') as [number, number, number, number];
    if (IC !== C) fail(op, 'E_SHAPE', `transposed-conv2d: input has ${C} channels but weights ${JSON.stringify(ctx.inputs[1]!.shape)} expect ${IC}`);
    const p = convParams(op.attrs, ctx.inputs[1]!.shape, op);
    const opad = attrNums(op.attrs, 'output_padding', [0, 0], op);
    if (ctx.inputs[2] && numel(ctx.inputs[2].shape) !== OC) fail(op, 'E_SHAPE', `transposed-conv2d: bias has ${numel(ctx.inputs[2].shape)} values for ${OC} output channels`);
    const OH = convTransposeOutSize(H, KH, p.sh, p.dh, p.pt, p.pb, opad[1] ?? 0);
    const OW = convTransposeOutSize(W, KW, p.sw, p.dw, p.pl, p.pr, opad[0] ?? 0);
    if (OH <= 0 || OW <= 0) fail(op, 'E_SHAPE', `transposed-conv2d: pads leave an empty output (${OW}x${OH})`);
    return [1, OH, OW, OC];
  },
  float: transposedConv2d,
};
