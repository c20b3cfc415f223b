/** 'abs': element-wise, y = |x|. */
import type { OpDef } from '../ir/registry.js';
import { unaryDef } from './common.js';

export const absOp: OpDef = unaryDef('abs', Math.abs);
