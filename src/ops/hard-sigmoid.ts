/** 'hard-sigmoid': y = clamp(alpha·x + beta, 0, 1) (ONNX defaults alpha 0.2, beta 0.5). */
import type { OpDef } from '../ir/registry.js';
import { hardSigmoid } from '../kernels/ref/float/elementwise.js';
import { unaryAttrDef } from './common.js';

export const hardSigmoidOp: OpDef = unaryAttrDef('hard-sigmoid', hardSigmoid);
