/** 'exp': element-wise, y = exp(x). */
import type { OpDef } from '../ir/registry.js';
import { unaryDef } from './common.js';

export const expOp: OpDef = unaryDef('exp', Math.exp);
