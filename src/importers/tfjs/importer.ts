/**
 * TF.js graph model (model.json `modelTopology.node[]`, TF NodeDefs) → IR Graph.
 * TF is NHWC already, so 4-D tensors map to the IR without transposes. Constant sub-graphs (shape
 * arithmetic) are evaluated at import; every runtime tensor becomes an IR op.
 */
import { ImportError } from '../../errors.js';
import { appendOp } from '../../ir/builder.js';
import { nameGraphOutput, shapeInferenceError } from '../common/graph.js';
import type { Attrs, Graph, Op, TensorInfo } from '../../ir/types.js';
import { TfAttrs, type NodeDefJson } from './attrs.js';
import {
  binaryConst, concatConst, cval, gatherConst, numel, reduceConst, resolveStridedSlice, sliceConst, transposeConst,
  type CVal, type Kind,
} from './consts.js';
import type { Weight } from './weights.js';
import { roundHalfEven } from '../common/const-math.js';

export interface TfjsImportOptions {
  /** File name used in error messages and graph.meta.source. */
  fileName?: string;
  /** Shapes for inputs with dynamic dims (-1), NHWC as the model declares them, keyed by input name. */
  inputShapes?: Record<string, number[]>;
  /**
   * Output tensors to import (TF node names, optionally `name:i`). Default: the model signature's
   * outputs, else every node nobody consumes. Use it to cut off post-processing (NMS, TopK…) the IR
   * has no op for.
   */
  outputs?: string[];
  /** How error messages name a weight shard (default: its path as written in weightsManifest). */
  shardFileName?: (manifestPath: string) => string;
  /**
   * Keep TF's float arithmetic exactly: skip fusions that change values, i.e. a hard-swish whose 1/6
   * is stored as float16 (0.1666259765625) stays mul/add/relu6 (default false: it is fused into
   * `hard-swish`, ≤ 1e-3 relative change per op, so MobileNetV3 runs it on the DPU).
   */
  exactFloat?: boolean;
  /**
   * Start the graph at these tensors (TF node names → NHWC shape): each becomes a graph input (a float
   * Placeholder) and everything that fed it is dropped — the stop-at counterpart of `outputs`, for models
   * whose pre-processing the IR cannot express (handtrack's map/while TensorList loop before its backbone).
   */
  startAt?: Record<string, number[]>;
}

type IVal = { k: 'ir'; name: string; shape: number[] };
type Val = CVal | IVal;

const UNARY: Record<string, string> = {
  Relu: 'relu', Relu6: 'relu6', Sigmoid: 'sigmoid', Tanh: 'tanh', Sqrt: 'sqrt', Exp: 'exp', Neg: 'neg', Abs: 'abs',
  Reciprocal: 'reciprocal', Inv: 'reciprocal', Erf: 'erf',
};
const BINARY: Record<string, string> = {
  Add: 'add', AddV2: 'add', BiasAdd: 'add', Sub: 'sub', Mul: 'mul', RealDiv: 'div', Div: 'div', Maximum: 'max', Minimum: 'min', Pow: 'pow',
};
const CONST_BINARY: Record<string, (x: number, y: number, kind: Kind) => number> = {
  Add: (x, y) => x + y, AddV2: (x, y) => x + y, BiasAdd: (x, y) => x + y, Sub: (x, y) => x - y, Mul: (x, y) => x * y,
  RealDiv: (x, y) => x / y, Div: (x, y, k) => (k === 'int' ? Math.trunc(x / y) : x / y), FloorDiv: (x, y) => Math.floor(x / y),
  FloorMod: (x, y) => x - Math.floor(x / y) * y, Maximum: (x, y) => Math.max(x, y), Minimum: (x, y) => Math.min(x, y), Pow: (x, y) => x ** y,
  SquaredDifference: (x, y) => (x - y) * (x - y),
};
const CONST_COMPARE: Record<string, (x: number, y: number) => boolean> = {
  Equal: (x, y) => x === y, NotEqual: (x, y) => x !== y, Less: (x, y) => x < y, LessEqual: (x, y) => x <= y,
  Greater: (x, y) => x > y, GreaterEqual: (x, y) => x >= y, LogicalAnd: (x, y) => !!x && !!y, LogicalOr: (x, y) => !!x || !!y,
};
const CONST_UNARY: Record<string, (x: number) => number> = {
  Floor: Math.floor, Ceil: Math.ceil, Round: roundHalfEven,
  Rsqrt: (x) => 1 / Math.sqrt(x), Square: (x) => x * x, LogicalNot: (x) => (x ? 0 : 1), Log: Math.log,
  Relu: (x) => Math.max(x, 0), Relu6: (x) => Math.min(Math.max(x, 0), 6), Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: Math.tanh, Sqrt: Math.sqrt, Exp: Math.exp, Neg: (x) => -x, Abs: Math.abs, Reciprocal: (x) => 1 / x, Inv: (x) => 1 / x,
};
/** Ops supported only when all their inputs are constant (evaluated at import). */
const FOLD_ONLY = new Set([
  'Shape', 'Size', 'Rank', 'Fill', 'Range', 'Prod', 'Min', 'FloorDiv', 'FloorMod', 'Floor', 'Ceil', 'Round', 'Log',
  'ZerosLike', 'OnesLike', 'LogicalNot', ...Object.keys(CONST_COMPARE),
]);
const HANDLED = new Set([
  ...Object.keys(UNARY), ...Object.keys(BINARY), ...FOLD_ONLY,
  'Placeholder', 'Const', 'Identity', 'IdentityN', 'StopGradient', 'Snapshot', 'NoOp', 'Cast',
  'Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', 'MatMul', '_FusedMatMul',
  'BatchMatMul', 'BatchMatMulV2', 'FusedBatchNorm', 'FusedBatchNormV3', 'AvgPool', 'MaxPool', 'Mean', 'Max', 'Sum',
  'ConcatV2', 'Concat', 'Reshape', 'Squeeze', 'ExpandDims', 'Pad', 'PadV2', 'MirrorPad', 'ResizeBilinear',
  'ResizeNearestNeighbor', 'Softmax', 'LeakyRelu', 'Elu', 'Prelu', 'Rsqrt', 'Square', 'SquaredDifference',
  'StridedSlice', 'Slice', 'Transpose', 'Pack', 'Unpack', 'Split', 'SplitV', 'GatherV2', 'AddN',
]);

/** The TF op types this importer maps (for docs and `inspect`). */
export function supportedTfjsOps(): string[] {
  return [...HANDLED].sort();
}

/** Split a NodeDef input reference `name:i` / `^ctrl` into node name and output index. */
export function parseRef(ref: string): { node: string; index: number; control: boolean } {
  if (ref.startsWith('^')) return { node: ref.slice(1), index: 0, control: true };
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? { node: m[1]!, index: Number(m[2]), control: false } : { node: ref, index: 0, control: false };
}
const key = (node: string, index: number): string => (index === 0 ? node : `${node}:${index}`);

export class TfjsConverter {
  readonly ops: Op[] = [];
  readonly byName = new Map<string, Op>();
  private vals = new Map<string, Val>();
  private constOps = new Map<CVal, string>();
  private node: NodeDefJson | undefined;
  readonly file: string | undefined;

  constructor(private readonly weights: Map<string, Weight>, private readonly opts: TfjsImportOptions) {
    this.file = opts.fileName;
  }

  // ── errors ──────────────────────────────────────────────────────────────────
  private where(n: NodeDefJson | undefined = this.node): string | undefined {
    return n ? `node '${n.name}' (${n.op})` : undefined;
  }
  fail(code: string, msg: string, fix?: string): never {
    throw new ImportError(code, msg, { file: this.file, where: this.where(), fix });
  }

  // ── emission ────────────────────────────────────────────────────────────────

  emit(type: string, inputs: string[], attrs: Attrs, base: string, data?: Float32Array, shape?: number[]): IVal {
    const op = appendOp({ ops: this.ops, byName: this.byName }, type, inputs, attrs, base, (e, o, infos) => this.shapeError(e, type, o, infos), data, shape);
    return { k: 'ir', name: op.name, shape: [...op.output.shape] };
  }

  private shapeError(e: unknown, type: string, op: Op, infos: TensorInfo[]): never {
    throw shapeInferenceError(e, type, op, infos, {
      file: this.file, where: this.where(), code: 'E_TFJS_SHAPE', fix: 'the model\'s shapes are inconsistent with the input shape; check --input-shape',
    });
  }

  /** IR op name holding v (a const becomes a const op, once). */
  ir(v: Val, base: string): string {
    if (v.k === 'ir') return v.name;
    const hit = this.constOps.get(v);
    if (hit) return hit;
    const name = this.emit('const', [], {}, base, Float32Array.from(v.data), [...v.shape]).name;
    this.constOps.set(v, name);
    return name;
  }

  private irShape(name: string): number[] {
    return this.byName.get(name)!.output.shape;
  }

  // ── inputs of the current node ──────────────────────────────────────────────
  private dataInputs(n: NodeDefJson): string[] {
    return (n.input ?? []).filter((r) => !r.startsWith('^'));
  }
  in(i: number): Val {
    const ref = this.dataInputs(this.node!)[i];
    if (ref === undefined) this.fail('E_TFJS_ARITY', `input ${i} is missing`, 'the model.json is damaged; re-convert the model');
    const { node, index } = parseRef(ref);
    const v = this.vals.get(key(node, index));
    if (!v) this.fail('E_TFJS_UNDEFINED', `input '${ref}' is not produced by any node`, 'the model.json is incomplete; re-convert the model');
    return v;
  }
  cin(i: number, what: string): CVal {
    const v = this.in(i);
    if (v.k !== 'const') {
      this.fail('E_TFJS_NONCONST', `${what} (input ${i}, '${this.dataInputs(this.node!)[i]}') is computed at run time; it must be constant`,
        'give fixed input shapes (--input-shape) so shape arithmetic folds, or cut the graph before this node (outputs option)');
    }
    return v;
  }
  ints(i: number, what: string): number[] {
    return [...this.cin(i, what).data];
  }
  set(v: Val, index = 0): void {
    this.vals.set(key(this.node!.name, index), v);
  }

  // ── the graph ───────────────────────────────────────────────────────────────
  run(nodes: NodeDefJson[], outputs: string[], meta: Record<string, string>): Graph {
    const inputs: string[] = [];
    const dyn: string[] = [];
    for (const n of nodes) {
      this.node = n;
      const a = new TfAttrs(n.attr);
      if (n.op === 'Placeholder') {
        const name = n.name;
        const declared = a.shape('shape');
        const given = this.opts.inputShapes?.[name] ?? this.opts.inputShapes?.[`${name}:0`];
        let shape: number[];
        if (given) {
          if (declared && declared.length !== given.length) this.fail('E_TFJS_INPUT_SHAPE', `--input-shape ${name}=${given.join('x')} has rank ${given.length}, the model's input is [${declared.join(',')}]`, `give ${declared.length} dims (NHWC)`);
          declared?.forEach((d, i) => {
            if (d > 0 && d !== given[i] && !(i === 0 && given[i] === 1)) this.fail('E_TFJS_INPUT_SHAPE', `--input-shape ${name}=${given.join('x')} conflicts with the model's fixed dim ${i} = ${d} ([${declared.join(',')}])`, `use ${d} for dim ${i}`);
          });
          shape = [...given];
        } else {
          if (!declared) { dyn.push(`input '${name}' has an unknown rank: fix it with --input-shape ${name}=1xHxWxC`); continue; }
          shape = declared.map((d, i) => (i === 0 && d <= 0 ? 1 : d));
          if (shape.some((d) => d <= 0)) {
            const ex = declared.map((d, i) => (i === 0 ? 1 : d > 0 ? d : 224)).join('x');
            dyn.push(`input '${name}' has dynamic dims [${declared.join(',')}]; fix with --input-shape ${name}=${ex} (inputShapes: { '${name}': [${ex.split('x').join(',')}] })`);
            continue;
          }
        }
        if (shape.length === 4 && shape[0] !== 1) this.fail('E_TFJS_BATCH', `input '${name}' has batch ${shape[0]}; the IR fixes batch to 1`, `use --input-shape ${name}=1x${shape.slice(1).join('x')}`);
        const dt = a.type('dtype') ?? 'DT_FLOAT';
        if (dt !== 'DT_FLOAT') meta[`input:${name}`] = `${dt} in the model; fed as float32 values`;
        const v = this.emit('data', [], { shape }, name, undefined, shape);
        inputs.push(v.name);
        this.set(v);
      }
    }
    if (dyn.length) {
      throw new ImportError('E_TFJS_DYNAMIC_SHAPE', dyn.join('; '), { file: this.file, where: 'graph inputs', fix: 'batch is fixed to 1; every other dynamic dim needs --input-shape name=1xHxWxC' });
    }
    for (const n of nodes) {
      if (n.op === 'Placeholder') continue;
      this.node = n;
      this.convert(n, new TfAttrs(n.attr));
    }
    this.node = undefined;
    const outNames: string[] = [];
    for (const o of outputs) {
      const { node, index } = parseRef(o);
      const v = this.vals.get(key(node, index));
      if (!v) throw new ImportError('E_TFJS_UNDEFINED', `output '${o}' is not produced by any node`, { file: this.file, where: `output '${o}'`, fix: 'check the output name' });
      const want = index === 0 ? node : `${node}_${index}`;
      const ir = nameGraphOutput(this, this.ir(v, want), want, outNames, (src) => this.emit('identity', [src], {}, want).name);
      outNames.push(ir);
    }
    return { name: 'tfjs_model', ops: this.ops, inputs, outputs: outNames, meta };
  }

  // ── node conversion ─────────────────────────────────────────────────────────
  private convert(n: NodeDefJson, a: TfAttrs): void {
    const t = n.op;
    const base = n.name;
    switch (t) {
      case 'Const': {
        const w = this.weights.get(n.name);
        if (!w) this.fail('E_TFJS_WEIGHT_MISSING', `constant '${n.name}' has no entry in weightsManifest`, 'the model.json and its weights do not match; re-convert the model');
        return this.set({ k: 'const', shape: w.shape, kind: w.kind, data: w.data });
      }
      case 'NoOp': return;
      case 'Identity': case 'StopGradient': case 'Snapshot': return this.set(this.in(0));
      case 'IdentityN': { this.dataInputs(n).forEach((_, i) => this.set(this.in(i), i)); return; }
      case 'Cast': {
        const x = this.in(0);
        const dst = a.type('DstT') ?? 'DT_FLOAT';
        const kind: Kind = dst === 'DT_FLOAT' || dst === 'DT_HALF' || dst === 'DT_DOUBLE' ? 'float' : dst === 'DT_BOOL' ? 'bool' : 'int';
        if (x.k === 'const') return this.set(cval(x.shape, kind, kind === 'int' ? x.data.map(Math.trunc) : kind === 'bool' ? x.data.map((v) => (v ? 1 : 0)) : x.data));
        if (kind !== 'float') this.fail('E_TFJS_NONCONST', `Cast of a run-time tensor to ${dst} is not supported (IR tensors are float32)`, 'cut the graph before this node (outputs option)');
        return this.set(x);
      }
      case 'Shape': { const x = this.in(0); return this.set(cval([x.shape.length], 'int', x.shape)); }
      case 'Size': return this.set(cval([], 'int', [numel(this.in(0).shape)]));
      case 'Rank': return this.set(cval([], 'int', [this.in(0).shape.length]));
      case 'ZerosLike': case 'OnesLike': {
        const x = this.in(0);
        if (x.k !== 'const') this.fail('E_TFJS_NONCONST', `${t} of a run-time tensor is not supported`, 'cut the graph before this node');
        return this.set(cval([...x.shape], x.kind, new Float64Array(numel(x.shape)).fill(t === 'OnesLike' ? 1 : 0)));
      }
      case 'Fill': {
        const dims = this.ints(0, 'Fill dims');
        const v = this.cin(1, 'Fill value');
        return this.set(cval(dims, v.kind, new Float64Array(numel(dims)).fill(v.data[0]!)));
      }
      case 'Range': {
        const [s, l, d] = [0, 1, 2].map((i) => this.cin(i, 'Range bounds'));
        const out: number[] = [];
        for (let v = s!.data[0]!; d!.data[0]! > 0 ? v < l!.data[0]! : v > l!.data[0]!; v += d!.data[0]!) out.push(v);
        return this.set(cval([out.length], s!.kind, out));
      }
      case 'Prod': case 'Min': {
        const x = this.cin(0, `${t} input`);
        return this.set(reduceConst(x, this.ints(1, 'axes'), a.bool('keep_dims', false), t === 'Prod' ? 'prod' : 'min'));
      }
      case 'Conv2D': case '_FusedConv2D': case 'DepthwiseConv2dNative': case 'FusedDepthwiseConv2dNative':
        return this.conv(n, a, t.includes('Depthwise'));
      case 'MatMul': case '_FusedMatMul': case 'BatchMatMul': case 'BatchMatMulV2': return this.matmul(n, a);
      case 'FusedBatchNorm': case 'FusedBatchNormV3': {
        if (a.bool('is_training', false)) this.fail('E_TFJS_ATTR', 'FusedBatchNorm in training mode is not supported', 'export the model for inference');
        this.nhwcOnly(a);
        const x = this.in(0);
        const p = [1, 2, 3, 4].map((i) => this.ir(this.cin(i, 'FusedBatchNorm parameter'), `${base}/p${i}`));
        return this.set(this.emit('batchnorm', [this.ir(x, base), ...p], { epsilon: a.float('epsilon', 1e-3), axis: -1 }, base));
      }
      case 'AvgPool': case 'MaxPool': {
        this.nhwcOnly(a);
        const x = this.in(0);
        if (x.shape.length !== 4) this.fail('E_TFJS_RANK', `${t} on a ${x.shape.length}-D tensor (4-D NHWC expected)`);
        const k = a.ints('ksize') ?? [1, 1, 1, 1], s = a.ints('strides') ?? [1, 1, 1, 1];
        if (k[0] !== 1 || k[3] !== 1 || s[0] !== 1 || s[3] !== 1) this.fail('E_TFJS_ATTR', `${t} over batch/channels (ksize [${k}], strides [${s}]) is not supported`);
        const pad = this.pads(a, x.shape, [k[1]!, k[2]!], [s[1]!, s[2]!], [1, 1]);
        const at: Attrs = { kernel: [k[2]!, k[1]!], stride: [s[2]!, s[1]!], pad, global: false };
        if (t === 'AvgPool') at['count_include_pad'] = false;
        return this.set(this.emit(t === 'MaxPool' ? 'maxpool2d' : 'avgpool2d', [this.ir(x, base)], at, base));
      }
      case 'Mean': case 'Max': case 'Sum': {
        const x = this.in(0);
        const axes = this.ints(1, `${t} axes`).map((v) => (v < 0 ? v + x.shape.length : v));
        const keep = a.bool('keep_dims', false);
        if (x.k === 'const') return this.set(reduceConst(x, axes, keep, t === 'Mean' ? 'mean' : t === 'Max' ? 'max' : 'sum'));
        if (axes.length === 0) return this.set(x);
        if (t !== 'Sum' && x.shape.length === 4 && axes.length === 2 && axes.includes(1) && axes.includes(2) && x.shape[0] === 1) {
          // global average / max pool over H, W (GAP heads, SE blocks): the pool op the DPU has, not a reduction
          const at: Attrs = { kernel: [x.shape[2]!, x.shape[1]!], stride: [1, 1], pad: [0, 0, 0, 0], global: true };
          if (t === 'Mean') at['count_include_pad'] = true;
          const p = this.emit(t === 'Mean' ? 'avgpool2d' : 'maxpool2d', [x.name], at, keep ? base : `${base}/pool`);
          return this.set(keep ? p : this.reshape(p, [1, x.shape[3]!], base));
        }
        const type = t === 'Mean' ? 'reduction_mean' : t === 'Max' ? 'reduction_max' : 'reduction_sum';
        return this.set(this.emit(type, [x.name], { axis: axes, keep_dims: keep }, base));
      }
      case 'ConcatV2': case 'Concat': {
        const nIn = this.dataInputs(n).length;
        const axisIdx = t === 'ConcatV2' ? nIn - 1 : 0;
        const xs = [...Array(nIn).keys()].filter((i) => i !== axisIdx).map((i) => this.in(i));
        let ax = this.ints(axisIdx, 'Concat axis')[0]!;
        if (ax < 0) ax += xs[0]!.shape.length;
        return this.set(this.concat(xs, ax, base));
      }
      case 'Pack': {
        const xs = this.dataInputs(n).map((_, i) => this.in(i));
        let ax = a.int('axis', 0);
        if (ax < 0) ax += xs[0]!.shape.length + 1;
        const exp = xs.map((x, i) => this.reshape(x, [...x.shape.slice(0, ax), 1, ...x.shape.slice(ax)], `${base}/in${i}`));
        return this.set(this.concat(exp, ax, base));
      }
      case 'Unpack': {
        const x = this.in(0);
        let ax = a.int('axis', 0);
        if (ax < 0) ax += x.shape.length;
        const num = x.shape[ax]!;
        for (let i = 0; i < num; i++) {
          const part = this.slice(x, x.shape.map((_, d) => (d === ax ? i : 0)), x.shape.map((dd, d) => (d === ax ? i + 1 : dd)), x.shape.map(() => 1), `${base}/${i}`);
          this.set(this.reshape(part, x.shape.filter((_, d) => d !== ax), i === 0 ? base : `${base}_${i}`), i);
        }
        return;
      }
      case 'Split': case 'SplitV': {
        const x = this.in(t === 'Split' ? 1 : 0);
        let ax = this.ints(t === 'Split' ? 0 : 2, 'split axis')[0]!;
        if (ax < 0) ax += x.shape.length;
        let sizes: number[];
        if (t === 'Split') {
          const k = a.int('num_split', 1);
          sizes = new Array<number>(k).fill(x.shape[ax]! / k);
        } else {
          sizes = this.ints(1, 'SplitV size_splits');
          const known = sizes.filter((s) => s >= 0).reduce((p, q) => p + q, 0);
          sizes = sizes.map((s) => (s < 0 ? x.shape[ax]! - known : s));
        }
        let off = 0;
        sizes.forEach((sz, i) => {
          const b = x.shape.map((_, d) => (d === ax ? off : 0)), e = x.shape.map((dd, d) => (d === ax ? off + sz : dd));
          this.set(this.slice(x, b, e, x.shape.map(() => 1), i === 0 ? base : `${base}_${i}`), i);
          off += sz;
        });
        return;
      }
      case 'Reshape': {
        const x = this.in(0);
        const s = this.ints(1, 'Reshape shape');
        const known = s.filter((d) => d >= 0).reduce((p, q) => p * q, 1);
        const dims = s.map((d) => (d < 0 ? numel(x.shape) / known : d));
        if (numel(dims) !== numel(x.shape) || dims.some((d) => !Number.isInteger(d))) this.fail('E_TFJS_SHAPE', `cannot reshape [${x.shape}] to [${s}]`, 'check --input-shape');
        return this.set(this.reshape(x, dims, base));
      }
      case 'Squeeze': {
        const x = this.in(0);
        const ax = (a.ints('squeeze_dims') ?? a.ints('axis') ?? []).map((v) => (v < 0 ? v + x.shape.length : v));
        const dims = x.shape.filter((d, i) => (ax.length ? !ax.includes(i) : d !== 1));
        return this.set(this.reshape(x, dims, base));
      }
      case 'ExpandDims': {
        const x = this.in(0);
        let d = this.ints(1, 'ExpandDims dim')[0]!;
        if (d < 0) d += x.shape.length + 1;
        return this.set(this.reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)], base));
      }
      case 'Pad': case 'PadV2': case 'MirrorPad': {
        const x = this.in(0);
        const p = this.ints(1, 'paddings');
        if (p.some((v) => v < 0)) this.fail('E_TFJS_ATTR', 'negative paddings are not supported');
        const mode = t === 'MirrorPad' ? a.str('mode', 'REFLECT').toUpperCase() : 'CONSTANT';
        const cv = t === 'PadV2' ? this.cin(2, 'PadV2 constant_values').data[0]! : 0;
        return this.set(this.emit('pad', [this.ir(x, base)], { paddings: p, mode, constant_value: cv }, base));
      }
      case 'ResizeBilinear': case 'ResizeNearestNeighbor': {
        const x = this.in(0);
        if (x.shape.length !== 4) this.fail('E_TFJS_RANK', `${t} on a ${x.shape.length}-D tensor (4-D NHWC expected)`);
        const [h, w] = this.ints(1, `${t} size`);
        const ac = a.bool('align_corners', false), hp = a.bool('half_pixel_centers', false);
        const lin = t === 'ResizeBilinear';
        const coordinate = ac ? 'align_corners' : hp ? 'half_pixel' : 'asymmetric';
        // TF nearest: align_corners rounds half up; half_pixel floors (x+0.5)·scale (= half_pixel coord, round half up); else floor
        const nearest = ac || hp ? 'round_prefer_ceil' : 'floor';
        return this.set(this.emit('resize', [this.ir(x, base)], { size: [w!, h!], mode: lin ? 'BILINEAR' : 'NEAREST', coordinate, nearest_mode: nearest }, base));
      }
      case 'Softmax': {
        const x = this.in(0);
        return this.set(this.emit('softmax', [this.ir(x, base)], { axis: x.shape.length - 1 }, base));
      }
      case 'LeakyRelu': return this.set(this.act('LeakyRelu', this.in(0), base, a.float('alpha', 0.2)));
      case 'Elu': return this.set(this.act('Elu', this.in(0), base));
      case 'Prelu': return this.set(this.act('Prelu', this.in(0), base, 0, this.in(1)));
      case 'Rsqrt': {
        const x = this.in(0);
        if (x.k === 'const') return this.set(cval(x.shape, x.kind, x.data.map(CONST_UNARY['Rsqrt']!)));
        const s = this.emit('sqrt', [x.name], {}, `${base}/sqrt`);
        return this.set(this.emit('reciprocal', [s.name], {}, base));
      }
      case 'Square': {
        const x = this.in(0);
        if (x.k === 'const') return this.set(cval(x.shape, x.kind, x.data.map(CONST_UNARY['Square']!)));
        return this.set(this.emit('mul', [x.name, x.name], {}, base));
      }
      case 'SquaredDifference': {
        const [x, y] = [this.in(0), this.in(1)];
        if (x.k === 'const' && y.k === 'const') return this.set(this.constBinary(t, x, y));
        const d = this.binary('sub', x, y, `${base}/diff`);
        return this.set(this.emit('mul', [d.name, d.name], {}, base));
      }
      case 'AddN': {
        const xs = this.dataInputs(n).map((_, i) => this.in(i));
        let acc = xs[0]!;
        for (let i = 1; i < xs.length; i++) {
          acc = acc.k === 'const' && xs[i]!.k === 'const' ? this.constBinary('Add', acc, xs[i] as CVal) : this.binary('add', acc, xs[i]!, i === xs.length - 1 ? base : `${base}/${i}`);
        }
        return this.set(acc);
      }
      case 'StridedSlice': {
        const x = this.in(0);
        const r = resolveStridedSlice(x.shape, this.ints(1, 'StridedSlice begin'), this.ints(2, 'StridedSlice end'), this.ints(3, 'StridedSlice strides'), {
          begin: a.int('begin_mask', 0), end: a.int('end_mask', 0), ellipsis: a.int('ellipsis_mask', 0), newAxis: a.int('new_axis_mask', 0), shrink: a.int('shrink_axis_mask', 0),
        });
        if (typeof r === 'string') this.fail('E_TFJS_ATTR', `StridedSlice on [${x.shape}]: ${r}`);
        const sl = this.slice(x, r.begin, r.end, r.strides, `${base}/slice`);
        return this.set(this.reshape(sl, r.out, base));
      }
      case 'Slice': {
        const x = this.in(0);
        const b = this.ints(1, 'Slice begin'), sz = this.ints(2, 'Slice size');
        const e = sz.map((s, i) => (s < 0 ? x.shape[i]! : b[i]! + s));
        return this.set(this.slice(x, b, e, b.map(() => 1), base));
      }
      case 'Transpose': {
        const x = this.in(0);
        const perm = this.ints(1, 'Transpose perm');
        if (x.k === 'const') {
          if (perm.length !== x.shape.length || x.shape.some((_, i) => !perm.includes(i))) this.fail('E_TFJS_ATTR', `Transpose perm [${perm}] is not a permutation of the axes of [${x.shape}]`);
          return this.set(transposeConst(x, perm));
        }
        if (perm.every((p, i) => p === i)) return this.set(x);
        return this.set(this.emit('transpose', [x.name], { order: perm }, base));
      }
      case 'GatherV2': {
        const x = this.in(0);
        const idx = this.cin(1, 'GatherV2 indices');
        let ax = this.ints(2, 'GatherV2 axis')[0]!;
        if (ax < 0) ax += x.shape.length;
        if (a.int('batch_dims', 0) !== 0) this.fail('E_TFJS_ATTR', 'GatherV2 with batch_dims ≠ 0 is not supported');
        if (x.k === 'const') return this.set(gatherConst(x, [...idx.data], idx.shape, ax));
        return this.set(this.emit('gather', [x.name], { axis: ax, indices: [...idx.data], indices_shape: idx.shape }, base));
      }
      default:
        break;
    }
    if (t in UNARY) {
      const x = this.in(0);
      if (x.k === 'const') return this.set(cval(x.shape, x.kind, x.data.map(CONST_UNARY[t]!)));
      return this.set(this.emit(UNARY[t]!, [x.name], {}, base));
    }
    if (t in BINARY || t in CONST_BINARY || t in CONST_COMPARE) {
      const [x, y] = [this.in(0), this.in(1)];
      if (x.k === 'const' && y.k === 'const') return this.set(this.constBinary(t, x, y));
      if (!(t in BINARY)) this.fail('E_TFJS_NONCONST', `${t} on run-time tensors is not supported (only folded when constant)`, 'cut the graph before this node (outputs option)');
      return this.set(this.binary(BINARY[t]!, x, y, base));
    }
    if (t in CONST_UNARY) {
      const x = this.cin(0, `${t} input`);
      return this.set(cval(x.shape, x.kind, x.data.map(CONST_UNARY[t]!)));
    }
    this.fail('E_TFJS_UNSUPPORTED', `op ${t} is not supported`, `supported: ${supportedTfjsOps().join(', ')}`);
  }

  private nhwcOnly(a: TfAttrs): void {
    const f = a.str('data_format', 'NHWC');
    if (f !== 'NHWC') this.fail('E_TFJS_LAYOUT', `data_format ${f} is not supported (NHWC only)`, 'convert the model with NHWC layout (the TF.js converter does so for CPU graphs)');
  }

  private constBinary(t: string, x: CVal, y: CVal): CVal {
    const kind: Kind = t in CONST_COMPARE ? 'bool' : x.kind === 'float' || y.kind === 'float' ? 'float' : x.kind;
    const f = CONST_COMPARE[t] ? (p: number, q: number) => (CONST_COMPARE[t]!(p, q) ? 1 : 0) : (p: number, q: number) => CONST_BINARY[t]!(p, q, kind);
    const r = binaryConst(x, y, f, kind);
    if (!r) this.fail('E_TFJS_SHAPE', `${t}: shapes [${x.shape}] and [${y.shape}] do not broadcast`);
    return r;
  }

  private binary(type: string, x: Val, y: Val, base: string): IVal {
    return this.emit(type, [this.ir(x, `${base}/a`), this.ir(y, `${base}/b`)], {}, base);
  }

  private reshape(x: Val, dims: number[], base: string): Val {
    if (x.k === 'const') return { k: 'const', shape: dims, kind: x.kind, data: x.data };
    if (dims.length === x.shape.length && dims.every((d, i) => d === x.shape[i])) return x;
    return this.emit('reshape', [x.name], { shape: dims }, base);
  }

  private slice(x: Val, begin: number[], end: number[], strides: number[], base: string): Val {
    const len = begin.map((b, i) => Math.max(0, strides[i]! > 0 ? Math.ceil((end[i]! - b) / strides[i]!) : Math.ceil((b - end[i]!) / -strides[i]!)));
    if (x.k === 'const') return sliceConst(x, begin, strides, len);
    if (len.every((l, i) => l === x.shape[i] && begin[i] === 0 && strides[i] === 1)) return x;
    return this.emit('strided_slice', [x.name], { begin, end, strides }, base);
  }

  private concat(xs: Val[], ax: number, base: string): Val {
    if (xs.every((x) => x.k === 'const')) return concatConst(xs as CVal[], ax);
    if (xs.length === 1) return xs[0]!;
    return this.emit('concat', xs.map((x, i) => this.ir(x, `${base}/in${i}`)), { axis: ax }, base);
  }

  /** TF padding → IR pad [l, r, t, b]. */
  private pads(a: TfAttrs, xShape: number[], k: number[], s: number[], d: number[]): number[] {
    const p = a.str('padding', 'VALID');
    if (p === 'VALID') return [0, 0, 0, 0];
    if (p === 'EXPLICIT') {
      const e = a.ints('explicit_paddings') ?? [];
      if (e.length !== 8) this.fail('E_TFJS_ATTR', `EXPLICIT padding needs 8 explicit_paddings, got ${e.length}`);
      return [e[4]!, e[5]!, e[2]!, e[3]!];
    }
    if (p !== 'SAME') this.fail('E_TFJS_ATTR', `padding '${p}' is not supported (SAME, VALID, EXPLICIT)`);
    const tot = [0, 1].map((i) => {
      const inp = xShape[1 + i]!;
      const out = Math.ceil(inp / s[i]!);
      return Math.max(0, (out - 1) * s[i]! + (k[i]! - 1) * d[i]! + 1 - inp);
    });
    // TF SAME: the extra pixel goes after (bottom/right)
    return [Math.floor(tot[1]! / 2), tot[1]! - Math.floor(tot[1]! / 2), Math.floor(tot[0]! / 2), tot[0]! - Math.floor(tot[0]! / 2)];
  }

  private conv(n: NodeDefJson, a: TfAttrs, depthwise: boolean): void {
    this.nhwcOnly(a);
    const base = n.name;
    const x = this.in(0);
    if (x.shape.length !== 4) this.fail('E_TFJS_RANK', `${n.op} on a ${x.shape.length}-D input (4-D NHWC expected)`);
    const f = this.cin(1, `${n.op} filter`);
    const [KH, KW, IC, M] = f.shape as [number, number, number, number];
    const st = a.ints('strides') ?? [1, 1, 1, 1], dl = a.ints('dilations') ?? [1, 1, 1, 1];
    const pad = this.pads(a, x.shape, [KH, KW], [st[1]!, st[2]!], [dl[1]!, dl[2]!]);
    const at: Attrs = { kernel: [KW, KH], stride: [st[2]!, st[1]!], dilation: [dl[2]!, dl[1]!], pad };
    let type: string;
    let w: CVal;
    if (depthwise) {
      if (M === 1) {
        type = 'depthwise-conv2d';
        w = { k: 'const', shape: [1, KH, KW, IC], kind: 'float', data: f.data };
      } else {
        type = 'conv2d';
        at['group'] = IC;
        const t3 = transposeConst({ k: 'const', shape: [KH, KW, IC * M], kind: 'float', data: f.data }, [2, 0, 1]);
        w = { k: 'const', shape: [IC * M, KH, KW, 1], kind: 'float', data: t3.data };
      }
    } else {
      type = 'conv2d';
      at['group'] = x.shape[3]! / IC;
      w = transposeConst(f, [3, 0, 1, 2]); // HWIO → [oc,kh,kw,ic]
    }
    const inputs = [this.ir(x, `${base}/input`), this.ir(w, `${base}/weights`)];
    const fused = n.op.startsWith('Fused') || n.op.startsWith('_Fused') ? a.strs('fused_ops') : [];
    let arg = 2;
    let i = 0;
    let bn: string[] | undefined;
    if (fused[0] === 'BiasAdd') { inputs.push(this.ir(this.cin(arg++, 'bias'), `${base}/bias`)); i = 1; }
    else if (fused[0] === 'FusedBatchNorm') { bn = [0, 1, 2, 3].map((k) => this.ir(this.cin(arg++, 'batchnorm parameter'), `${base}/bn${k}`)); i = 1; }
    const acts = fused.slice(i);
    let v: Val = this.emit(type, inputs, at, acts.length || bn ? `${base}/conv` : base);
    if (bn) v = this.emit('batchnorm', [v.name, ...bn], { epsilon: a.float('epsilon', 1e-3), axis: -1 }, acts.length ? `${base}/bn` : base);
    this.set(this.fusedActivations(v, acts, arg, base, a));
  }

  private matmul(n: NodeDefJson, a: TfAttrs): void {
    const base = n.name;
    const [x, y] = [this.in(0), this.in(1)];
    const ta = a.bool('transpose_a', a.bool('adj_x', false)), tb = a.bool('transpose_b', a.bool('adj_y', false));
    const inputs = [this.ir(x, `${base}/a`), this.ir(y, `${base}/b`)];
    const fused = n.op === '_FusedMatMul' ? a.strs('fused_ops') : [];
    let arg = 2, i = 0;
    if (fused[0] === 'BiasAdd') { inputs.push(this.ir(this.cin(arg++, 'bias'), `${base}/bias`)); i = 1; }
    const acts = fused.slice(i);
    const v: Val = this.emit('matmul', inputs, { transpose_a: ta, transpose_b: tb }, acts.length ? `${base}/mm` : base);
    this.set(this.fusedActivations(v, acts, arg, base, a));
  }

  /** The `fused_ops` activations after a fused conv / matmul; a Prelu takes its alpha from input `arg` on. */
  private fusedActivations(v: Val, acts: string[], arg: number, base: string, a: TfAttrs): Val {
    acts.forEach((act, j) => {
      const alpha = act === 'Prelu' ? this.in(arg++) : undefined;
      v = this.act(act, v, j === acts.length - 1 ? base : `${base}/${act}`, a.float('leakyrelu_alpha', 0.2), alpha);
    });
    return v;
  }

  /** An activation (standalone or fused) on v. */
  private act(kind: string, v: Val, base: string, alpha = 0.2, prelu?: Val): IVal {
    const x = this.ir(v, `${base}/x`);
    switch (kind) {
      case 'Relu': return this.emit('relu', [x], {}, base);
      case 'Relu6': return this.emit('relu6', [x], {}, base);
      case 'Sigmoid': return this.emit('sigmoid', [x], {}, base);
      case 'Tanh': return this.emit('tanh', [x], {}, base);
      case 'LeakyRelu': return this.emit('leaky-relu', [x], { alpha }, base);
      case 'Elu': {
        // elu(x) = relu(x) + (exp(min(x, 0)) − 1), exact in float
        const pos = this.emit('relu', [x], {}, `${base}/pos`);
        const zero = this.ir(cval([], 'float', [0]), `${base}/zero`);
        const one = this.ir(cval([], 'float', [1]), `${base}/one`);
        const mn = this.emit('min', [x, zero], {}, `${base}/min`);
        const ex = this.emit('exp', [mn.name], {}, `${base}/exp`);
        const em1 = this.emit('sub', [ex.name, one], {}, `${base}/expm1`);
        return this.emit('add', [pos.name, em1.name], {}, base);
      }
      case 'Prelu': {
        // prelu(x) = relu(x) − alpha·relu(−x)
        if (!prelu) this.fail('E_TFJS_ATTR', 'Prelu without an alpha argument');
        const pos = this.emit('relu', [x], {}, `${base}/pos`);
        const negx = this.emit('neg', [x], {}, `${base}/negx`);
        const rn = this.emit('relu', [negx.name], {}, `${base}/relu_neg`);
        const sc = this.emit('mul', [rn.name, this.ir(prelu, `${base}/alpha`)], {}, `${base}/scaled`);
        return this.emit('sub', [pos.name, sc.name], {}, base);
      }
      default:
        return this.fail('E_TFJS_UNSUPPORTED', `fused activation '${kind}' is not supported (BiasAdd, FusedBatchNorm, Relu, Relu6, LeakyRelu, Prelu, Elu, Sigmoid, Tanh)`);
    }
  }
}
