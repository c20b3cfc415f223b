/** 'clamp': y = min(max(x, min), max) (ONNX Clip order: min applied first). */
import type { OpDef } from '../ir/registry.js';
import { clamp } from '../kernels/ref/float/elementwise.js';
import { unaryAttrDef } from './common.js';

export const clampOp: OpDef = unaryAttrDef('clamp', clamp);
