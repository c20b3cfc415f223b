/**
 * XIR classes in camelCase: Graph, Op, Tensor, Subgraph — what `xir::Graph::deserialize`
 * hands a VART user — plus serialize/deserialize of the `serial_v2` protobuf (.xmodel bytes).
 * Pure TS over Uint8Array: no fs here (see src/runtime/node/xmodel-file.ts for paths).
 */
import protobuf from 'protobufjs';
import { XmodelError } from '../errors.js';
import { checkLimit } from '../limits.js';
import { attrFromWire, attrToWire, inferAttr, type XAttr, type XAttrPlain } from './attr.js';
import { xmodelGraphType } from './schema.js';
import { buildOpDefs } from './op-defs.js';

/** serial_v2 Tensor.data_type enum (index order as XIR's DataType::Type). */
export const DATA_TYPES = ['INT', 'UINT', 'XINT', 'XUINT', 'FLOAT', 'BFLOAT', 'UNKNOWN'] as const;
export type XDataType = (typeof DATA_TYPES)[number];

/** A value accepted by setAttr: a typed XAttr, or a plain value whose variant is inferred (see inferAttr). */
export type AttrInput = XAttr | boolean | number | bigint | string | Uint8Array | number[] | string[];

function isXAttr(v: unknown): v is XAttr {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) &&
    typeof (v as { type?: unknown }).type === 'string' && 'value' in (v as object);
}

/** Shared attr storage of Graph, Op, Tensor and Subgraph (insertion-ordered). */
export class Attributed {
  protected readonly attrs = new Map<string, XAttr>();

  hasAttr(name: string): boolean {
    return this.attrs.has(name);
  }
  /** The attr's plain value (number, bigint for 64-bit ints, string, Uint8Array, arrays, records). */
  getAttr(name: string): XAttrPlain {
    return this.getAttrTyped(name).value;
  }
  /** The attr with its wire variant, e.g. `{ type: 'uint64', value: 0x101000016010407n }`. */
  getAttrTyped(name: string): XAttr {
    const a = this.attrs.get(name);
    if (!a) {
      throw new XmodelError('E_XMODEL_NO_ATTR', `no attr '${name}'`, {
        where: this.describe(), fix: `attrs present: ${[...this.attrs.keys()].join(', ') || '(none)'}`,
      });
    }
    return a;
  }
  setAttr(name: string, value: AttrInput): this {
    this.attrs.set(name, isXAttr(value) ? value : inferAttr(value));
    return this;
  }
  removeAttr(name: string): boolean {
    return this.attrs.delete(name);
  }
  getAttrNames(): string[] {
    return [...this.attrs.keys()];
  }
  /** All attrs with their variants (a copy of the map). */
  getAttrs(): Map<string, XAttr> {
    return new Map(this.attrs);
  }
  protected describe(): string {
    return '';
  }
}

export class Tensor extends Attributed {
  constructor(
    readonly name: string,
    readonly dims: number[],
    readonly dataType: XDataType,
    readonly bitWidth: number,
    readonly producer: Op,
  ) {
    super();
  }
  getName(): string {
    return this.name;
  }
  getShape(): number[] {
    return [...this.dims];
  }
  /** XIR spelling of the data type: 'float32', 'xint8', 'int32'… */
  get dtype(): string {
    return `${this.dataType.toLowerCase()}${this.bitWidth}`;
  }
  getDataType(): string {
    return this.dtype;
  }
  getElementNum(): number {
    return this.dims.reduce((a, b) => a * b, 1);
  }
  getProducer(): Op {
    return this.producer;
  }
  protected override describe(): string {
    return `tensor ${this.name}`;
  }
}

export interface InputArg {
  name: string;
  ops: Op[];
}

export interface TensorSpec {
  dims: number[];
  dataType: XDataType;
  bitWidth: number;
  attrs?: Record<string, AttrInput>;
}

export interface CreateOpSpec {
  name: string;
  type: string;
  attrs?: Record<string, AttrInput>;
  /** Input args in order: `[['input', [x]], ['weights', [w]]]` or `{ input: [x], weights: [w] }`. */
  inputs?: Array<[string, Op[]]> | Record<string, Op[]>;
  /** Output tensor (named like the op). */
  tensor: TensorSpec;
  /** Leaf subgraph to put the op in (needed once the root subgraph has children). */
  subgraph?: Subgraph;
}

export class Op extends Attributed {
  readonly args: InputArg[];
  private tensor!: Tensor;

  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly type: string,
    args: InputArg[],
  ) {
    super();
    this.args = args;
  }
  /** @internal */
  setOutputTensor(t: Tensor): void {
    this.tensor = t;
  }
  getName(): string {
    return this.name;
  }
  getType(): string {
    return this.type;
  }
  /** All input ops by arg name (XIR's get_input_ops()), or the ops of one arg. */
  getInputOps(): Record<string, Op[]>;
  getInputOps(argName: string): Op[];
  getInputOps(argName?: string): Record<string, Op[]> | Op[] {
    if (argName !== undefined) return this.args.filter((a) => a.name === argName).flatMap((a) => a.ops);
    const r: Record<string, Op[]> = {};
    for (const a of this.args) (r[a.name] ??= []).push(...a.ops);
    return r;
  }
  /** Input args in stored order. */
  getInputArgs(): InputArg[] {
    return this.args.map((a) => ({ name: a.name, ops: [...a.ops] }));
  }
  /** Every input op in arg order (flattened). */
  getInputOpsInOrder(): Op[] {
    return this.args.flatMap((a) => a.ops);
  }
  getInputNum(argName?: string): number {
    return argName === undefined ? this.getInputOpsInOrder().length : this.getInputOps(argName).length;
  }
  getInputTensors(argName?: string): Tensor[] {
    return (argName === undefined ? this.getInputOpsInOrder() : this.getInputOps(argName)).map((o) => o.getOutputTensor());
  }
  getOutputTensor(): Tensor {
    return this.tensor;
  }
  /** Ops that consume this op's output. */
  getFanoutOps(): Op[] {
    return this.graph.consumersOf(this);
  }
  protected override describe(): string {
    return `op ${this.name} (${this.type})`;
  }
}

export class Subgraph extends Attributed {
  private children: Subgraph[] = [];
  private ops = new Set<string>();

  constructor(
    readonly graph: Graph,
    readonly name: string,
    private readonly parent: Subgraph | null,
  ) {
    super();
  }
  getName(): string {
    return this.name;
  }
  getParent(): Subgraph | null {
    return this.parent;
  }
  getGraph(): Graph {
    return this.graph;
  }
  isRoot(): boolean {
    return this.parent === null;
  }
  isLeaf(): boolean {
    return this.children.length === 0;
  }
  hasChildren(): boolean {
    return this.children.length > 0;
  }
  getChildren(): Subgraph[] {
    return [...this.children];
  }
  getDepth(): number {
    return this.parent ? this.parent.getDepth() + 1 : 0;
  }
  /** Ops of this subgraph (a leaf's own ops; an inner node's descendants'), in graph order. */
  getOps(): Op[] {
    const names = this.opNameSet();
    return this.graph.getOps().filter((o) => names.has(o.name));
  }
  getOpNum(): number {
    return this.opNameSet().size;
  }
  hasOp(name: string): boolean {
    return this.opNameSet().has(name);
  }
  /** @internal */
  opNameSet(): Set<string> {
    if (this.children.length === 0) return this.parent === null ? new Set(this.graph.getOps().map((o) => o.name)) : this.ops;
    const s = new Set<string>();
    for (const c of this.children) for (const n of c.opNameSet()) s.add(n);
    return s;
  }
  /** @internal add an op to this leaf */
  addOp(name: string): void {
    if (this.children.length > 0) {
      throw new XmodelError('E_XMODEL_SUBGRAPH', `subgraph '${this.name}' has children; ops go into a leaf`, { where: name });
    }
    this.ops.add(name);
  }
  /** Tensors produced outside and consumed inside, in order of first use. */
  getInputTensors(): Tensor[] {
    const inside = this.opNameSet();
    const seen = new Set<string>();
    const out: Tensor[] = [];
    for (const op of this.getOps()) {
      for (const src of op.getInputOpsInOrder()) {
        if (!inside.has(src.name) && !seen.has(src.name)) {
          seen.add(src.name);
          out.push(src.getOutputTensor());
        }
      }
    }
    return out;
  }
  /** Tensors produced inside and consumed outside or by nobody (graph outputs), in graph order. */
  getOutputTensors(): Tensor[] {
    const inside = this.opNameSet();
    return this.getOps()
      .filter((op) => {
        const fan = op.getFanoutOps();
        return fan.length === 0 || fan.some((c) => !inside.has(c.name));
      })
      .map((op) => op.getOutputTensor());
  }
  /**
   * Replaces this subgraph's children by one leaf per group (XIR: create_children + merge).
   * Every op of this subgraph must be in exactly one group.
   */
  createChildren(groups: Array<{ name: string; ops: string[] }>): Subgraph[] {
    const mine = this.opNameSet();
    const seen = new Set<string>();
    const names = new Set<string>();
    const kids = groups.map((g) => {
      if (names.has(g.name)) throw new XmodelError('E_XMODEL_SUBGRAPH', `duplicate subgraph name '${g.name}'`, { where: this.name });
      names.add(g.name);
      const sg = new Subgraph(this.graph, g.name, this);
      for (const n of g.ops) {
        if (!mine.has(n)) throw new XmodelError('E_XMODEL_SUBGRAPH', `op '${n}' is not in subgraph '${this.name}'`, { where: g.name });
        if (seen.has(n)) throw new XmodelError('E_XMODEL_SUBGRAPH', `op '${n}' is in two child subgraphs`, { where: g.name });
        seen.add(n);
        sg.ops.add(n);
      }
      return sg;
    });
    const missing = [...mine].filter((n) => !seen.has(n));
    if (missing.length > 0) {
      throw new XmodelError('E_XMODEL_SUBGRAPH', `ops not assigned to any child: ${missing.slice(0, 10).join(', ')}`, {
        where: this.name, fix: 'every op of a subgraph must be in exactly one child',
      });
    }
    this.children = kids;
    this.ops = new Set();
    return kids;
  }
  /** @internal used by the reader */
  attachChild(child: Subgraph): void {
    this.children.push(child);
  }
  /** Children in topological order of their data dependencies (stable: stored order breaks ties). */
  toposortChildSubgraph(): Subgraph[] {
    const kids = this.children;
    const owner = new Map<string, number>();
    kids.forEach((k, i) => { for (const n of k.opNameSet()) owner.set(n, i); });
    const deps = kids.map(() => new Set<number>());
    kids.forEach((k, i) => {
      for (const op of k.getOps()) {
        for (const src of op.getInputOpsInOrder()) {
          const j = owner.get(src.name);
          if (j !== undefined && j !== i) deps[i]!.add(j);
        }
      }
    });
    const done = new Set<number>();
    const order: Subgraph[] = [];
    while (order.length < kids.length) {
      const next = kids.findIndex((_, i) => !done.has(i) && [...deps[i]!].every((d) => done.has(d)));
      if (next < 0) {
        throw new XmodelError('E_XMODEL_SUBGRAPH_CYCLE', `child subgraphs of '${this.name}' depend on each other in a cycle`, {
          where: this.name, fix: 'merge the subgraphs that form the cycle',
        });
      }
      done.add(next);
      order.push(kids[next]!);
    }
    return order;
  }
  /** Leaves under this subgraph (itself if a leaf), depth-first in stored order. */
  getLeafSubgraphs(): Subgraph[] {
    return this.children.length === 0 ? [this] : this.children.flatMap((c) => c.getLeafSubgraphs());
  }
  protected override describe(): string {
    return `subgraph ${this.name}`;
  }
}

// ── op definitions (serial_v2.OpDef) ─────────────────────────────────────────

export type ArgOccur = 'REQUIRED' | 'OPTIONAL' | 'REPEATED' | 'REQUIRED_AND_REPEATED';
export interface OpArgDef {
  name: string;
  occur: ArgOccur;
  /** serial_v2 data_type index (0–5); FLOAT (4) when omitted. */
  dataType?: number;
  annotation?: string;
}
export interface AttrDef {
  name: string;
  occur: 'REQUIRED' | 'OPTIONAL';
  /** Must hold a value (Netron reads it); its variant is the attr's type. */
  defaultValue: XAttr;
  listLength?: number;
  annotation?: string;
}
export interface OpDef {
  name: string;
  inputArgs: OpArgDef[];
  attrs: AttrDef[];
  annotation?: string;
}

const ARG_OCCUR: ArgOccur[] = ['REQUIRED', 'OPTIONAL', 'REPEATED', 'REQUIRED_AND_REPEATED'];

// ── Graph ────────────────────────────────────────────────────────────────────

/** Messages larger than this are refused before decoding (protobuf's own 2 GiB limit). */
const MAX_XMODEL_BYTES = 0x7fffffff;

export interface DeserializeOptions {
  /** Shown in errors (the CLI passes the path). */
  file?: string;
}

export class Graph extends Attributed {
  private ops: Op[] = [];
  private byName = new Map<string, Op>();
  private consumers = new Map<string, Op[]>();
  private root: Subgraph;
  private opDefs = new Map<string, OpDef>();

  constructor(private name: string) {
    super();
    this.root = new Subgraph(this, 'root', null);
  }

  getName(): string {
    return this.name;
  }
  setName(name: string): void {
    this.name = name;
  }
  /** Ops in topological (stored) order. */
  getOps(): Op[] {
    return [...this.ops];
  }
  getOpNum(): number {
    return this.ops.length;
  }
  getOp(name: string): Op | undefined {
    return this.byName.get(name);
  }
  getTensor(name: string): Tensor | undefined {
    return this.byName.get(name)?.getOutputTensor();
  }
  getRootSubgraph(): Subgraph {
    return this.root;
  }
  /** Ops nobody consumes (XIR has no explicit graph outputs). */
  getTailOps(): Op[] {
    return this.ops.filter((o) => (this.consumers.get(o.name) ?? []).length === 0);
  }
  /** @internal */
  consumersOf(op: Op): Op[] {
    return [...(this.consumers.get(op.name) ?? [])];
  }
  getOpDefs(): OpDef[] {
    return [...this.opDefs.values()];
  }
  getOpDef(type: string): OpDef | undefined {
    return this.opDefs.get(type);
  }
  addOpDef(def: OpDef): void {
    this.opDefs.set(def.name, def);
  }

  /** Creates an op (inputs must already exist: ops are kept in topological order). */
  createOp(spec: CreateOpSpec): Op {
    if (!spec.name) throw new XmodelError('E_XMODEL_OP_NAME', 'an op needs a name', { where: spec.type });
    if (this.byName.has(spec.name)) {
      throw new XmodelError('E_XMODEL_OP_DUP', `op name '${spec.name}' is used twice`, { where: spec.name, fix: 'op names must be unique' });
    }
    const argList: Array<[string, Op[]]> = Array.isArray(spec.inputs) ? spec.inputs : Object.entries(spec.inputs ?? {});
    const args: InputArg[] = argList.map(([name, ops]) => {
      for (const o of ops) {
        if (this.byName.get(o.name) !== o) {
          throw new XmodelError('E_XMODEL_OP_INPUT', `input '${o.name}' of op '${spec.name}' is not in this graph (create inputs first)`, { where: spec.name });
        }
      }
      return { name, ops: [...ops] };
    });
    const t = spec.tensor;
    if (!DATA_TYPES.includes(t.dataType)) {
      throw new XmodelError('E_XMODEL_DTYPE', `unknown data type '${t.dataType}'`, { where: spec.name, fix: `use one of ${DATA_TYPES.join(', ')}` });
    }
    if (this.root.hasChildren() && !spec.subgraph) {
      throw new XmodelError('E_XMODEL_SUBGRAPH', `op '${spec.name}' needs a leaf subgraph: the root already has children`, { where: spec.name });
    }
    const op = new Op(this, spec.name, spec.type, args);
    const tensor = new Tensor(spec.name, [...t.dims], t.dataType, t.bitWidth, op);
    for (const [k, v] of Object.entries(t.attrs ?? {})) tensor.setAttr(k, v);
    op.setOutputTensor(tensor);
    for (const [k, v] of Object.entries(spec.attrs ?? {})) op.setAttr(k, v);
    spec.subgraph?.addOp(op.name);
    this.ops.push(op);
    this.byName.set(op.name, op);
    for (const a of args) for (const src of a.ops) (this.consumers.get(src.name) ?? this.consumers.set(src.name, []).get(src.name)!).push(op);
    return op;
  }

  // ── serialization ──

  /**
   * Encodes the graph as serial_v2 protobuf bytes (an .xmodel). Op types without an op def get
   * one derived from their ops (buildOpDefs), as XIR needs an OpDef for every type used.
   */
  serialize(): Uint8Array {
    const missing = new Set(this.ops.map((o) => o.type).filter((t) => !this.opDefs.has(t)));
    if (missing.size > 0) for (const d of buildOpDefs(this)) if (missing.has(d.name)) this.opDefs.set(d.name, d);
    const wireAttrs = (m: Map<string, XAttr>): Record<string, unknown> => {
      const r: Record<string, unknown> = {};
      for (const k of [...m.keys()].sort()) r[k] = attrToWire(m.get(k)!);
      return r;
    };
    const attrsOf = (x: Attributed): Map<string, XAttr> => x.getAttrs();
    const wireSubgraph = (sg: Subgraph): Record<string, unknown> => ({
      subgraph_name: sg.getName(),
      op_name: sg.isLeaf() ? sg.getOps().map((o) => o.name) : [],
      subg_attr: wireAttrs(attrsOf(sg)),
      subg_child: sg.getChildren().map(wireSubgraph),
    });
    const msg = {
      graph_name: this.name,
      op_node: this.ops.map((op) => {
        const t = op.getOutputTensor();
        return {
          op_name: op.name,
          op_type: op.type,
          op_attr: wireAttrs(attrsOf(op)),
          args: op.args.map((a) => ({ arg_name: a.name, arg_ops: a.ops.map((o) => o.name) })),
          output_tensor: {
            tensor_name: t.name,
            tensor_dim: t.dims,
            data_type: DATA_TYPES.indexOf(t.dataType),
            tensor_bit_width: t.bitWidth,
            tensor_attr: wireAttrs(attrsOf(t)),
          },
        };
      }),
      subg_root: wireSubgraph(this.root),
      graph_attr: wireAttrs(attrsOf(this)),
      op_defs: [...this.opDefs.values()].map((d) => ({
        name: d.name,
        input_args: d.inputArgs.map((a) => ({
          name: a.name, occur_type: ARG_OCCUR.indexOf(a.occur), data_type: a.dataType ?? 4, annotation: a.annotation ?? '',
        })),
        attrs: d.attrs.map((a) => ({
          name: a.name, occur_type: a.occur === 'REQUIRED' ? 0 : 1, default_value: attrToWire(a.defaultValue),
          list_length: a.listLength ?? 0, annotation: a.annotation ?? '',
        })),
        annotation: d.annotation ?? '',
      })),
    };
    return xmodelGraphType().encode(msg).finish();
  }

  /** Decodes .xmodel bytes. Anything that is not a well-formed serial_v2.Graph → XmodelError. */
  static deserialize(bytes: Uint8Array, opts: DeserializeOptions = {}): Graph {
    return decodeGraph(bytes, opts.file);
  }

  protected override describe(): string {
    return `graph ${this.name}`;
  }
}

// ── reader ───────────────────────────────────────────────────────────────────

/** Wire types of the top-level serial_v2.Graph fields (all length-delimited). */
const GRAPH_FIELDS = new Map<number, string>([[1, 'graph_name'], [5, 'op_node'], [10, 'subg_root'], [11, 'graph_attr'], [101, 'op_defs']]);

function bad(code: string, msg: string, file: string | undefined, where?: string, details?: string): XmodelError {
  return new XmodelError(code, msg, {
    file, where, details,
    fix: 'check that this is an .xmodel written by dpuflow or vai_c_xir/vai_q (serial_v2.Graph) and that it was copied completely',
  });
}

/** Walks the top-level fields without allocating: rejects wrong wire types (an ONNX file, an image…) early. */
function scanTopLevel(bytes: Uint8Array, file: string | undefined): void {
  const r = protobuf.Reader.create(bytes);
  let ops = 0;
  while (r.pos < r.len) {
    const at = r.pos;
    let tag: number;
    try {
      tag = r.uint32();
    } catch {
      throw bad('E_XMODEL_TRUNCATED', `truncated in a field tag at byte ${at}`, file);
    }
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 0 || wt > 5 || wt === 3 || wt === 4) {
      throw bad('E_XMODEL_NOT_XMODEL', `not an xmodel: invalid protobuf field tag ${tag} at byte ${at}`, file);
    }
    const known = GRAPH_FIELDS.get(field);
    if (known && wt !== 2) {
      throw bad('E_XMODEL_NOT_XMODEL', `not an xmodel: field ${field} (${known}) has wire type ${wt} at byte ${at}, serial_v2.Graph stores it length-delimited`, file);
    }
    if (wt === 2) {
      let len: number;
      try {
        len = r.uint32();
      } catch {
        throw bad('E_XMODEL_TRUNCATED', `truncated in the length of field ${field} at byte ${at}`, file);
      }
      if (len > r.len - r.pos) {
        throw bad('E_XMODEL_TRUNCATED', `truncated: field ${field}${known ? ` (${known})` : ''} at byte ${at} declares ${len} bytes but only ${r.len - r.pos} remain`, file);
      }
      r.pos += len;
      if (field === 5) ops++;
    } else {
      try {
        r.skipType(wt);
      } catch {
        throw bad('E_XMODEL_TRUNCATED', `truncated in field ${field} at byte ${at}`, file);
      }
    }
  }
  if (ops === 0) throw bad('E_XMODEL_NO_OPS', 'not an xmodel: no op_node (field 5) found', file);
}

interface WireTensor { tensor_name?: string; tensor_dim?: number[]; data_type?: number; tensor_bit_width?: number; tensor_attr?: Record<string, Record<string, unknown>> }
interface WireOp { op_name?: string; op_type?: string; op_attr?: Record<string, Record<string, unknown>>; args?: { arg_name?: string; arg_ops?: string[] }[]; output_tensor?: WireTensor }
interface WireSubgraph { subgraph_name?: string; op_name?: string[]; subg_attr?: Record<string, Record<string, unknown>>; subg_child?: WireSubgraph[] }
interface WireAttrDef { name?: string; occur_type?: number; default_value?: Record<string, unknown>; list_length?: number; annotation?: string }
interface WireOpDef { name?: string; input_args?: { name?: string; occur_type?: number; data_type?: number; annotation?: string }[]; attrs?: WireAttrDef[]; annotation?: string }
interface WireGraph { graph_name?: string; op_node?: WireOp[]; subg_root?: WireSubgraph; graph_attr?: Record<string, Record<string, unknown>>; op_defs?: WireOpDef[] }

function decodeGraph(bytes: Uint8Array, file: string | undefined): Graph {
  if (!(bytes instanceof Uint8Array)) throw bad('E_XMODEL_INPUT', 'expected the xmodel bytes as a Uint8Array', file);
  if (bytes.length === 0) throw bad('E_XMODEL_EMPTY', 'empty file (0 bytes)', file);
  if (bytes.length > MAX_XMODEL_BYTES) throw bad('E_XMODEL_TOO_BIG', `${bytes.length} bytes is over protobuf's 2 GiB message limit`, file);
  checkLimit('maxModelBytes', bytes.length, XmodelError, { file }); // stated limit (src/limits.ts), ≤ the 2 GiB above
  scanTopLevel(bytes, file);
  let w: WireGraph;
  try {
    w = xmodelGraphType().decode(bytes) as unknown as WireGraph;
  } catch (err) {
    throw bad('E_XMODEL_DECODE', `not a valid serial_v2.Graph: ${(err as Error)?.message ?? String(err)}`, file, undefined, String((err as Error)?.stack ?? err));
  }
  const g = new Graph(w.graph_name ?? '');
  const readAttrs = (target: Attributed, m: Record<string, Record<string, unknown>> | undefined, where: string): void => {
    for (const [k, v] of Object.entries(m ?? {})) {
      const a = attrFromWire(v);
      if (!a) throw bad('E_XMODEL_ATTR_EMPTY', `attr '${k}' holds no value`, file, where);
      target.setAttr(k, a);
    }
  };
  readAttrs(g, w.graph_attr, 'graph_attr');

  const wops = w.op_node ?? [];
  const names = new Set<string>();
  for (const [i, o] of wops.entries()) {
    if (!o.op_name) throw bad('E_XMODEL_OP_NAME', `op_node #${i} has no name`, file);
    if (!o.op_type) throw bad('E_XMODEL_OP_TYPE', `op has no type`, file, o.op_name);
    if (names.has(o.op_name)) throw bad('E_XMODEL_OP_DUP', `op name used twice`, file, o.op_name);
    names.add(o.op_name);
  }
  // XIR stores ops topologically; accept any order by creating each op once its inputs exist.
  const pending = new Map(wops.map((o) => [o.op_name!, o]));
  const created = new Set<string>();
  let progress = true;
  const order: WireOp[] = [];
  for (const o of wops) {
    for (const a of o.args ?? []) {
      for (const src of a.arg_ops ?? []) {
        if (!names.has(src)) throw bad('E_XMODEL_OP_INPUT', `input '${src}' (arg '${a.arg_name ?? ''}') is not an op of the graph`, file, o.op_name);
      }
    }
  }
  while (pending.size > 0 && progress) {
    progress = false;
    for (const [n, o] of pending) {
      if ((o.args ?? []).every((a) => (a.arg_ops ?? []).every((s) => created.has(s)))) {
        order.push(o);
        created.add(n);
        pending.delete(n);
        progress = true;
      }
    }
  }
  if (pending.size > 0) {
    throw bad('E_XMODEL_CYCLE', `ops form a cycle: ${[...pending.keys()].slice(0, 5).join(', ')}`, file, [...pending.keys()][0]);
  }
  for (const o of order) {
    const t = o.output_tensor ?? {};
    const dt = t.data_type ?? 0;
    if (!Number.isInteger(dt) || dt < 0 || dt >= DATA_TYPES.length) {
      throw bad('E_XMODEL_DTYPE', `output tensor data_type ${dt} is not 0–${DATA_TYPES.length - 1}`, file, o.op_name);
    }
    const bw = t.tensor_bit_width ?? 0;
    if (!Number.isInteger(bw) || bw < 0 || bw > 64) throw bad('E_XMODEL_DTYPE', `tensor bit width ${bw} is not 0–64`, file, o.op_name);
    if (t.tensor_name && t.tensor_name !== o.op_name) {
      // XIR names a tensor like its producer; keep the op name so lookups agree.
    }
    const op = g.createOp({
      name: o.op_name!,
      type: o.op_type!,
      inputs: (o.args ?? []).map((a) => [a.arg_name ?? '', (a.arg_ops ?? []).map((s) => g.getOp(s)!)] as [string, Op[]]),
      tensor: { dims: [...(t.tensor_dim ?? [])].map(Number), dataType: DATA_TYPES[dt]!, bitWidth: bw },
    });
    readAttrs(op, o.op_attr, o.op_name!);
    readAttrs(op.getOutputTensor(), t.tensor_attr, `tensor ${o.op_name}`);
  }

  // XIR always writes the root subgraph and an OpDef for every op type, op_defs last: a file
  // cut at a field boundary decodes "successfully" but misses these.
  if (!w.subg_root) throw bad('E_XMODEL_TRUNCATED', 'no root subgraph (subg_root, field 10): the file is truncated or not an xmodel', file);
  const defined = new Set((w.op_defs ?? []).map((d) => d.name ?? ''));
  const undefinedTypes = [...new Set(wops.map((o) => o.op_type!))].filter((t) => !defined.has(t));
  if (undefinedTypes.length > 0) {
    throw bad('E_XMODEL_TRUNCATED', `no op_def for op type(s) ${undefinedTypes.slice(0, 5).join(', ')}: the file is truncated or was not written by XIR`, file);
  }

  // Subgraphs: rebuild the tree, then check every leaf op exists.
  const readSub = (ws: WireSubgraph, sg: Subgraph, depth: number): void => {
    if (depth > 64) throw bad('E_XMODEL_SUBGRAPH', 'subgraph tree deeper than 64 levels', file, sg.getName());
    readAttrs(sg, ws.subg_attr, `subgraph ${sg.getName()}`);
    const kids = ws.subg_child ?? [];
    if (kids.length === 0) return;
    for (const wc of kids) {
      const c = new Subgraph(g, wc.subgraph_name ?? '', sg);
      if ((wc.subg_child ?? []).length === 0) {
        for (const n of wc.op_name ?? []) {
          if (!names.has(n)) throw bad('E_XMODEL_SUBGRAPH', `subgraph lists op '${n}' which is not in the graph`, file, c.getName());
          c.addOp(n);
        }
      }
      sg.attachChild(c);
      readSub(wc, c, depth + 1);
    }
  };
  const root = g.getRootSubgraph();
  if (w.subg_root) readSub(w.subg_root, root, 0);

  for (const d of w.op_defs ?? []) {
    g.addOpDef({
      name: d.name ?? '',
      annotation: d.annotation || undefined,
      inputArgs: (d.input_args ?? []).map((a) => ({
        name: a.name ?? '', occur: ARG_OCCUR[a.occur_type ?? 0] ?? 'REQUIRED', dataType: a.data_type ?? 0, annotation: a.annotation || undefined,
      })),
      attrs: (d.attrs ?? []).map((a) => {
        const dv = a.default_value ? attrFromWire(a.default_value) : undefined;
        if (!dv) throw bad('E_XMODEL_ATTR_EMPTY', `op_def attr '${a.name ?? ''}' has no default value`, file, `op_def ${d.name ?? ''}`);
        return {
          name: a.name ?? '', occur: a.occur_type === 1 ? 'OPTIONAL' : 'REQUIRED', defaultValue: dv,
          listLength: a.list_length || undefined, annotation: a.annotation || undefined,
        } satisfies AttrDef;
      }),
    });
  }
  return g;
}
