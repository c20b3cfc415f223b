/** 'pow': a ^ b with numpy broadcasting. */
import type { OpDef } from '../ir/registry.js';
import { binaryDef } from './common.js';

export const powOp: OpDef = binaryDef('pow', Math.pow);
