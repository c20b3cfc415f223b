// ONNX-level helpers for an INT8 peer: fold BatchNormalization into convs, expose every
// intermediate tensor (so a caller can measure ranges with onnxruntime), and rewrite a float
// model into the QDQ format (QuantizeLinear/DequantizeLinear pairs) that onnxruntime fuses into
// QLinearConv/QLinearAdd/… kernels. Pure: bytes in, bytes out (the caller runs onnxruntime).
import type protobuf from 'protobufjs';
import { onnxModelType, onnxRoot, OnnxDataType } from '../importers/onnx/schema.js';
import { GraphError } from '../errors.js';

interface TensorMsg {
  name: string;
  dims: unknown[];
  data_type: number;
  raw_data?: Uint8Array;
  float_data?: number[];
}
interface AttrMsg { name: string; f?: number; i?: unknown }
interface NodeMsg { input: string[]; output: string[]; name?: string; op_type: string; attribute: AttrMsg[] }
interface GraphMsg { node: NodeMsg[]; initializer: TensorMsg[]; input: { name: string }[]; output: { name: string }[]; value_info: unknown[] }
interface ModelMsg { graph: GraphMsg; opset_import: { domain?: string; version?: unknown }[] }

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

function decode(onnx: Uint8Array): ModelMsg {
  return onnxModelType().decode(onnx) as unknown as ModelMsg;
}
function encode(m: ModelMsg): Uint8Array {
  return onnxModelType().encode(m as unknown as protobuf.Message).finish();
}
function floats(t: TensorMsg): Float32Array {
  if (t.data_type !== OnnxDataType.FLOAT) throw new GraphError('E_QDQ_DTYPE', `initializer ${t.name} is not float32`, { where: t.name });
  if (t.raw_data && t.raw_data.length) {
    const out = new Float32Array(t.raw_data.length / 4);
    const dv = new DataView(t.raw_data.buffer, t.raw_data.byteOffset, t.raw_data.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  }
  return Float32Array.from(t.float_data ?? []);
}
function tensor(name: string, dims: number[], dataType: number, data: Float32Array | Int8Array | Uint8Array | Int32Array): TensorMsg {
  const bytes = new Uint8Array(data.byteLength);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) dv.setFloat32(i * 4, data[i]!, true);
    else if (data instanceof Int32Array) dv.setInt32(i * 4, data[i]!, true);
    else bytes[i] = data[i]! & 0xff;
  }
  return onnxRoot().lookupType('onnx.TensorProto').fromObject({ name, dims, data_type: dataType, raw_data: bytes }) as unknown as TensorMsg;
}
function node(op: string, input: string[], output: string[], name: string): NodeMsg {
  return onnxRoot().lookupType('onnx.NodeProto').fromObject({ op_type: op, input, output, name }) as unknown as NodeMsg;
}

/**
 * Folds every BatchNormalization whose input is a Conv output used only by it into that Conv
 * (weights scaled per output channel, bias added). The result computes the same function.
 */
export function foldBatchNorm(onnx: Uint8Array): Uint8Array {
  const m = decode(onnx);
  const g = m.graph;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const uses = new Map<string, number>();
  for (const n of g.node) for (const i of n.input) uses.set(i, (uses.get(i) ?? 0) + 1);
  const producer = new Map<string, NodeMsg>();
  for (const n of g.node) for (const o of n.output) producer.set(o, n);
  const drop = new Set<NodeMsg>();
  for (const bn of g.node) {
    if (bn.op_type !== 'BatchNormalization') continue;
    const conv = producer.get(bn.input[0]!);
    if (!conv || conv.op_type !== 'Conv' || uses.get(bn.input[0]!) !== 1) continue;
    const [gamma, beta, mean, variance] = bn.input.slice(1, 5).map((n) => inits.get(n));
    const w = inits.get(conv.input[1]!);
    if (!gamma || !beta || !mean || !variance || !w) continue;
    const eps = bn.attribute.find((a) => a.name === 'epsilon')?.f ?? 1e-5;
    const gm = floats(gamma), bt = floats(beta), mu = floats(mean), vr = floats(variance);
    const wd = floats(w);
    const oc = gm.length;
    const per = wd.length / oc;
    const b = conv.input[2] ? floats(inits.get(conv.input[2])!) : new Float32Array(oc);
    const bias = new Float32Array(oc);
    for (let c = 0; c < oc; c++) {
      const s = gm[c]! / Math.sqrt(vr[c]! + eps);
      for (let k = 0; k < per; k++) wd[c * per + k] = wd[c * per + k]! * s;
      bias[c] = (b[c]! - mu[c]!) * s + bt[c]!;
    }
    const wNew = tensor(`${w.name}_bnfold`, w.dims.map(num), OnnxDataType.FLOAT, wd);
    const bNew = tensor(`${w.name}_bnfold_bias`, [oc], OnnxDataType.FLOAT, bias);
    g.initializer.push(wNew, bNew);
    conv.input = [conv.input[0]!, wNew.name, bNew.name];
    conv.output = [bn.output[0]!];
    drop.add(bn);
  }
  g.node = g.node.filter((n) => !drop.has(n));
  const used = new Set(g.node.flatMap((n) => n.input));
  g.initializer = g.initializer.filter((t) => used.has(t.name));
  return encode(m);
}

/**
 * A copy of the model in which every node output is also a graph output, so one onnxruntime
 * run returns every intermediate tensor (for calibration ranges or layer-by-layer comparison).
 */
export function exposeAllTensors(onnx: Uint8Array): { onnx: Uint8Array; tensors: string[] } {
  const m = decode(onnx);
  const VI = onnxRoot().lookupType('onnx.ValueInfoProto');
  const have = new Set(m.graph.output.map((o) => o.name));
  const tensors: string[] = [];
  for (const n of m.graph.node) {
    for (const o of n.output) {
      if (!o) continue;
      tensors.push(o);
      if (!have.has(o)) m.graph.output.push(VI.fromObject({ name: o, type: { tensor_type: { elem_type: OnnxDataType.FLOAT } } }) as unknown as { name: string });
    }
  }
  return { onnx: encode(m), tensors };
}

/** [min, max] of each activation tensor (graph input and node outputs), e.g. from exposeAllTensors + onnxruntime. */
export type TensorRanges = Record<string, [number, number]>;

/** Consumers whose quantized input onnxruntime can take straight from a preceding QuantizeLinear. */
const ACTIVATIONS = new Set(['Relu', 'Clip']);

/**
 * Rewrites a float model (fold BatchNormalization first) to ONNX's QDQ format, per tensor:
 * Conv/Gemm weights int8 symmetric (scale max|w|/127), biases int32 with scale s_x·s_w,
 * activations uint8 asymmetric from `ranges` (every graph input and node output except graph
 * outputs and tensors consumed only by a Relu/Clip, so that Conv+Relu+Q fuses). onnxruntime's
 * QDQ optimizer turns this into QLinearConv, QLinearAdd, QLinearConcat, … — the usual INT8 peer.
 */
export function toQdq(onnx: Uint8Array, ranges: TensorRanges): Uint8Array {
  const m = decode(onnx);
  const g = m.graph;
  if (g.node.some((n) => n.op_type === 'BatchNormalization')) {
    throw new GraphError('E_QDQ_BN', 'model still has BatchNormalization nodes', { fix: 'run foldBatchNorm(onnx) first' });
  }
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const consumers = new Map<string, NodeMsg[]>();
  for (const n of g.node) for (const i of n.input) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const outputs = new Set(g.output.map((o) => o.name));
  const actScale = new Map<string, number>();
  const newInits: TensorMsg[] = [];
  const newNodes: NodeMsg[] = [];
  const rename = new Map<string, string>();

  const qdqActivation = (t: string): void => {
    const r = ranges[t];
    if (!r) throw new GraphError('E_QDQ_RANGE', `no range for tensor '${t}'`, { where: t, fix: 'measure ranges of every tensor (exposeAllTensors)' });
    const lo = Math.min(0, r[0]);
    const hi = Math.max(lo + 1e-6, r[1]);
    const scale = (hi - lo) / 255;
    const zp = Math.min(255, Math.max(0, Math.round(-lo / scale)));
    actScale.set(t, scale);
    const s = tensor(`${t}_scale`, [], OnnxDataType.FLOAT, new Float32Array([scale]));
    const z = tensor(`${t}_zp`, [], OnnxDataType.UINT8, new Uint8Array([zp]));
    newInits.push(s, z);
    newNodes.push(node('QuantizeLinear', [t, s.name, z.name], [`${t}_q`], `${t}_QuantizeLinear`));
    newNodes.push(node('DequantizeLinear', [`${t}_q`, s.name, z.name], [`${t}_dq`], `${t}_DequantizeLinear`));
    rename.set(t, `${t}_dq`);
  };

  const actTensors = [...g.input.map((i) => i.name).filter((n) => !inits.has(n)), ...g.node.flatMap((n) => n.output)];
  for (const t of actTensors) {
    if (!t || outputs.has(t)) continue;
    const cs = consumers.get(t) ?? [];
    if (cs.length === 0 || cs.every((c) => ACTIVATIONS.has(c.op_type))) continue;
    qdqActivation(t);
  }
  // Weights and biases of Conv / Gemm.
  for (const n of g.node) {
    if (n.op_type !== 'Conv' && n.op_type !== 'Gemm') continue;
    const w = inits.get(n.input[1]!);
    if (!w) continue;
    const wd = floats(w);
    let mx = 0;
    for (const v of wd) mx = Math.max(mx, Math.abs(v));
    const sw = Math.max(mx, 1e-12) / 127;
    const q = new Int8Array(wd.length);
    for (let i = 0; i < wd.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(wd[i]! / sw)));
    const wq = tensor(`${w.name}_q`, w.dims.map(num), OnnxDataType.INT8, q);
    const ws = tensor(`${w.name}_qscale`, [], OnnxDataType.FLOAT, new Float32Array([sw]));
    const wz = tensor(`${w.name}_qzp`, [], OnnxDataType.INT8, new Int8Array([0]));
    newInits.push(wq, ws, wz);
    newNodes.push(node('DequantizeLinear', [wq.name, ws.name, wz.name], [`${w.name}_dq`], `${w.name}_DequantizeLinear`));
    const xName = n.input[0]!;
    n.input[1] = `${w.name}_dq`;
    const b = n.input[2] ? inits.get(n.input[2]) : undefined;
    const sx = actScale.get(xName);
    if (b && sx !== undefined) {
      const bd = floats(b);
      const sb = sx * sw;
      const qb = new Int32Array(bd.length);
      for (let i = 0; i < bd.length; i++) qb[i] = Math.round(bd[i]! / sb);
      const bq = tensor(`${b.name}_q`, [bd.length], OnnxDataType.INT32, qb);
      const bs = tensor(`${b.name}_qscale`, [], OnnxDataType.FLOAT, new Float32Array([sb]));
      const bz = tensor(`${b.name}_qzp`, [], OnnxDataType.INT32, new Int32Array([0]));
      newInits.push(bq, bs, bz);
      newNodes.push(node('DequantizeLinear', [bq.name, bs.name, bz.name], [`${b.name}_dq`], `${b.name}_DequantizeLinear`));
      n.input[2] = `${b.name}_dq`;
    }
  }
  // Point every consumer at the dequantized activation (not the Q/DQ nodes themselves).
  for (const n of g.node) n.input = n.input.map((i) => rename.get(i) ?? i);
  // Keep a topological order: each Q/DQ pair right after its producer, weight DQs first.
  const byProducer = new Map<string, NodeMsg[]>();
  const early: NodeMsg[] = [];
  for (const q of newNodes) {
    const src = q.input[0]!;
    if (q.op_type === 'QuantizeLinear') byProducer.set(src, [q]);
    else if (src.endsWith('_q') && byProducer.has(src.slice(0, -2))) byProducer.get(src.slice(0, -2))!.push(q);
    else early.push(q);
  }
  const ordered: NodeMsg[] = [...early];
  for (const inp of g.input) ordered.push(...(byProducer.get(inp.name) ?? []));
  for (const n of g.node) {
    ordered.push(n);
    for (const o of n.output) ordered.push(...(byProducer.get(o) ?? []));
  }
  g.node = ordered;
  g.initializer.push(...newInits);
  const used = new Set(g.node.flatMap((n) => n.input));
  g.initializer = g.initializer.filter((t) => used.has(t.name));
  if (!m.opset_import.some((o) => (o.domain ?? '') === '' && num(o.version) >= 13)) {
    throw new GraphError('E_QDQ_OPSET', 'QDQ rewrite needs opset ≥ 13', { fix: 'build the model with opset 13+' });
  }
  return encode(m);
}

