// Image pre-processing (src/apps/image) against independent oracles: bilinear resize vs onnxruntime's own
// Resize op (linear, half_pixel: the cv2 INTER_LINEAR convention, edge-clamped) on random and real pixels,
// up and down; letterbox layout and padding by hand; imageToTensor vs the formula by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildModel, runOrt } from '../kernels/float/onnx-model.js';
import { imageToTensor, letterbox, resizeBilinear, type RgbImage } from '../../src/apps/image/image.js';
import { readImage } from '../../src/apps/node/image-io.js';
import { readAsset } from '../../src/runtime/node/assets.js';

function randomImage(w: number, h: number, c: number, seed: number): RgbImage {
  let s = seed >>> 0;
  const data = new Uint8Array(w * h * c);
  for (let i = 0; i < data.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = s >>> 24; }
  return { width: w, height: h, channels: c, data };
}

/** onnxruntime Resize (linear, half_pixel) of the image as float NCHW → NHWC float values. */
async function ortResize(img: RgbImage, w: number, h: number): Promise<Float32Array> {
  const { width: W, height: H, channels: C } = img;
  const x = new Float32Array(W * H * C);
  for (let p = 0; p < W * H; p++) for (let k = 0; k < C; k++) x[k * W * H + p] = img.data[p * C + k]!;
  const model = buildModel(
    [{ opType: 'Resize', inputs: ['x', '', '', 'sizes'], outputs: ['y'], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel' } }],
    [{ name: 'x', dims: [1, C, H, W] }], ['y'], [{ name: 'sizes', dims: [4], data: [1, C, h, w], dtype: 'int64' }], 13);
  const y = (await runOrt(model, { x: { dims: [1, C, H, W], data: x } }, { intraOpNumThreads: 1 }))['y']!.data;
  const out = new Float32Array(w * h * C);
  for (let p = 0; p < w * h; p++) for (let k = 0; k < C; k++) out[p * C + k] = y[k * w * h + p]!;
  return out;
}

/**
 * Every byte is within 0.55 of onnxruntime's value, and ≥ 99% are its value rounded. The rest are .5 ties:
 * dpuflow computes the source coordinate as cv2 does, (x + 0.5)·(in/out) − 0.5, onnxruntime as ONNX says,
 * (x + 0.5)/(out/in) − 0.5, so a weight of exactly 0.5 there can be 0.49999999999999994 here (and
 * onnxruntime sums in float32), and a value on a .5 tie rounds the other way.
 */
function assertRounded(ours: Uint8Array, ref: Float32Array, what: string): void {
  assert.equal(ours.length, ref.length);
  let worst = 0, exact = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i]! - ref[i]!);
    if (d > worst) worst = d;
    if (ours[i] === Math.round(ref[i]!)) exact++;
  }
  assert.ok(worst <= 0.55, `${what}: a byte is ${worst.toFixed(3)} from onnxruntime's value`);
  assert.ok(exact >= 0.99 * ours.length, `${what}: ${ours.length - exact} bytes are not onnxruntime's value rounded`);
}

test('resizeBilinear = onnxruntime Resize (linear, half_pixel) rounded, random images up and down, 1/3/4 channels', async () => {
  const cases: [number, number, number, number, number][] = [
    [37, 23, 3, 80, 51], [80, 51, 3, 37, 23], [64, 64, 3, 224, 224], [300, 200, 3, 224, 224], [29, 31, 1, 7, 5],
    [16, 9, 4, 33, 40], [200, 120, 3, 41, 13], [5, 5, 3, 1, 1], [1, 1, 3, 4, 3], [48, 13, 3, 177, 48],
  ];
  for (const [w, h, c, W, H] of cases) {
    const img = randomImage(w, h, c, w * 131 + h);
    assertRounded(resizeBilinear(img, W, H).data, await ortResize(img, W, H), `${w}×${h}×${c} → ${W}×${H}`);
  }
});

test('resizeBilinear and letterbox on the real photo (samples.jpg) vs onnxruntime Resize; letterbox padding by hand', async () => {
  const photo = await readImage(readAsset('image-photo'), 'samples.jpg');
  // a 320×290 crop keeps onnxruntime's share of the test small
  const crop: RgbImage = { width: 320, height: 290, channels: 3, data: new Uint8Array(320 * 290 * 3) };
  for (let y = 0; y < 290; y++) crop.data.set(photo.data.subarray(((200 + y) * photo.width + 400) * 3, ((200 + y) * photo.width + 720) * 3), y * 320 * 3);
  assertRounded(resizeBilinear(crop, 224, 224).data, await ortResize(crop, 224, 224), 'photo crop → 224²');
  assertRounded(resizeBilinear(crop, 401, 333).data, await ortResize(crop, 401, 333), 'photo crop → 401×333');
  // letterbox 320×290 → 160×160: scale 0.5, 160×145 image at padY = 7, rows above/below 114
  const lb = letterbox(crop, 160, 160);
  assert.deepEqual([lb.scale, lb.padX, lb.padY], [0.5, 0, 7]);
  const inner = await ortResize(crop, 160, 145);
  const W = 160;
  for (let y = 0; y < 160; y++) {
    for (let x = 0; x < W; x++) {
      for (let k = 0; k < 3; k++) {
        const v = lb.image.data[(y * W + x) * 3 + k]!;
        if (y < 7 || y >= 152) assert.equal(v, 114, `pad at ${x},${y}`);
        else assert.ok(Math.abs(v - inner[((y - 7) * W + x) * 3 + k]!) <= 0.55, `letterbox at ${x},${y}`);
      }
    }
  }
  // a tall image: pads left and right with the given value
  const tall = letterbox(randomImage(30, 90, 3, 5), 64, 64, 0);
  assert.deepEqual([tall.padX, tall.padY, tall.image.width, tall.image.height], [Math.floor((64 - 21) / 2), 0, 64, 64]);
  for (let y = 0; y < 64; y++) for (let x = 0; x < tall.padX; x++) assert.equal(tall.image.data[(y * 64 + x) * 3], 0);
});

test('imageToTensor: (p·scale − mean)/std per channel, BGR order, width padding (by hand)', () => {
  const img: RgbImage = { width: 2, height: 1, channels: 3, data: Uint8Array.from([10, 20, 30, 200, 100, 0]) };
  const t = imageToTensor(img, { mean: [0.5, 0.25, 0.125], std: [0.5, 0.25, 2], order: 'BGR', padWidth: 3, padValue: -7 });
  assert.deepEqual(t.shape, [1, 1, 3, 3]);
  const f = Math.fround;
  assert.deepEqual(Array.from(t.data), [
    f((30 / 255 - 0.5) / 0.5), f((20 / 255 - 0.25) / 0.25), f((10 / 255 - 0.125) / 2),
    f((0 / 255 - 0.5) / 0.5), f((100 / 255 - 0.25) / 0.25), f((200 / 255 - 0.125) / 2),
    -7, -7, -7,
  ]);
  const g = imageToTensor({ width: 1, height: 2, channels: 1, data: Uint8Array.from([0, 255]) }, { scale: 1, mean: [127.5], std: [127.5] });
  assert.deepEqual(Array.from(g.data), [-1, 1]);
});
