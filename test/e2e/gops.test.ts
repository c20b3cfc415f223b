// GOPs of ResNet-50 at 224²: ≈ 8.2 GOP (2 ops per MAC; 4.1 GMAC published for ResNet-50 v1.5).
// Checked three ways: the published figure, an ONNX-level count whose conv output sizes come
// from onnxruntime, and dpuflow's own graphStats on the imported IR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel } from '../../src/models/index.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { graphStats } from '../../src/ir/stats.js';
import { countMacsWithOrt } from './helpers.js';

test('ResNet-50 224²: graphStats GOPs ≈ 8.2 and equal to the ONNX/ORT count', async () => {
  const m = buildModel('resnet50', { inputSize: 224 });
  const { macs } = await countMacsWithOrt(m.onnx, m.inputName, m.inputShape);
  const independent = (2 * macs) / 1e9;
  assert.ok(Math.abs(independent - 8.2) / 8.2 <= 0.03, `ONNX/ORT count ${independent.toFixed(3)} GOP`);
  const stats = graphStats(importOnnx(m.onnx, { fileName: 'resnet50.onnx' }));
  assert.ok(Math.abs(stats.gops - 8.2) / 8.2 <= 0.03, `graphStats ${stats.gops} GOP vs 8.2`);
  // Same network, same counting rule (conv + FC MACs × 2): agree to 0.5 % (the IR may count
  // a few element-wise ops or the FC bias differently).
  assert.ok(Math.abs(stats.gops - independent) / independent <= 0.005, `graphStats ${stats.gops} vs ${independent}`);
});
