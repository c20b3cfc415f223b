/** 'reciprocal': element-wise, y = 1 / x. */
import type { OpDef } from '../ir/registry.js';
import { unaryDef } from './common.js';

export const reciprocalOp: OpDef = unaryDef('reciprocal', (x) => 1 / x);
