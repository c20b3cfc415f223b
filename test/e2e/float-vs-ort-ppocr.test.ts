// Float IR executor vs onnxruntime-node on the three shipped PP-OCR models (det: DBNet,
// rec: CNN + SVTR transformer, cls: MobileNetV3): max rel error ≤ 1e-4 on every output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { assetPath, readAsset, type AssetName } from '../../src/runtime/node/assets.js';
import { compareOutputs, nchwToNhwc, runOrt, testInput } from './helpers.js';

const TOL = 1e-4;
const cases: { asset: AssetName; shape: number[] }[] = [
  { asset: 'ppocr-det', shape: [1, 3, 320, 320] },
  { asset: 'ppocr-rec', shape: [1, 3, 48, 320] },
  { asset: 'ppocr-cls', shape: [1, 3, 48, 192] },
];

for (const c of cases) {
  test(`${c.asset} ${c.shape.join('×')}: float executor == onnxruntime within ${TOL}`, async () => {
    const bytes = readAsset(c.asset);
    const graph = importOnnx(bytes, { fileName: assetPath(c.asset), inputShapes: { x: c.shape } });
    const x = testInput(c.shape, 9);
    const ortOut = await runOrt(bytes, { x });
    const xl = nchwToNhwc(x);
    const ours = runFloat(graph, { [graph.inputs[0]!]: { shape: xl.dims, data: xl.data } });
    const errs = compareOutputs(graph.outputs, ours, ortOut, Object.keys(ortOut));
    assert.equal(errs.length, 1);
    for (const e of errs) assert.ok(e.relErr <= TOL, `${e.name} ${e.shape.join('x')}: max rel error ${e.relErr.toExponential(2)}`);
  });
}
