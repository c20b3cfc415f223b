// The seeded model builders: real ONNX that onnxruntime runs, with the published networks'
// output shapes, parameter counts and multiply-accumulate counts (independent figures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, MODEL_NAMES } from '../../src/models/index.js';
import { GraphError } from '../../src/errors.js';
import { countMacsWithOrt, runOrt, testInput } from '../e2e/helpers.js';

test('same seed gives the same bytes, another seed other weights', () => {
  const a = buildModel('tiny', { seed: 3 });
  const b = buildModel('tiny', { seed: 3 });
  const c = buildModel('tiny', { seed: 4 });
  assert.deepEqual(a.onnx, b.onnx);
  assert.notDeepEqual(a.onnx, c.onnx);
  assert.equal(a.onnx.length, c.onnx.length);
});

test('bad names and sizes are GraphErrors that say what to do', () => {
  assert.throws(() => buildModel('resnet34'), (e: unknown) => e instanceof GraphError && e.code === 'E_MODEL_UNKNOWN' && /resnet50/.test(e.message));
  assert.throws(() => buildModel('resnet50', { inputSize: 100 }), (e: unknown) => e instanceof GraphError && e.code === 'E_MODEL_INPUT_SIZE');
});

// Small input sizes keep this fast; the shapes scale with the input as the published nets do.
const cases: { name: string; size: number; outs: number[][] }[] = [
  { name: 'tiny', size: 16, outs: [[1, 10]] },
  { name: 'resnet18', size: 64, outs: [[1, 1000]] },
  { name: 'resnet50', size: 64, outs: [[1, 1000]] },
  { name: 'mobilenetv2', size: 96, outs: [[1, 1000]] },
  { name: 'inception-v1', size: 64, outs: [[1, 1000]] },
  { name: 'vgg-small', size: 64, outs: [[1, 1000]] },
  { name: 'yolov5s', size: 128, outs: [[1, 255, 16, 16], [1, 255, 8, 8], [1, 255, 4, 4]] },
];

test('every builder is covered', () => {
  assert.deepEqual(cases.map((c) => c.name).sort(), [...MODEL_NAMES].sort());
});

for (const c of cases) {
  test(`${c.name}: onnxruntime runs it, output shapes as published, activations in range`, async () => {
    const m = buildModel(c.name, { seed: 11, inputSize: c.size });
    assert.deepEqual(m.inputShape, [1, 3, c.size, c.size]);
    assert.deepEqual(m.outputShapes, c.outs);
    const out = await runOrt(m.onnx, { [m.inputName]: testInput(m.inputShape) });
    assert.deepEqual(Object.keys(out).sort(), [...m.outputNames].sort());
    for (const [i, name] of m.outputNames.entries()) {
      const t = out[name]!;
      assert.deepEqual(t.dims, c.outs[i]);
      let ss = 0;
      for (const v of t.data) {
        assert.ok(Number.isFinite(v));
        ss += v * v;
      }
      const rms = Math.sqrt(ss / t.data.length);
      assert.ok(rms > 0.01 && rms < 100, `${name} rms ${rms}`);
    }
  });
}

test('yolov5s with HardSwish is opset 14 and runs', async () => {
  const m = buildModel('yolov5s', { inputSize: 64, activation: 'hardswish' });
  const out = await runOrt(m.onnx, { [m.inputName]: testInput(m.inputShape) });
  assert.deepEqual(out[m.outputNames[0]!]!.dims, [1, 255, 8, 8]);
});

// Published figures: torchvision parameter counts; MACs from the papers / model cards
// (ResNet-50 v1.5 4.1 G, ResNet-18 1.8 G, MobileNetV2 300 M, YOLOv5s v6.0 16.5 GFLOPs = 8.25 GMAC at 640²;
// YOLOv5s v6.0 has 7,235,389 parameters unfused).
const published: { name: string; size: number; params?: number; gmacs: number; tol: number }[] = [
  { name: 'resnet18', size: 224, params: 11_689_512, gmacs: 1.82, tol: 0.02 },
  { name: 'resnet50', size: 224, params: 25_557_032, gmacs: 4.11, tol: 0.02 },
  { name: 'mobilenetv2', size: 224, params: 3_504_872, gmacs: 0.30, tol: 0.05 },
  { name: 'inception-v1', size: 224, gmacs: 1.5, tol: 0.1 },
  { name: 'yolov5s', size: 640, params: 7_235_389, gmacs: 8.25, tol: 0.03 },
];
for (const p of published) {
  test(`${p.name} at ${p.size}²: parameters and MACs match the published network`, async () => {
    const m = buildModel(p.name, { inputSize: p.size });
    const { macs, params } = await countMacsWithOrt(m.onnx, m.inputName, m.inputShape);
    if (p.params !== undefined) assert.equal(params, p.params);
    const rel = Math.abs(macs / 1e9 - p.gmacs) / p.gmacs;
    console.log(`${p.name} ${p.size}²: ${(macs / 1e9).toFixed(3)} GMAC, ${params} params`);
    assert.ok(rel <= p.tol, `${p.name}: ${(macs / 1e9).toFixed(3)} GMAC vs published ${p.gmacs} (±${p.tol * 100}%)`);
  });
}
