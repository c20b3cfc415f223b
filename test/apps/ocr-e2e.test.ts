// OCR through the same pipeline on two engines: dpuflow's float IR executor vs onnxruntime-node running
// the same three shipped PP-OCR models. Crops of shipped screenshots keep the float run to seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runOcr, type OcrModels } from '../../src/apps/ocr/pipeline.js';
import { floatOnnxExecutor } from '../../src/apps/executor.js';
import { ortExecutor } from '../../src/apps/node/ort-executor.js';
import { readImage, writeAnnotatedPng } from '../../src/apps/node/image-io.js';
import { readKeys, loadOcrModels } from '../../src/apps/node/models.js';
import { assetPath, readAsset } from '../../src/runtime/node/assets.js';
import { cropRect, type RgbImage } from '../../src/apps/image/image.js';
import { AppError } from '../../src/errors.js';


test('OCR: float IR executor gives the same text lines as onnxruntime (same pipeline, shipped models)', async () => {
  const alphabet = readKeys(assetPath('ppocr-keys'));
  const det = readAsset('ppocr-det'), cls = readAsset('ppocr-cls'), rec = readAsset('ppocr-rec');
  const ort: OcrModels = { det: await ortExecutor(det, { name: 'det' }), cls: await ortExecutor(cls, { name: 'cls' }), rec: await ortExecutor(rec, { name: 'rec' }), alphabet };
  const flt: OcrModels = { det: floatOnnxExecutor(det, { name: 'det' }), cls: floatOnnxExecutor(cls, { name: 'cls' }), rec: floatOnnxExecutor(rec, { name: 'rec' }), alphabet };
  const menu = await readImage(assetPath('image-text'));
  // the DISPLAY column of screenshot-menu.png: labels whose text is known
  const region = cropRect(menu, 40, 60, 110, 84);
  const a = await runOcr(region, ort);
  const b = await runOcr(region, flt);
  const ta = a.lines.map((l) => l.text.trim());
  assert.deepEqual(ta, ['RESULTS TREE', 'PERF MONITOR', 'BUFFER OUTPUT'], 'onnxruntime reads the known labels');
  assert.deepEqual(b.lines.map((l) => l.text.trim()), ta, 'float executor = onnxruntime');
  assert.equal(a.boxes, b.boxes);
  for (let i = 0; i < a.lines.length; i++) {
    const pa = a.lines[i]!.box.flat(), pb = b.lines[i]!.box.flat();
    assert.ok(pa.every((v, k) => Math.abs(v - pb[k]!) <= 1), `box ${i}: ${pa} vs ${pb}`);
  }
  // a second screenshot (typedoc page), first lines only
  const doc = await readImage(assetPath('image-text-2'));
  const r2 = cropRect(doc, 0, 0, 320, 96);
  const c = await runOcr(r2, ort, { maxLines: 3 });
  const d = await runOcr(r2, flt, { maxLines: 3 });
  assert.ok(c.lines.length >= 1);
  assert.deepEqual(d.lines.map((l) => l.text), c.lines.map((l) => l.text));
  // timing rows: every stage present, board estimate only for CPU rows
  const stages = new Set(b.timings.map((t) => t.stage));
  for (const s of ['det pre-processing', 'det', 'DB post-processing', 'cls', 'rec', 'CTC decode']) assert.ok(stages.has(s), s);
  for (const t of b.timings) assert.ok(t.device === 'CPU' ? t.boardCpuMsEstimate! > t.hostMs : t.boardCpuMsEstimate === undefined);
});

test('annotated PNG is written atomically and decodes with the boxes drawn', async () => {
  const img: RgbImage = { width: 40, height: 30, channels: 3, data: new Uint8Array(40 * 30 * 3).fill(255) };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-apps-'));
  const out = path.join(dir, 'sub', 'a.png');
  await writeAnnotatedPng(out, img, [{ points: [[5, 5], [30, 5], [30, 20], [5, 20]], color: '#ff0000' }]);
  assert.deepEqual(fs.readdirSync(path.dirname(out)), ['a.png'], 'no temporary file left');
  const { data, info } = await sharp(out).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 40);
  const px = (x: number, y: number) => [...data.subarray((y * 40 + x) * 3, (y * 40 + x) * 3 + 3)];
  assert.deepEqual(px(15, 5), [255, 0, 0], 'edge of the box is red');
  assert.deepEqual(px(15, 12), [255, 255, 255], 'inside untouched');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bad input: unreadable image, empty file, missing key file → AppError naming the file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-apps-'));
  const notImage = path.join(dir, 'notes.png');
  fs.writeFileSync(notImage, 'this is text, not a PNG');
  const empty = path.join(dir, 'empty.jpg');
  fs.writeFileSync(empty, '');
  for (const f of [notImage, empty, path.join(dir, 'missing.png')]) {
    await assert.rejects(readImage(f), (e: unknown) => e instanceof AppError && e.file === f && e.message.includes(f), f);
  }
  const keys = path.join(dir, 'nokeys.txt');
  await assert.rejects(loadOcrModels({ keys, cls: false }), (e: unknown) => e instanceof AppError && e.file === keys && /no such key file/.test(e.message));
  // grey and alpha images are converted to RGB
  const grey = await sharp({ create: { width: 8, height: 4, channels: 4, background: { r: 10, g: 10, b: 10, alpha: 0.5 } } }).png().toBuffer();
  const g = await readImage(new Uint8Array(grey), 'grey.png');
  assert.equal(g.channels, 3);
  assert.equal(g.data.length, 8 * 4 * 3);
  fs.rmSync(dir, { recursive: true, force: true });
});
