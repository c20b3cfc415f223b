// optimizeForInference on real models vs onnxruntime-node (the oracle): PP-OCR det/rec/cls and
// ResNet-50 (seeded, src/models) — max|ours − ort| / max|ort| ≤ 1e-4 on every output, and the
// optimised graph has fewer ops with the same output names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx } from '../../../src/importers/onnx/index.js';
import { optimizeForInference } from '../../../src/ir/passes/optimize/index.js';
import { runFloat } from '../../../src/kernels/ref/float-executor.js';
import { buildModel } from '../../../src/models/index.js';
import { assetPath, readAsset, type AssetName } from '../../../src/runtime/node/assets.js';
import { loadDetInput } from '../../../src/cli/commands/demo.js';
import type { Graph } from '../../../src/ir/types.js';
import { compareOutputs, nchwToNhwc, runOrt, testInput, type NamedTensor } from '../../e2e/helpers.js';

const TOL = 1e-4;

async function check(label: string, onnx: Uint8Array, graph: Graph, x: NamedTensor, inputName: string, outNames: string[]): Promise<void> {
  const opt = optimizeForInference(graph);
  assert.deepEqual(opt.outputs, graph.outputs);
  assert.deepEqual(opt.inputs, graph.inputs);
  const count = (g: Graph, t: string): number => g.ops.filter((o) => o.type === t).length;
  console.log(`${label}: ${graph.ops.length} → ${opt.ops.length} ops; batchnorm ${count(graph, 'batchnorm')}→${count(opt, 'batchnorm')}, mul ${count(graph, 'mul')}→${count(opt, 'mul')}, add ${count(graph, 'add')}→${count(opt, 'add')}, relu ${count(graph, 'relu')}→${count(opt, 'relu')}, hard-swish ${count(graph, 'hard-swish')}→${count(opt, 'hard-swish')}`);
  assert.ok(opt.ops.length < graph.ops.length);
  const ortOut = await runOrt(onnx, { [inputName]: x });
  const xl = nchwToNhwc(x);
  const ours = runFloat(opt, { [opt.inputs[0]!]: { shape: xl.dims, data: xl.data } });
  const errs = compareOutputs(opt.outputs, ours, ortOut, outNames);
  assert.equal(errs.length, outNames.length);
  for (const e of errs) console.log(`  ${e.name} ${e.shape.join('x')}: max rel error ${e.relErr.toExponential(2)}`);
  for (const e of errs) assert.ok(e.relErr <= TOL, `${e.name}: max rel error ${e.relErr.toExponential(2)}`);
}

const ppocr: { asset: AssetName; shape: number[] }[] = [
  { asset: 'ppocr-det', shape: [1, 3, 320, 320] },
  { asset: 'ppocr-rec', shape: [1, 3, 48, 320] },
  { asset: 'ppocr-cls', shape: [1, 3, 48, 192] },
];
for (const c of ppocr) {
  test(`optimised ${c.asset} ${c.shape.join('×')} == onnxruntime within ${TOL}`, async () => {
    const bytes = readAsset(c.asset);
    const graph = importOnnx(bytes, { fileName: assetPath(c.asset), inputShapes: { x: c.shape } });
    let x: NamedTensor = testInput(c.shape, 9);
    if (c.asset === 'ppocr-det') {
      // A real text image: on noise det's map is ~0 and a relative metric measures rounding only.
      const img = await loadDetInput(assetPath('image-text'), c.shape[3]);
      x = { dims: c.shape, data: img.nchw };
    }
    const ortOut = await runOrt(bytes, { x });
    await check(c.asset, bytes, graph, x, 'x', Object.keys(ortOut));
  });
}

test(`optimised ResNet-50 128² == onnxruntime within ${TOL}`, async () => {
  const m = buildModel('resnet50', { seed: 5, inputSize: 128 });
  const graph = importOnnx(m.onnx, { fileName: 'resnet50.onnx' });
  await check('resnet50', m.onnx, graph, testInput(m.inputShape, 3), m.inputName, m.outputNames);
});
