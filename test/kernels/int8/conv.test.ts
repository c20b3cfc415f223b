// Hand-computed cases of the MAC output stage: shift_cut, shift_bias, fused nonlinears
// (docs/dpu-arithmetic.md §2–3). Every expected number is worked out in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuantizeError } from '../../../src/errors.js';
import { type QTensor, type Nonlinear, conv2dInt8, outputStage } from '../../../src/kernels/ref/int8/index.js';

const q = (shape: number[], data: number[], fixPoint: number): QTensor => ({ shape, data: Int8Array.from(data), fixPoint });
const p1x1 = (fpOut: number, nonlinear: Nonlinear = 'NONE') => ({
  kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], nonlinear, fpOut, where: 'conv_t',
});
/** 1×1 conv of one pixel with one output channel: Σ x[c]·w[c] (+ bias). */
function dot(x: number[], fi: number, w: number[], fw: number, fo: number, nl: Nonlinear = 'NONE', bias?: [number, number]): number {
  const b = bias ? q([1], [bias[0]], bias[1]) : undefined;
  return conv2dInt8(q([1, 1, 1, x.length], x, fi), q([1, 1, 1, w.length], w, fw), b, p1x1(fo, nl)).data[0];
}

test('2×2 conv worked end to end (bias with a coarser fix point: shift_bias = +1)', () => {
  // x (fi=2, value q/4), NHWC 1×3×3×1:   w (fw=3, value q/8), [oc=1, kh=2, kw=2, ic=1]:
  //   1  2  3                              1 -2
  //   4  5  6                              3  4
  //   7  8 -9
  // bias q=5 at fb=4 (0.3125); fo=3. fa = fi+fw = 5; shift_cut = 5-3 = 2; shift_bias = 5-4 = 1.
  // (0,0): 1·1 + 2·-2 + 4·3 + 5·4 = 29;  +5·2 = 39;  39/4 = 9.75  -> 10   (real 1.21875·8 = 9.75)
  // (0,1): 2·1 + 3·-2 + 5·3 + 6·4 = 35;  +10 = 45;   45/4 = 11.25 -> 11
  // (1,0): 4·1 + 5·-2 + 7·3 + 8·4 = 47;  +10 = 57;   57/4 = 14.25 -> 14
  // (1,1): 5·1 + 6·-2 + 8·3 - 9·4 = -19; +10 = -9;   -9/4 = -2.25 -> -2
  const x = q([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, -9], 2);
  const w = q([1, 2, 2, 1], [1, -2, 3, 4], 3);
  const y = conv2dInt8(x, w, q([1], [5], 4), { kernel: [2, 2], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], fpOut: 3, where: 'c' });
  assert.deepEqual(y.shape, [1, 2, 2, 1]);
  assert.deepEqual([...y.data], [10, 11, 14, -2]);
  assert.equal(y.fixPoint, 3);

  // Same conv, bias q=13 at fb=7 (0.1015625, finer than the accumulator): shift_bias = 5-7 = -2.
  // The accumulator is shifted left by 2, the bias added, total right shift 2+2 = 4:
  // (0,0): 29·4 + 13 = 129; 129/16 = 8.0625 -> 8      (real (0.90625+0.1015625)·8 = 8.0625)
  // (0,1): 35·4 + 13 = 153; 9.5625 -> 10;  (1,0): 47·4+13 = 201; 12.5625 -> 13
  // (1,1): -19·4 + 13 = -63; -3.9375 -> -4
  const y2 = conv2dInt8(x, w, q([1], [13], 7), { kernel: [2, 2], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], fpOut: 3, where: 'c' });
  assert.deepEqual([...y2.data], [8, 10, 13, -4]);

  // With pad 1 all round and stride 2 (3×3 -> 2×2 outputs at (−1,−1),(−1,1),(1,−1),(1,1)), no bias:
  // (0,0) sees only x[0,0]·w[1,1] = 1·4 = 4 -> 1;  (0,1) sees x[0,1]·w[1,0] + x[0,2]·w[1,1] = 2·3+3·4 = 18 -> 4.5 -> 5
  // (1,0) sees x[1,0]·w[0,1] + x[2,0]·w[1,1] = 4·-2 + 7·4 = 20 -> 5;  (1,1): 5·1 + 6·-2 + 8·3 + -9·4 = -19 -> -4.75 -> -5
  const y3 = conv2dInt8(x, w, undefined, { kernel: [2, 2], stride: [2, 2], dilation: [1, 1], pad: [1, 1, 1, 1], fpOut: 3, where: 'c' });
  assert.deepEqual([...y3.data], [1, 5, 5, -5]);
});

test('shift_cut 0 and 16, with saturation and ties', () => {
  // shift_cut 0 (fi=fw=fo=0): y = saturate(acc)
  assert.equal(dot([3], 0, [-4], 0, 0), -12);
  assert.equal(dot([100], 0, [2], 0, 0), 127); // 200 saturates
  assert.equal(dot([-100], 0, [2], 0, 0), -128); // -200 saturates
  // shift_cut 16 (fi=8, fw=8, fo=0): y = DPU_ROUND(acc / 65536)
  assert.equal(dot([127], 8, [127], 8, 0), 0); // 16129/65536 = 0.246 -> 0
  assert.equal(dot(Array(8).fill(127), 8, Array(8).fill(127), 8, 0), 2); // 129032/65536 = 1.969 -> 2
  assert.equal(dot([-128, -128], 8, [-128, -128], 8, 0), 1); // 32768/65536 = +0.5 -> 1
  assert.equal(dot([-128, -128, -128, -128], 8, [64, 64, 64, 64], 8, 0), 0); // -0.5 -> 0 (tie toward +inf)
  assert.equal(dot([-128, -128, -128, -128, -128, -128], 8, [64, 64, 64, 64, 64, 64], 8, 0), -1); // -0.75 -> -1
});

test('shift_cut and shift_bias bounds raise QuantizeError naming the op', () => {
  const bad = (f: () => unknown, code: string) =>
    assert.throws(f, (e: unknown) => e instanceof QuantizeError && e.code === code && e.where === 'conv_t' && !!e.fix);
  bad(() => dot([1], 9, [1], 8, 0), 'E_Q_SHIFT_CUT'); // 17
  bad(() => dot([1], 0, [1], 0, 1), 'E_Q_SHIFT_CUT'); // -1
  bad(() => dot([1], 8, [1], 9, 1, 'NONE', [1, 0]), 'E_Q_SHIFT_BIAS'); // shift_bias 17 (shift_cut 16)
  // shift_cut 2 allows shift_bias down to min(0, 2-16) = -14: fb = fa + 15 is one too far
  bad(() => dot([1], 2, [1], 3, 3, 'NONE', [1, 20]), 'E_Q_SHIFT_BIAS');
  assert.doesNotThrow(() => dot([1], 2, [1], 3, 3, 'NONE', [1, 19])); // shift_bias -14
  // shift_cut 16 allows shift_bias ≥ 0 only
  bad(() => dot([1], 8, [1], 8, 0, 'NONE', [1, 17]), 'E_Q_SHIFT_BIAS');
  assert.doesNotThrow(() => dot([1], 8, [1], 8, 0, 'NONE', [1, 16]));
});

test('LEAKYRELU 26/256 on a negative accumulator', () => {
  // fi=4, fw=4, fo=4: shift_cut 4; negative acc: y = DPU_ROUND(acc·26 / 2^(4+8)).
  // x=-120, w=127: acc = -15240 (real -59.53125); -15240·26 = -396240; /4096 = -96.738 -> -97.
  // (slope 0.1 would give -95.25 -> -95: the DPU's 26/256 is not 0.1)
  assert.equal(dot([-120], 4, [127], 4, 4, 'LEAKYRELU'), -97);
  // tie: x=-64, w=16 -> acc = -1024; -1024·26/4096 = -6.5 -> -6 (DPU_ROUND ties toward +inf)
  assert.equal(dot([-64], 4, [16], 4, 4, 'LEAKYRELU'), -6);
  // positive acc is a plain shift: 3·40 = 120; 120/16 = 7.5 -> 8
  assert.equal(dot([3], 4, [40], 4, 4, 'LEAKYRELU'), 8);
  // alpha that is not k/256 is rejected
  assert.throws(() => outputStage({ fpIn: 0, fpW: 0, fpOut: 0, nonlinear: 'LEAKYRELU', alpha: 0.1, where: 'l' }),
    (e: unknown) => e instanceof QuantizeError && e.code === 'E_Q_LEAKY_ALPHA');
});

test('RELU and RELU6 clamp in accumulator units', () => {
  // fi=fw=fo=4: 6.0 is 6·2^8 = 1536 accumulator units.
  assert.equal(dot([100], 4, [16], 4, 4, 'RELU6'), 96); // acc 1600 > 1536 -> 1536/16 = 96 (6.0 at fo 4)
  assert.equal(dot([100], 4, [16], 4, 4, 'NONE'), 100); // without the clamp
  assert.equal(dot([95], 4, [16], 4, 4, 'RELU6'), 95); // 1520/16 = 95
  assert.equal(dot([-5], 4, [16], 4, 4, 'RELU6'), 0);
  assert.equal(dot([-5], 4, [16], 4, 4, 'RELU'), 0);
  assert.equal(dot([100], 4, [16], 4, 4, 'RELU'), 100);
  // fo = 5: 6.0 is 192 -> saturates to 127
  assert.equal(dot([100], 4, [16], 4, 5, 'RELU6'), 127);
});

test('fused HSIGMOID and HSWISH at a few points', () => {
  // HSIGMOID: fi=4, fw=4 (fa=8, 1.0 = 256 units), fo=7 (shift_cut 1).
  // r = clamp(acc + 3·256, 0, 6·256); y = DPU_ROUND(r·2731 / 2^(1+14)).
  const hs = (acc: number) => outputStage({ fpIn: 4, fpW: 4, fpOut: 7, nonlinear: 'HSIGMOID', where: 'h' })(acc, 0);
  assert.equal(hs(0), 64); // r=768: 768·2731/32768 = 64.0078 -> 64  (0.5)
  assert.equal(hs(256), 85); // x=1: r=1024: 2796544/32768 = 85.34 -> 85  (≈ 0.667)
  assert.equal(hs(-512), 21); // x=-2: r=256: 699136/32768 = 21.34 -> 21
  assert.equal(hs(-1024), 0); // x=-4: r=0
  assert.equal(hs(1000), 127); // r clamps to 1536: 128.016 -> 128 -> saturates 127
  // the same through conv2d: x=16 (1.0 at fi 4) · w=16 (1.0 at fw 4) = acc 256
  assert.equal(dot([16], 4, [16], 4, 7, 'HSIGMOID'), 85);

  // HSWISH: fo=4 (shift_cut 4). h = sat(DPU_ROUND(r·2731 / 2^(8+14-7))) is hard-sigmoid at fp 7;
  // y = DPU_ROUND(acc·h / 2^(4+7)).
  const hw = (acc: number) => outputStage({ fpIn: 4, fpW: 4, fpOut: 4, nonlinear: 'HSWISH', where: 'h' })(acc, 0);
  assert.equal(hw(256), 11); // h=85; 256·85 = 21760; /2048 = 10.625 -> 11   (hswish(1)=0.667 -> 10.67)
  assert.equal(hw(-512), -5); // h=21; -512·21 = -10752; /2048 = -5.25 -> -5   (hswish(-2) = -0.333)
  assert.equal(hw(1000), 62); // h=127; 127000/2048 = 62.01 -> 62
  assert.equal(hw(0), 0);
  assert.equal(hw(-1024), 0); // h=0
});
