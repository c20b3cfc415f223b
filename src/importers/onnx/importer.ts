/**
 * ONNX ModelProto → IR Graph (NHWC, XIR op names, batch 1, every parameter resolved to attrs).
 *
 * Each ONNX tensor maps to a Val: a constant (ONNX layout, exact numbers) or an IR op output.
 * A 4-D IR activation is NHWC (`nhwc: true`); ops that are layout-agnostic (reshape, matmul,
 * transpose…) get a transpose back to NCHW first, which the transpose pass later cancels/merges.
 */
import { GraphError, ImportError } from '../../errors.js';
import { appendOp, uniqueOpName } from '../../ir/builder.js';
import type { AttrValue, Attrs, Graph, Op, TensorInfo } from '../../ir/types.js';
import { NodeAttrs, type AttributeLike } from './attrs.js';
import {
  broadcastDims, evalConst, resolveReshape, resolveSliceParams, transposeData,
} from './fold.js';
import { decodeTensor, dtypeName, kindOfDtype, numel, toNum, type ConstVal, type TensorProtoLike } from './tensor.js';

export interface NodeLike {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: AttributeLike[];
}
interface DimLike { dim_value?: unknown; dim_param?: string }
export interface ValueInfoLike {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: DimLike[] } } };
}
export interface GraphLike {
  name?: string;
  node?: NodeLike[];
  initializer?: TensorProtoLike[];
  input?: ValueInfoLike[];
  output?: ValueInfoLike[];
}
export interface ModelLike {
  ir_version?: unknown;
  producer_name?: string;
  producer_version?: string;
  opset_import?: { domain?: string; version?: unknown }[];
  graph?: GraphLike;
}

export interface ImportOptions {
  fileName?: string;
  /** Fixed shapes for inputs with dynamic dims, in the model's own layout (NCHW). */
  inputShapes?: Record<string, number[]>;
}

type Val =
  | { k: 'const'; c: ConstVal }
  | { k: 'ir'; name: string; shape: number[]; nhwc: boolean };

/** IR axis i of an NHWC tensor is ONNX axis TO_ONNX[i]; ONNX axis a is IR axis TO_IR[a]. */
const TO_ONNX = [0, 3, 1, 2];
const TO_IR = [0, 3, 1, 2].map((_, a) => [0, 2, 3, 1].indexOf(a));
const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];
const FLOAT_MAX = 3.4028234663852886e38;

const UNARY: Record<string, string> = {
  Relu: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh', Sqrt: 'sqrt', Exp: 'exp', Erf: 'erf', Neg: 'neg', Abs: 'abs',
  Reciprocal: 'reciprocal', HardSwish: 'hard-swish',
};
const BINARY: Record<string, string> = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div', Pow: 'pow', Max: 'max', Min: 'min' };
/** Ops supported only when all their inputs are constant (folded at import). */
const FOLD_ONLY = new Set([
  'Shape', 'Size', 'ConstantOfShape', 'Range', 'Expand', 'Where', 'Equal', 'Less', 'LessOrEqual', 'Greater',
  'GreaterOrEqual', 'And', 'Or', 'Not', 'Floor', 'Ceil', 'Round', 'ReduceProd', 'ReduceMin', 'Mod', 'Log',
]);
const HANDLED = new Set([
  ...Object.keys(UNARY), ...Object.keys(BINARY), ...FOLD_ONLY,
  'Constant', 'Identity', 'Dropout', 'Cast', 'Conv', 'ConvTranspose', 'BatchNormalization', 'LeakyRelu', 'PRelu',
  'Clip', 'HardSigmoid', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Gemm', 'MatMul',
  'Flatten', 'Reshape', 'Transpose', 'Concat', 'Split', 'Slice', 'Resize', 'Upsample', 'Pad', 'Softmax',
  'LayerNormalization', 'ReduceMean', 'ReduceMax', 'ReduceSum', 'Squeeze', 'Unsqueeze', 'Gather',
]);

/** The ONNX op types this importer maps (for docs and `inspect`). */
export function supportedOnnxOps(): string[] {
  return [...HANDLED].sort();
}

const permute = <T>(xs: readonly T[], perm: readonly number[]): T[] => perm.map((p) => xs[p]!);

export class OnnxConverter {
  readonly ops: Op[] = [];
  private byName = new Map<string, Op>();
  private vals = new Map<string, Val>();
  private layoutCache = new Map<string, string>();
  private constCache = new Map<ConstVal, Map<string, string>>();
  readonly file: string | undefined;
  private node: NodeLike | undefined;
  opset = 13;

  constructor(opts: ImportOptions) {
    this.file = opts.fileName;
  }

  // ── errors ──────────────────────────────────────────────────────────────────
  where(n: NodeLike | undefined = this.node): string | undefined {
    return n ? `node '${n.name || n.output?.[0] || '?'}' (${n.op_type})` : undefined;
  }
  fail(code: string, msg: string, fix?: string, n?: NodeLike): never {
    throw new ImportError(code, msg, { file: this.file, where: this.where(n ?? this.node), fix });
  }

  // ── op emission ─────────────────────────────────────────────────────────────
  private unique(base: string): string {
    return uniqueOpName(this.byName, base);
  }

  emit(type: string, inputs: string[], attrs: Attrs, base: string, data?: Float32Array, shape?: number[]): Op {
    return appendOp({ ops: this.ops, byName: this.byName }, type, inputs, attrs, base, (e, op, infos) => this.shapeError(e, type, op, infos), data, shape);
  }

  private shapeError(e: unknown, type: string, op: Op, infos: TensorInfo[]): never {
    const msg = e instanceof Error ? e.message : String(e);
    const code = e instanceof GraphError ? e.code : 'E_SHAPE';
    throw new ImportError(code === 'E_OP_UNKNOWN' ? 'E_OP_UNKNOWN' : 'E_ONNX_SHAPE',
      `shape inference failed for IR ${type} '${op.name}' (inputs ${infos.map((i) => JSON.stringify(i.shape)).join(', ')}): ${msg}`, {
        file: this.file, where: this.where(),
        fix: code === 'E_OP_UNKNOWN' ? 'this IR op type is not registered yet (src/ops)' : 'the model\'s shapes are inconsistent; check the input shapes (--input-shape) and re-export the model',
        cause: e,
      });
  }

  irShape(name: string): number[] {
    return this.byName.get(name)!.output.shape;
  }

  constOp(c: ConstVal, base: string, perm?: number[], dims?: number[]): string {
    const key = `${perm?.join(',') ?? ''}|${dims?.join(',') ?? ''}`;
    let m = this.constCache.get(c);
    const hit = m?.get(key);
    if (hit) return hit;
    let data = Float32Array.from(c.data);
    let shape = dims ?? [...c.dims];
    if (perm) {
      data = transposeData(data, shape, perm);
      shape = permute(shape, perm);
    }
    const op = this.emit('const', [], {}, base, data, shape);
    if (!m) this.constCache.set(c, (m = new Map()));
    m.set(key, op.name);
    return op.name;
  }

  // ── values & layouts ────────────────────────────────────────────────────────
  setVal(name: string, v: Val): void {
    this.vals.set(name, v);
  }

  get(name: string): Val | undefined {
    if (!name) return undefined;
    const v = this.vals.get(name);
    if (!v) this.fail('E_ONNX_UNDEFINED', `input '${name}' is not produced by any node, initializer or graph input`, 'add the missing initializer or fix the input name (the model is incomplete)');
    return v;
  }

  constIn(i: number, what: string): ConstVal | undefined {
    const name = this.node!.input?.[i];
    if (!name) return undefined;
    const v = this.get(name)!;
    if (v.k !== 'const') this.fail('E_ONNX_NONCONST', `${what} (input ${i}, '${name}') must be constant, it is computed at run time`, 'export the model with constant folding (onnx-simplifier) and static shapes');
    return v.c;
  }

  onnxShape(v: Val): number[] {
    return v.k === 'const' ? v.c.dims : v.shape;
  }

  /** IR name of v in NHWC (v must be 4-D). */
  nhwc(v: Val, base: string): string {
    if (v.k === 'const') return this.constOp(v.c, `${base}_const`, v.c.dims.length === 4 ? NCHW_TO_NHWC : undefined);
    if (v.nhwc || v.shape.length !== 4) return v.name;
    return this.layoutTranspose(v.name, NCHW_TO_NHWC, 'nhwc');
  }

  /** IR name of v in ONNX layout. */
  nchw(v: Val, base: string): string {
    if (v.k === 'const') return this.constOp(v.c, `${base}_const`);
    if (!v.nhwc) return v.name;
    return this.layoutTranspose(v.name, NHWC_TO_NCHW, 'nchw');
  }

  private layoutTranspose(src: string, order: number[], tag: string): string {
    const key = `${src}|${tag}`;
    const hit = this.layoutCache.get(key);
    if (hit) return hit;
    const op = this.emit('transpose', [src], { order }, `${src}__${tag}`);
    this.layoutCache.set(key, op.name);
    return op.name;
  }

  /** Register the ONNX output tensor `name` as IR op `irName`. */
  out(name: string, irName: string, nhwc: boolean): void {
    const shape = this.irShape(irName);
    this.vals.set(name, { k: 'ir', name: irName, shape: nhwc ? permute(shape, NHWC_TO_NCHW) : [...shape], nhwc });
  }

  // ── graph ───────────────────────────────────────────────────────────────────
  run(model: ModelLike, opts: ImportOptions): Graph {
    const g = model.graph;
    if (!g) throw new ImportError('E_ONNX_NO_GRAPH', 'the model has no graph', { file: this.file, fix: 'is this an ONNX model file?' });
    const opsetEntry = (model.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
    this.opset = opsetEntry ? toNum(opsetEntry.version) : 13;
    if (this.opset < 1 || this.opset > 21) {
      throw new ImportError('E_ONNX_OPSET', `opset ${this.opset} is not supported (supported: 1–21; tested 9–19)`, { file: this.file, fix: 'convert the model with onnx.version_converter to opset 11–19' });
    }
    const nodes = g.node ?? [];
    this.checkSupported(nodes);

    // initializers
    for (const t of g.initializer ?? []) {
      if (!t.name) continue;
      this.vals.set(t.name, { k: 'const', c: decodeTensor(t, this.file, `initializer '${t.name}'`) });
    }
    // inputs
    const inputs: string[] = [];
    const shapes = opts.inputShapes ?? {};
    const dynamicErrors: string[] = [];
    for (const vi of g.input ?? []) {
      const name = vi.name ?? '';
      if (this.vals.has(name)) continue; // initializer listed as input (IR < 4)
      const tt = vi.type?.tensor_type;
      const et = tt?.elem_type ?? 1;
      if (kindOfDtype(et) !== 'float' || et !== 1) {
        throw new ImportError('E_ONNX_INPUT_DTYPE', `graph input '${name}' has type ${dtypeName(et)}; only float32 inputs are supported`, { file: this.file, where: `input '${name}'`, fix: 'feed float32 tensors (cast inside the model)' });
      }
      const dims = (tt?.shape?.dim ?? []).map((d) => {
        const v = d.dim_value !== undefined && d.dim_value !== null ? toNum(d.dim_value) : 0;
        return v > 0 ? v : d.dim_param || '?';
      });
      let shape: number[];
      const given = shapes[name];
      if (given) {
        if (given.length !== dims.length) {
          throw new ImportError('E_ONNX_INPUT_SHAPE', `--input-shape ${name}=${given.join('x')} has rank ${given.length}, the model's input is [${dims.join(',')}] (rank ${dims.length})`, { file: this.file, where: `input '${name}'`, fix: `give ${dims.length} dims in the model's layout (NCHW)` });
        }
        dims.forEach((d, i) => {
          if (typeof d === 'number' && d !== given[i] && !(i === 0 && given[i] === 1)) {
            throw new ImportError('E_ONNX_INPUT_SHAPE', `--input-shape ${name}=${given.join('x')} conflicts with the model's fixed dim ${i} = ${d} ([${dims.join(',')}])`, { file: this.file, where: `input '${name}'`, fix: `use ${d} for dim ${i}` });
          }
        });
        shape = [...given];
      } else {
        const dyn = dims.map((d, i) => (typeof d === 'number' || i === 0 ? -1 : i)).filter((i) => i >= 0);
        if (dyn.length) {
          const example = dims.map((d, i) => (i === 0 ? 1 : typeof d === 'number' ? d : dims.length === 4 ? 640 : 32)).join('x');
          dynamicErrors.push(`input '${name}' has dynamic dims [${dims.join(',')}] (dim ${dyn.join(', ')}); fix with --input-shape ${name}=${example} (inputShapes: { ${name}: [${example.split('x').join(',')}] }); for variable-size inputs fix it to the max shape and pad`);
          continue;
        }
        shape = dims.map((d) => (typeof d === 'number' ? d : 1));
      }
      if (shape.some((d) => !Number.isInteger(d) || d <= 0)) {
        throw new ImportError(shape.includes(0) ? 'E_ONNX_ZERO_DIM' : 'E_ONNX_INPUT_SHAPE', `input '${name}' shape [${shape.join(',')}] must be positive integers`, { file: this.file, where: `input '${name}'` });
      }
      const is4 = shape.length === 4;
      if (is4 && shape[0] !== 1) {
        throw new ImportError('E_ONNX_BATCH', `input '${name}' has batch ${shape[0]} ([${shape.join(',')}]); the IR fixes batch to 1`, { file: this.file, where: `input '${name}'`, fix: `use --input-shape ${name}=1x${shape.slice(1).join('x')} and run the images one by one` });
      }
      const op = this.emit('data', [], { shape: is4 ? permute(shape, NCHW_TO_NHWC) : shape }, name, undefined, is4 ? permute(shape, NCHW_TO_NHWC) : shape);
      inputs.push(op.name);
      this.vals.set(name, { k: 'ir', name: op.name, shape, nhwc: is4 });
    }
    if (dynamicErrors.length) {
      throw new ImportError('E_ONNX_DYNAMIC_SHAPE', dynamicErrors.join('; '), {
        file: this.file, where: 'graph inputs',
        fix: 'batch is fixed to 1; every other dynamic dim needs --input-shape name=1x3xHxW (fix variable-size inputs to the max shape and pad)',
      });
    }

    for (const n of this.toposort(nodes, g)) {
      this.node = n;
      this.convert(n);
    }
    this.node = undefined;

    // outputs: 4-D → NHWC, named like the ONNX output
    const outputs: string[] = [];
    for (const vi of g.output ?? []) {
      const name = vi.name ?? '';
      const v = this.vals.get(name);
      if (!v) throw new ImportError('E_ONNX_UNDEFINED', `graph output '${name}' is not produced by any node`, { file: this.file, where: `output '${name}'`, fix: 'fix the output name' });
      let ir: string;
      if (v.k === 'const') ir = this.constOp(v.c, name, v.c.dims.length === 4 ? NCHW_TO_NHWC : undefined);
      else ir = v.shape.length === 4 ? this.nhwc(v, name) : v.name;
      const irOp = this.byName.get(ir)!;
      if (irOp.type === 'data' || outputs.includes(ir)) {
        ir = this.emit('identity', [ir], {}, name).name;
      }
      if (ir !== name) {
        const clash = this.byName.get(name);
        if (clash) this.rename(clash.name, this.unique(`${name}__pre`));
        this.rename(ir, name);
        ir = name;
      }
      outputs.push(ir);
    }
    const meta: Record<string, string> = {
      format: 'onnx',
      opset: String(this.opset),
      layout: 'NHWC (4-D inputs/outputs transposed from the ONNX NCHW)',
    };
    if (this.file) meta['source'] = this.file;
    if (model.producer_name) meta['producer'] = `${model.producer_name} ${model.producer_version ?? ''}`.trim();
    return { name: g.name || 'onnx_model', ops: this.ops, inputs, outputs, meta };
  }

  private rename(from: string, to: string): void {
    const op = this.byName.get(from);
    if (!op || from === to) return;
    this.byName.delete(from);
    op.name = to;
    this.byName.set(to, op);
    for (const o of this.ops) o.inputs = o.inputs.map((i) => (i === from ? to : i));
  }

  private checkSupported(nodes: NodeLike[]): void {
    const bad = new Map<string, { count: number; example: string }>();
    for (const n of nodes) {
      const dom = n.domain ?? '';
      const key = dom && dom !== 'ai.onnx' ? `${dom}::${n.op_type}` : n.op_type ?? '?';
      if ((dom === '' || dom === 'ai.onnx') && HANDLED.has(n.op_type ?? '')) continue;
      const e = bad.get(key);
      if (e) e.count++;
      else bad.set(key, { count: 1, example: n.name || n.output?.[0] || '?' });
    }
    if (bad.size) {
      const list = [...bad].map(([t, e]) => `${t} ×${e.count} (e.g. node '${e.example}')`).join(', ');
      throw new ImportError('E_ONNX_UNSUPPORTED_OPS', `unsupported op types: ${list}`, {
        file: this.file, where: [...bad.values()].map((e) => e.example).join(', '),
        fix: `replace these ops before import (onnx-simplifier, or re-export with supported ops); supported: ${supportedOnnxOps().join(' ')}`,
      });
    }
  }

  /** Stable topological order; reports undefined inputs, duplicate outputs and cycles. */
  private toposort(nodes: NodeLike[], g: GraphLike): NodeLike[] {
    const producer = new Map<string, number>();
    nodes.forEach((n, i) => {
      for (const o of n.output ?? []) {
        if (!o) continue;
        if (producer.has(o) || this.vals.has(o)) {
          const other = producer.has(o) ? nodes[producer.get(o)!] : undefined;
          this.fail('E_ONNX_DUP_OUTPUT', `tensor '${o}' is produced twice${other ? ` (also by ${this.where(other)})` : ' (also an initializer or graph input)'}`, 'every tensor name must be produced once; rename one of the outputs', n);
        }
        producer.set(o, i);
      }
    });
    const deps: number[][] = nodes.map(() => []);
    const users: number[][] = nodes.map(() => []);
    nodes.forEach((n, i) => {
      for (const inp of n.input ?? []) {
        if (!inp) continue;
        const p = producer.get(inp);
        if (p === undefined) {
          if (!this.vals.has(inp)) {
            this.fail('E_ONNX_MISSING_INPUT', `input '${inp}' is not produced by any node, initializer or graph input`, 'the model is missing this initializer (or the name is misspelled); re-export it with its weights', n);
          }
          continue;
        }
        deps[i]!.push(p);
        users[p]!.push(i);
      }
    });
    const indeg = deps.map((d) => d.length);
    const ready: number[] = [];
    indeg.forEach((d, i) => d === 0 && ready.push(i));
    const order: NodeLike[] = [];
    // min-index first keeps the model's own order when it is already sorted
    let head = 0;
    ready.sort((a, b) => a - b);
    while (head < ready.length) {
      const i = ready[head++]!;
      order.push(nodes[i]!);
      for (const u of users[i]!) if (--indeg[u]! === 0) ready.push(u);
    }
    if (order.length !== nodes.length) {
      const stuck = nodes.filter((_, i) => indeg[i]! > 0);
      const names = stuck.slice(0, 5).map((n) => this.where(n)).join(', ');
      throw new ImportError('E_ONNX_CYCLE', `the graph has a cycle through ${stuck.length} node(s): ${names}`, {
        file: this.file, where: this.where(stuck[0]), fix: 'ONNX graphs must be acyclic; re-export the model (loops must use Loop/Scan, which are not supported)',
      });
    }
    void g;
    return order;
  }

  // ── node conversion ─────────────────────────────────────────────────────────
  private convert(n: NodeLike): unknown {
    const type = n.op_type ?? '';
    const attrs = new NodeAttrs(n.attribute, this.file, this.where(n) ?? '');
    const outs = n.output ?? [];
    const o0 = outs[0] ?? '';
    if (type === 'Constant') {
      let c = attrs.tensor('value');
      if (!c) {
        if (attrs.has('value_float')) c = { dims: [], kind: 'float', data: Float64Array.of(Math.fround(attrs.float('value_float', 0))) };
        else if (attrs.has('value_floats')) { const f = attrs.floats('value_floats')!; c = { dims: [f.length], kind: 'float', data: Float64Array.from(f, Math.fround) }; }
        else if (attrs.has('value_int')) c = { dims: [], kind: 'int', data: Float64Array.of(attrs.int('value_int', 0)) };
        else if (attrs.has('value_ints')) { const f = attrs.ints('value_ints')!; c = { dims: [f.length], kind: 'int', data: Float64Array.from(f) }; }
        else this.fail('E_ONNX_CONSTANT', `Constant has no supported value attribute (${attrs.names().join(', ')})`, 'use a tensor/float/int value');
      }
      this.setVal(o0, { k: 'const', c });
      return;
    }
    const ins = (n.input ?? []).map((i) => this.get(i));
    // constant folding (ONNX semantics)
    if (ins.length > 0 && ins.every((v) => v === undefined || v.k === 'const') && ins[0] !== undefined) {
      const r = evalConst(type, ins.map((v) => (v && v.k === 'const' ? v.c : undefined)), attrs, this.opset);
      if (r) {
        r.forEach((c, i) => outs[i] && this.setVal(outs[i]!, { k: 'const', c }));
        return;
      }
    }
    if (type === 'Shape' && ins[0]) {
      const dims = this.onnxShape(ins[0]);
      const r = dims.length;
      let s = attrs.int('start', 0), e = attrs.int('end', r);
      if (s < 0) s += r;
      if (e < 0) e += r;
      const sl = dims.slice(Math.max(0, s), Math.min(r, e));
      this.setVal(o0, { k: 'const', c: { dims: [sl.length], kind: 'int', data: Float64Array.from(sl) } });
      return;
    }
    if (type === 'Size' && ins[0]) {
      this.setVal(o0, { k: 'const', c: { dims: [], kind: 'int', data: Float64Array.of(numel(this.onnxShape(ins[0]))) } });
      return;
    }
    if (FOLD_ONLY.has(type)) {
      this.fail('E_ONNX_NONCONST', `${type} is only supported on constant inputs (folded at import); here it depends on run-time data`, 'simplify the model (onnx-simplifier) with static input shapes');
    }
    const x = ins[0];
    if (!x) this.fail('E_ONNX_INPUT', `${type} has no first input`, 're-export the model');
    const base = o0;

    if (type === 'Dropout' && ins[2] && (ins[2].k !== 'const' || ins[2].c.data[0])) {
      this.fail('E_ONNX_ATTR', 'Dropout in training mode is not supported (random)', 'export the model in eval mode');
    }
    if (type === 'Identity' || type === 'Dropout' || (type === 'Cast' && [1].includes(attrs.int('to', 1)))) {
      this.setVal(o0, x);
      return;
    }
    if (type === 'Cast') this.fail('E_ONNX_CAST', `Cast of run-time data to ${dtypeName(attrs.int('to', 0))} is not supported (the IR is float32)`, 'remove the cast or make its input constant');

    if (x.k === 'const') {
      // an op over constants the ONNX evaluator doesn't cover: emit IR ops over const inputs;
      // the IR const-fold pass evaluates them with the float kernels.
    }

    if (UNARY[type]) return this.unaryOp(UNARY[type]!, x, {}, base);
    if (BINARY[type]) {
      if (ins.length !== 2) this.fail('E_ONNX_ARITY', `${type} with ${ins.length} inputs is not supported (2 expected)`, 'split it into binary ops');
      return this.binaryOp(BINARY[type]!, x, ins[1]!, base);
    }
    switch (type) {
      case 'LeakyRelu': return this.unaryOp('leaky-relu', x, { alpha: attrs.float('alpha', 0.01) }, base);
      case 'HardSigmoid': return this.unaryOp('hard-sigmoid', x, { alpha: attrs.float('alpha', 0.2), beta: attrs.float('beta', 0.5) }, base);
      case 'Clip': {
        let lo: number, hi: number;
        if (this.opset < 11) { lo = attrs.float('min', -FLOAT_MAX); hi = attrs.float('max', FLOAT_MAX); }
        else { lo = this.constIn(1, 'Clip min')?.data[0] ?? -FLOAT_MAX; hi = this.constIn(2, 'Clip max')?.data[0] ?? FLOAT_MAX; }
        if (lo === 0 && hi === 6) return this.unaryOp('relu6', x, {}, base);
        if (lo === 0 && hi >= FLOAT_MAX) return this.unaryOp('relu', x, {}, base);
        return this.unaryOp('clamp', x, { min: Math.max(lo, -FLOAT_MAX), max: Math.min(hi, FLOAT_MAX) }, base);
      }
      case 'PRelu': {
        // prelu(x) = relu(x) − slope·relu(−x)   (exact in float)
        const slope = ins[1]!;
        const pos = this.unaryOp('relu', x, {}, `${base}/pos`, true)!;
        const negx = this.unaryOp('neg', x, {}, `${base}/negx`, true)!;
        const rn = this.unaryOp('relu', negx, {}, `${base}/relu_neg`, true)!;
        const sc = this.binaryOp('mul', rn, slope, `${base}/scaled`, true)!;
        return this.binaryOp('sub', pos, sc, base);
      }
      case 'Conv': return this.conv(n, attrs, ins, base);
      case 'ConvTranspose': return this.convTranspose(attrs, ins, base);
      case 'BatchNormalization': {
        if (outs.slice(1).some((o) => o)) this.fail('E_ONNX_BN_TRAINING', 'BatchNormalization in training mode (extra outputs) is not supported', 'export the model in eval mode');
        const r = this.onnxShape(x).length;
        const xin = r === 4 ? this.nhwc(x, base) : this.nchw(x, base);
        const params = [1, 2, 3, 4].map((i) => this.constOp(this.constIn(i, 'BatchNormalization parameter')!, `${base}/p${i}`));
        const op = this.emit('batchnorm', [xin, ...params], { epsilon: attrs.float('epsilon', 1e-5), axis: r === 4 ? -1 : 1 }, base);
        return this.out(o0, op.name, r === 4);
      }
      case 'MaxPool': case 'AveragePool': return this.pool(type, attrs, x, base, outs);
      case 'GlobalAveragePool': case 'GlobalMaxPool': {
        const s = this.onnxShape(x);
        if (s.length !== 4) this.fail('E_ONNX_RANK', `${type} on a ${s.length}-D tensor is not supported (4-D expected)`);
        const xin = this.nhwc(x, base);
        const at: Attrs = { kernel: [s[3]!, s[2]!], stride: [1, 1], pad: [0, 0, 0, 0], global: true };
        if (type === 'GlobalAveragePool') at['count_include_pad'] = true;
        const op = this.emit(type === 'GlobalAveragePool' ? 'avgpool2d' : 'maxpool2d', [xin], at, base);
        return this.out(o0, op.name, true);
      }
      case 'Gemm': return this.gemm(attrs, ins, base);
      case 'MatMul': {
        const a = this.nchw(x, `${base}/a`);
        const b = this.nchw(ins[1]!, `${base}/b`);
        const op = this.emit('matmul', [a, b], { transpose_a: false, transpose_b: false }, base);
        return this.out(o0, op.name, false);
      }
      case 'Flatten': {
        const s = this.onnxShape(x);
        let ax = attrs.int('axis', 1);
        if (ax < 0) ax += s.length;
        return this.reshape(x, [numel(s.slice(0, ax)), numel(s.slice(ax))], base);
      }
      case 'Reshape': {
        const target = this.opset >= 5 ? [...this.constIn(1, 'Reshape shape')!.data] : attrs.ints('shape') ?? [];
        const dims = resolveReshape(this.onnxShape(x), target, attrs.int('allowzero', 0) !== 0);
        if (!dims) this.fail('E_ONNX_SHAPE', `cannot reshape [${this.onnxShape(x).join(',')}] to [${target.join(',')}]`, 'the element counts differ; check --input-shape');
        return this.reshape(x, dims, base);
      }
      case 'Squeeze': case 'Unsqueeze': {
        const s = this.onnxShape(x);
        const axesIn = this.opset >= 13 ? (ins[1] ? [...this.constIn(1, `${type} axes`)!.data] : undefined) : attrs.ints('axes');
        let dims: number[];
        if (type === 'Squeeze') {
          const ax = axesIn ? axesIn.map((a) => (a < 0 ? a + s.length : a)) : s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
          for (const a of ax) if (s[a] !== 1) this.fail('E_ONNX_SHAPE', `Squeeze axis ${a} of [${s.join(',')}] is not 1`);
          dims = s.filter((_, i) => !ax.includes(i));
        } else {
          if (!axesIn) this.fail('E_ONNX_ATTR', 'Unsqueeze needs axes');
          const r = s.length + axesIn.length;
          const ax = axesIn.map((a) => (a < 0 ? a + r : a));
          dims = [];
          let j = 0;
          for (let i = 0; i < r; i++) dims.push(ax.includes(i) ? 1 : s[j++]!);
        }
        return this.reshape(x, dims, base);
      }
      case 'Transpose': {
        const s = this.onnxShape(x);
        const perm = attrs.ints('perm') ?? s.map((_, i) => s.length - 1 - i);
        if (x.k === 'ir' && x.nhwc) {
          // compose with the layout: y = x_nhwc.transpose(TO_ONNX∘perm)
          const order = perm.map((p) => NHWC_TO_NCHW[p]!);
          const op = this.emit('transpose', [x.name], { order }, base);
          return this.out(o0, op.name, false);
        }
        const op = this.emit('transpose', [this.nchw(x, base)], { order: perm }, base);
        return this.out(o0, op.name, false);
      }
      case 'Concat': {
        const vals = ins.filter((v): v is Val => v !== undefined && numel(this.onnxShape(v)) > 0);
        const r = this.onnxShape(vals[0]!).length;
        let ax = attrs.int('axis', 0);
        if (ax < 0) ax += r;
        const useNhwc = r === 4 && vals.some((v) => v.k === 'ir' && v.nhwc);
        const names = vals.map((v, i) => (useNhwc ? this.nhwc(v, `${base}/in${i}`) : this.nchw(v, `${base}/in${i}`)));
        const op = this.emit('concat', names, { axis: useNhwc ? TO_IR[ax]! : ax }, base);
        return this.out(o0, op.name, useNhwc);
      }
      case 'Split': return this.split(attrs, ins, outs);
      case 'Slice': {
        const s = this.onnxShape(x);
        let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
        if (this.opset < 10) {
          starts = attrs.ints('starts') ?? []; ends = attrs.ints('ends') ?? []; axes = attrs.ints('axes');
        } else {
          starts = [...this.constIn(1, 'Slice starts')!.data]; ends = [...this.constIn(2, 'Slice ends')!.data];
          axes = ins[3] ? [...this.constIn(3, 'Slice axes')!.data] : undefined;
          steps = ins[4] ? [...this.constIn(4, 'Slice steps')!.data] : undefined;
        }
        const p = resolveSliceParams(s, starts, ends, axes, steps);
        if (!p) this.fail('E_ONNX_ATTR', `invalid Slice parameters for [${s.join(',')}]: starts ${starts} ends ${ends} axes ${axes} steps ${steps}`);
        return this.stridedSlice(x, p.begin, p.end, p.strides, base, o0);
      }
      case 'Resize': case 'Upsample': return this.resize(type, attrs, ins, base);
      case 'Pad': return this.pad(attrs, ins, base);
      case 'Softmax': {
        const s = this.onnxShape(x);
        const r = s.length;
        let ax = attrs.int('axis', this.opset >= 13 ? -1 : 1);
        if (ax < 0) ax += r;
        if (this.opset < 13 && ax !== r - 1) {
          const flat = this.reshape(x, [numel(s.slice(0, ax)), numel(s.slice(ax))], `${base}/2d`, true);
          const sm = this.emit('softmax', [this.nchw(flat, base)], { axis: 1 }, `${base}/sm`);
          return this.reshape({ k: 'ir', name: sm.name, shape: [...sm.output.shape], nhwc: false }, s, base);
        }
        if (x.k === 'ir' && x.nhwc) return this.out(o0, this.emit('softmax', [x.name], { axis: TO_IR[ax]! }, base).name, true);
        return this.out(o0, this.emit('softmax', [this.nchw(x, base)], { axis: ax }, base).name, false);
      }
      case 'LayerNormalization': {
        const s = this.onnxShape(x);
        let ax = attrs.int('axis', -1);
        if (ax < 0) ax += s.length;
        const gamma = this.constIn(1, 'LayerNormalization scale')!;
        const betaC = ins[2] ? this.constIn(2, 'LayerNormalization bias')! : { dims: gamma.dims, kind: 'float' as const, data: new Float64Array(numel(gamma.dims)) };
        if (outs.slice(1).some((o) => o)) this.fail('E_ONNX_LN_OUTPUTS', 'LayerNormalization Mean/InvStdDev outputs are not supported', 'use only the first output');
        const axes = s.map((_, i) => i).filter((i) => i >= ax);
        const op = this.emit('layernorm', [this.nchw(x, base), this.constOp(gamma, `${base}/gamma`), this.constOp(betaC, `${base}/beta`)],
          { axis: axes, epsilon: attrs.float('epsilon', 1e-5) }, base);
        return this.out(o0, op.name, false);
      }
      case 'ReduceMean': case 'ReduceMax': case 'ReduceSum': {
        const s = this.onnxShape(x);
        const r = s.length;
        const axesFromInput = (type === 'ReduceSum' && this.opset >= 13) || this.opset >= 18;
        let axes = axesFromInput ? (ins[1] ? [...this.constIn(1, `${type} axes`)!.data] : undefined) : attrs.ints('axes');
        if (!axes || axes.length === 0) {
          if (attrs.int('noop_with_empty_axes', 0)) { this.setVal(o0, x); return; }
          axes = s.map((_, i) => i);
        }
        axes = axes.map((a) => (a < 0 ? a + r : a)).sort((a, b) => a - b);
        const keep = attrs.int('keepdims', 1) !== 0;
        const irType = type === 'ReduceMean' ? 'reduction_mean' : type === 'ReduceMax' ? 'reduction_max' : 'reduction_sum';
        let useNhwc = x.k === 'ir' && x.nhwc;
        if (useNhwc && !keep) {
          const irAxes = axes.map((a) => TO_IR[a]!);
          const remain = [0, 1, 2, 3].filter((i) => !irAxes.includes(i)).map((i) => TO_ONNX[i]!);
          if (!remain.every((v, i) => i === 0 || v > remain[i - 1]!)) useNhwc = false;
        }
        if (useNhwc && x.k === 'ir') {
          const irAxes = axes.map((a) => TO_IR[a]!).sort((a, b) => a - b);
          const op = this.emit(irType, [x.name], { axis: irAxes, keep_dims: keep }, base);
          return this.out(o0, op.name, keep);
        }
        const op = this.emit(irType, [this.nchw(x, base)], { axis: axes, keep_dims: keep }, base);
        return this.out(o0, op.name, false);
      }
      case 'Gather': {
        const s = this.onnxShape(x);
        let ax = attrs.int('axis', 0);
        if (ax < 0) ax += s.length;
        const idx = this.constIn(1, 'Gather indices')!;
        const ids = [...idx.data].map((i) => (i < 0 ? i + s[ax]! : i));
        if (ids.some((i) => i < 0 || i >= s[ax]!)) this.fail('E_ONNX_ATTR', `Gather index out of range for axis ${ax} of [${s.join(',')}]`);
        const outDims = [...s.slice(0, ax), ...idx.dims, ...s.slice(ax + 1)];
        if (idx.dims.length === 0) {
          const begin = s.map(() => 0), end = [...s], strides = s.map(() => 1);
          begin[ax] = ids[0]!; end[ax] = ids[0]! + 1;
          const sl = this.stridedSlice(x, begin, end, strides, `${base}/slice`, undefined);
          return this.reshape(sl, outDims, base);
        }
        const op = this.emit('gather', [this.nchw(x, base)], { axis: ax, indices: ids }, idx.dims.length === 1 ? base : `${base}/g`);
        const v: Val = { k: 'ir', name: op.name, shape: [...op.output.shape], nhwc: false };
        if (idx.dims.length === 1) return this.out(o0, op.name, false);
        return this.reshape(v, outDims, base);
      }
      default:
        this.fail('E_ONNX_UNSUPPORTED_OPS', `unsupported op type ${type}`, 'replace it before import');
    }
  }

  // ── helpers for groups of ops ───────────────────────────────────────────────
  private unaryOp(irType: string, x: Val, attrs: Attrs, base: string, inner = false): Val | undefined {
    const nh = x.k === 'ir' && x.nhwc;
    const op = this.emit(irType, [nh ? (x as { name: string }).name : this.nchw(x, base)], attrs, base);
    const v: Val = { k: 'ir', name: op.name, shape: nh ? permute(op.output.shape, NHWC_TO_NCHW) : [...op.output.shape], nhwc: nh };
    if (!inner) this.setVal(this.node!.output![0]!, v);
    return inner ? v : undefined;
  }

  private binaryOp(irType: string, a: Val, b: Val, base: string, inner = false): Val | undefined {
    const sa = this.onnxShape(a), sb = this.onnxShape(b);
    const outDims = broadcastDims(sa, sb);
    if (!outDims) this.fail('E_ONNX_SHAPE', `${this.node?.op_type} operands [${sa.join(',')}] and [${sb.join(',')}] do not broadcast`, 'check the model\'s shapes and --input-shape');
    const useNhwc = outDims.length === 4 && [a, b].some((v) => v.k === 'ir' && v.nhwc);
    const names = [a, b].map((v, i) => {
      const s = this.onnxShape(v);
      if (!useNhwc) return this.nchw(v, `${base}/in${i}`);
      if (v.k === 'const') {
        if (numel(s) === 1) return this.constOp(v.c, `${base}/c${i}`);
        const d4 = [...new Array<number>(4 - s.length).fill(1), ...s];
        return this.constOp(v.c, `${base}/c${i}`, NCHW_TO_NHWC, d4);
      }
      if (s.length === 4) return this.nhwc(v, base);
      if (numel(s) === 1) return v.name;
      const d4 = [...new Array<number>(4 - s.length).fill(1), ...s];
      const r = this.emit('reshape', [v.name], { shape: d4 }, `${base}/in${i}_4d`);
      return this.emit('transpose', [r.name], { order: NCHW_TO_NHWC }, `${base}/in${i}_nhwc`).name;
    });
    const op = this.emit(irType, names, {}, base);
    const v: Val = { k: 'ir', name: op.name, shape: useNhwc ? permute(op.output.shape, NHWC_TO_NCHW) : [...op.output.shape], nhwc: useNhwc };
    if (!inner) this.setVal(this.node!.output![0]!, v);
    return inner ? v : undefined;
  }

  private reshape(x: Val, dims: number[], base: string, inner = false): Val {
    const s = this.onnxShape(x);
    if (numel(s) !== numel(dims)) this.fail('E_ONNX_SHAPE', `cannot reshape [${s.join(',')}] to [${dims.join(',')}]`);
    let v: Val;
    if (x.k === 'const') v = { k: 'const', c: { dims, kind: x.c.kind, data: x.c.data } };
    else {
      const op = this.emit('reshape', [this.nchw(x, base)], { shape: dims }, base);
      v = { k: 'ir', name: op.name, shape: [...op.output.shape], nhwc: false };
    }
    if (!inner) this.setVal(this.node!.output![0]!, v);
    return v;
  }

  private stridedSlice(x: Val, begin: number[], end: number[], strides: number[], base: string, outName: string | undefined): Val {
    const nh = x.k === 'ir' && x.nhwc;
    const P = nh ? NCHW_TO_NHWC : begin.map((_, i) => i);
    const op = this.emit('strided_slice', [nh ? (x as { name: string }).name : this.nchw(x, base)],
      { begin: permute(begin, P), end: permute(end, P), strides: permute(strides, P) }, base);
    const v: Val = { k: 'ir', name: op.name, shape: nh ? permute(op.output.shape, NHWC_TO_NCHW) : [...op.output.shape], nhwc: nh };
    if (outName) this.setVal(outName, v);
    return v;
  }

  private conv(n: NodeLike, attrs: NodeAttrs, ins: (Val | undefined)[], base: string): void {
    const x = ins[0]!;
    const s = this.onnxShape(x);
    if (s.length !== 4) this.fail('E_ONNX_RANK', `Conv on a ${s.length}-D input is not supported (2-D convolution on NCHW only)`, 'reshape 1-D/3-D convolutions to 2-D before export');
    const w = this.constIn(1, 'Conv weights')!;
    const [O, Ig, KH, KW] = w.dims as [number, number, number, number];
    const group = attrs.int('group', 1);
    const C = s[1]!;
    const stride = attrs.ints('strides') ?? [1, 1];
    const dil = attrs.ints('dilations') ?? [1, 1];
    const pads = this.convPads(attrs, [s[2]!, s[3]!], [KH, KW], stride, dil);
    const at: Attrs = {
      kernel: [KW, KH], stride: [stride[1]!, stride[0]!], dilation: [dil[1]!, dil[0]!],
      pad: [pads[1]!, pads[3]!, pads[0]!, pads[2]!],
    };
    const xin = this.nhwc(x, base);
    let wName: string;
    let type: string;
    if (group > 1 && group === C && O === C && Ig === 1) {
      type = 'depthwise-conv2d';
      wName = this.constOp(w, `${base}/weights`, [1, 2, 3, 0]); // [C,1,kh,kw] → [1,kh,kw,C]
    } else {
      type = 'conv2d';
      at['group'] = group;
      wName = this.constOp(w, `${base}/weights`, [0, 2, 3, 1]);
    }
    const inputs = [xin, wName];
    if (ins[2]) inputs.push(this.constOp(this.constIn(2, 'Conv bias')!, `${base}/bias`));
    void n;
    const op = this.emit(type, inputs, at, base);
    this.out(this.node!.output![0]!, op.name, true);
  }

  /** ONNX pads [t, l, b, r] after auto_pad. */
  private convPads(attrs: NodeAttrs, hw: number[], k: number[], stride: number[], dil: number[]): number[] {
    const auto = attrs.str('auto_pad', 'NOTSET');
    if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
      const p = [0, 0, 0, 0];
      for (let i = 0; i < 2; i++) {
        const out = Math.ceil(hw[i]! / stride[i]!);
        const total = Math.max(0, (out - 1) * stride[i]! + (k[i]! - 1) * dil[i]! + 1 - hw[i]!);
        const small = Math.floor(total / 2);
        p[i] = auto === 'SAME_UPPER' ? small : total - small;
        p[i + 2] = total - p[i]!;
      }
      return p;
    }
    if (auto === 'VALID') return [0, 0, 0, 0];
    return attrs.ints('pads') ?? [0, 0, 0, 0];
  }

  private convTranspose(attrs: NodeAttrs, ins: (Val | undefined)[], base: string): void {
    const x = ins[0]!;
    const s = this.onnxShape(x);
    if (s.length !== 4) this.fail('E_ONNX_RANK', 'ConvTranspose supports 4-D inputs only');
    const w = this.constIn(1, 'ConvTranspose weights')!;
    const group = attrs.int('group', 1);
    if (group !== 1) this.fail('E_ONNX_ATTR', `ConvTranspose with group ${group} is not supported`, 'use group 1');
    if (attrs.has('output_shape')) this.fail('E_ONNX_ATTR', 'ConvTranspose output_shape is not supported', 'export with explicit pads');
    const auto = attrs.str('auto_pad', 'NOTSET');
    if (auto !== 'NOTSET' && auto !== 'VALID') this.fail('E_ONNX_ATTR', `ConvTranspose auto_pad ${auto} is not supported`, 'export with explicit pads');
    const [, , KH, KW] = w.dims as [number, number, number, number];
    const stride = attrs.ints('strides') ?? [1, 1];
    const dil = attrs.ints('dilations') ?? [1, 1];
    const pads = auto === 'VALID' ? [0, 0, 0, 0] : attrs.ints('pads') ?? [0, 0, 0, 0];
    const op0 = attrs.ints('output_padding') ?? [0, 0];
    const inputs = [this.nhwc(x, base), this.constOp(w, `${base}/weights`, [1, 2, 3, 0])]; // [ic,oc,kh,kw] → [oc,kh,kw,ic]
    if (ins[2]) inputs.push(this.constOp(this.constIn(2, 'ConvTranspose bias')!, `${base}/bias`));
    const op = this.emit('transposed-conv2d', inputs, {
      kernel: [KW, KH], stride: [stride[1]!, stride[0]!], dilation: [dil[1]!, dil[0]!],
      pad: [pads[1]!, pads[3]!, pads[0]!, pads[2]!], output_padding: [op0[1]!, op0[0]!],
    }, base);
    this.out(this.node!.output![0]!, op.name, true);
  }

  private pool(type: string, attrs: NodeAttrs, x: Val, base: string, outs: string[]): void {
    const s = this.onnxShape(x);
    if (s.length !== 4) this.fail('E_ONNX_RANK', `${type} supports 4-D inputs only`);
    if (outs[1]) this.fail('E_ONNX_ATTR', 'MaxPool Indices output is not supported');
    const k = attrs.ints('kernel_shape') ?? [1, 1];
    const stride = attrs.ints('strides') ?? [1, 1];
    const dil = attrs.ints('dilations') ?? [1, 1];
    if (dil.some((d) => d !== 1)) this.fail('E_ONNX_ATTR', `${type} with dilations ${dil} is not supported`);
    const pads = this.convPads(attrs, [s[2]!, s[3]!], k, stride, [1, 1]);
    if (attrs.int('ceil_mode', 0)) {
      // ceil mode = extra bottom/right padding so that floor division gives the ceil size,
      // as long as the last window starts inside the input or left padding (ONNX rule).
      for (let i = 0; i < 2; i++) {
        const span = s[2 + i]! + pads[i]! + pads[i + 2]! - k[i]!;
        let outC = Math.ceil(span / stride[i]!) + 1;
        if ((outC - 1) * stride[i]! >= s[2 + i]! + pads[i]!) outC--;
        const need = (outC - 1) * stride[i]! + k[i]! - (s[2 + i]! + pads[i]! + pads[i + 2]!);
        if (need > 0) {
          if (type === 'AveragePool' && attrs.int('count_include_pad', 0)) {
            this.fail('E_ONNX_ATTR', 'AveragePool with ceil_mode=1 and count_include_pad=1 is not supported', 'use ceil_mode=0');
          }
          pads[i + 2]! += need;
        }
      }
    }
    const at: Attrs = { kernel: [k[1]!, k[0]!], stride: [stride[1]!, stride[0]!], pad: [pads[1]!, pads[3]!, pads[0]!, pads[2]!], global: false };
    if (type === 'AveragePool') at['count_include_pad'] = attrs.int('count_include_pad', 0) !== 0;
    const op = this.emit(type === 'MaxPool' ? 'maxpool2d' : 'avgpool2d', [this.nhwc(x, base)], at, base);
    this.out(outs[0]!, op.name, true);
  }

  private gemm(attrs: NodeAttrs, ins: (Val | undefined)[], base: string): void {
    const [a, b, c] = ins;
    const alpha = attrs.float('alpha', 1), beta = attrs.float('beta', 1);
    const ta = attrs.int('transA', 0) !== 0, tb = attrs.int('transB', 0) !== 0;
    let bName: string;
    if (b!.k === 'const' && alpha !== 1) {
      bName = this.constOp({ dims: b!.c.dims, kind: 'float', data: b!.c.data.map((v) => Math.fround(v * alpha)) }, `${base}/b`);
    } else bName = this.nchw(b!, `${base}/b`);
    const sa = this.onnxShape(a!);
    const sb = this.onnxShape(b!);
    const M = ta ? sa[1]! : sa[0]!;
    const N = tb ? sb[0]! : sb[1]!;
    const inputs = [this.nchw(a!, `${base}/a`), bName];
    let addC: Val | undefined;
    if (c) {
      const cs = this.onnxShape(c);
      if (c.k === 'const' && numel(cs) === N && (cs.length === 1 || cs[cs.length - 1] === N) && (M === 1 || cs.length === 1 || cs[0] === 1)) {
        inputs.push(this.constOp({ dims: [N], kind: 'float', data: c.c.data.map((v) => Math.fround(v * beta)) }, `${base}/bias`));
      } else addC = c;
    }
    const needScale = alpha !== 1 && b!.k !== 'const';
    const mm = this.emit('matmul', inputs, { transpose_a: ta, transpose_b: tb }, needScale || addC ? `${base}/mm` : base);
    let v: Val = { k: 'ir', name: mm.name, shape: [...mm.output.shape], nhwc: false };
    if (needScale) v = this.binaryOp('mul', v, { k: 'const', c: { dims: [], kind: 'float', data: Float64Array.of(alpha) } }, addC ? `${base}/scaled` : base, true)!;
    if (addC) {
      const cv: Val = beta === 1 || addC.k !== 'const' ? addC : { k: 'const', c: { dims: addC.c.dims, kind: 'float', data: addC.c.data.map((x) => Math.fround(x * beta)) } };
      if (beta !== 1 && addC.k !== 'const') this.fail('E_ONNX_ATTR', 'Gemm with beta≠1 on a run-time C is not supported');
      v = this.binaryOp('add', v, cv, base, true)!;
    }
    this.setVal(this.node!.output![0]!, v);
  }

  private split(attrs: NodeAttrs, ins: (Val | undefined)[], outs: string[]): void {
    const x = ins[0]!;
    const s = this.onnxShape(x);
    let ax = attrs.int('axis', 0);
    if (ax < 0) ax += s.length;
    let sizes: number[] | undefined = this.opset >= 13 ? (ins[1] ? [...this.constIn(1, 'Split sizes')!.data] : undefined) : attrs.ints('split');
    const nOut = outs.length;
    if (!sizes || sizes.length === 0) {
      const each = Math.ceil(s[ax]! / nOut);
      sizes = outs.map((_, i) => Math.min(each, s[ax]! - each * i));
    }
    if (sizes.reduce((p, q) => p + q, 0) !== s[ax]) this.fail('E_ONNX_SHAPE', `Split sizes [${sizes}] do not sum to dim ${ax} = ${s[ax]} of [${s.join(',')}]`);
    let off = 0;
    outs.forEach((o, i) => {
      const begin = s.map(() => 0), end = [...s], strides = s.map(() => 1);
      begin[ax] = off; end[ax] = off + sizes![i]!;
      off += sizes![i]!;
      if (!o) return;
      if (x.k === 'const') {
        const r = evalConst('Slice', [x.c, { dims: [1], kind: 'int', data: Float64Array.of(begin[ax]!) }, { dims: [1], kind: 'int', data: Float64Array.of(end[ax]!) }, { dims: [1], kind: 'int', data: Float64Array.of(ax) }], attrs, 13);
        this.setVal(o, { k: 'const', c: r![0]! });
        return;
      }
      this.stridedSlice(x, begin, end, strides, o, o);
    });
  }

  private resize(type: string, attrs: NodeAttrs, ins: (Val | undefined)[], base: string): void {
    const x = ins[0]!;
    const s = this.onnxShape(x);
    if (s.length !== 4) this.fail('E_ONNX_RANK', `${type} supports 4-D inputs only`);
    let scales: number[] | undefined, sizes: number[] | undefined;
    const mode = attrs.str('mode', 'nearest');
    if (type === 'Upsample') {
      scales = this.opset >= 9 ? [...this.constIn(1, 'Upsample scales')!.data] : attrs.floats('scales');
    } else if (this.opset < 11) {
      scales = [...this.constIn(1, 'Resize scales')!.data];
    } else {
      const sc = ins[2] ? this.constIn(2, 'Resize scales') : undefined;
      const sz = ins[3] ? this.constIn(3, 'Resize sizes') : undefined;
      if (sz && sz.data.length) sizes = [...sz.data];
      else if (sc && sc.data.length) scales = [...sc.data];
    }
    if (!sizes) {
      if (!scales || scales.length !== 4) this.fail('E_ONNX_ATTR', `${type} needs 4 scales or sizes`);
      sizes = s.map((d, i) => Math.floor(d * scales![i]! + 1e-9));
      const exact = s.every((d, i) => Math.abs(d * scales![i]! - sizes![i]!) < 1e-6);
      if (!exact && mode !== 'nearest') {
        this.fail('E_ONNX_ATTR', `${type} scales [${scales}] give a non-integral output size for [${s}]; the IR resize maps coordinates by size ratio`, 'export the model with Resize sizes instead of scales');
      }
    }
    if (sizes[0] !== s[0] || sizes[1] !== s[1]) this.fail('E_ONNX_ATTR', `${type} may only scale H and W (sizes [${sizes}] for input [${s}])`);
    if (this.opset >= 18 && attrs.int('antialias', 0)) this.fail('E_ONNX_ATTR', 'Resize antialias is not supported');
    if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') this.fail('E_ONNX_ATTR', `${type} mode '${mode}' is not supported (nearest, linear)`, 'use nearest or linear');
    const old = type === 'Upsample' || this.opset < 11;
    const coord = old ? 'asymmetric' : attrs.str('coordinate_transformation_mode', 'half_pixel');
    if (!['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel'].includes(coord)) {
      this.fail('E_ONNX_ATTR', `Resize coordinate_transformation_mode '${coord}' is not supported`, 'use half_pixel, asymmetric, align_corners or pytorch_half_pixel');
    }
    const nearest = old ? 'floor' : attrs.str('nearest_mode', 'round_prefer_floor');
    const op = this.emit('resize', [this.nhwc(x, base)], {
      size: [sizes[3]!, sizes[2]!], mode: mode === 'nearest' ? 'NEAREST' : 'BILINEAR', coordinate: coord, nearest_mode: nearest,
    }, base);
    this.out(this.node!.output![0]!, op.name, true);
  }

  private pad(attrs: NodeAttrs, ins: (Val | undefined)[], base: string): void {
    const x = ins[0]!;
    const s = this.onnxShape(x);
    const r = s.length;
    let pads: number[];
    let value = 0;
    if (this.opset < 11) {
      pads = attrs.ints('pads') ?? attrs.ints('paddings') ?? [];
      value = attrs.float('value', 0);
    } else {
      pads = [...this.constIn(1, 'Pad pads')!.data];
      if (ins[2]) value = this.constIn(2, 'Pad constant_value')!.data[0] ?? 0;
    }
    let axes = s.map((_, i) => i);
    if (ins[3]) axes = [...this.constIn(3, 'Pad axes')!.data].map((a) => (a < 0 ? a + r : a));
    const before = s.map(() => 0), after = s.map(() => 0);
    axes.forEach((a, i) => { before[a] = pads[i]!; after[a] = pads[i + axes.length]!; });
    if ([...before, ...after].some((p) => p < 0)) this.fail('E_ONNX_ATTR', 'Pad with negative pads (cropping) is not supported', 'use Slice');
    const modeStr = attrs.str('mode', 'constant');
    const mode = ({ constant: 'CONSTANT', reflect: 'REFLECT', edge: 'EDGE' } as Record<string, string>)[modeStr];
    if (!mode) this.fail('E_ONNX_ATTR', `Pad mode '${modeStr}' is not supported`);
    const nh = x.k === 'ir' && x.nhwc;
    const P = nh ? NCHW_TO_NHWC : s.map((_, i) => i);
    const paddings = P.flatMap((a) => [before[a]!, after[a]!]);
    const op = this.emit('pad', [nh ? (x as { name: string }).name : this.nchw(x, base)], { paddings, mode, constant_value: value }, base);
    this.out(this.node!.output![0]!, op.name, nh);
  }
}

export type { AttrValue };
