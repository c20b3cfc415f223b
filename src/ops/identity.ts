/** 'identity': y = x (copied). */
import type { OpDef } from '../ir/registry.js';
import { identity } from '../kernels/ref/float/layout.js';
import { unaryAttrDef } from './common.js';

export const identityOp: OpDef = unaryAttrDef('identity', identity);
