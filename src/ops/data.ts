/** 'data': a graph input. Shape from attrs.shape (or the op's output info); its value comes from the feeds. */
import type { OpDef } from '../ir/registry.js';
import { arity, fail } from './common.js';

export const dataOp: OpDef = {
  type: 'data',
  shape: (ctx) => {
    arity(ctx, 0);
    const s = ctx.op.attrs['shape'];
    const shape = Array.isArray(s) && s.every((d) => typeof d === 'number') ? (s as number[]) : ctx.op.output.shape;
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
      fail(ctx.op, 'E_DYNAMIC', `input '${ctx.op.name}' has an unresolved shape ${JSON.stringify(shape)}`, `fix it with --input-shape ${ctx.op.name}=1x…`);
    }
    return [...shape];
  },
  float: (_inputs, _attrs, op) => fail(op, 'E_FEED', `data op '${op.name}' has no kernel: its value comes from the feeds`, 'pass it in feeds to runFloat'),
};
