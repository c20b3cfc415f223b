// The INT8 peer builders: BN folding keeps the function (onnxruntime before/after), and the QDQ
// rewrite is accepted by onnxruntime, fused into its QLinear* kernels, and close to FP32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { buildModel, exposeAllTensors, foldBatchNorm, toQdq, type TensorRanges } from '../../src/models/index.js';
import { onnxModelType } from '../../src/importers/onnx/schema.js';
import { GraphError } from '../../src/errors.js';
import { maxRelError, runOrt, testInput } from '../e2e/helpers.js';

function opCounts(onnx: Uint8Array): Record<string, number> {
  const T = onnxModelType();
  const m = T.decode(onnx) as unknown as { graph: { node: { op_type: string }[] } };
  const c: Record<string, number> = {};
  for (const n of m.graph.node) c[n.op_type] = (c[n.op_type] ?? 0) + 1;
  return c;
}

const cases = [
  { name: 'resnet18', size: 64 },
  { name: 'mobilenetv2', size: 64 },
  { name: 'yolov5s', size: 64 },
];

for (const c of cases) {
  test(`${c.name} ${c.size}²: BN folding exact, QDQ fused by onnxruntime and near FP32`, async () => {
    const m = buildModel(c.name, { seed: 2, inputSize: c.size });
    const folded = foldBatchNorm(m.onnx);
    assert.equal(opCounts(folded)['BatchNormalization'], undefined);
    const x = testInput(m.inputShape, 3);
    const ref = await runOrt(m.onnx, { [m.inputName]: x });
    const fol = await runOrt(folded, { [m.inputName]: x });
    for (const o of m.outputNames) assert.ok(maxRelError(fol[o]!.data, ref[o]!.data) <= 1e-4, `fold ${o}`);

    // Ranges from a different input than the one compared (a one-image calibration).
    const probe = exposeAllTensors(folded);
    const all = await runOrt(probe.onnx, { [m.inputName]: testInput(m.inputShape, 5) });
    const ranges: TensorRanges = { [m.inputName]: [-2.5, 2.5] };
    for (const t of probe.tensors) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of all[t]!.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      ranges[t] = [lo, hi];
    }
    const qdq = toQdq(folded, ranges);
    const q = await runOrt(qdq, { [m.inputName]: x });
    for (const o of m.outputNames) {
      const err = maxRelError(q[o]!.data, ref[o]!.data);
      console.log(`${c.name} ${o}: INT8 QDQ vs FP32 max rel error ${err.toFixed(4)}`);
      assert.ok(err <= 0.15, `qdq ${o}: ${err}`);
    }
    // onnxruntime's optimized graph: every Conv became a QLinearConv.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-qdq-'));
    try {
      const file = path.join(dir, 'opt.onnx');
      const s = await ort.InferenceSession.create(qdq, { intraOpNumThreads: 1, optimizedModelFilePath: file });
      await s.release();
      const counts = opCounts(new Uint8Array(fs.readFileSync(file)));
      const convs = opCounts(folded)['Conv'] ?? 0;
      // The last conv of each head feeds a graph output and stays float (its output is not quantized).
      assert.ok((counts['QLinearConv'] ?? 0) >= convs - m.outputNames.length, `${JSON.stringify(counts)} for ${convs} convs`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('toQdq refuses unfolded BatchNormalization and missing ranges', () => {
  const m = buildModel('tiny');
  assert.throws(() => toQdq(m.onnx, {}), (e: unknown) => e instanceof GraphError && e.code === 'E_QDQ_BN');
  assert.throws(() => toQdq(foldBatchNorm(m.onnx), {}), (e: unknown) => e instanceof GraphError && e.code === 'E_QDQ_RANGE');
});
