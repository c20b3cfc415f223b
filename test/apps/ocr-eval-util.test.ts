/**
 * The OCR evaluation helpers the opt-in proofs print with (test/apps/ocr-eval-util.ts): the per-line sameness and the
 * agreement restricted to some reference lines, on hand-built lines whose counts are worked out below; and the 1-px
 * image shift against hand-placed pixels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OcrLine } from '../../src/apps/ocr/pipeline.js';
import { lineAgreement } from '../../src/apps/demo/report.js';
import { agreement, agreementOn, sameAt, shiftImage } from './ocr-eval-util.js';

const line = (text: string, x: number): OcrLine => ({
  text, score: 0.9, boxScore: 0.9, angle: 0,
  box: [[x, 0], [x + 50, 0], [x + 50, 10], [x, 10]],
});

test('sameAt / agreementOn: per-line sameness and the agreement on a subset of the reference lines', () => {
  const ref = [line('Close', 0), line('Blend', 100), line('Size:', 200), line('口', 300)];
  // 'Close' same; 'Blend' → 'Blen' (1 edit of 5); 'Size:' same; '口' has no box there (unpaired: 1 char lost)
  const got = [line('Close', 0), line('Blen', 100), line('Size:', 200), line('extra', 900)];
  assert.deepEqual(sameAt(ref, got), [true, false, true, false]);
  // every line: agreement(), whose figures lineAgreement's own counts give too
  assert.deepEqual(agreement(ref, got), { lines: 4, same: 2, chars: 5 + 5 + 5 + 1, errs: 0 + 1 + 0 + 1 });
  const ag = lineAgreement(ref, got);
  assert.equal(ag.sameLines, 2);
  assert.ok(Math.abs(ag.charAccuracy - (1 - 2 / 16)) < 1e-12);
  // only 'Blend' and '口': 0 of 2 the same, 6 characters, 2 errors
  assert.deepEqual(agreementOn(ref, got, [false, true, false, true]), { lines: 2, same: 0, chars: 6, errs: 2 });
  assert.deepEqual(agreementOn(ref, got, [false, false, false, false]), { lines: 0, same: 0, chars: 0, errs: 0 });
});

test('shiftImage moves the pixels right and down and replicates the first column and row', () => {
  // 3×2 RGB: pixel (x, y) has the value 10·y + x on every channel
  const data = new Uint8Array(3 * 2 * 3);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) data.fill(10 * y + x, (y * 3 + x) * 3, (y * 3 + x) * 3 + 3);
  const out = shiftImage({ width: 3, height: 2, channels: 3, data }, 1, 1);
  const at = (x: number, y: number): number => out.data[(y * 3 + x) * 3]!;
  assert.deepEqual([at(0, 0), at(1, 0), at(2, 0), at(0, 1), at(1, 1), at(2, 1)], [0, 0, 1, 0, 0, 1]);
});
