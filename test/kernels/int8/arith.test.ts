// Hand-computed checks of the DPU rounding modes, saturation and shifts (docs/dpu-arithmetic.md §1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DPU_ROUND, DPU_ROUNDING, PY3_ROUND, STD_ROUND, dequantize, quantize, quantizeValue, requantize,
  roundDivHalfUp, saturate8, shiftRound,
} from '../../../src/kernels/ref/int8/arith.js';

test('ties under each rounding mode: +2.5, -2.5, +0.5, -0.5', () => {
  // DPU_ROUND = floor(x + 0.5): every tie goes toward +inf.
  assert.deepEqual([2.5, -2.5, 0.5, -0.5].map(DPU_ROUND), [3, -2, 1, 0]);
  // STD_ROUND = std::round: ties away from zero.
  assert.deepEqual([2.5, -2.5, 0.5, -0.5].map(STD_ROUND), [3, -3, 1, -1]);
  // PY3_ROUND: ties to even (2.5 -> 2, -2.5 -> -2, ±0.5 -> 0, 1.5 -> 2, -1.5 -> -2).
  assert.deepEqual([2.5, -2.5, 0.5, -0.5, 1.5, -1.5].map(PY3_ROUND), [2, -2, 0, 0, 2, -2]);
  // non-ties agree everywhere
  for (const f of [DPU_ROUND, STD_ROUND, PY3_ROUND]) assert.deepEqual([2.4, -2.6, 0.49, -0.51].map(f), [2, -3, 0, -1]);
});

test('the named choice: activations DPU_ROUND, params STD_ROUND', () => {
  assert.equal(DPU_ROUNDING.activation, DPU_ROUND);
  assert.equal(DPU_ROUNDING.param, STD_ROUND);
});

test('saturation at ±128', () => {
  assert.equal(saturate8(128), 127);
  assert.equal(saturate8(-128), -128);
  assert.equal(saturate8(-129), -128);
  // 1.0 at fix point 7 is 128 -> saturates to 127 (0.9921875); -1.0 is exactly -128.
  assert.equal(quantizeValue(1.0, 7), 127);
  assert.equal(quantizeValue(-1.0, 7), -128);
  // -128.5 at fp 0: DPU_ROUND gives -128 (tie up) — representable; -128.6 -> -129 -> -128.
  assert.equal(quantizeValue(-128.5, 0), -128);
  assert.equal(quantizeValue(-128.6, 0), -128);
  // 127.5 -> 128 -> 127
  assert.equal(quantizeValue(127.5, 0), 127);
  // quantize a float array at fp 2 (×4): 0.3 -> 1.2 -> 1; -0.625 -> -2.5 -> -2 (tie up); 40 -> 160 -> 127
  assert.deepEqual([...quantize([0.3, -0.625, 40, -40, NaN], 2)], [1, -2, 127, -128, 0]);
  assert.deepEqual([...dequantize(new Int8Array([1, -2, 127]), 2)], [0.25, -0.5, 31.75]);
});

test('shiftRound: positive shifts round half up, negative shifts are exact left shifts', () => {
  assert.equal(shiftRound(5, 1), 3); // 2.5 -> 3
  assert.equal(shiftRound(-5, 1), -2); // -2.5 -> -2
  assert.equal(shiftRound(-3, 1), -1); // -1.5 -> -1
  assert.equal(shiftRound(7, 2), 2); // 1.75 -> 2
  assert.equal(shiftRound(-6, 2), -1); // -1.5 -> -1
  assert.equal(shiftRound(-7, 2), -2); // -1.75 -> -2
  assert.equal(shiftRound(3, -2), 12);
  assert.equal(shiftRound(-3, 0), -3);
  // large accumulator, shift 16: 2^31 - 1 over 2^16 = 32767.99998 -> 32768
  assert.equal(shiftRound(2 ** 31 - 1, 16), 32768);
  // exact half at shift 16: 3·2^15 / 2^16 = 1.5 -> 2; -1.5 -> -1
  assert.equal(shiftRound(3 * 2 ** 15, 16), 2);
  assert.equal(shiftRound(-3 * 2 ** 15, 16), -1);
});

test('requantize and roundDivHalfUp', () => {
  // fp 3 -> fp 2 halves: 5 -> 2.5 -> 3; -5 -> -2 ; fp 2 -> 3 doubles: 100 -> 200 -> 127
  assert.deepEqual([...requantize(new Int8Array([5, -5, 4]), 3, 2)], [3, -2, 2]);
  assert.deepEqual([...requantize(new Int8Array([100, -100]), 2, 3)], [127, -128]);
  assert.equal(roundDivHalfUp(7, 2), 4); // 3.5 -> 4
  assert.equal(roundDivHalfUp(-7, 2), -3); // -3.5 -> -3
  assert.equal(roundDivHalfUp(10, 3), 3); // 3.33 -> 3
  assert.equal(roundDivHalfUp(-11, 3), -4); // -3.67 -> -4
});
