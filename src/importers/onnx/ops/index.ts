/**
 * The ONNX op table: ONNX op type → how it converts. The importer dispatches every node through it and
 * `supportedOnnxOps()` lists its keys, so an op family file is the one place an ONNX op is added.
 */
import { ImportError } from '../../../errors.js';
import { constantOps } from './constant.js';
import { convOps } from './conv.js';
import { elementwiseOps } from './elementwise.js';
import { matmulOps } from './matmul.js';
import { normalizeOps } from './normalize.js';
import { padOps } from './pad.js';
import { poolOps } from './pool.js';
import { reduceOps } from './reduce.js';
import { resizeOps } from './resize.js';
import { shapeOps } from './shape.js';
import { sliceOps } from './slice.js';
import type { OnnxOp, OnnxOpTable } from './types.js';

export type { OnnxNode, OnnxOp, OnnxOpTable } from './types.js';

const FAMILIES: OnnxOpTable[] = [
  constantOps, elementwiseOps, convOps, poolOps, matmulOps, normalizeOps, shapeOps, sliceOps, reduceOps, resizeOps, padOps,
];

function merge(tables: OnnxOpTable[]): ReadonlyMap<string, OnnxOp> {
  const m = new Map<string, OnnxOp>();
  for (const t of tables) {
    for (const [type, op] of Object.entries(t)) {
      if (m.has(type)) throw new ImportError('E_ONNX_OP_TABLE', `ONNX op ${type} is in two op family tables`, { where: type, fix: 'keep one entry per ONNX op type in src/importers/onnx/ops/' });
      m.set(type, op);
    }
  }
  return m;
}

export const ONNX_OPS: ReadonlyMap<string, OnnxOp> = merge(FAMILIES);
