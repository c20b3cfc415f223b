// The real PP-OCRv4 det / cls / rec (shipped ONNX), quantized (max-min on one seeded random batch: legal
// fix points, not accurate ones): the fast executor ('run' mode) == runQuantized on every fixed-point
// tensor, and the ops that used to fall back to reference kernels (broadcast add/mul of PP-LCNet's
// learnable affine and SE blocks, the DB head's transposed convs, nearest resize) run on the fast path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx } from '../../../src/importers/onnx/index.js';
import { quantize } from '../../../src/quantizer/index.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { readAsset, assetPath } from '../../../src/runtime/node/assets.js';
import type { TensorValue } from '../../../src/ir/types.js';

const FORMERLY_REF = ['add', 'sub', 'mul', 'resize', 'transposed-conv2d'];

async function check(asset: 'ppocr-det' | 'ppocr-cls' | 'ppocr-rec', nchw: number[]): Promise<void> {
  const g = importOnnx(readAsset(asset), { fileName: assetPath(asset), inputShapes: { x: nchw } });
  const inp = g.ops.find((o) => o.type === 'data')!;
  const n = inp.output.shape.reduce((a, b) => a * b, 1);
  let s = 7;
  const x: TensorValue = { shape: inp.output.shape, data: new Float32Array(n).map(() => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s / 2 ** 32) * 2 - 1; }) };
  const feeds = { [inp.name]: x };
  const { graph } = await quantize(g, [feeds], { method: 'maxmin', cle: false, biasCorrection: false, skipReport: true });
  const ref = new Map<string, Int8Array>();
  runQuantized(graph, feeds, { onTensor: (o, _v, q) => { if (q) ref.set(o.name, q); } });
  const ex = createFastExecutor(graph);
  ex.run(feeds);
  let compared = 0;
  for (const [name, want] of ref) {
    const got = ex.tensor(name);
    if (!got) continue; // packed conv weights
    const i = want.findIndex((v, j) => v !== got[j]);
    assert.equal(i, -1, `${asset}: tensor ${name} differs at ${i}`);
    compared++;
  }
  const still = ex.stats.fallbacks.filter((f) => FORMERLY_REF.includes(f.type));
  assert.deepEqual(still, [], `${asset}: fallbacks`);
  const fast = graph.ops.filter((o) => FORMERLY_REF.includes(o.type) && o.output.fixPoint !== undefined).length;
  console.log(`# ${asset} [${nchw}]: ${compared} tensors equal; ${fast} broadcast-eltwise/resize/transposed-conv ops on the fast path; reference kernels still used: ${JSON.stringify(ex.stats.refTypes)}`);
  assert.ok(compared > 50);
}

test('real PP-OCRv4 det (96², DB head transposed convs + nearest resize): run == runQuantized, no fallbacks of those ops', async () => {
  await check('ppocr-det', [1, 3, 96, 96]);
});
test('real PP-OCR cls (48×192): run == runQuantized', async () => {
  await check('ppocr-cls', [1, 3, 48, 192]);
});
test('real PP-OCRv4 rec (48×320, learnable affine broadcasts): run == runQuantized', async () => {
  await check('ppocr-rec', [1, 3, 48, 320]);
});
