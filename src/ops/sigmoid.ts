/** 'sigmoid': element-wise, y = 1 / (1 + exp(-x)), computed stably. */
import type { OpDef } from '../ir/registry.js';
import { unaryDef } from './common.js';
import { sigmoid } from '../kernels/ref/float/elementwise.js';
export const sigmoidOp: OpDef = unaryDef('sigmoid', sigmoid);
