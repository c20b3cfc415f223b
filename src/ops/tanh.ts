/** 'tanh': element-wise, y = tanh(x). */
import type { OpDef } from '../ir/registry.js';
import { unaryDef } from './common.js';

export const tanhOp: OpDef = unaryDef('tanh', Math.tanh);
