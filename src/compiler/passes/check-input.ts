/** Pass `check-input`: refuse a float (unquantized) graph and an empty one. */
import { CompileError } from '../../errors.js';
import type { Pass } from '../types.js';

export const checkInput: Pass = (state) => {
  const g = state.graph;
  const compute = g.ops.filter((o) => o.type !== 'const' && o.type !== 'data');
  if (compute.length === 0) throw new CompileError('E_EMPTY', `graph '${g.name}' has no ops to compile`, { fix: 'give a quantized model with at least one op' });
  if (!g.ops.some((o) => o.type !== 'const' && o.output.fixPoint !== undefined)) {
    throw new CompileError('E_FLOAT_MODEL', `graph '${g.name}' is a float model: no op carries a fix point`, {
      where: compute[0].name,
      fix: 'quantize it first: dpuflow quantize <model.onnx> (writes <net>_int.xmodel), then compile that',
    });
  }
  return state;
};
