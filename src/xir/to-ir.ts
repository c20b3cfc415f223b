/**
 * XIR graph → IR graph: the inverse of irToXmodel. `fix` ops are folded back into their
 * producer's `fixPoint` (dtype int8); const payloads are decoded from `data` (float32 LE,
 * XINT8 q values scaled by 2^-fix_point, INT8, INT32); XIR attrs map to plain JS values.
 * Also reads vai_q-style `data-fix` / `const-fix` ops as data / const with a fix point.
 */
import { XmodelError } from '../errors.js';
import type { AttrValue, Attrs, DType, Graph as IrGraph, Op as IrOp } from '../ir/types.js';
import type { XAttr } from './attr.js';
import type { Graph, Op, Tensor } from './graph.js';

export interface XmodelToIrOptions {
  /** Shown in errors. */
  file?: string;
  /**
   * How int8 (XINT8 / INT8) const payloads become `Op.data`:
   * - 'float' (default): decoded once to a Float32Array of q·2^-fix_point held by the op (5 bytes per
   *   weight with the xmodel's bytes);
   * - 'lazy': the op keeps only an Int8Array view of the xmodel's bytes (`constInt8(op)`) and `data` is
   *   an accessor that decodes on read (one decoded array cached until the current task ends), so a graph
   *   that is only run holds 1 byte per weight. For read-only consumers: writes into the returned array
   *   are not kept (assign `op.data = …` instead, which replaces the accessor).
   */
  int8Consts?: 'float' | 'lazy';
}

/** Raw int8 payload (q values) of a const op read by `xmodelToIr(g, { int8Consts: 'lazy' })`. */
const rawInt8 = new WeakMap<IrOp, { q: Int8Array; fixPoint: number }>();

/**
 * The int8 q values of a const op read from an xmodel with `int8Consts: 'lazy'` (a view of the xmodel's
 * bytes; data[i] = q[i]·2^-fixPoint), or undefined for any other op. Consumers that want the int8
 * values (e.g. a kernel's weight packing) can take them from here without a float round trip.
 */
export function constInt8(op: IrOp): Int8Array | undefined {
  return rawInt8.get(op)?.q;
}

/**
 * `to.data = from.data` that keeps a lazy int8 payload lazy (and visible to `constInt8(to)`) instead of
 * decoding it: for code that builds new IR ops from a graph read with `int8Consts: 'lazy'`.
 */
export function copyConstData(from: IrOp, to: IrOp): void {
  const r = rawInt8.get(from);
  if (r) defineLazyData(to, r.q, r.fixPoint);
  else if (from.data) to.data = from.data;
}

// One decoded payload per op, kept until the current task ends: a consumer that reads `op.data[i]` in
// a loop decodes once, and nothing stays alive after the (synchronous) pass that read it.
let decodedCache = new Map<IrOp, Float32Array>();
let clearQueued = false;
function decodeLazy(op: IrOp, q: Int8Array, fixPoint: number): Float32Array {
  let f = decodedCache.get(op);
  if (f) return f;
  if (decodedCache.size >= 2) decodedCache = new Map();
  const s = 2 ** -fixPoint;
  f = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) f[i] = q[i]! * s;
  decodedCache.set(op, f);
  if (!clearQueued) {
    clearQueued = true;
    queueMicrotask(() => {
      decodedCache = new Map();
      clearQueued = false;
    });
  }
  return f;
}

function defineLazyData(op: IrOp, q: Int8Array, fixPoint: number): void {
  rawInt8.set(op, { q, fixPoint });
  Object.defineProperty(op, 'data', {
    enumerable: true,
    configurable: true,
    get(this: IrOp): Float32Array {
      return decodeLazy(this, q, fixPoint);
    },
    set(this: IrOp, v: Float32Array | undefined) {
      rawInt8.delete(this);
      decodedCache.delete(this);
      Object.defineProperty(this, 'data', { value: v, writable: true, enumerable: true, configurable: true });
    },
  });
}

/** Attrs the writer adds for XIR's sake and the reader drops again. */
const WRITER_ATTRS: Record<string, string[]> = { const: ['shape', 'data_type', 'data'], data: ['data_type'] };

function toPlain(a: XAttr, where: string, name: string, file?: string): AttrValue {
  const big = (v: bigint): number => {
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new XmodelError('E_XMODEL_ATTR_IR', `attr '${name}' = ${v} does not fit a JS number exactly`, { file, where });
    }
    return Number(v);
  };
  switch (a.type) {
    case 'bool': case 'int32': case 'uint32': case 'float': case 'double': case 'string': return a.value;
    case 'int64': case 'uint64': return big(a.value);
    case 'int32_vec': case 'uint32_vec': case 'float_vec': case 'double_vec': case 'string_vec': return [...a.value] as AttrValue;
    case 'int64_vec': case 'uint64_vec': return a.value.map(big);
    default:
      throw new XmodelError('E_XMODEL_ATTR_IR', `attr '${name}' has XIR type ${a.type}, which IR attrs cannot hold`, {
        file, where, fix: 'IR attrs are numbers, booleans, strings and their arrays; use the xir.Graph API to read this attr',
      });
  }
}

function fixPointOf(t: Tensor | Op): number | undefined {
  if (!t.hasAttr('fix_point')) return undefined;
  const v = t.getAttr('fix_point');
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined;
}

/** The const's bytes after checking their size against the tensor (undefined when the op has no data). */
function constBytes(op: Op, dtype: DType, file?: string): Uint8Array | undefined {
  if (!op.hasAttr('data')) return undefined;
  const a = op.getAttrTyped('data');
  if (a.type !== 'bytes') throw new XmodelError('E_XMODEL_CONST', `attr 'data' is ${a.type}, expected bytes`, { file, where: op.name });
  const b = a.value;
  const t = op.getOutputTensor();
  const n = t.getElementNum();
  const per = dtype === 'int8' ? 1 : 4;
  // Check the declared size against the bytes actually present before allocating anything.
  if (!Number.isSafeInteger(n) || n < 0 || n * per !== b.length) {
    throw new XmodelError('E_XMODEL_CONST_SIZE', `const data is ${b.length} bytes but its tensor [${t.dims}] of ${t.dtype} needs ${n * per}`, {
      file, where: op.name, fix: 'the file is damaged or was written with a different layout',
    });
  }
  return b;
}

function decodeConst(b: Uint8Array, dtype: DType, fixPoint: number | undefined): Float32Array {
  const n = dtype === 'int8' ? b.length : b.length / 4;
  const out = new Float32Array(n);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dtype === 'float32') for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
  else if (dtype === 'int32') for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
  else {
    const s = 2 ** -(fixPoint ?? 0);
    for (let i = 0; i < n; i++) out[i] = dv.getInt8(i) * s;
  }
  return out;
}

function irDtype(t: Tensor, file?: string): DType {
  if (t.dataType === 'FLOAT' && t.bitWidth === 32) return 'float32';
  if ((t.dataType === 'INT' || t.dataType === 'XINT') && t.bitWidth === 8) return 'int8';
  if (t.dataType === 'INT' && t.bitWidth === 32) return 'int32';
  throw new XmodelError('E_XMODEL_DTYPE_IR', `tensor type ${t.dtype} has no IR equivalent (float32, int8, xint8, int32)`, { file, where: t.name });
}

/** Reads an XIR graph back into the IR. */
export function xmodelToIr(g: Graph, opts: XmodelToIrOptions = {}): IrGraph {
  const file = opts.file;
  /** XIR op name → IR op name it stands for (fix ops → their producer). */
  const alias = new Map<string, string>();
  const irOps: IrOp[] = [];
  const byName = new Map<string, IrOp>();
  for (const op of g.getOps()) {
    const t = op.getOutputTensor();
    if (op.type === 'fix') {
      const src = op.getInputOpsInOrder();
      if (src.length !== 1) throw new XmodelError('E_XMODEL_FIX', `fix op has ${src.length} inputs, expected 1`, { file, where: op.name });
      const p = byName.get(alias.get(src[0]!.name)!)!;
      const fp = fixPointOf(op) ?? fixPointOf(t);
      const bw = op.hasAttr('bit_width') ? Number(op.getAttr('bit_width')) : 8;
      const signed = op.hasAttr('if_signed') ? op.getAttr('if_signed') === true : true;
      if (fp === undefined) throw new XmodelError('E_XMODEL_FIX', 'fix op has no fix_point', { file, where: op.name });
      if (bw !== 8 || !signed) {
        throw new XmodelError('E_XMODEL_FIX', `fix op is ${signed ? '' : 'un'}signed ${bw}-bit; the IR holds signed 8-bit fixed point only`, { file, where: op.name });
      }
      if (p.output.fixPoint !== undefined && p.output.fixPoint !== fp && p.type !== 'const') {
        throw new XmodelError('E_XMODEL_FIX', `tensor '${p.name}' has two fix points (${p.output.fixPoint} and ${fp})`, { file, where: op.name });
      }
      if (p.type === 'const' && p.output.fixPoint !== undefined && p.output.fixPoint !== fp) {
        throw new XmodelError('E_XMODEL_FIX', `const '${p.name}' is stored with fix_point ${p.output.fixPoint} but its fix op says ${fp}`, { file, where: op.name });
      }
      p.output.fixPoint = fp;
      p.output.dtype = 'int8';
      alias.set(op.name, p.name);
      continue;
    }
    let type = op.type;
    if (type === 'data-fix') type = 'data';
    if (type === 'const-fix') type = 'const';
    const dtype = irDtype(t, file);
    const fixPoint = t.dataType === 'XINT' ? fixPointOf(t) : undefined;
    const attrs: Attrs = {};
    const drop = WRITER_ATTRS[type] ?? [];
    for (const [k, a] of op.getAttrs()) {
      if (drop.includes(k)) continue;
      if ((op.type === 'data-fix' || op.type === 'const-fix') && ['fix_point', 'bit_width', 'if_signed', 'round_mode'].includes(k)) continue;
      attrs[k] = toPlain(a, op.name, k, file);
    }
    const ir: IrOp = {
      name: op.name,
      type,
      inputs: op.getInputOpsInOrder().map((s) => alias.get(s.name)!),
      attrs,
      output: fixPoint !== undefined ? { shape: [...t.dims], dtype, fixPoint } : { shape: [...t.dims], dtype },
    };
    if (type === 'const') {
      const b = constBytes(op, dtype, file);
      // lazy only when the fix point is known here (XINT8): an INT8 const whose fix op comes later keeps
      // the eager reading, so both modes always give the same values
      if (b && dtype === 'int8' && fixPoint !== undefined && opts.int8Consts === 'lazy') {
        defineLazyData(ir, new Int8Array(b.buffer, b.byteOffset, b.byteLength), fixPoint);
      } else if (b) ir.data = decodeConst(b, dtype, fixPoint);
    }
    irOps.push(ir);
    byName.set(ir.name, ir);
    alias.set(op.name, ir.name);
  }
  const strVec = (name: string): string[] | undefined => {
    if (!g.hasAttr(name)) return undefined;
    const a = g.getAttrTyped(name);
    return a.type === 'string_vec' ? [...a.value] : undefined;
  };
  const inputs = strVec('dpuflow_inputs') ?? irOps.filter((o) => o.type === 'data').map((o) => o.name);
  const outputs = strVec('dpuflow_outputs') ?? [...new Set(g.getTailOps().map((o) => alias.get(o.name)!))];
  for (const n of [...inputs, ...outputs]) {
    if (!byName.has(n)) throw new XmodelError('E_XMODEL_IR_IO', `graph input/output '${n}' is not an op`, { file, where: g.getName() });
  }
  const meta: Record<string, string> = {};
  if (g.hasAttr('dpuflow_meta')) {
    const m = g.getAttrTyped('dpuflow_meta');
    if (m.type === 'map_string_2_string') Object.assign(meta, m.value);
  }
  if (g.hasAttr('origin') && !('origin' in meta)) {
    const o = g.getAttrTyped('origin');
    if (o.type === 'string' && o.value !== 'dpuflow') meta.origin = o.value;
  }
  return { name: g.getName(), ops: irOps, inputs, outputs, meta };
}
