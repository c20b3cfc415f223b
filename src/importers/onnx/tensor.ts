/**
 * ONNX TensorProto → a constant value the importer can compute with. Integers (int64, int32,
 * bool…) are kept as exact JS numbers (|x| ≤ 2^53; int64 extremes such as INT64_MAX used as
 * "to the end" slice bounds become ±9.22e18, which clamps the same way). Floats are float32-rounded.
 */
import { ImportError } from '../../errors.js';
import { numel } from '../common/const-math.js';
import { halfToFloat } from '../common/float16.js';
import { OnnxDataType } from './schema.js';

export type ConstKind = 'float' | 'int' | 'bool';

/** A constant tensor in ONNX layout (row-major, ONNX dims). */
export interface ConstVal {
  dims: number[];
  kind: ConstKind;
  data: Float64Array;
}

/** Structural view of a decoded TensorProto (protobufjs message). */
export interface TensorProtoLike {
  name?: string;
  dims?: unknown[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: unknown[];
  double_data?: number[];
  uint64_data?: unknown[];
  raw_data?: Uint8Array;
  data_location?: number;
  external_data?: { key?: string; value?: string }[];
}

/** int64 fields arrive as Long objects (long.js present) or numbers. */
export function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') {
    return (v as { toNumber: () => number }).toNumber();
  }
  if (typeof v === 'string') return Number(v);
  return Number(v);
}

export { numel };

const DTYPE_NAMES: Record<number, string> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};
export function dtypeName(t: number | undefined): string {
  return DTYPE_NAMES[t ?? 0] ?? `dtype#${t}`;
}

export function kindOfDtype(t: number): ConstKind | undefined {
  switch (t) {
    case OnnxDataType.FLOAT: case OnnxDataType.FLOAT16: case OnnxDataType.DOUBLE: case 16:
      return 'float';
    case OnnxDataType.BOOL:
      return 'bool';
    case OnnxDataType.UINT8: case OnnxDataType.INT8: case OnnxDataType.UINT16: case OnnxDataType.INT16:
    case OnnxDataType.INT32: case OnnxDataType.INT64: case OnnxDataType.UINT32: case OnnxDataType.UINT64:
      return 'int';
    default:
      return undefined;
  }
}

/** Decode a TensorProto. `file` and `where` are used for errors. */
export function decodeTensor(t: TensorProtoLike, file: string | undefined, where: string): ConstVal {
  const dims = (t.dims ?? []).map(toNum);
  const dt = t.data_type ?? 0;
  if (t.data_location === 1 || (t.external_data && t.external_data.length > 0)) {
    throw new ImportError('E_ONNX_EXTERNAL_DATA', `tensor '${t.name ?? where}' stores its data in an external file`, {
      file, where,
      fix: 'embed the weights in the .onnx file (python: onnx.save_model(onnx.load(path, load_external_data=True), out, save_as_external_data=False))',
    });
  }
  const kind = kindOfDtype(dt);
  if (!kind) {
    throw new ImportError('E_ONNX_DTYPE', `tensor '${t.name ?? where}' has unsupported data type ${dtypeName(dt)}`, {
      file, where, fix: 'use float32/float16/double or integer/bool tensors',
    });
  }
  const n = numel(dims);
  if (dims.some((d) => !Number.isInteger(d) || d < 0) || n > 2 ** 31) {
    throw new ImportError('E_ONNX_TENSOR_SIZE', `tensor '${t.name ?? where}' has invalid dims [${dims.join(',')}]`, {
      file, where, fix: 'the file is corrupt or truncated; re-export the model',
    });
  }
  const raw = t.raw_data;
  const out = new Float64Array(n);
  if (raw && raw.length > 0) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const size = ({ 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 } as Record<number, number>)[dt]!;
    if (raw.byteLength < n * size) {
      throw new ImportError('E_ONNX_TENSOR_SIZE', `tensor '${t.name ?? where}' has ${raw.byteLength} bytes of data, needs ${n * size} for dims [${dims.join(',')}]`, {
        file, where, fix: 'the file is corrupt or truncated; re-export the model',
      });
    }
    for (let i = 0; i < n; i++) {
      const o = i * size;
      switch (dt) {
        case 1: out[i] = dv.getFloat32(o, true); break;
        case 2: out[i] = dv.getUint8(o); break;
        case 3: out[i] = dv.getInt8(o); break;
        case 4: out[i] = dv.getUint16(o, true); break;
        case 5: out[i] = dv.getInt16(o, true); break;
        case 6: out[i] = dv.getInt32(o, true); break;
        case 7: out[i] = Number(dv.getBigInt64(o, true)); break;
        case 9: out[i] = dv.getUint8(o) ? 1 : 0; break;
        case 10: out[i] = halfToFloat(dv.getUint16(o, true)); break;
        case 11: out[i] = Math.fround(dv.getFloat64(o, true)); break;
        case 12: out[i] = dv.getUint32(o, true); break;
        case 13: out[i] = Number(dv.getBigUint64(o, true)); break;
        case 16: out[i] = new Float32Array(new Uint32Array([dv.getUint16(o, true) << 16]).buffer)[0]!; break;
      }
    }
    return { dims, kind, data: out };
  }
  let src: ArrayLike<unknown>;
  switch (dt) {
    case 1: src = t.float_data ?? []; break;
    case 7: src = t.int64_data ?? []; break;
    case 11: src = t.double_data ?? []; break;
    case 12: case 13: src = t.uint64_data ?? []; break;
    default: src = t.int32_data ?? [];
  }
  if (src.length < n) {
    throw new ImportError('E_ONNX_TENSOR_SIZE', `tensor '${t.name ?? where}' has ${src.length} values, needs ${n} for dims [${dims.join(',')}]`, {
      file, where, fix: 'the file is corrupt or truncated; re-export the model',
    });
  }
  for (let i = 0; i < n; i++) {
    let v = toNum(src[i]);
    if (dt === 10) v = halfToFloat(v & 0xffff);
    else if (dt === 16) v = new Float32Array(new Uint32Array([(v & 0xffff) << 16]).buffer)[0]!;
    else if (dt === 1 || dt === 11) v = Math.fround(v);
    else if (dt === 9) v = v ? 1 : 0;
    out[i] = v;
  }
  return { dims, kind, data: out };
}
