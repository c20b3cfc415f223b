// serial_v2 wire format: every AttrValue variant, field numbers checked with an independent
// protobuf walker (test/xir/wire.ts) against xir-format.md, and serialize ∘ deserialize byte-stable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, Graph, attrEquals, irToXmodel, setDpuSubgraphAttrs, getDpuSubgraphAttrs, type XAttr } from '../../src/xir/index.js';
import { fields, sub, str, mapEntries, readVarint } from './wire.js';
import { floatNet, quantNet } from './nets.js';

const u8 = (...b: number[]): Uint8Array => Uint8Array.from(b);

/** One value per AttrValue variant, with its field number from xir-format.md. */
const VARIANTS: Array<[XAttr, number]> = [
  [A.bool(true), 4], [A.int32(-5), 5], [A.uint32(4000000000), 6], [A.int64(-(2n ** 62n)), 7],
  [A.uint64(2n ** 64n - 1n), 8], [A.float(0.5), 9], [A.double(1 / 3), 10], [A.string('héllo'), 11],
  [A.bytes(u8(0, 255, 7)), 12], [A.boolVec([true, false]), 13], [A.int32Vec([-1, 2]), 14], [A.uint32Vec([1, 4294967295]), 15],
  [A.int64Vec([-(2n ** 63n), 5n]), 16], [A.uint64Vec([2n ** 63n, 0n]), 17], [A.floatVec([0.25, -1]), 18], [A.doubleVec([0.1, 1e300]), 19],
  [A.stringVec(['a', '']), 20], [A.bytesVec([u8(1), u8()]), 21],
  [A.mapString2Int32({ a: -1, b: 2 }), 22], [A.mapString2Uint32({ a: 4294967295 }), 23], [A.mapString2Int64({ a: -(2n ** 40n) }), 24],
  [A.mapString2Uint64({ REG_0: 2n ** 64n - 2n }), 25], [A.mapString2String({ run: 'libvart-dpu-runner.so' }), 26],
  [A.mapString2Bytes({ REG_0: u8(9, 8, 7) }), 27], [A.mapString2Int32Vec({ a: [1, -2] }), 28], [A.mapString2Uint32Vec({ a: [3] }), 29],
  [A.mapString2Int64Vec({ a: [-(2n ** 50n)] }), 30], [A.mapString2Uint64Vec({ a: [2n ** 64n - 1n] }), 31], [A.mapString2StringVec({ a: ['x', 'y'] }), 32],
];

function graphWithAllVariants(): Graph {
  const g = new Graph('variants');
  const x = g.createOp({ name: 'x', type: 'data', attrs: { shape: A.int32Vec([1, 2]) }, tensor: { dims: [1, 2], dataType: 'FLOAT', bitWidth: 32 } });
  g.createOp({ name: 'y', type: 'relu', inputs: { input: [x] }, tensor: { dims: [1, 2], dataType: 'FLOAT', bitWidth: 32 } });
  VARIANTS.forEach(([a], i) => g.getRootSubgraph().setAttr(`v${i}`, a));
  return g;
}

test('every AttrValue variant survives serialize → deserialize with its type', () => {
  const g2 = Graph.deserialize(graphWithAllVariants().serialize());
  VARIANTS.forEach(([a], i) => {
    const b = g2.getRootSubgraph().getAttrTyped(`v${i}`);
    assert.ok(attrEquals(a, b), `${a.type}: ${JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  });
});

test('AttrValue field numbers and wrapper messages match xir-format.md (independent wire walker)', () => {
  const bytes = graphWithAllVariants().serialize();
  const top = fields(bytes);
  const root = fields(sub(top, 10)[0]!.bytes!); // Graph.subg_root = 10
  const attrs = new Map(mapEntries(root, 5)); // SubGraph.subg_attr = 5
  VARIANTS.forEach(([a, fieldNo], i) => {
    const v = fields(attrs.get(`v${i}`)!);
    assert.equal(v.length, 1, `${a.type}: exactly one value set`);
    assert.equal(v[0]!.field, fieldNo, `${a.type} is field ${fieldNo}`);
    if (fieldNo >= 12) {
      // wrapper message: payload in field 1
      assert.equal(v[0]!.wireType, 2);
      const inner = fields(v[0]!.bytes!);
      assert.ok(inner.every((f) => f.field === 1), `${a.type} wrapper holds field 1 only`);
    }
  });
  // spot values decoded by hand
  const u64 = fields(attrs.get('v4')!)[0]!;
  assert.equal(u64.varint, 2n ** 64n - 1n);
  const i32 = fields(attrs.get('v1')!)[0]!; // int32 -5 is a 10-byte varint of 2^64 - 5
  assert.equal(i32.varint, 2n ** 64n - 5n);
  const bytesVal = fields(fields(attrs.get('v8')!)[0]!.bytes!)[0]!;
  assert.deepEqual([...bytesVal.bytes!], [0, 255, 7]);
  const m = mapEntries(fields(fields(attrs.get('v23')!)[0]!.bytes!), 1); // MapString2Bytes.value = 1, map<string, Bytes>
  assert.equal(m[0]![0], 'REG_0');
  assert.deepEqual([...fields(m[0]![1])[0]!.bytes!], [9, 8, 7]);
});

test('Graph/OPNode/Tensor/SubGraph field numbers (independent wire walker)', () => {
  const bytes = irToXmodel(quantNet()).serialize();
  const top = fields(bytes);
  assert.deepEqual([...new Set(top.map((f) => f.field))].sort((a, b) => a - b), [1, 5, 10, 11, 101]);
  assert.ok(top.every((f) => f.wireType === 2));
  assert.equal(str(sub(top, 1)[0]), 'qnet');
  const ops = sub(top, 5).map((f) => fields(f.bytes!));
  assert.equal(ops.length, 13);
  const conv = ops.find((o) => str(sub(o, 1)[0]) === 'conv')!;
  assert.equal(str(sub(conv, 2)[0]), 'conv2d');
  const args = sub(conv, 4).map((a) => fields(a.bytes!)).map((a) => [str(sub(a, 1)[0]), sub(a, 2).map(str)]);
  assert.deepEqual(args, [['input', ['x_fix']], ['weights', ['w_fix']], ['bias', ['b_fix']]]);
  const t = fields(sub(conv, 5)[0]!.bytes!);
  assert.equal(str(sub(t, 1)[0]), 'conv');
  // tensor_dim = 2, packed uint32
  const dimsPacked = sub(t, 2)[0]!.bytes!;
  const dims: number[] = [];
  for (let p = 0; p < dimsPacked.length;) { const [v, q] = readVarint(dimsPacked, p); dims.push(Number(v)); p = q; }
  assert.deepEqual(dims, [1, 4, 4, 2]);
  assert.equal(sub(t, 5)[0]!.varint, 4n); // FLOAT
  assert.equal(sub(t, 6)[0]!.varint, 32n);
  const fix = ops.find((o) => str(sub(o, 1)[0]) === 'conv_fix')!;
  const ft = fields(sub(fix, 5)[0]!.bytes!);
  assert.equal(sub(ft, 5)[0]!.varint, 2n); // XINT
  assert.equal(sub(ft, 6)[0]!.varint, 8n);
  const fattrs = new Map(mapEntries(fix, 3));
  assert.deepEqual(fields(fattrs.get('fix_point')!).map((f) => [f.field, f.varint]), [[5, 4n]]); // int32_value = 5
  // root subgraph: name, children (10) with ops (3) and attrs (5)
  const root = fields(sub(top, 10)[0]!.bytes!);
  assert.equal(str(sub(root, 1)[0]), 'root');
  const kids = sub(root, 10).map((k) => fields(k.bytes!));
  assert.deepEqual(kids.map((k) => sub(k, 3).length), [1, 12]);
  // op_defs: name = 1, input_args = 2, attrs = 3 with a default_value (4) holding one value
  const defs = sub(top, 101).map((d) => fields(d.bytes!));
  const convDef = defs.find((d) => str(sub(d, 1)[0]) === 'conv2d')!;
  assert.deepEqual(sub(convDef, 2).map((a) => str(sub(fields(a.bytes!), 1)[0])), ['input', 'weights', 'bias']);
  for (const a of sub(convDef, 3)) assert.equal(fields(sub(fields(a.bytes!), 4)[0]!.bytes!).length, 1);
});

test('serialize ∘ deserialize is byte-stable', () => {
  const graphs = [graphWithAllVariants(), irToXmodel(floatNet()), irToXmodel(quantNet())];
  const dpu = irToXmodel(quantNet());
  const names = dpu.getOps().map((o) => o.name);
  const [, d] = dpu.getRootSubgraph().createChildren([
    { name: 'subgraph_x', ops: ['x'] }, { name: 'subgraph_dpu', ops: names.filter((n) => n !== 'x' && n !== 'sig') }, { name: 'subgraph_sig', ops: ['sig'] },
  ]);
  setDpuSubgraphAttrs(d!, {
    dpuName: 'DPUCZDX8G_ISA1_B4096_0101000016010407', fingerprint: 0x101000016010407n, mcCode: u8(1, 2, 3, 4),
    regIdToParameterValue: { REG_0: u8(5, 6) }, regIdToContextType: { REG_0: 'CONST', REG_1: 'DATA_LOCAL' },
    regIdToSize: { REG_0: 2, REG_1: 1024 }, runner: { run: 'libvart-dpu-runner.so', ref: 'libvart-cpu-runner.so', sim: 'libvart-sim-runner.so' },
  });
  graphs.push(dpu);
  for (const g of graphs) {
    const a = g.serialize();
    const b = Graph.deserialize(a).serialize();
    assert.deepEqual(Buffer.from(b).equals(Buffer.from(a)), true, g.getName());
  }
  const back = getDpuSubgraphAttrs(Graph.deserialize(dpu.serialize()).getRootSubgraph().getChildren()[1]!);
  assert.equal(back.fingerprint, 0x101000016010407n);
  assert.deepEqual([...back.mcCode], [1, 2, 3, 4]);
  assert.deepEqual(back.regIdToSize, { REG_0: 2, REG_1: 1024 });
  assert.deepEqual(back.regIdToContextType, { REG_0: 'CONST', REG_1: 'DATA_LOCAL' });
});
