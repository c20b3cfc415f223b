/** 'sqrt': element-wise, y = sqrt(x) (NaN for x < 0, as ONNX). */
import type { OpDef } from '../ir/registry.js';
import { unaryDef } from './common.js';

export const sqrtOp: OpDef = unaryDef('sqrt', Math.sqrt);
