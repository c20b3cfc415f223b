/** 'leaky-relu': y = x < 0 ? alpha·x : x (attr alpha, default 0.01). */
import type { OpDef } from '../ir/registry.js';
import { leakyRelu } from '../kernels/ref/float/elementwise.js';
import { unaryAttrDef } from './common.js';

export const leakyReluOp: OpDef = unaryAttrDef('leaky-relu', leakyRelu);
