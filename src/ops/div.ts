/** 'div': a / b with numpy broadcasting. */
import type { OpDef } from '../ir/registry.js';
import { binaryDef } from './common.js';

export const divOp: OpDef = binaryDef('div', (a, b) => a / b);
