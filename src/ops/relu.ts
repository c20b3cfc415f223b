/** 'relu': element-wise, y = max(x, 0). */
import type { OpDef } from '../ir/registry.js';
import { unaryDef } from './common.js';
import { relu } from '../kernels/ref/float/elementwise.js';
export const reluOp: OpDef = unaryDef('relu', relu);
