import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel } from '../../src/models/index.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { quantize } from '../../src/quantizer/index.js';
import { irToXmodel } from '../../src/xir/from-ir.js';
import { xmodelToIr } from '../../src/xir/to-ir.js';
import { Graph as XGraph } from '../../src/xir/graph.js';
import type { Graph } from '../../src/ir/types.js';
import { compile } from '../../src/compiler/compile.js';
import { checkBitExact } from './helpers.js';

async function quantized(name: string, inputSize?: number): Promise<Graph> {
  const g = importOnnx(buildModel(name, inputSize ? { inputSize } : {}).onnx);
  const inp = g.ops.find((o) => o.type === 'data')!;
  const n = inp.output.shape.reduce((a, b) => a * b, 1);
  let s = 11;
  const batches = [0, 1].map(() => ({ [inp.name]: { shape: inp.output.shape, data: new Float32Array(n).map(() => { s = (s * 1103515245 + 12345) >>> 0; return (s / 2 ** 32) * 2 - 1; }) } }));
  const q = await quantize(g, batches, { skipReport: true, biasCorrection: false });
  // through the <net>_int.xmodel format, as `dpuflow compile` reads it
  return xmodelToIr(XGraph.deserialize(irToXmodel(q.graph).serialize()));
}

test('real pipeline: seeded ONNX (tiny) → importer → quantizer → _int.xmodel → compile → simulator equals the INT8 reference', async () => {
  const g = await quantized('tiny');
  const r = compile(g, 'B512');
  assert.deepEqual(r.report.counts, { dpu: 1, cpu: 0, user: 1 }, JSON.stringify(r.report.cpuOps));
  for (const p of ['B512', 'B4096']) assert.ok(checkBitExact(g, p) >= 1);
});

test('real pipeline: ResNet-18 at 64×64 quantized by the quantizer runs bit-exactly from our mc_code (B1152)', async () => {
  const g = await quantized('resnet18', 64);
  const r = compile(g, 'B1152');
  assert.equal(r.report.counts.dpu, 1, JSON.stringify(r.report.cpuOps));
  assert.ok(checkBitExact(g, 'B1152') >= 1);
});
