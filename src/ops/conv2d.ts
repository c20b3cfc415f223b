/**
 * 'conv2d': x [1,H,W,IC], weights [OC,KH,KW,IC/group], bias [OC]? → [1,OH,OW,OC].
 * attrs kernel[w,h] stride[w,h] dilation[w,h] pad[l,r,t,b] group nonlinear alpha.
 */
import type { OpDef } from '../ir/registry.js';
import { conv2d, convOutSize, convParams } from '../kernels/ref/float/conv.js';
import { attrNum } from '../kernels/ref/float/util.js';
import { arity, fail, numel, rank } from './common.js';

export const conv2dOp: OpDef = {
  type: 'conv2d',
  shape: (ctx) => {
    arity(ctx, 2, 3);
    const { op } = ctx;
    const [, H, W, C] = rank(ctx, 0, 4, 'input') as [number, number, number, number];
    const [OC, KH, KW, ICg] = rank(ctx, 1, 4, 'weights [oc,kh,kw,ic]') as [number, number, number, number];
    const G = attrNum(op.attrs, 'group', 1, op);
    if (!Number.isInteger(G) || G < 1 || OC % G !== 0) fail(op, 'E_ATTR_VALUE', `conv2d: group ${G} does not divide ${OC} output channels`);
    if (ICg * G !== C) fail(op, 'E_SHAPE', `conv2d: input has ${C} channels but weights ${JSON.stringify(ctx.inputs[1]!.shape)} with group ${G} expect ${ICg * G}`, 'check the weights layout [oc, kh, kw, ic/group]');
    const p = convParams(op.attrs, ctx.inputs[1]!.shape, op);
    if (p.kw !== KW || p.kh !== KH) fail(op, 'E_SHAPE', `conv2d: attr kernel [${p.kw},${p.kh}] differs from weights ${KW}x${KH}`);
    if (ctx.inputs[2] && numel(ctx.inputs[2].shape) !== OC) fail(op, 'E_SHAPE', `conv2d: bias has ${numel(ctx.inputs[2].shape)} values for ${OC} output channels`);
    const OH = convOutSize(H, KH, p.sh, p.dh, p.pt, p.pb), OW = convOutSize(W, KW, p.sw, p.dw, p.pl, p.pr);
    if (OH <= 0 || OW <= 0) fail(op, 'E_SHAPE', `conv2d: kernel ${KW}x${KH} (dilation ${p.dw},${p.dh}) larger than padded input ${W}x${H}`);
    return [1, OH, OW, OC];
  },
  float: conv2d,
};
