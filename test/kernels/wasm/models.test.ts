// Whole quantized models: the fast executor ('run' mode) vs runQuantized (the INT8 reference),
// every fixed-point tensor byte for byte. Models from src/models, imported with importOnnx and
// quantized by src/quantizer (max-min calibration on one seeded random input).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { quantizedModel } from './helpers.js';

async function check(name: string, inputSize: number, opts: Record<string, unknown> = {}): Promise<void> {
  const { g, feeds } = await quantizedModel(name, inputSize, opts);
  const ref = new Map<string, Int8Array>();
  const refOut = runQuantized(g, feeds, { onTensor: (op, _v, q) => { if (q) ref.set(op.name, q); } });
  const ex = createFastExecutor(g);
  const out = ex.run(feeds);
  let compared = 0;
  for (const [opName, want] of ref) {
    const got = ex.tensor(opName);
    if (!got) continue; // packed conv weights have no arena slot
    assert.equal(Buffer.compare(Buffer.from(want.buffer, want.byteOffset, want.length), Buffer.from(got.buffer, got.byteOffset, got.length)), 0, `${name}: tensor ${opName}`);
    compared++;
  }
  for (const o of g.outputs) assert.deepEqual(out[o].data, refOut[o].data, `${name}: output ${o}`);
  const convs = g.ops.filter((o) => o.type === 'conv2d' || o.type === 'depthwise-conv2d').length;
  assert.ok(ex.stats.wasmOps >= convs, `${name}: ${ex.stats.wasmOps} WASM ops < ${convs} convs; fallbacks ${JSON.stringify(ex.stats.fallbacks)}`);
  assert.ok(compared > convs, `${name}: compared ${compared} tensors`);
}

test('ResNet-18 (64×64) quantized: run == ref on every tensor', async () => {
  await check('resnet18', 64);
});

test('MobileNetV2 (64×64, depthwise, RELU6) quantized: run == ref on every tensor', async () => {
  await check('mobilenetv2', 64);
});

test('YOLOv5s-shaped (64×64, leaky; and hardswish) quantized: run == ref on every tensor', async () => {
  await check('yolov5s', 64);
  await check('yolov5s', 64, { activation: 'hardswish' });
});
