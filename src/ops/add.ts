/** 'add': a + b with numpy broadcasting. */
import type { OpDef } from '../ir/registry.js';
import { binaryDef } from './common.js';

export const addOp: OpDef = binaryDef('add', (a, b) => a + b);
