/** 'sub': a − b with numpy broadcasting. */
import type { OpDef } from '../ir/registry.js';
import { binaryDef } from './common.js';

export const subOp: OpDef = binaryDef('sub', (a, b) => a - b);
