/** 'mul': a · b with numpy broadcasting. */
import type { OpDef } from '../ir/registry.js';
import { binaryDef } from './common.js';

export const mulOp: OpDef = binaryDef('mul', (a, b) => a * b);
