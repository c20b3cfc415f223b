/** 'hard-swish': element-wise, y = x · relu6(x + 3) / 6. */
import type { OpDef } from '../ir/registry.js';
import { unaryDef } from './common.js';
import { hardSwish } from '../kernels/ref/float/elementwise.js';
export const hardSwishOp: OpDef = unaryDef('hard-swish', hardSwish);
