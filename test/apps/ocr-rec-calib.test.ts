/**
 * rec calibration lines (src/apps/demo/rec-calib.ts REC_CALIB_LINES / recCalibLineCrops): the recorded boxes cut from
 * the shipped @vladmandic/human assets as the pipeline cuts them (cropQuad), and the spec ocrBuildSpecs makes of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readImage } from '../../src/apps/node/image-io.js';
import { REC_CALIB_FILES, REC_CALIB_LINES, recCalibLineCrops } from '../../src/apps/demo/rec-calib.js';
import { ocrBuildSpecs, REC_WIDTHS } from '../../src/apps/demo/ocr-specs.js';
import { DET_CALIB_FILES } from '../../src/apps/demo/ocr-specs.js';
import { packageDir } from '../../src/runtime/node/assets.js';
import { AppError } from '../../src/errors.js';

const human = path.join(packageDir('@vladmandic/human'), 'assets');

test('REC_CALIB_LINES: 43 boxes inside their images, none from an evaluated image; crops sized as cropQuad sizes them', async () => {
  // the proof images (screenshot-menu/results/faceid/facedetect) are never calibration
  for (const f of REC_CALIB_FILES) assert.ok(!/menu|results|faceid|facedetect/.test(f), f);
  assert.ok(REC_CALIB_FILES.every((f) => (DET_CALIB_FILES as readonly string[]).includes(f)), 'the same shipped images det calibrates on');
  const imgs = Object.fromEntries(await Promise.all(REC_CALIB_FILES.map(async (f) => [f, await readImage(path.join(human, f))] as const)));
  let n = 0;
  for (const f of REC_CALIB_FILES) {
    for (const q of REC_CALIB_LINES[f]!) {
      assert.equal(q.length, 8);
      for (let k = 0; k < 8; k += 2) assert.ok(q[k]! >= 0 && q[k]! < imgs[f]!.width && q[k + 1]! >= 0 && q[k + 1]! < imgs[f]!.height, `${f} box ${q.join(',')}`);
      n++;
    }
  }
  assert.equal(n, 43);
  const crops = recCalibLineCrops(imgs);
  assert.equal(crops.length, 43);
  // first typedoc box [3,4, 81,4, 81,19, 3,19]: 78 × 15 px (cropQuad: trunc of the longer opposite side)
  assert.deepEqual([crops[0]!.width, crops[0]!.height], [78, 15]);
  // the facematch box [10,8, 107,2, 108,23, 11,29]: top side hypot(97, 6) = 97.19, bottom hypot(97, 6) → 97; left hypot(1, 21) = 21.02 → 21
  const last = crops[42]!;
  assert.deepEqual([last.width, last.height], [97, 21]);
  assert.ok(crops.every((c) => c.channels === 3 && c.data.length === c.width * c.height * 3));
});

test('recCalibLineCrops names a missing image; ocrBuildSpecs calibrates rec on recLineCrops (no copies) and cls on lineCrops', async () => {
  assert.throws(() => recCalibLineCrops({}), (e: unknown) => e instanceof AppError && e.code === 'E_DEMO_CALIB' && /screenshot-typedoc\.png/.test(e.message));
  const solid = (w: number, h: number): { width: number; height: number; channels: 3; data: Uint8Array } => ({ width: w, height: h, channels: 3, data: new Uint8Array(w * h * 3).fill(200) });
  const base = { onnx: { det: new Uint8Array([1]), cls: new Uint8Array([2]), rec: new Uint8Array([3]) }, det: { h: 32, w: 32, calib: [] }, lineCrops: [solid(130, 24)], target: 'kv260', version: 't' };
  const specs = ocrBuildSpecs({ ...base, recLineCrops: [solid(60, 20), solid(90, 15), solid(40, 16)] });
  assert.equal(specs[1]!.calib.length, 1, 'cls: lineCrops only');
  for (const s of specs.slice(2)) assert.equal(s.calib.length, 3, 'rec: one input per line crop');
  assert.deepEqual(specs.slice(2).map((s) => s.shapeNchw[3]), [...REC_WIDTHS]);
  // without recLineCrops: the earlier recipe (lineCrops + inverted + grey + grey-inverted)
  assert.equal(ocrBuildSpecs(base)[2]!.calib.length, 4);
});
