// The demo's post-processing on hand-made maps (values worked out by hand), and the whole demo
// on the shipped screenshot at a reduced size against onnxruntime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryIoU, detInputSize, findTextRegions, runDemo } from '../../src/cli/commands/demo.js';

test('det input size: PaddleOCR-style resize to multiples of 32', () => {
  assert.deepEqual(detInputSize(608, 606, 640), { inW: 608, inH: 608 }); // 606/32 = 18.9 → 19·32
  assert.deepEqual(detInputSize(1280, 640, 640), { inW: 640, inH: 320 }); // scaled by 1/2
  assert.deepEqual(detInputSize(20, 10, 640), { inW: 32, inH: 32 }); // never below 32
});

test('connected components of the thresholded map, with DB unclip and scaling', () => {
  // 6×4 map: a 2×2 block at x 0–1, y 0–1 (probs 0.5,0.7,0.9,0.9 → mean 0.75) and a 1×3 bar at
  // x 4, y 1–3 (0.4 each); one isolated 0.35 pixel at (2,3) — 4-connectivity keeps it apart.
  const w = 6;
  const m = new Float32Array([
    0.5, 0.7, 0.0, 0.0, 0.0, 0.0,
    0.9, 0.9, 0.0, 0.0, 0.4, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.4, 0.0,
    0.0, 0.0, 0.35, 0.0, 0.4, 0.0,
  ]);
  const r = findTextRegions(m, w, 4, { threshold: 0.3, minArea: 2, unclip: 0 });
  assert.equal(r.length, 2); // the single pixel is below minArea
  assert.deepEqual(r[0]!.box, [0, 0, 2, 2]);
  assert.equal(r[0]!.area, 4);
  assert.ok(Math.abs(r[0]!.score - 0.75) < 1e-6);
  assert.deepEqual(r[1]!.box, [4, 1, 5, 4]);
  // unclip 1.5 on the 2×2 box: d = 2·2·1.5 / (2·(2+2)) = 0.75 → [−0.75, 2.75] → clamp/floor/ceil [0, 3]; ×2 scale → [0, 6]
  const u = findTextRegions(m, w, 4, { threshold: 0.3, minArea: 2, unclip: 1.5, scaleX: 2, scaleY: 2 });
  assert.deepEqual(u[0]!.box, [0, 0, 6, 6]);
});

test('IoU of binarised maps', () => {
  const a = new Float32Array([0.9, 0.9, 0.1, 0.1]);
  const b = new Float32Array([0.9, 0.1, 0.9, 0.1]);
  assert.equal(binaryIoU(a, b, 0.3), 1 / 3); // one pixel in both, three in either
  assert.equal(binaryIoU(new Float32Array(4), new Float32Array(4)), 1);
});

test('demo on the shipped screenshot (max side 320): float executor agrees with onnxruntime', async () => {
  const steps: string[] = [];
  const r = await runDemo({ maxSide: 320, progress: (s) => steps.push(s) });
  assert.deepEqual(r.input.shape, [1, 3, 320, 320]);
  assert.ok(steps.length >= 5);
  assert.ok(r.agreement.maxRelError <= 1e-4, `max rel error ${r.agreement.maxRelError}`);
  assert.ok(r.agreement.binaryIoU >= 0.999, `IoU ${r.agreement.binaryIoU}`);
  // The screenshot is a settings menu full of labels: onnxruntime itself finds many regions.
  assert.ok(r.onnxruntime.regions.length >= 20, `${r.onnxruntime.regions.length} regions`);
  assert.equal(r.float.regions.length, r.onnxruntime.regions.length);
});
