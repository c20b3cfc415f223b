/**
 * IR graph → XIR graph (what vai_q's export_xmodel writes for a float or quantized model).
 *
 *  - Each IR op becomes an XIR op of the same type and name; inputs become args named per
 *    ARG_NAMES (conv2d: input/weights/bias, …; default `input`).
 *  - IR attrs → typed attrs by `inferAttr` (boolean → bool; int32-range integer → int32; other
 *    number → float if exact in float32 else double; number[] → int32_vec / float_vec / double_vec;
 *    string → string; string[] → string_vec). The reader maps them back to the same JS values.
 *  - const: attrs `shape` (int32_vec), `data_type` (string) and `data` (bytes): float32 LE for
 *    float consts; int8 q values (data · 2^fixPoint) for quantized consts (XINT8 tensor with fix_point);
 *    int8 without fix point → INT8 bytes; int32 → INT32 LE.
 *  - data: attrs `shape` and `data_type` ('FLOAT32').
 *  - A tensor with fixPoint gets a `fix` op right after its producer (attrs fix_point, bit_width 8,
 *    if_signed true, round_mode STD_ROUND for consts, DPU_ROUND otherwise); its consumers read the fix op.
 *  - graph_attr: `origin` (producer, shown by Netron), `dpuflow_inputs` / `dpuflow_outputs`
 *    (IR input/output order), `dpuflow_meta` (map_string_2_string of graph.meta).
 *  - Root subgraph with one leaf child per device: USER (the data ops), CPU (all other ops).
 */
import { XmodelError } from '../errors.js';
import type { Graph as IrGraph, Op as IrOp } from '../ir/types.js';
import { A, inferAttr } from './attr.js';
import { Graph, type Op, type XDataType } from './graph.js';
import { argNameOf, buildOpDefs } from './op-defs.js';

export const ORIGIN = 'dpuflow';
export const FIX_SUFFIX = '_fix';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Float32Array → little-endian bytes. */
export function float32ToBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const out = new Uint8Array(data.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i]!, true);
  return out;
}

function constBytes(op: IrOp, graphName: string): { bytes: Uint8Array; dataType: string; x: XDataType; bits: number } {
  const d = op.data!;
  const n = op.output.shape.reduce((a, b) => a * b, 1);
  if (d.length !== n) {
    throw new XmodelError('E_XMODEL_CONST_SIZE', `const holds ${d.length} values but its shape [${op.output.shape}] needs ${n}`, {
      where: `${graphName}/${op.name}`, fix: 'the const payload must match its output shape',
    });
  }
  const { dtype, fixPoint } = op.output;
  if (dtype === 'float32') return { bytes: float32ToBytes(d), dataType: 'FLOAT32', x: 'FLOAT', bits: 32 };
  if (dtype === 'int32') {
    const out = new Uint8Array(n * 4);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < n; i++) dv.setInt32(i * 4, d[i]!, true);
    return { bytes: out, dataType: 'INT32', x: 'INT', bits: 32 };
  }
  const scale = fixPoint === undefined ? 1 : 2 ** fixPoint;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const q = d[i]! * scale;
    if (!Number.isInteger(q) || q < -128 || q > 127) {
      throw new XmodelError('E_XMODEL_CONST_NOT_QUANTIZED',
        `value #${i} (${d[i]}) is not an int8 multiple of 2^-${fixPoint ?? 0}`, {
          where: `${graphName}/${op.name}`,
          fix: 'quantized consts must hold q · 2^-fixPoint with q in [-128, 127] (docs/quantized-ir.md)',
        });
    }
    out[i] = q & 0xff;
  }
  return fixPoint === undefined
    ? { bytes: out, dataType: 'INT8', x: 'INT', bits: 8 }
    : { bytes: out, dataType: 'XINT8', x: 'XINT', bits: 8 };
}

function fixTensorAttrs(fp: number, roundMode: string): Record<string, ReturnType<typeof A.int32>> {
  return { fix_point: A.int32(fp), bit_width: A.int32(8), if_signed: A.bool(true), round_mode: A.string(roundMode) };
}

/** Writes an IR graph (float or quantized) as an XIR graph; serialize() it for the .xmodel bytes. */
export function irToXmodel(ir: IrGraph): Graph {
  const g = new Graph(ir.name);
  const used = new Set(ir.ops.map((o) => o.name));
  /** IR name → XIR op that consumers read (the fix op for fixed-point tensors). */
  const visible = new Map<string, Op>();
  const userOps: string[] = [];
  const cpuOps: string[] = [];
  for (const op of ir.ops) {
    const inputs: Array<[string, Op[]]> = [];
    op.inputs.forEach((src, i) => {
      const x = visible.get(src);
      if (!x) {
        throw new XmodelError('E_XMODEL_IR_ORDER', `input '${src}' is not produced by an earlier op`, {
          where: `${ir.name}/${op.name}`, fix: 'IR ops must be topologically sorted and inputs must exist',
        });
      }
      const arg = argNameOf(op.type, i);
      const last = inputs[inputs.length - 1];
      if (last && last[0] === arg) last[1].push(x);
      else inputs.push([arg, [x]]);
    });
    const attrs: Record<string, ReturnType<typeof inferAttr>> = {};
    for (const [k, v] of Object.entries(op.attrs)) {
      try {
        attrs[k] = inferAttr(v);
      } catch (err) {
        throw new XmodelError('E_XMODEL_ATTR_VALUE', `attr '${k}' cannot be stored: ${(err as Error).message}`, { where: `${ir.name}/${op.name}` });
      }
    }
    const fp = op.output.fixPoint;
    let dataType: XDataType = op.output.dtype === 'float32' ? 'FLOAT' : 'INT';
    let bits = op.output.dtype === 'int8' ? 8 : 32;
    let tensorAttrs: Record<string, ReturnType<typeof A.int32>> = {};
    if (fp !== undefined && (!Number.isInteger(fp) || fp < -128 || fp > 127)) {
      throw new XmodelError('E_XMODEL_FIX_POINT', `fix point ${fp} is not an integer in [-128, 127]`, { where: `${ir.name}/${op.name}` });
    }
    if (op.type === 'const') {
      attrs.shape = A.int32Vec(op.output.shape);
      if (op.data) {
        const c = constBytes(op, ir.name);
        attrs.data_type = A.string(c.dataType);
        attrs.data = A.bytes(c.bytes);
        dataType = c.x;
        bits = c.bits;
        if (c.x === 'XINT') tensorAttrs = fixTensorAttrs(fp!, 'STD_ROUND');
      } else {
        attrs.data_type = A.string(op.output.dtype === 'float32' ? 'FLOAT32' : op.output.dtype === 'int32' ? 'INT32' : 'INT8');
      }
    } else if (fp !== undefined) {
      // The float op computes in float; the fix op after it carries the fixed-point format.
      dataType = 'FLOAT';
      bits = 32;
    }
    if (op.type === 'data' && !('data_type' in attrs)) attrs.data_type = A.string('FLOAT32');
    const xop = g.createOp({ name: op.name, type: op.type, attrs, inputs, tensor: { dims: op.output.shape, dataType, bitWidth: bits, attrs: tensorAttrs } });
    (op.type === 'data' ? userOps : cpuOps).push(op.name);
    visible.set(op.name, xop);
    if (fp !== undefined) {
      let fixName = `${op.name}${FIX_SUFFIX}`;
      for (let k = 1; used.has(fixName); k++) fixName = `${op.name}${FIX_SUFFIX}${k}`;
      used.add(fixName);
      const round = op.type === 'const' ? 'STD_ROUND' : 'DPU_ROUND';
      const fix = g.createOp({
        name: fixName,
        type: 'fix',
        attrs: fixTensorAttrs(fp, round),
        inputs: [['input', [xop]]],
        tensor: { dims: op.output.shape, dataType: 'XINT', bitWidth: 8, attrs: fixTensorAttrs(fp, round) },
      });
      cpuOps.push(fixName);
      visible.set(op.name, fix);
    }
  }
  for (const name of [...ir.inputs, ...ir.outputs]) {
    if (!visible.has(name)) {
      throw new XmodelError('E_XMODEL_IR_IO', `graph input/output '${name}' is not an op of the graph`, { where: ir.name });
    }
  }
  g.setAttr('origin', A.string(ORIGIN));
  g.setAttr('dpuflow_inputs', A.stringVec([...ir.inputs]));
  g.setAttr('dpuflow_outputs', A.stringVec([...ir.outputs]));
  g.setAttr('dpuflow_meta', A.mapString2String({ ...ir.meta }));
  const groups: Array<{ name: string; ops: string[]; device: string }> = [];
  if (userOps.length > 0) groups.push({ name: `subgraph_${userOps[0]}`, ops: userOps, device: 'USER' });
  if (cpuOps.length > 0) groups.push({ name: `subgraph_${cpuOps[0]}`, ops: cpuOps, device: 'CPU' });
  const kids = g.getRootSubgraph().createChildren(groups);
  kids.forEach((k, i) => k.setAttr('device', A.string(groups[i]!.device)));
  for (const def of buildOpDefs(g)) g.addOpDef(def);
  return g;
}
