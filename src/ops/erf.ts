/** 'erf': element-wise, y = erf(x), double-precision series / continued fraction. */
import type { OpDef } from '../ir/registry.js';
import { unaryDef } from './common.js';
import { erf } from '../kernels/ref/float/elementwise.js';
export const erfOp: OpDef = unaryDef('erf', erf);
