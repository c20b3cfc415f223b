/** 'relu6': element-wise, y = min(max(x, 0), 6). */
import type { OpDef } from '../ir/registry.js';
import { unaryDef } from './common.js';
import { relu6 } from '../kernels/ref/float/elementwise.js';
export const relu6Op: OpDef = unaryDef('relu6', relu6);
