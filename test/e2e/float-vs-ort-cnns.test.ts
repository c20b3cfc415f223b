// Float IR executor vs onnxruntime-node (the oracle) on the seeded classic CNNs:
// max|ours − ort| / max|ort| ≤ 1e-4 on every output. Inputs are NCHW for ORT, NHWC for the IR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel } from '../../src/models/index.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { compareOutputs, nchwToNhwc, runOrt, testInput } from './helpers.js';

const TOL = 1e-4;
// Smaller inputs than the published 224²/640² keep the reference executor's run to seconds;
// every layer type and branch structure is the same.
const cases: { name: string; size: number; activation?: 'leaky' | 'hardswish' }[] = [
  { name: 'tiny', size: 16 },
  { name: 'resnet18', size: 128 },
  { name: 'resnet50', size: 64 },
  { name: 'mobilenetv2', size: 96 },
  { name: 'inception-v1', size: 64 },
  { name: 'vgg-small', size: 64 },
  { name: 'yolov5s', size: 160 },
  { name: 'yolov5s', size: 64, activation: 'hardswish' },
];

for (const c of cases) {
  test(`${c.name}${c.activation ? ` (${c.activation})` : ''} ${c.size}²: float executor == onnxruntime within ${TOL}`, async () => {
    const m = buildModel(c.name, { seed: 5, inputSize: c.size, activation: c.activation });
    const graph = importOnnx(m.onnx, { fileName: `${c.name}.onnx` });
    const x = testInput(m.inputShape, 3);
    const ortOut = await runOrt(m.onnx, { [m.inputName]: x });
    const xl = nchwToNhwc(x);
    const ours = runFloat(graph, { [graph.inputs[0]!]: { shape: xl.dims, data: xl.data } });
    const errs = compareOutputs(graph.outputs, ours, ortOut, m.outputNames);
    assert.equal(errs.length, m.outputNames.length);
    for (const e of errs) console.log(`${e.name} ${e.shape.join("x")}: max rel error ${e.relErr.toExponential(2)}`);
    for (const e of errs) assert.ok(e.relErr <= TOL, `${e.name} ${e.shape.join('x')}: max rel error ${e.relErr.toExponential(2)}`);
  });
}
