/** 'neg': element-wise, y = -x. */
import type { OpDef } from '../ir/registry.js';
import { unaryDef } from './common.js';

export const negOp: OpDef = unaryDef('neg', (x) => -x);
