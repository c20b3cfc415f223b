/**
 * 'const': a constant tensor (payload in op.data, shape in op.output.shape). The float kernel
 * returns op.data itself (not a copy) so kernels can cache repacked weights keyed by the array;
 * consumers must not mutate it.
 */
import type { OpDef } from '../ir/registry.js';
import { arity, fail, numel } from './common.js';

export const constOp: OpDef = {
  type: 'const',
  shape: (ctx) => {
    arity(ctx, 0);
    const shape = ctx.op.output.shape;
    if (ctx.op.data && ctx.op.data.length !== numel(shape)) {
      fail(ctx.op, 'E_SHAPE', `const payload has ${ctx.op.data.length} values but shape ${JSON.stringify(shape)} needs ${numel(shape)}`);
    }
    return [...shape];
  },
  float: (_inputs, _attrs, op) => {
    if (!op.data) fail(op, 'E_CONST_DATA', `const op '${op.name}' has no payload`, 'the importer must set op.data');
    return { shape: [...op.output.shape], data: op.data };
  },
};
