/**
 * Float IR vs the TF.js model's own float result (@tensorflow/tfjs, CPU backend) on the real models
 * shipped by @vladmandic/human: max |ir − tfjs| / max |tfjs| ≤ 1e-4 per output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModelFile } from '../../../src/importers/node/load-model.js';
import { runFloat } from '../../../src/kernels/ref/float-executor.js';
import type { Graph, TensorValue } from '../../../src/ir/types.js';
import { HUMAN, maxRelError, runTfjs, seededInput } from './oracle.js';

async function compare(model: string, outputs: string[] | undefined, feedName: string, tfInput: string, shape: number[], seed: number, range: [number, number] = [0, 1], exactFloat = false): Promise<{ g: Graph; errs: Record<string, number> }> {
  const file = join(HUMAN, `${model}.json`);
  const g = loadModelFile(file, { ...(outputs ? { outputs } : {}), exactFloat });
  const x = seededInput(shape, seed, range[0], range[1]);
  const ir = runFloat(g, { [feedName]: x });
  const tfOut = outputs ?? g.outputs;
  const ref = await runTfjs(file, { [tfInput]: x }, tfOut);
  const errs: Record<string, number> = {};
  g.outputs.forEach((o, i) => {
    const r = ref[tfOut[i]!]!;
    const v: TensorValue = ir[o]!;
    assert.deepEqual(v.shape, r.shape, `${model} ${o} shape`);
    errs[o] = maxRelError(v, r);
  });
  return { g, errs };
}

test('emotion (float32 weights, batch -1 → 1): float IR matches tfjs within 1e-4', async () => {
  const { g, errs } = await compare('emotion', undefined, 'input_1', 'input_1', [1, 64, 64, 1], 7);
  assert.deepEqual(g.outputs, ['Identity']);
  for (const [o, e] of Object.entries(errs)) assert.ok(e <= 1e-4, `${o}: rel err ${e}`);
});

test('blazeface (Pad, Reshape heads, 4 outputs): float IR matches tfjs within 1e-4', async () => {
  const { g, errs } = await compare('blazeface', undefined, 'input', 'input', [1, 256, 256, 3], 11, [-1, 1]);
  assert.equal(g.outputs.length, 4);
  for (const [o, e] of Object.entries(errs)) assert.ok(e <= 1e-4, `${o}: rel err ${e}`);
});

test('centernet (float16 weights, MobileNetV3, decode cut off at keypoints/wh; exactFloat: float16 1/6 hard-swish not fused): float IR matches tfjs within 1e-4', async () => {
  const { g, errs } = await compare('centernet', ['tower_0/keypoints', 'tower_0/wh'], 'tower_0/images', 'tower_0/images', [1, 512, 512, 3], 3, [-1, 1], true);
  assert.equal(g.ops.filter((o) => o.type === 'hard-swish').length, 0, 'exactFloat keeps the float16 hard-swish unfused');
  for (const [o, e] of Object.entries(errs)) assert.ok(e <= 1e-4, `${o}: rel err ${e}`);
});

test('handtrack (SSD MobileNetV2-FPN, uint8 input through a map/while TensorList loop): startAt the loop output, outputs before NMS — float IR matches tfjs within 1e-4', async () => {
  const start = 'StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack';
  const file = join(HUMAN, 'handtrack.json');
  const outputs = ['StatefulPartitionedCall/concat', 'StatefulPartitionedCall/concat_1'];
  const g = loadModelFile(file, { startAt: { [start]: [1, 320, 320, 3] }, outputs });
  assert.deepEqual(g.inputs, [start]);
  const x = seededInput([1, 320, 320, 3], 5, -1, 1);
  const ir = runFloat(g, { [start]: x });
  const ref = await runTfjs(file, { [start]: x }, outputs);
  outputs.forEach((o, i) => {
    const v = ir[g.outputs[i]!]!;
    assert.deepEqual(v.shape, ref[o]!.shape, `${o} shape`);
    const e = maxRelError(v, ref[o]!);
    assert.ok(e <= 1e-4, `${o}: rel err ${e}`);
  });
});
