/** 'max': max(a, b) (NaN propagates) with numpy broadcasting. */
import type { OpDef } from '../ir/registry.js';
import { binaryDef } from './common.js';

export const maxOp: OpDef = binaryDef('max', (a, b) => (a !== a || b !== b ? NaN : a > b ? a : b));
