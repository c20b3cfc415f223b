/**
 * The calibration-speed changes (issue 4 "Speed") keep every result:
 * - the one-pass binned `diffs` search picks the same fix point as the five-pass direct search
 *   (diffsFixPoint, the definition) on every activation of PP-OCRv4 det on real image crops, and on
 *   hand-built edge cases (ties on the grid, saturation boundaries, clamped ranges, other roundings);
 * - the report pass on the WASM fast executor produces the same report as on runQuantized (the
 *   bit-exact reference) — on PP-OCR cls (real model, real crop) and a hand-built net.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import sharp from 'sharp';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { quantize } from '../../src/quantizer/index.js';
import { reportPass } from '../../src/quantizer/report-pass.js';
import { diffsFixPoint, DIFFS_CANDIDATES } from '../../src/quantizer/observers/diffs.js';
import { diffsFixPointFast } from '../../src/quantizer/observers/diffs-fast.js';
import { DPU_ROUND, STD_ROUND } from '../../src/quantizer/fixpoint.js';
import { setFloatWasmEnabled } from '../../src/kernels/ref/float/wasm/instance.js';
import { normalizePixels, type NormalizeOptions } from '../../src/apps/preprocess/normalize.js';
import { assetPath, packageDir } from '../../src/runtime/node/assets.js';
import type { TensorValue } from '../../src/ir/types.js';
import { convBnReluConv, seeded } from './helpers.js';

const IMG = `${packageDir('@vladmandic/human')}/assets/`;

async function crop(file: string, left: number, top: number, w: number, h: number, outW: number, outH: number, norm: NormalizeOptions): Promise<TensorValue> {
  const { data, info } = await sharp(IMG + file).extract({ left, top, width: w, height: h }).resize(outW, outH, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return normalizePixels(new Uint8Array(data), info.width, info.height, info.channels, norm);
}

test('binned diffs = direct diffs on every PP-OCRv4 det activation of 2 real crops (160²)', async () => {
  const S = 160;
  const g = importOnnx(new Uint8Array(fs.readFileSync(assetPath('ppocr-det'))), { inputShapes: { x: [1, 3, S, S] } });
  const norm = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
  const xs = [await crop('screenshot-typedoc.png', 0, 0, 320, 320, S, S, norm), await crop('screenshot-menu.png', 300, 300, 256, 256, S, S, norm)];
  let n = 0;
  const diff: string[] = [];
  for (const x of xs) {
    runFloat(g, { x }, {
      onTensor: (op, v) => {
        if (v.data.length < 64) return;
        n++;
        const a = diffsFixPoint(v.data, DPU_ROUND, op.name);
        const b = diffsFixPointFast(v.data, DPU_ROUND, DIFFS_CANDIDATES, op.name);
        const prev = setFloatWasmEnabled(false);
        const c = diffsFixPointFast(v.data, DPU_ROUND, DIFFS_CANDIDATES, op.name);
        setFloatWasmEnabled(prev);
        if (a !== b || a !== c) diff.push(`${op.name}: direct ${a}, binned ${b} (WASM) ${c} (TS)`);
      },
    });
  }
  assert.ok(n > 400, `${n} tensors checked`);
  assert.deepEqual(diff, []);
});

test('binned diffs = direct diffs on edge cases (grid ties, saturation edges, clamped ranges, STD_ROUND)', () => {
  const rnd = seeded(4);
  const cases: [string, Float32Array][] = [
    ['zeros', new Float32Array(5000)],
    // every value on the grid of fp0+2: candidates fp0+2…fp0+4 all have zero error (tie → smallest)
    ['on grid', Float32Array.from({ length: 5000 }, (_, i) => ((i % 200) - 100) / 4)],
    // values exactly at the rounding boundaries (x·2^fp = j + ½) and at the saturation edges ±127.5/2^fp, −128.5/2^fp
    ['half steps', Float32Array.from({ length: 6000 }, (_, i) => ((i % 256) - 128 + 0.5) / 8)],
    ['sat edges', Float32Array.from({ length: 4096 }, (_, i) => [127.5 / 16, -128.5 / 16, 127.5 / 32, -128.5 / 32, 7.99, -8][i % 6])],
    ['outlier', Float32Array.from({ length: 8192 }, (_, i) => (i === 77 ? 300 : rnd()))],
    ['max = power of two', Float32Array.from({ length: 4096 }, (_, i) => (i === 3 ? -4 : i === 5 ? 4 : rnd() * 3))],
    ['tiny (clamped fp)', Float32Array.from({ length: 4096 }, () => rnd() * 1e-9)],
    ['huge (clamped fp)', Float32Array.from({ length: 4096 }, () => rnd() * 1e9)],
    ['gaussian-ish', Float32Array.from({ length: 20000 }, () => (rnd() + rnd() + rnd()) * 2)],
  ];
  for (const wasm of [true, false]) {
    const prev = setFloatWasmEnabled(wasm);
    for (const [name, x] of cases) {
      assert.equal(diffsFixPointFast(x, DPU_ROUND, DIFFS_CANDIDATES, name), diffsFixPoint(x, DPU_ROUND, name), `${name} (DPU_ROUND, wasm ${wasm})`);
      assert.equal(diffsFixPointFast(x, STD_ROUND, DIFFS_CANDIDATES, name), diffsFixPoint(x, STD_ROUND, name), `${name} (STD_ROUND, wasm ${wasm})`);
    }
    // non-finite values: the same QuantizeError naming the tensor on both paths
    assert.throws(() => diffsFixPointFast(Float32Array.from([1, 2, NaN, 3]), DPU_ROUND, DIFFS_CANDIDATES, 'bad.t'), (e: Error) => e.name === 'QuantizeError' && /NaN at element 2/.test(e.message));
    setFloatWasmEnabled(prev);
  }
  // a hand-computed choice: 0.3 and 0.1 values with one 1.0 outlier → fp0 = 7 (range 1); fp 7 keeps
  // 1.0 (error from rounding 0.3/0.1 at step 1/128), larger fps clip 1.0 but resolve the rest finer
  assert.equal(diffsFixPointFast(Float32Array.from([1, 0.3, 0.1, 0.3]), DPU_ROUND, DIFFS_CANDIDATES), diffsFixPoint(Float32Array.from([1, 0.3, 0.1, 0.3]), DPU_ROUND));
});

test('report on the fast executor = report on runQuantized (hand-built net, 3 batches)', async () => {
  const rnd = seeded(11);
  const g = convBnReluConv(rnd, 8, 8, 3, 8, 4);
  const batches = Array.from({ length: 3 }, () => ({ x: { shape: [1, 8, 8, 3], data: Float32Array.from({ length: 192 }, () => rnd() * 4) } }));
  const fast = await quantize(g, batches, { reportBatches: 3 });
  const ref = await quantize(g, batches, { reportBatches: 3, reportExecutor: 'reference' });
  assert.ok(fast.report.tensors.length >= 3);
  assert.deepEqual(fast.report, ref.report);
  // and the fast path really ran (no silent fallback)
  assert.equal(reportPass(g, fast.graph, batches.slice(0, 1)).executor, 'fast');
});

test('report on the fast executor = report on runQuantized (PP-OCR cls, real crops)', async () => {
  const g = importOnnx(new Uint8Array(fs.readFileSync(assetPath('ppocr-cls'))), { inputShapes: { x: [1, 3, 48, 192] } });
  const half = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
  const xs = [await crop('screenshot-typedoc.png', 0, 0, 400, 100, 192, 48, half), await crop('screenshot-menu.png', 0, 40, 300, 75, 192, 48, half)];
  const feeds = xs.map((x) => ({ x }));
  const opts = { reportBatches: 2, biasCorrectionBatches: 2 };
  const fast = await quantize(g, feeds, opts);
  const ref = await quantize(g, feeds, { ...opts, reportExecutor: 'reference' });
  assert.ok(fast.report.tensors.length > 20);
  assert.deepEqual(fast.report.tensors, ref.report.tensors);
  assert.deepEqual(fast.report.outputs, ref.report.outputs);
});
