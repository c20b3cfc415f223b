/**
 * One entry of the ONNX op table (ops/index.ts): how the importer converts one ONNX op type. Every ONNX op
 * type the importer accepts has exactly one entry; the IR op types they emit are the op registry's.
 */
import type { NodeAttrs } from '../attrs.js';
import type { NodeLike, OnnxConverter } from '../importer.js';
import type { Val } from '../layout.js';
import type { ConstVal } from '../tensor.js';

/** The node being converted, its inputs resolved. */
export interface OnnxNode {
  readonly n: NodeLike;
  readonly type: string;
  readonly attrs: NodeAttrs;
  /** Resolved inputs (undefined: an omitted optional input). */
  readonly ins: (Val | undefined)[];
  /** The first input (always present when `convert` runs). */
  readonly x: Val;
  readonly outs: string[];
  /** The first output's name, also the base name of the IR ops the node becomes. */
  readonly base: string;
}

export type OnnxOp =
  /** Converted after its inputs are resolved and constant folding (fold.ts) had its chance. */
  | { readonly convert: (cx: OnnxConverter, node: OnnxNode) => void }
  /** A node without inputs (Constant): converted before its inputs would be looked up. */
  | { readonly source: (cx: OnnxConverter, attrs: NodeAttrs, outs: string[]) => void }
  /**
   * Supported only when folded at import (all inputs constant). `fromShape`: the value when the first
   * input is computed at run time but only its shape matters (Shape, Size).
   */
  | { readonly foldOnly: true; readonly fromShape?: (shape: number[], attrs: NodeAttrs) => ConstVal };

/** ONNX op type → its conversion, one table per op family. */
export type OnnxOpTable = Readonly<Record<string, OnnxOp>>;
