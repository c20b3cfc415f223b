/** 'layernorm': x, gamma?, beta? — normalise over attrs.axis (number[]), epsilon; gamma/beta broadcast to x. */
import type { OpDef } from '../ir/registry.js';
import { layernorm, reduceAxes } from '../kernels/ref/float/reduce.js';
import { attrNums, broadcastShapes } from '../kernels/ref/float/util.js';
import { arity, fail } from './common.js';

export const layernormOp: OpDef = {
  type: 'layernorm',
  shape: (ctx) => {
    arity(ctx, 1, 3);
    const x = ctx.inputs[0]!.shape;
    reduceAxes(x.length, { axis: attrNums(ctx.op.attrs, 'axis', [-1], ctx.op) }, ctx.op);
    for (const p of ctx.inputs.slice(1)) {
      const b = broadcastShapes(p.shape, x);
      if (!b || b.some((d, i) => d !== x[i])) fail(ctx.op, 'E_BROADCAST', `layernorm: parameter shape ${JSON.stringify(p.shape)} does not broadcast to input ${JSON.stringify(x)}`);
    }
    return [...x];
  },
  float: layernorm,
};
