/**
 * Test helpers: build single-node ONNX models with protobufjs (src/importers/onnx/schema.ts),
 * run them with onnxruntime-node (the oracle), NCHW⇄NHWC transposes, seeded random data.
 */
import { onnxModelType, OnnxAttrType, OnnxDataType } from '../../../src/importers/onnx/schema.js';
import * as ort from 'onnxruntime-node';

export type OnnxAttr = number | string | number[] | { floats: number[] } | { float: number };

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, OnnxAttr>;
}

export interface InitSpec { name: string; dims: number[]; data: Float32Array | number[]; dtype?: 'float' | 'int64' }

function encodeAttr(name: string, v: OnnxAttr): Record<string, unknown> {
  if (typeof v === 'string') return { name, type: OnnxAttrType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: OnnxAttrType.INT, i: v } : { name, type: OnnxAttrType.FLOAT, f: v };
  }
  if (Array.isArray(v)) return { name, type: OnnxAttrType.INTS, ints: v };
  if ('floats' in v) return { name, type: OnnxAttrType.FLOATS, floats: v.floats };
  return { name, type: OnnxAttrType.FLOAT, f: v.float };
}

/** Encodes a one-graph ModelProto (opset 17 by default) with float32 inputs/outputs. */
export function buildModel(
  nodes: NodeSpec[],
  inputs: { name: string; dims: number[] }[],
  outputs: string[],
  inits: InitSpec[] = [],
  opset = 17,
): Uint8Array {
  const vi = (name: string, dims?: number[]) => ({
    name,
    type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: dims ? { dim: dims.map((d) => ({ dim_value: d })) } : undefined } },
  });
  const msg = {
    ir_version: 8,
    opset_import: [{ domain: '', version: opset }],
    producer_name: 'dpuflow-test',
    graph: {
      name: 'g',
      node: nodes.map((n, i) => ({
        name: `n${i}`, op_type: n.opType, input: n.inputs, output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => encodeAttr(k, v)),
      })),
      initializer: inits.map((t) => (t.dtype === 'int64'
        ? { name: t.name, dims: t.dims, data_type: OnnxDataType.INT64, int64_data: Array.from(t.data) }
        : { name: t.name, dims: t.dims, data_type: OnnxDataType.FLOAT, float_data: Array.from(t.data) })),
      input: inputs.map((i) => vi(i.name, i.dims)),
      output: outputs.map((o) => vi(o)),
    },
  };
  const T = onnxModelType();
  const err = T.verify(msg);
  if (err) throw new Error(`bad test model: ${err}`);
  return T.encode(T.fromObject(msg)).finish();
}


/** Runs a model on onnxruntime-node; returns outputs as {dims, data}. */
export async function runOrt(
  model: Uint8Array,
  feeds: Record<string, { dims: number[]; data: Float32Array }>,
  opts: ort.InferenceSession.SessionOptions = {},
): Promise<Record<string, { dims: number[]; data: Float32Array }>> {
  const sess = await ort.InferenceSession.create(model, opts);
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor('float32', v.data, v.dims);
  const r = await sess.run(f);
  const out: Record<string, { dims: number[]; data: Float32Array }> = {};
  for (const [k, v] of Object.entries(r)) out[k] = { dims: [...v.dims], data: v.data as Float32Array };
  await sess.release();
  return out;
}

/** Seeded uniform random in [lo, hi) (mulberry32). */
export function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = lo + (hi - lo) * u;
  }
  return out;
}

/** General permutation of a dense tensor. */
export function permute(data: Float32Array, shape: number[], perm: number[]): { shape: number[]; data: Float32Array } {
  const r = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStr = new Array<number>(r);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) { inStr[i] = acc; acc *= shape[i]!; }
  const out = new Float32Array(data.length);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < data.length; i++) {
    let off = 0;
    for (let d = 0; d < r; d++) off += idx[d]! * inStr[perm[d]!]!;
    out[i] = data[off]!;
    for (let d = r - 1; d >= 0; d--) { if (++idx[d]! < outShape[d]!) break; idx[d] = 0; }
  }
  return { shape: outShape, data: out };
}

export const nchwToNhwc = (data: Float32Array, shape: number[]) => permute(data, shape, [0, 2, 3, 1]);
export const nhwcToNchw = (data: Float32Array, shape: number[]) => permute(data, shape, [0, 3, 1, 2]);
/** ONNX conv weights [OC, IC, KH, KW] → XIR [OC, KH, KW, IC]. */
export const oihwToOhwi = (data: Float32Array, shape: number[]) => permute(data, shape, [0, 2, 3, 1]);

/** max |a−b| / max(max|b|, tiny): the normalised max relative error used against ORT. */
export function maxRelErr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0, s = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d; // NaN-propagating
    s = Math.max(s, Math.abs(b[i]!));
  }
  return m / Math.max(s, 1e-30);
}
