/**
 * det calibration feeds (src/apps/demo/ocr-specs.ts detCalibration): the whole images resized first, then native-scale
 * windows at fixed positions — checked pixel by pixel against hand-computed positions and the det normalisation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detCalibration } from '../../src/apps/demo/ocr-specs.js';
import { DET_MEAN, DET_STD } from '../../src/apps/ocr/pipeline.js';
import type { RgbImage } from '../../src/apps/image/image.js';

/** An image whose pixel (x, y) is (x, y, x + y) mod 256: every window's origin shows in its first pixel. */
function ramp(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x % 256, y % 256, (x + y) % 256], (y * width + x) * 3);
  return { width, height, channels: 3, data };
}

/** The det feed's value at (x, y, channel c) of an NHWC feed in BGR order, as the pipeline normalises: (v/255 − mean[c]) / std[c], mean and std in the feed's channel order. */
function expected(r: number, g: number, b: number, c: number): number {
  const v = [b, g, r][c]!;
  return (v / 255 - DET_MEAN[c]!) / DET_STD[c]!;
}

test('detCalibration: whole images first, then native-scale 32×32 windows at the hand-computed positions', () => {
  const big = ramp(100, 80), small = ramp(20, 40);
  const feeds = detCalibration([big, small], 32, 32, 2);
  assert.equal(feeds.length, 2 + 2 * 2);
  for (const f of feeds) assert.deepEqual(f.shape, [1, 32, 32, 3]);
  // window k of a 100×80 image: x = floor(((0.37k + 0.1) mod 1) · (100 − 32)), y = floor(((0.61k + 0.2) mod 1) · (80 − 32))
  // k = 0: (6, 9); k = 1: (31, 38) — native scale, so feed pixel (i, j) is image pixel (x + i, y + j)
  for (const [idx, x0, y0] of [[2, 6, 9], [3, 31, 38]] as const) {
    const d = feeds[idx]!.data as Float32Array;
    for (const [i, j] of [[0, 0], [5, 7], [31, 31]] as const) {
      const x = x0 + i, y = y0 + j;
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(d[(j * 32 + i) * 3 + c]! - expected(x, y, x + y, c)) < 1e-5, `window ${idx} pixel (${i}, ${j}) channel ${c}`);
    }
  }
  // a 20×40 image is narrower than the window: its windows start at x = 0 and hold all 20 columns (then resized to 32)
  const d4 = feeds[4]!.data as Float32Array;
  const y4 = Math.floor(0.2 * (40 - 32)); // 1
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(d4[c]! - expected(0, y4, y4, c)) < 1e-5);
  // no windows asked: the whole images only (the recipe before session 7)
  assert.equal(detCalibration([big, small], 32, 32, 0).length, 2);
});
