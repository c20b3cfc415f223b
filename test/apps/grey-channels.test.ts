/**
 * Images follow the model input's channel count (issue 9): the calibration loader and `dpuflow run --task
 * classify` give a 1-channel input the BT.601 luma (grey images as they are), a 3-channel input RGB (grey
 * images repeated), and refuse any other channel count naming the input. Expected values are computed by
 * hand from the pixel values written in the test; the classify path is checked against TF.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { calibFeeds, loadImage, openCalibSet } from '../../src/apps/preprocess/node/calib.js';
import { QuantizeError } from '../../src/errors.js';
import { packageDir } from '../../src/runtime/node/assets.js';
import { A, TfjsModelBuilder, vals } from '../importers/tfjs/builder.js';
import { runTfjs } from '../importers/tfjs/oracle.js';

const bin = path.resolve('bin/dpuflow.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-grey-ch-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** 2×2 RGB pixels and their BT.601 luma 0.299 R + 0.587 G + 0.114 B, rounded, worked out by hand. */
const RGB = [200, 100, 50, 0, 0, 0, 255, 255, 255, 10, 220, 30];
const LUMA = [124, 0, 255, 136]; // 59.8 + 58.7 + 5.7 = 124.2; 0; 255; 2.99 + 129.14 + 3.42 = 135.55
const GREY = [7, 77, 177, 250];

async function png(file: string, px: number[], channels: 1 | 3): Promise<string> {
  const s = sharp(Buffer.from(px), { raw: { width: 2, height: 2, channels } });
  await (channels === 1 ? s.toColourspace('b-w') : s).png().toFile(file);
  return file;
}

const close = (a: ArrayLike<number>, b: number[], tol = 1e-6): boolean => a.length === b.length && b.every((v, i) => Math.abs(a[i]! - v) <= tol);

test('calibration loader: RGB image → 1-channel input is BT.601 luma; grey image → 1 channel as is, → 3 channels repeated; RGB mean/std collapse for a grey input', async () => {
  const rgb = await png(path.join(tmp, 'rgb.png'), RGB, 3);
  const grey = await png(path.join(tmp, 'grey.png'), GREY, 1);
  assert.equal((await sharp(grey).metadata()).channels, 1);
  // half: (p/255 − 0.5)/0.5, given for RGB and used on one channel
  const half = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
  const y = await loadImage(rgb, { inputShape: [1, 2, 2, 1], ...half });
  assert.deepEqual(y.shape, [1, 2, 2, 1]);
  assert.ok(close(y.data, LUMA.map((v) => (v / 255 - 0.5) / 0.5)), `luma: ${Array.from(y.data)}`);
  const g1 = await loadImage(grey, { inputShape: [1, 2, 2, 1], scale: 1 });
  assert.ok(close(g1.data, GREY), `grey → 1: ${Array.from(g1.data)}`);
  const g3 = await loadImage(grey, { inputShape: [1, 2, 2, 3], scale: 1 });
  assert.deepEqual(g3.shape, [1, 2, 2, 3]);
  assert.ok(close(g3.data, GREY.flatMap((v) => [v, v, v])), `grey → 3: ${Array.from(g3.data)}`);
  const c3 = await loadImage(rgb, { inputShape: [1, 2, 2, 3], scale: 1 });
  assert.ok(close(c3.data, RGB), 'RGB → 3 unchanged');
  // ImageNet mean/std on a grey input: their BT.601-weighted average (documented)
  const im = await loadImage(rgb, { inputShape: [1, 2, 2, 1], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
  const m = 0.299 * 0.485 + 0.587 * 0.456 + 0.114 * 0.406;
  const s = 0.299 * 0.229 + 0.587 * 0.224 + 0.114 * 0.225;
  assert.ok(close(im.data, LUMA.map((v) => (v / 255 - m) / s), 1e-5));
});

test('calibration loader: a 4-channel input → QuantizeError E_Q_CALIB_CHANNELS naming the input and what images can feed', async () => {
  const dir = path.join(tmp, 'calib4');
  fs.mkdirSync(dir);
  await png(path.join(dir, 'a.png'), RGB, 3);
  const set = openCalibSet(dir, { inputShape: [1, 2, 2, 4] });
  await assert.rejects(async () => { for await (const f of calibFeeds(set, 'rgba_in')) void f; }, (e: unknown) => {
    assert.ok(e instanceof QuantizeError);
    assert.equal(e.code, 'E_Q_CALIB_CHANNELS');
    assert.equal(e.where, 'rgba_in');
    assert.match(e.message, /input 'rgba_in' has 4 channel\(s\) \(NHWC \[1, 2, 2, 4\]\); an image can feed a 1-channel \(grey\) or 3-channel \(RGB\) input/);
    assert.match(e.fix ?? '', /\.npy/);
    return true;
  });
});

/** A TF.js model with a [1,8,8,C] input: 1×1 conv C → 3, mean over H,W → [1,3] logits. */
function tinyModel(dir: string, c: number): string {
  const b = new TfjsModelBuilder();
  b.input('x', [1, 8, 8, c]);
  b.const('w', [1, 1, c, 3], vals(c * 3, 31, -1, 1));
  const conv = b.op('conv', 'Conv2D', ['x', 'w'], { strides: A.is([1, 1, 1, 1]), dilations: A.is([1, 1, 1, 1]), padding: A.s('VALID'), data_format: A.s('NHWC') });
  b.ints('ax', [1, 2]);
  b.op('mean', 'Mean', [conv, 'ax'], { keep_dims: A.b(false), Tidx: A.t('DT_INT32') });
  const m = b.build(['mean']);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.json'), m.json);
  for (const [p, d] of Object.entries(m.shards)) fs.writeFileSync(path.join(dir, p), d);
  return path.join(dir, 'model.json');
}

test('CLI: a 4-channel model input → quantize --calib <images> and run --task classify exit 1 naming the input', async () => {
  const model = tinyModel(path.join(tmp, 'm4'), 4);
  const dir = path.join(tmp, 'img8');
  fs.mkdirSync(dir);
  await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 90, g: 140, b: 30 } } }).png().toFile(path.join(dir, 'a.png'));
  const q = cli('quantize', model, '--calib', dir, '--out', path.join(tmp, 'q4'));
  assert.equal(q.status, 1, q.stderr);
  assert.match(q.stderr, /QuantizeError: .*input 'x' has 4 channel\(s\).*1-channel \(grey\) or 3-channel \(RGB\)/);
  const r = cli('run', model, '--task', 'classify', '--input', path.join(dir, 'a.png'));
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /AppError: .*input 'x' has 4 channel\(s\).*1-channel \(grey\) or 3-channel \(RGB\)/);
  assert.equal(fs.existsSync(path.join(tmp, 'q4')), false, 'nothing written');
});

test('run --task classify on a 1-channel model (Human\'s emotion, float) with an RGB image = TF.js on the BT.601 luma of its pixels', async () => {
  const MODEL = path.join(packageDir('@vladmandic/human'), 'models', 'emotion.json');
  // a 64×64 RGB face crop of the facematch grid (cell row 0, column 3), no resize needed
  const face = path.join(tmp, 'face.png');
  await sharp(path.join(packageDir('@vladmandic/human'), 'assets', 'screenshot-facematch.jpg')).extract({ left: 332, top: 297, width: 64, height: 64 }).png().toFile(face);
  const r = cli('run', MODEL, '--task', 'classify', '--input', face, '--preprocess', 'half', '--top-k', '7', '--json');
  assert.equal(r.status, 0, r.stderr);
  const top = (JSON.parse(r.stdout) as { results: { classify: { top: { index: number; probability: number }[] } }[] }).results[0]!.classify.top;
  const { data } = await sharp(face).raw().toBuffer({ resolveWithObject: true });
  const x = new Float32Array(64 * 64);
  for (let i = 0; i < x.length; i++) x[i] = (Math.round(0.299 * data[i * 3]! + 0.587 * data[i * 3 + 1]! + 0.114 * data[i * 3 + 2]!) / 255 - 0.5) / 0.5;
  const ref = (await runTfjs(MODEL, { input_1: { shape: [1, 64, 64, 1], data: x } }, ['Identity']))['Identity']!;
  assert.equal(top.length, 7);
  for (const t of top) assert.ok(Math.abs(t.probability - ref.data[t.index]!) <= 1e-4, `class ${t.index}: ${t.probability} vs TF.js ${ref.data[t.index]}`);
});
