import { onnxModelType, OnnxAttrType, OnnxDataType } from '../importers/onnx/schema.js';
import { Prng } from './prng.js';

/** An attribute value as the builder takes it (numbers that are integers become INT/INTS). */
export type BuilderAttr = number | string | number[] | { floats: number[] } | { float: number };

export type Activation = 'relu' | 'relu6' | 'leaky' | 'hardswish' | 'none';

export interface ConvOptions {
  stride?: number;
  /** Symmetric padding; default k/2 (same). */
  pad?: number;
  group?: number;
  dilation?: number;
  /** Add a bias input (convs not followed by BatchNormalization). */
  bias?: boolean;
  /** Weight std; default He (sqrt(2 / fan_in)). */
  std?: number;
}

/** A plain ModelProto-shaped object (field names as in onnx.proto), ready for protobufjs. */
interface NodeObj {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  attribute: Record<string, unknown>[];
}

/**
 * Builds a standard ONNX model (NCHW, opset 13 by default) node by node and tracks every
 * tensor's NCHW shape so that the model code can stay short. Initializers hold float32
 * (raw_data, little endian) or int64 data. Browser-safe: no Node APIs.
 */
export class OnnxBuilder {
  readonly rng: Prng;
  readonly shapes = new Map<string, number[]>();
  private nodes: NodeObj[] = [];
  private inits: Record<string, unknown>[] = [];
  private inputs: Record<string, unknown>[] = [];
  private outputs: Record<string, unknown>[] = [];
  private counters = new Map<string, number>();
  opset = 13;

  constructor(readonly name: string, seed: number) {
    this.rng = new Prng(seed);
  }

  /** A fresh tensor/node name with the given prefix. */
  fresh(prefix: string): string {
    const n = this.counters.get(prefix) ?? 0;
    this.counters.set(prefix, n + 1);
    return `${prefix}_${n}`;
  }

  shape(t: string): number[] {
    const s = this.shapes.get(t);
    if (!s) throw new Error(`model builder: no shape for tensor '${t}'`);
    return s;
  }

  channels(t: string): number {
    return this.shape(t)[1]!;
  }

  addInput(name: string, shape: number[]): string {
    this.inputs.push(valueInfo(name, shape));
    this.shapes.set(name, shape);
    return name;
  }

  /** Declares `t` a graph output, renamed to `name` if given. Returns the output's name. */
  addOutput(t: string, name?: string): string {
    if (name !== undefined && name !== t) {
      if (this.shapes.has(name)) throw new Error(`model builder: tensor name '${name}' already used`);
      for (const n of this.nodes) {
        n.input = n.input.map((i) => (i === t ? name : i));
        n.output = n.output.map((o) => (o === t ? name : o));
      }
      this.shapes.set(name, this.shape(t));
      this.shapes.delete(t);
      t = name;
    }
    this.outputs.push(valueInfo(t, this.shape(t)));
    return t;
  }

  initFloat(prefix: string, dims: number[], data: Float32Array): string {
    const name = this.fresh(prefix);
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.inits.push({ name, dims, data_type: OnnxDataType.FLOAT, raw_data: littleEndian(raw) });
    this.shapes.set(name, dims);
    return name;
  }

  initInt64(prefix: string, values: number[]): string {
    const name = this.fresh(prefix);
    this.inits.push({ name, dims: [values.length], data_type: OnnxDataType.INT64, int64_data: values });
    this.shapes.set(name, [values.length]);
    return name;
  }

  /** Adds a node with one output whose NCHW shape the caller gives. Returns the output name. */
  node(opType: string, inputs: string[], outShape: number[], attrs: Record<string, BuilderAttr> = {}): string {
    const out = this.fresh(opType.toLowerCase());
    this.nodes.push({
      input: inputs,
      output: [out],
      name: `${out}_node`,
      op_type: opType,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    this.shapes.set(out, outShape);
    return out;
  }

  // ── layers ────────────────────────────────────────────────────────────────

  conv(x: string, outC: number, k: number, o: ConvOptions = {}): string {
    const [n, c, h, w] = this.shape(x) as [number, number, number, number];
    const stride = o.stride ?? 1;
    const dil = o.dilation ?? 1;
    const pad = o.pad ?? Math.floor((dil * (k - 1)) / 2);
    const group = o.group ?? 1;
    const icg = c / group;
    if (!Number.isInteger(icg) || outC % group !== 0) throw new Error(`model builder: bad group ${group} for ${c}→${outC}`);
    const fanIn = icg * k * k;
    const std = o.std ?? Math.sqrt(2 / fanIn);
    const wt = this.initFloat('w', [outC, icg, k, k], this.rng.normals(outC * icg * k * k, std));
    const ins = [x, wt];
    if (o.bias) ins.push(this.initFloat('b', [outC], this.rng.normals(outC, 0.05)));
    const oh = Math.floor((h + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
    const ow = Math.floor((w + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
    const attrs: Record<string, BuilderAttr> = {
      kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], dilations: [dil, dil],
    };
    if (group !== 1) attrs.group = group;
    return this.node('Conv', ins, [n!, outC, oh, ow], attrs);
  }

  /**
   * BatchNormalization with inference statistics like a trained net's: running mean/var near
   * what a He-initialised conv produces, gamma around 1 (or `gammaScale`, e.g. small on the
   * last BN of a residual branch as in trained ResNets), small beta.
   */
  bn(x: string, gammaScale = 1): string {
    const c = this.channels(x);
    const r = this.rng;
    const gamma = this.initFloat('bn_g', [c], r.uniforms(c, 0.7 * gammaScale, 1.3 * gammaScale));
    const beta = this.initFloat('bn_b', [c], r.normals(c, 0.1));
    const mean = this.initFloat('bn_m', [c], r.normals(c, 0.2));
    const v = new Float32Array(c);
    for (let i = 0; i < c; i++) v[i] = r.uniform(0.6, 1.8);
    const variance = this.initFloat('bn_v', [c], v);
    return this.node('BatchNormalization', [x, gamma, beta, mean, variance], this.shape(x), { epsilon: { float: 1e-5 } });
  }

  act(x: string, a: Activation): string {
    const s = this.shape(x);
    switch (a) {
      case 'none': return x;
      case 'relu': return this.node('Relu', [x], s);
      case 'leaky': return this.node('LeakyRelu', [x], s, { alpha: { float: 0.1 } });
      case 'hardswish':
        this.opset = Math.max(this.opset, 14);
        return this.node('HardSwish', [x], s);
      case 'relu6': {
        const lo = this.initFloat('clip_min', [], new Float32Array([0]));
        const hi = this.initFloat('clip_max', [], new Float32Array([6]));
        return this.node('Clip', [x, lo, hi], s);
      }
    }
  }

  convBnAct(x: string, outC: number, k: number, a: Activation, o: ConvOptions = {}, gammaScale = 1): string {
    return this.act(this.bn(this.conv(x, outC, k, o), gammaScale), a);
  }

  add(a: string, b: string): string {
    return this.node('Add', [a, b], this.shape(a));
  }

  maxPool(x: string, k: number, stride: number, pad: number): string {
    return this.pool('MaxPool', x, k, stride, pad);
  }

  avgPool(x: string, k: number, stride: number, pad: number): string {
    return this.pool('AveragePool', x, k, stride, pad);
  }

  private pool(op: string, x: string, k: number, stride: number, pad: number): string {
    const [n, c, h, w] = this.shape(x) as [number, number, number, number];
    const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
    const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
    return this.node(op, [x], [n, c, oh, ow], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] });
  }

  globalAvgPool(x: string): string {
    const [n, c] = this.shape(x) as [number, number];
    return this.node('GlobalAveragePool', [x], [n, c, 1, 1]);
  }

  flatten(x: string): string {
    const s = this.shape(x);
    return this.node('Flatten', [x], [s[0]!, s.slice(1).reduce((p, q) => p * q, 1)], { axis: 1 });
  }

  /** Fully connected layer (Gemm with transB = 1, weights [out, in]) with LeCun-normal weights. */
  fc(x: string, out: number): string {
    const [n, inF] = this.shape(x) as [number, number];
    const w = this.initFloat('fc_w', [out, inF], this.rng.normals(out * inF, Math.sqrt(1 / inF)));
    const b = this.initFloat('fc_b', [out], this.rng.normals(out, 0.01));
    return this.node('Gemm', [x, w, b], [n, out], { transB: 1 });
  }

  concat(xs: string[], axis = 1): string {
    const s = [...this.shape(xs[0]!)];
    s[axis] = xs.reduce((p, t) => p + this.shape(t)[axis]!, 0);
    return this.node('Concat', xs, s, { axis });
  }

  /** Nearest-neighbour 2× upsample as exported by PyTorch (Resize, asymmetric, floor). */
  upsample2x(x: string): string {
    const [n, c, h, w] = this.shape(x) as [number, number, number, number];
    const scales = this.initFloat('scales', [4], new Float32Array([1, 1, 2, 2]));
    return this.node('Resize', [x, '', scales], [n, c, 2 * h, 2 * w], {
      mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor',
    });
  }

  /** Encodes the ModelProto. */
  encode(producer = 'dpuflow-models'): Uint8Array {
    const model = {
      ir_version: 8,
      opset_import: [{ domain: '', version: this.opset }],
      producer_name: producer,
      producer_version: '1',
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
      },
    };
    const t = onnxModelType();
    return t.encode(t.fromObject(model)).finish();
  }
}

function valueInfo(name: string, shape: number[]): Record<string, unknown> {
  return {
    name,
    type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: shape.map((d) => ({ dim_value: d })) } } },
  };
}

function attribute(name: string, v: BuilderAttr): Record<string, unknown> {
  if (typeof v === 'string') return { name, type: OnnxAttrType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: OnnxAttrType.INT, i: v };
  if (Array.isArray(v)) return { name, type: OnnxAttrType.INTS, ints: v };
  if ('float' in v) return { name, type: OnnxAttrType.FLOAT, f: v.float };
  return { name, type: OnnxAttrType.FLOATS, floats: v.floats };
}

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float32 bytes in ONNX's little-endian order (a copy on big-endian hosts). */
function littleEndian(raw: Uint8Array): Uint8Array {
  if (LITTLE) return raw;
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 4) {
    out[i] = raw[i + 3]!; out[i + 1] = raw[i + 2]!; out[i + 2] = raw[i + 1]!; out[i + 3] = raw[i]!;
  }
  return out;
}
