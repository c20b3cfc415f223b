// Hand-computed cases: avgpool reciprocals, eltwise add/mul with different fix points, standalone
// activations, concat/pad re-quantization, nearest resize (docs/dpu-arithmetic.md §4–6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type QTensor, addInt8, avgpool2dInt8, avgpoolReciprocal, concatInt8, hardSigmoidInt8, hardSwishInt8,
  leakyReluInt8, maxpool2dInt8, mulInt8, padInt8, relu6Int8, reluInt8, reciprocalSearch, resizeInt8,
} from '../../../src/kernels/ref/int8/index.js';

const q = (shape: number[], data: number[], fixPoint: number): QTensor => ({ shape, data: Int8Array.from(data), fixPoint });
const pool = (fpOut: number, k = 3) => ({ kernel: [k, k], stride: [1, 1], pad: [0, 0, 0, 0], global: false, fpOut, where: 'p' });

test('avgpool 3×3 with the 7/64 reciprocal', () => {
  // 1..9 at fi=0: sum 45; 45·7/64 = 4.921875 -> 5 (true mean 5)
  const x = q([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9], 0);
  assert.deepEqual([...avgpool2dInt8(x, pool(0)).data], [5]);
  // fo=2: 45·7 / 2^(6+0-2) = 315/16 = 19.6875 -> 20
  assert.deepEqual([...avgpool2dInt8(x, pool(2)).data], [20]);
  // sum 32: 32·7/64 = 3.5 -> 4 (tie up); sum -32: -3.5 -> -3.  (exact mean 3.56 / -3.56)
  assert.deepEqual([...avgpool2dInt8(q([1, 3, 3, 1], [4, 4, 4, 4, 4, 4, 4, 4, 0], 0), pool(0)).data], [4]);
  assert.deepEqual([...avgpool2dInt8(q([1, 3, 3, 1], [-4, -4, -4, -4, -4, -4, -4, -4, 0], 0), pool(0)).data], [-3]);
  // the 7/64 is an approximation: nine 100s sum to 900; 900·7/64 = 98.44 -> 98 (not 100)
  assert.deepEqual([...avgpool2dInt8(q([1, 3, 3, 1], Array(9).fill(100), 0), pool(0)).data], [98]);
  // global pool over 3×3 uses the same reciprocal
  assert.deepEqual([...avgpool2dInt8(x, { ...pool(0), global: true }).data], [5]);
});

test('avgpool reciprocal table and the generic rule', () => {
  assert.deepEqual(avgpoolReciprocal(3, 3), { mult: 7, shift: 6 });
  assert.deepEqual(avgpoolReciprocal(5, 5), { mult: 10, shift: 8 });
  assert.deepEqual(avgpoolReciprocal(6, 6), { mult: 7, shift: 8 });
  assert.deepEqual(avgpoolReciprocal(7, 7), { mult: 21, shift: 10 });
  assert.deepEqual(avgpoolReciprocal(14, 14), { mult: 21, shift: 12 });
  // powers of two are exact: 2×2 -> 1/4
  assert.deepEqual(avgpoolReciprocal(2, 2), { mult: 1, shift: 2 });
  assert.deepEqual(reciprocalSearch(1), { mult: 1, shift: 0 });
  // N=3: s ranges 0..8 (ceil(log2 384) = 9); candidates round(2^s/3): s=1 -> 1/2 (diff .167), s=2 -> 1/4 (.083),
  // s=3 -> 3/8 (.042), s=4 -> 5/16 (.0208), s=5 -> 11/32 (.0104), s=6 -> 21/64 (.0052),
  // s=7 -> 43/128 (.0026), s=8 -> 85/256 (.0013): the last wins.
  assert.deepEqual(reciprocalSearch(3), { mult: 85, shift: 8 });
});

test('maxpool with re-quantization', () => {
  // max of 2×2 windows over 1×2×3×1 at fi=3, to fo=2 (halve, round half up)
  const x = q([1, 2, 3, 1], [1, 5, -3, 2, -7, 4], 3);
  const y = maxpool2dInt8(x, { kernel: [2, 2], stride: [1, 1], pad: [0, 0, 0, 0], global: false, fpOut: 2, where: 'm' });
  // windows: {1,5,2,-7} -> 5 -> 2.5 -> 3 ; {5,-3,-7,4} -> 5 -> 3
  assert.deepEqual([...y.data], [3, 3]);
});

test('eltwise add with different input fix points', () => {
  // a fi=3 (q/8), b fi=5 (q/32), fo=4. F = 5: a is shifted left by 2.
  // a=10 (1.25), b=-7 (-0.21875): 40 - 7 = 33; /2^(5-4) = 16.5 -> 17      (real 1.03125·16 = 16.5)
  // a=-10, b=7: -33/2 = -16.5 -> -16 ;  a=127, b=127: 508+127 = 635 -> 317.5 -> 318 -> saturates 127
  const a = q([3], [10, -10, 127], 3);
  const b = q([3], [-7, 7, 127], 5);
  assert.deepEqual([...addInt8(a, b, { fpOut: 4, where: 'add' }).data], [17, -16, 127]);
  // fo above both inputs (6): left shift by 1: 33·2 = 66, -66, 1270 -> 127
  assert.deepEqual([...addInt8(a, b, { fpOut: 6, where: 'add' }).data], [66, -66, 127]);
  // fused RELU
  assert.deepEqual([...addInt8(a, b, { fpOut: 4, nonlinear: 'RELU', where: 'add' }).data], [17, 0, 127]);
  // broadcasting [2,2] + [2]: fi equal (2), fo 2: plain sums
  const c = addInt8(q([2, 2], [1, 2, 3, 4], 2), q([2], [10, 20], 2), { fpOut: 2, where: 'add' });
  assert.deepEqual([...c.data], [11, 22, 13, 24]);
  // subtract
  // subtract: 40 + 7 = 47 -> 23.5 -> 24 ; -40 - 7 = -47 -> -23.5 -> -23 ; 508 - 127 = 381 -> 190.5 -> 127
  assert.deepEqual([...addInt8(a, b, { fpOut: 4, where: 'sub' }, true).data], [24, -23, 127]);
});

test('eltwise mul', () => {
  // a=12 at fi 3 (1.5), b=20 at fi 4 (1.25), fo 4: 240 / 2^(3+4-4) = 30 (1.875·16)
  // a=-3 (−0.375), b=5 (0.3125), fo 4: -15 / 8 = -1.875 -> -2
  // a=-4, b=5: -20/8 = -2.5 -> -2 (tie up)
  assert.deepEqual([...mulInt8(q([3], [12, -3, -4], 3), q([3], [20, 5, 5], 4), { fpOut: 4, where: 'mul' }).data], [30, -2, -2]);
});

test('standalone relu / relu6 / leaky / hard-sigmoid / hard-swish', () => {
  const x = q([5], [-48, -16, 0, 16, 100], 4); // -3, -1, 0, 1, 6.25
  assert.deepEqual([...reluInt8(x, 3).data], [0, 0, 0, 8, 50]);
  // relu6 to fo 4: 6.25 clamps to 6.0 = 96
  assert.deepEqual([...relu6Int8(x, 4).data], [0, 0, 0, 16, 96]);
  // leaky 26/256, fi=fo=4: -48·26/256 = -4.875 -> -5 ; -16·26/256 = -1.625 -> -2
  assert.deepEqual([...leakyReluInt8(x, 26 / 256, 4, 'l').data], [-5, -2, 0, 16, 100]);
  // hard-sigmoid fi 4 -> fo 7: r = clamp(q + 48, 0, 96); y = DPU_ROUND(r·2731 / 2^(4+14-7))
  // q=-48: r=0 -> 0; q=-16: r=32: 87392/2048 = 42.67 -> 43; q=0: r=48: 64.0 -> 64;
  // q=16: r=64: 85.34 -> 85; q=100: r=96: 128.02 -> 127
  assert.deepEqual([...hardSigmoidInt8(x, 7).data], [0, 43, 64, 85, 127]);
  // hard-swish fi 4 -> fo 4: h as above (fp 7): y = DPU_ROUND(q·h / 2^(4+7-4))
  // q=-16: -16·43/128 = -5.375 -> -5 (real -1/3 -> -5.33);  q=16: 16·85/128 = 10.625 -> 11;
  // q=100: 100·127/128 = 99.2 -> 99 (real 6.25 -> 100)
  assert.deepEqual([...hardSwishInt8(x, 4).data], [0, -5, 0, 11, 99]);
});

test('concat re-quantizes inputs whose fix point differs; pad quantizes its constant', () => {
  // inputs at fp 3 and 2, output fp 2: [5, -5] (0.625, -0.625) -> 2.5 -> 3, -2.5 -> -2
  const y = concatInt8([q([1, 2], [5, -5], 3), q([1, 1], [7], 2)], -1, 2, 'cat');
  assert.deepEqual(y.shape, [1, 3]);
  assert.deepEqual([...y.data], [3, -2, 7]);
  // pad [1,1] on a length-2 vector at fp 2, constant 0.3 -> DPU_ROUND(1.2) = 1; REFLECT and EDGE
  assert.deepEqual([...padInt8(q([2], [4, 8], 2), [1, 1], 'CONSTANT', 0.3, 2, 'pad').data], [1, 4, 8, 1]);
  assert.deepEqual([...padInt8(q([3], [1, 2, 3], 0), [2, 2], 'REFLECT', 0, 0, 'pad').data], [3, 2, 1, 2, 3, 2, 1]);
  assert.deepEqual([...padInt8(q([3], [1, 2, 3], 0), [2, 2], 'EDGE', 0, 0, 'pad').data], [1, 1, 1, 2, 3, 3, 3]);
  assert.deepEqual([...padInt8(q([3], [1, 2, 3], 0), [2, 2], 'SYMMETRIC', 0, 0, 'pad').data], [2, 1, 1, 2, 3, 3, 2]);
});

test('resize nearest 2× (asymmetric/floor) and bilinear 2× (half_pixel) hand-computed', () => {
  // 1×1×2×1 -> 1×1×4×1; asymmetric floor: src = floor(o·2/4) = 0,0,1,1
  const x = q([1, 1, 2, 1], [10, -20], 3);
  const near = resizeInt8(x, { size: [4, 1], mode: 'NEAREST', coordinate: 'asymmetric', nearestMode: 'floor', fpOut: 3, where: 'r' });
  assert.deepEqual([...near.data], [10, 10, -20, -20]);
  // bilinear half_pixel, width 2 -> 4: src = (2o+1)·2/8 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> clamped to [0, 1]:
  // 0 -> 10; 0.25 -> 0.75·10 + 0.25·-20 = 2.5 -> 3 (tie up); 0.75 -> 2.5 - 15 = -12.5 -> -12; 1 -> -20
  const bil = resizeInt8(x, { size: [4, 1], mode: 'BILINEAR', coordinate: 'half_pixel', nearestMode: 'floor', fpOut: 3, where: 'r' });
  assert.deepEqual([...bil.data], [10, 3, -12, -20]);
});
