/**
 * ONNX ModelProto → IR Graph (NHWC, XIR op names, batch 1, every parameter resolved to attrs).
 *
 * Each ONNX tensor maps to a Val (layout.ts): a constant (ONNX layout, exact numbers) or an IR op output.
 * A 4-D IR activation is NHWC (`nhwc: true`); ops that are layout-agnostic (reshape, matmul,
 * transpose…) get a transpose back to NCHW first, which the transpose pass later cancels/merges.
 * This file holds the graph-level work (inputs, topological order, values and layouts, outputs); each
 * node is converted through the op table in ops/ (one file per op family).
 */
import { ImportError } from '../../errors.js';
import { appendOp } from '../../ir/builder.js';
import { nameGraphOutput, shapeInferenceError } from '../common/graph.js';
import type { AttrValue, Attrs, Graph, Op, TensorInfo } from '../../ir/types.js';
import { NodeAttrs, type AttributeLike } from './attrs.js';
import { evalConst, transposeData } from './fold.js';
import { NCHW_TO_NHWC, NHWC_TO_NCHW, permute, type Val } from './layout.js';
import { ONNX_OPS } from './ops/index.js';
import { decodeTensor, dtypeName, kindOfDtype, toNum, type ConstVal, type TensorProtoLike } from './tensor.js';

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

/** The ONNX op types this importer maps (for docs and `inspect`): the keys of the op table. */
export function supportedOnnxOps(): string[] {
  return [...ONNX_OPS.keys()].sort();
}

export class OnnxConverter {
  readonly ops: Op[] = [];
  readonly byName = new Map<string, Op>();
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

  emit(type: string, inputs: string[], attrs: Attrs, base: string, data?: Float32Array, shape?: number[]): Op {
    return appendOp({ ops: this.ops, byName: this.byName }, type, inputs, attrs, base, (e, op, infos) => this.shapeError(e, type, op, infos), data, shape);
  }

  private shapeError(e: unknown, type: string, op: Op, infos: TensorInfo[]): never {
    throw shapeInferenceError(e, type, op, infos, {
      file: this.file, where: this.where(), code: 'E_ONNX_SHAPE',
      fix: 'the model\'s shapes are inconsistent; check the input shapes (--input-shape) and re-export the model',
      unknownOpFix: 'this IR op type is not registered yet (src/ops)',
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
      ir = nameGraphOutput(this, ir, name, outputs, (src) => this.emit('identity', [src], {}, name).name);
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

  private checkSupported(nodes: NodeLike[]): void {
    const bad = new Map<string, { count: number; example: string }>();
    for (const n of nodes) {
      const dom = n.domain ?? '';
      const key = dom && dom !== 'ai.onnx' ? `${dom}::${n.op_type}` : n.op_type ?? '?';
      if ((dom === '' || dom === 'ai.onnx') && ONNX_OPS.has(n.op_type ?? '')) continue;
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
  /** The node being converted (its errors name it). */
  get current(): NodeLike | undefined {
    return this.node;
  }

  private convert(n: NodeLike): void {
    const type = n.op_type ?? '';
    const spec = ONNX_OPS.get(type);
    const attrs = new NodeAttrs(n.attribute, this.file, this.where(n) ?? '');
    const outs = n.output ?? [];
    const o0 = outs[0] ?? '';
    if (spec && 'source' in spec) return spec.source(this, attrs, outs);
    const ins = (n.input ?? []).map((i) => this.get(i));
    // constant folding (ONNX semantics)
    if (ins.length > 0 && ins.every((v) => v === undefined || v.k === 'const') && ins[0] !== undefined) {
      const r = evalConst(type, ins.map((v) => (v && v.k === 'const' ? v.c : undefined)), attrs, this.opset);
      if (r) {
        r.forEach((c, i) => outs[i] && this.setVal(outs[i]!, { k: 'const', c }));
        return;
      }
    }
    if (spec && 'foldOnly' in spec) {
      if (spec.fromShape && ins[0]) return this.setVal(o0, { k: 'const', c: spec.fromShape(this.onnxShape(ins[0]), attrs) });
      this.fail('E_ONNX_NONCONST', `${type} is only supported on constant inputs (folded at import); here it depends on run-time data`, 'simplify the model (onnx-simplifier) with static input shapes');
    }
    const x = ins[0];
    if (!x) this.fail('E_ONNX_INPUT', `${type} has no first input`, 're-export the model');
    // an op over constants that fold.ts doesn't evaluate gets IR ops over const inputs; the IR const-fold
    // pass evaluates them with the float kernels.
    if (!spec) this.fail('E_ONNX_UNSUPPORTED_OPS', `unsupported op type ${type}`, 'replace it before import');
    spec.convert(this, { n, type, attrs, ins, x, outs, base: o0 });
  }
}

export type { AttrValue };
