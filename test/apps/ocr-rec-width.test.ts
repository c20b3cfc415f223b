// Multi-width rec (issue 8): the width choice and padding on hand-computed cases, the pipeline's routing of lines
// to the recognizer of their width, and a 2-width FP32 set (dpuflow's float executor at fixed 48×320 and 48×640)
// against onnxruntime running the free-width ONNX at the same widths (the independent oracle).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRecWidth, recNaturalWidth, recTensor, recWidthSet, runOcr, type OcrModels } from '../../src/apps/ocr/pipeline.js';
import { floatOnnxExecutor, type ModelExecutor } from '../../src/apps/executor.js';
import { ortExecutor } from '../../src/apps/node/ort-executor.js';
import { readImage } from '../../src/apps/node/image-io.js';
import { readKeys } from '../../src/apps/node/models.js';
import { assetPath, readAsset } from '../../src/runtime/node/assets.js';
import { ocrBuildSpecs, REC_WIDTHS } from '../../src/apps/demo/ocr-specs.js';
import { buildSpecKey } from '../../src/apps/demo/build.js';
import type { RgbImage } from '../../src/apps/image/image.js';
import type { TensorValue } from '../../src/ir/types.js';
import { AppError } from '../../src/errors.js';

test('chooseRecWidth: smallest width that holds the crop at height 48, else the widest (hand-computed)', () => {
  const W = [320, 640, 960];
  // natural width = ceil(48·w/h)
  assert.equal(recNaturalWidth(130, 24, 48), 260);
  assert.equal(recNaturalWidth(100, 15, 48), 320); // 48·(100/15) is 320.0 in doubles (Python's math.ceil agrees)
  assert.equal(recNaturalWidth(161, 24, 48), 322);
  assert.equal(chooseRecWidth(130, 24, 48, W), 320); // 260 ≤ 320
  assert.equal(chooseRecWidth(320, 48, 48, W), 320); // exactly 320 still fits
  assert.equal(chooseRecWidth(161, 24, 48, W), 640); // 322 > 320
  assert.equal(chooseRecWidth(320, 24, 48, W), 640); // 640 fits 640
  assert.equal(chooseRecWidth(321, 24, 48, W), 960); // 642
  assert.equal(chooseRecWidth(480, 24, 48, W), 960); // 960
  assert.equal(chooseRecWidth(500, 24, 48, W), 960); // 1000 > 960: squeezed into the widest
  assert.equal(chooseRecWidth(161, 24, 48, [960, 320, 640]), 640, 'order of the set does not matter');
  assert.equal(chooseRecWidth(500, 24, 48, [320]), 320, 'single width: every line goes there');
  assert.throws(() => chooseRecWidth(10, 10, 48, []), AppError);
});

function solid(w: number, h: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set(rgb, i * 3);
  return { width: w, height: h, channels: 3, data };
}

test('recTensor: resized at its aspect and padded right with 0, or squeezed when wider than W (hand-computed)', () => {
  // (R,G,B) = (255, 0, 51) → BGR normalised (v/255 − 0.5)/0.5: B −0.6, G −1, R 1
  const px = [-0.6, -1, 1];
  const t = recTensor(solid(4, 2, [255, 0, 51]), 4, 16); // natural width ceil(4·4/2) = 8
  assert.deepEqual(t.shape, [1, 4, 16, 3]);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 16; x++) for (let c = 0; c < 3; c++) {
    const v = t.data[(y * 16 + x) * 3 + c]!;
    if (x < 8) assert.ok(Math.abs(v - px[c]!) < 1e-6, `content at ${x},${y},${c}: ${v}`);
    else assert.equal(v, 0, `padding at ${x},${y},${c}`);
  }
  const s = recTensor(solid(40, 2, [255, 0, 51]), 4, 16); // natural 80 > 16: squeezed to 16, no padding
  assert.deepEqual(s.shape, [1, 4, 16, 3]);
  for (let i = 0; i < s.data.length; i++) assert.ok(Math.abs(s.data[i]! - px[i % 3]!) < 1e-6);
});

/** A fake recognizer at a fixed width: reads alphabet[cls] at the first time step (alphabet ['', 'a', 'b', ' ']). */
function fakeRec(width: number, cls: number, seen: number[], H = 48): ModelExecutor {
  return {
    name: `fake@${width}`, inputs: [{ name: 'x', shape: [1, H, width, 3] }], outputs: ['p'], backend: 'float',
    async run(feeds) {
      const f = feeds.x!;
      assert.deepEqual(f.shape, [1, H, width, 3], 'feed has the executor width');
      seen.push(width);
      const T = width / 8;
      const data = new Float32Array(T * 4);
      for (let t = 0; t < T; t++) data[t * 4 + (t === 0 ? cls : 0)] = 1;
      return { p: { shape: [1, T, 4], data } };
    },
  };
}

test('recWidthSet: fixed executors sorted by width, a free-width one at recWidths, errors for clashes', () => {
  const seen: number[] = [];
  const a = fakeRec(640, 2, seen), b = fakeRec(320, 1, seen), c = fakeRec(960, 1, seen);
  const set = recWidthSet({ rec: a, recByWidth: [c, b] });
  assert.deepEqual(set.map((s) => [s.width, s.stage, s.ex.name]), [[320, 'rec@320', 'fake@320'], [640, 'rec@640', 'fake@640'], [960, 'rec@960', 'fake@960']]);
  assert.deepEqual(recWidthSet({ rec: b }).map((s) => [s.width, s.stage]), [[320, 'rec']], 'single width keeps the stage name rec');
  const free: ModelExecutor = { ...fakeRec(320, 1, seen), inputs: [{ name: 'x', shape: [-1, 48, -1, 3] }] };
  assert.deepEqual(recWidthSet({ rec: free }, { recWidths: [960, 320, 640] }).map((s) => [s.width, s.height, s.ex === free, s.stage]), [[320, 48, true, 'rec'], [640, 48, true, 'rec'], [960, 48, true, 'rec']], 'one free-width model: one stage');
  assert.deepEqual(recWidthSet({ rec: free }).map((s) => s.width), [320], 'default width 320');
  assert.deepEqual(recWidthSet({ rec: free }, { recWidth: 400 }).map((s) => s.width), [400]);
  assert.throws(() => recWidthSet({ rec: b, recByWidth: [fakeRec(320, 2, seen)] }), (e: unknown) => e instanceof AppError && /two rec models have input width 320/.test(e.message));
  assert.throws(() => recWidthSet({ rec: b, recByWidth: [fakeRec(640, 2, seen, 32)] }), (e: unknown) => e instanceof AppError && /height/.test(e.message));
  assert.throws(() => recWidthSet({ rec: free }, { recWidths: [320.5] }), AppError);
});

test('runOcr routes each line to the smallest width that holds it (fake det map with a short and a long line)', async () => {
  // det input = image 640×64; two text rectangles on the probability map: 70×20 (crop ≈ 100×48 after unclip → ≈ 100 px
  // at height 48 → 320) and 520×20 (crop ≈ 550×48 → ≈ 550 px → 640)
  const W = 640, H = 64;
  const map = new Float32Array(W * H);
  for (let y = 22; y < 42; y++) {
    for (let x = 10; x < 80; x++) map[y * W + x] = 1;
    for (let x = 110; x < 630; x++) map[y * W + x] = 1;
  }
  const det: ModelExecutor = {
    name: 'fake-det', inputs: [{ name: 'x', shape: [1, H, W, 3] }], outputs: ['m'], backend: 'float',
    run: async () => ({ m: { shape: [1, H, W, 1], data: map } as TensorValue }),
  };
  const seen: number[] = [];
  const models: OcrModels = { det, rec: fakeRec(320, 1, seen), recByWidth: [fakeRec(640, 2, seen)], alphabet: ['', 'a', 'b', ' '] };
  const r = await runOcr(solid(W, H, [200, 200, 200]), models);
  assert.equal(r.boxes, 2);
  assert.deepEqual(r.lines.map((l) => [l.text, l.recWidth]), [['a', 320], ['b', 640]]);
  assert.deepEqual(seen, [320, 640]);
  const stages = r.timings.map((t) => t.stage);
  assert.ok(stages.includes('rec@320') && stages.includes('rec@640'), stages.join(', '));
});

test('ocrBuildSpecs: one rec per width, calibrated padded (not squeezed) at that width; the cache key follows the width', () => {
  const crops = [solid(130, 24, [10, 200, 30]), solid(60, 20, [250, 250, 250])];
  const base = { onnx: { det: new Uint8Array([1]), cls: new Uint8Array([2]), rec: new Uint8Array([3]) }, det: { h: 32, w: 32, calib: [] }, lineCrops: crops, target: 'kv260', version: 't' };
  const specs = ocrBuildSpecs(base);
  assert.deepEqual(specs.map((s) => s.name), ['det', 'cls', ...REC_WIDTHS.map((w) => `rec@${w}`)]);
  for (const s of specs.slice(2)) {
    const w = s.shapeNchw[3]!;
    assert.equal(s.calib.length, 4 * crops.length, 'crops + inverted + grey + grey-inverted');
    const c = s.calib[0]!; // the 130×24 crop: 260 px of content at height 48, the rest padding
    assert.deepEqual(c.shape, [1, 48, w, 3]);
    const col = (x: number): number[] => [0, 1, 2].map((k) => c.data[(10 * w + x) * 3 + k]!);
    assert.ok(col(259).some((v) => v !== 0), 'content up to column 259');
    assert.deepEqual(col(260), [0, 0, 0], 'padding from column 260');
    assert.deepEqual(col(w - 1), [0, 0, 0]);
  }
  const single = ocrBuildSpecs({ ...base, recWidths: [320] });
  assert.deepEqual(single.map((s) => s.name), ['det', 'cls', 'rec'], 'the single-width build keeps the name rec');
  // buildModel's cache key: the shape and the calibration differ per width → one cache entry per width
  const keys = specs.slice(2).map(buildSpecKey);
  assert.equal(new Set(keys).size, keys.length);
  assert.ok(keys.every((k, i) => k.startsWith(`rec@${REC_WIDTHS[i]}-`)));
  const hashOf = (k: string): string => k.slice(k.indexOf('-') + 1);
  assert.equal(hashOf(buildSpecKey(single[2]!)), hashOf(keys[0]!), 'rec at 320: same content hash built alone or in the set');
  // the key changes when only the width changes (same calibration crops, same options)
  assert.notEqual(hashOf(buildSpecKey({ ...single[2]!, shapeNchw: [1, 3, 48, 640] })), hashOf(buildSpecKey(single[2]!)));
});

test('2-width FP32 rec set (float executor at fixed 320 and 640) = onnxruntime at the same widths on a shipped image', async () => {
  const alphabet = readKeys(assetPath('ppocr-keys'));
  const recBytes = readAsset('ppocr-rec');
  const ort = { det: await ortExecutor(readAsset('ppocr-det'), { name: 'det' }), cls: await ortExecutor(readAsset('ppocr-cls'), { name: 'cls' }), rec: await ortExecutor(recBytes, { name: 'rec' }) };
  try {
    // screenshot-typedoc.png: the list rows at y 808–861 of the left column (long class names)
    const doc = await readImage(assetPath('image-text-2'));
    const x0 = 0, y0 = 800, w = 260, h = 66;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) data.set(doc.data.subarray(((y0 + y) * doc.width + x0) * 3, ((y0 + y) * doc.width + x0 + w) * 3), y * w * 3);
    const img: RgbImage = { width: w, height: h, channels: 3, data };
    const fixed = (W: number): ModelExecutor => {
      const e = floatOnnxExecutor(recBytes, { name: `rec@${W}` });
      return { ...e, inputs: [{ name: e.inputs[0]!.name, shape: [1, 48, W, 3] }] };
    };
    const a = await runOcr(img, { ...ort, alphabet }, { recWidths: [320, 640] });
    const b = await runOcr(img, { det: ort.det, cls: ort.cls, rec: fixed(320), recByWidth: [fixed(640)], alphabet });
    assert.ok(a.lines.length >= 2, `lines: ${a.lines.map((l) => l.text)}`);
    assert.deepEqual(b.lines.map((l) => [l.text, l.recWidth]), a.lines.map((l) => [l.text, l.recWidth]), 'float set = onnxruntime, same widths');
    for (let i = 0; i < a.lines.length; i++) assert.ok(Math.abs(a.lines[i]!.score - b.lines[i]!.score) < 1e-3);
    const wide = a.lines.find((l) => l.recWidth === 640);
    assert.ok(wide, 'a line wider than 320 px at height 48 went to 640');
    assert.equal(wide.text.trim(), 'BodyAnnotationEfficientPose', 'read as printed in the screenshot');
  } finally {
    ort.det.close?.(); ort.cls.close?.(); ort.rec.close?.();
  }
});
