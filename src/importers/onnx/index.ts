/**
 * ONNX importer: `importOnnx(bytes)` → IR Graph.
 *
 * Layout: 4-D activations are NHWC in the IR, so 4-D graph inputs and outputs are NHWC too
 * (a model input declared [1,3,H,W] becomes the data op [1,H,W,3]). Callers holding ONNX-layout
 * (NCHW) data convert with `nchwToNhwc` before feeding and `nhwcToNchw` on 4-D outputs.
 * Inputs/outputs of other ranks keep the ONNX layout. Batch is fixed to 1.
 */
import { DpuflowError, ImportError } from '../../errors.js';
import { checkLimit } from '../../limits.js';
import type { Graph, TensorValue } from '../../ir/types.js';
import '../../ops/index.js';
import { canonicalizeImported } from '../common/graph.js';
import { transposeData } from './fold.js';
import { OnnxConverter, supportedOnnxOps, type ImportOptions, type ModelLike } from './importer.js';
import { onnxModelType } from './schema.js';

export type { ImportOptions } from './importer.js';
export { supportedOnnxOps };

/** Decode ONNX bytes into a ModelProto object; ImportError on anything that is not an ONNX model. */
export function decodeOnnx(bytes: Uint8Array, fileName?: string): ModelLike {
  const fix = 'is this an .onnx model file? re-download or re-export it (the file may be truncated)';
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new ImportError('E_ONNX_EMPTY', 'the file is empty', { file: fileName, fix });
  }
  let m: ModelLike;
  try {
    m = onnxModelType().decode(bytes) as unknown as ModelLike;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ImportError('E_ONNX_DECODE', `not a valid ONNX file (${bytes.length} bytes could not be decoded as an ONNX ModelProto)`, { file: fileName, fix, details: why });
  }
  const g = m.graph;
  if (!g || (!g.node?.length && !g.output?.length) || m.ir_version === undefined || m.ir_version === null) {
    throw new ImportError('E_ONNX_NOT_MODEL', `not an ONNX model (${bytes.length} bytes decode to no graph / no ir_version)`, { file: fileName, fix });
  }
  return m;
}

/** Import an ONNX model (bytes of a .onnx file) into the IR: NHWC, XIR op names, canonicalized. */
export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): Graph {
  if (bytes instanceof Uint8Array) checkLimit('maxModelBytes', bytes.length, ImportError, { file: opts.fileName });
  const model = decodeOnnx(bytes, opts.fileName);
  const conv = new OnnxConverter(opts);
  let g: Graph;
  try {
    g = conv.run(model, opts);
  } catch (e) {
    if (e instanceof DpuflowError) throw e;
    // A structurally valid protobuf whose fields are missing or of the wrong kind (e.g. a node naming an
    // initializer without data) surfaces as a TypeError/RangeError deep in the converter: name it.
    const msg = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    throw new ImportError('E_ONNX_MALFORMED', `malformed ONNX model (${msg})`, {
      file: opts.fileName, fix: 'a field of the model is missing or has the wrong type: re-export the model (onnx.checker.check_model shows where)', cause: e,
    });
  }
  return canonicalizeImported(g, { file: opts.fileName, code: 'E_ONNX_CANON' });
}

/** [1,C,H,W] (ONNX layout) → [1,H,W,C] (IR layout). Other ranks are returned unchanged. */
export function nchwToNhwc(t: TensorValue): TensorValue {
  if (t.shape.length !== 4) return t;
  const [n, c, h, w] = t.shape as [number, number, number, number];
  return { shape: [n, h, w, c], data: transposeData(t.data, t.shape, [0, 2, 3, 1]) };
}

/** [1,H,W,C] (IR layout) → [1,C,H,W] (ONNX layout). Other ranks are returned unchanged. */
export function nhwcToNchw(t: TensorValue): TensorValue {
  if (t.shape.length !== 4) return t;
  const [n, h, w, c] = t.shape as [number, number, number, number];
  return { shape: [n, c, h, w], data: transposeData(t.data, t.shape, [0, 3, 1, 2]) };
}
