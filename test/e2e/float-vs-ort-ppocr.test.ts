// Float IR executor vs onnxruntime-node on the three shipped PP-OCR models (det: DBNet,
// rec: CNN + SVTR transformer, cls: MobileNetV3): max rel error ≤ 1e-4 on every output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { assetPath, readAsset, type AssetName } from '../../src/runtime/node/assets.js';
import { loadDetInput } from '../../src/cli/commands/demo.js';
import { compareOutputs, nchwToNhwc, runOrt, testInput, type NamedTensor } from './helpers.js';

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
    // det gets a real screenshot with text: on noise its probability map is ~1e-6 everywhere and a
    // max-relative metric would only measure float rounding noise. rec/cls are fine on noise.
    let x: NamedTensor = testInput(c.shape, 9);
    if (c.asset === 'ppocr-det') {
      const img = await loadDetInput(assetPath('image-text'), c.shape[3]);
      assert.deepEqual([1, 3, img.inH, img.inW], c.shape);
      x = { dims: c.shape, data: img.nchw };
    }
    const ortOut = await runOrt(bytes, { x });
    const xl = nchwToNhwc(x);
    const ours = runFloat(graph, { [graph.inputs[0]!]: { shape: xl.dims, data: xl.data } });
    const errs = compareOutputs(graph.outputs, ours, ortOut, Object.keys(ortOut));
    assert.equal(errs.length, 1);
    for (const e of errs) console.log(`${e.name} ${e.shape.join("x")}: max rel error ${e.relErr.toExponential(2)}`);
    for (const e of errs) assert.ok(e.relErr <= TOL, `${e.name} ${e.shape.join('x')}: max rel error ${e.relErr.toExponential(2)}`);
  });
}
