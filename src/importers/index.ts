/**
 * Importer dispatcher: `importModel(input, opts)` picks the ONNX or the TF.js importer by content.
 * `input` is the bytes of an .onnx file, the bytes/text of a TF.js model.json (a model without weight
 * shards, or whose shards are passed in opts.shards), or `{ json, shards }`.
 */
import { ImportError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { importOnnx } from './onnx/index.js';
import { importTfjs, isTfjsModelJson } from './tfjs/index.js';

export interface ImportModelOptions {
  fileName?: string;
  /** Shapes for dynamic inputs, in the model's own layout (ONNX: NCHW; TF.js: NHWC). */
  inputShapes?: Record<string, number[]>;
  /** TF.js only: output tensors to import (cut off post-processing the IR cannot express). */
  outputs?: string[];
  /** TF.js only: weight shards keyed by manifest path, when `input` is the model.json alone. */
  shards?: Record<string, Uint8Array>;
  /** TF.js only: how error messages name a shard (default: its manifest path). */
  shardFileName?: (manifestPath: string) => string;
  /** TF.js only: skip value-changing fusions (float16 1/6 in hard-swish); see TfjsImportOptions. */
  exactFloat?: boolean;
  /** TF.js only: start the graph at these tensors (name → NHWC shape); see TfjsImportOptions.startAt. */
  startAt?: Record<string, number[]>;
}

export type ModelInput = Uint8Array | string | { json: string; shards: Record<string, Uint8Array> };

/** 'onnx' | 'tfjs' by content (a JSON object → TF.js; anything else is tried as ONNX protobuf). */
export function detectModelFormat(input: ModelInput): 'onnx' | 'tfjs' {
  if (typeof input === 'string') return 'tfjs';
  if (input instanceof Uint8Array) return isTfjsModelJson(input) ? 'tfjs' : 'onnx';
  return 'tfjs';
}

export function importModel(input: ModelInput, opts: ImportModelOptions = {}): Graph {
  const fmt = detectModelFormat(input);
  if (fmt === 'onnx') {
    if (opts.outputs?.length) {
      throw new ImportError('E_IMPORT_OPTION', 'the outputs option is for TF.js models only', { file: opts.fileName, fix: 'drop --output for ONNX models' });
    }
    return importOnnx(input as Uint8Array, { fileName: opts.fileName, inputShapes: opts.inputShapes });
  }
  let json: string;
  let shards = opts.shards ?? {};
  if (typeof input === 'string') json = input;
  else if (input instanceof Uint8Array) json = new TextDecoder().decode(input);
  else { json = input.json; shards = { ...shards, ...input.shards }; }
  return importTfjs(json, shards, { fileName: opts.fileName, inputShapes: opts.inputShapes, outputs: opts.outputs, shardFileName: opts.shardFileName, exactFloat: opts.exactFloat, startAt: opts.startAt });
}
