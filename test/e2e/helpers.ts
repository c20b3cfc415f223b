// Shared helpers of the e2e and model tests: onnxruntime-node as the oracle, layout transposes,
// error metrics, and an ONNX-level MAC counter that takes every conv's output size from ORT itself.
import ort from 'onnxruntime-node';
import type protobuf from 'protobufjs';
import { onnxModelType, OnnxDataType } from '../../src/importers/onnx/schema.js';

export interface NamedTensor {
  dims: number[];
  data: Float32Array;
}

/** Runs an ONNX model with onnxruntime-node (NCHW) and returns every output as float32. */
export async function runOrt(
  onnx: Uint8Array,
  feeds: Record<string, NamedTensor>,
  threads = 1,
): Promise<Record<string, NamedTensor>> {
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) inputs[k] = new ort.Tensor('float32', v.data, v.dims);
    const r = await session.run(inputs);
    const out: Record<string, NamedTensor> = {};
    for (const [k, t] of Object.entries(r)) out[k] = { dims: t.dims.map(Number), data: t.data as Float32Array };
    return out;
  } finally {
    await session.release();
  }
}

/** NCHW (batch 1) → NHWC. Other ranks are returned as they are. */
export function nchwToNhwc(t: NamedTensor): NamedTensor {
  if (t.dims.length !== 4) return t;
  const [n, c, h, w] = t.dims as [number, number, number, number];
  const out = new Float32Array(t.data.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + ch] = t.data[((b * c + ch) * h + y) * w + x]!;
  return { dims: [n, h, w, c], data: out };
}

/** max|a−b| / max|b| (b is the oracle). */
export function maxRelError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return den === 0 ? num : num / den;
}

/** A deterministic, image-like input in [-2, 2]: smooth ramps plus a little seeded noise. */
export function testInput(dims: number[], seed = 7): NamedTensor {
  const n = dims.reduce((p, q) => p * q, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = 1.5 * Math.sin(i * 0.0137 + (i % 7)) + (s / 4294967296 - 0.5);
  }
  return { dims, data };
}

interface DecodedModel {
  graph: {
    node: { input: string[]; output: string[]; op_type: string; attribute: { name: string; i?: number | { toNumber(): number }; ints?: unknown[] }[] }[];
    initializer: { name: string; dims: unknown[] }[];
    output: unknown[];
  };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

/**
 * Counts the multiply-accumulates of every Conv and Gemm/MatMul-with-initializer node, reading
 * weight shapes from the initializers and each conv's output size from an onnxruntime run of a
 * copy of the model in which every conv output is also a graph output. Independent of dpuflow's
 * own shape inference.
 */
export async function countMacsWithOrt(onnx: Uint8Array, inputName: string, inputDims: number[]): Promise<{ macs: number; params: number }> {
  const T = onnxModelType();
  // Work on the decoded message itself (no toObject copy of 100 MB of weights).
  const model = T.decode(onnx) as unknown as DecodedModel;
  const VI = T.root.lookupType('onnx.ValueInfoProto');
  const inits = new Map(model.graph.initializer.map((t) => [t.name, t.dims.map(num)]));
  const convs = model.graph.node.filter((n) => n.op_type === 'Conv');
  for (const n of convs) model.graph.output.push(VI.fromObject({ name: n.output[0], type: { tensor_type: { elem_type: OnnxDataType.FLOAT } } }));
  const probe = T.encode(model as unknown as protobuf.Message).finish();
  const outs = await runOrt(probe, { [inputName]: { dims: inputDims, data: new Float32Array(inputDims.reduce((p, q) => p * q, 1)) } }, 2);
  let macs = 0;
  let params = 0;
  const size = (d: number[]): number => d.reduce((p, q) => p * q, 1);
  for (const n of model.graph.node) {
    if (n.op_type === 'Conv') {
      const w = inits.get(n.input[1]!)!; // [oc, ic/g, kh, kw]
      const o = outs[n.output[0]!]!.dims; // [1, oc, oh, ow]
      macs += size(o) * w[1]! * w[2]! * w[3]!;
      params += size(w) + (n.input[2] ? size(inits.get(n.input[2])!) : 0);
    } else if (n.op_type === 'Gemm') {
      const w = inits.get(n.input[1]!)!;
      macs += size(w);
      params += size(w) + (n.input[2] ? size(inits.get(n.input[2])!) : 0);
    } else if (n.op_type === 'BatchNormalization') {
      params += 2 * size(inits.get(n.input[1]!)!); // gamma + beta are learnable; running stats are buffers
    }
  }
  return { macs, params };
}

/** The IR's outputs (NHWC) against onnxruntime's (NCHW, transposed here): max rel error per output. */
export function compareOutputs(
  graphOutputs: string[],
  ours: Record<string, { shape: number[]; data: Float32Array }>,
  ortOut: Record<string, NamedTensor>,
  ortOrder: string[],
): { name: string; shape: number[]; relErr: number }[] {
  return graphOutputs.map((name, i) => {
    const mine = ours[name];
    if (!mine) throw new Error(`float executor returned no '${name}' (got ${Object.keys(ours).join(', ')})`);
    const ref = ortOut[name] ?? ortOut[ortOrder[i]!];
    if (!ref) throw new Error(`no onnxruntime output for '${name}'`);
    const refL = nchwToNhwc(ref);
    if (mine.shape.join('x') !== refL.dims.join('x')) {
      throw new Error(`${name}: shape ${mine.shape.join('x')} vs onnxruntime ${refL.dims.join('x')} (NHWC)`);
    }
    return { name, shape: mine.shape, relErr: maxRelError(mine.data, refL.data) };
  });
}
