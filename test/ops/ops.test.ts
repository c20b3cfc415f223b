// Hand-computed cases for every op type of src/ir/catalog.ts (values worked out in the comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../src/ops/index.js';
import { getOpDef, registeredOpTypes } from '../../src/ir/registry.js';
import { GraphError } from '../../src/errors.js';
import type { Attrs, Op, TensorValue } from '../../src/ir/types.js';

// The catalog's op types, copied by hand from the table in src/ir/catalog.ts.
const CATALOG = ['data', 'const', 'conv2d', 'depthwise-conv2d', 'transposed-conv2d', 'matmul', 'batchnorm', 'maxpool2d',
  'avgpool2d', 'add', 'sub', 'mul', 'div', 'pow', 'min', 'max', 'relu', 'relu6', 'sigmoid', 'tanh', 'sqrt', 'exp', 'neg',
  'abs', 'erf', 'reciprocal', 'identity', 'leaky-relu', 'hard-sigmoid', 'hard-swish', 'clamp', 'concat', 'reshape',
  'transpose', 'strided_slice', 'pad', 'resize', 'softmax', 'reduction_mean', 'reduction_max', 'reduction_sum',
  'layernorm', 'gather'];
const ELEMENTWISE = ['add', 'sub', 'mul', 'div', 'pow', 'min', 'max', 'relu', 'relu6', 'sigmoid', 'tanh', 'sqrt', 'exp',
  'neg', 'abs', 'erf', 'reciprocal', 'identity', 'leaky-relu', 'hard-sigmoid', 'hard-swish', 'clamp'];

const T = (shape: number[], data: number[]): TensorValue => ({ shape, data: Float32Array.from(data) });
function mkOp(type: string, attrs: Attrs, shape: number[] = []): Op {
  return { name: `t_${type}`, type, inputs: [], attrs, output: { shape, dtype: 'float32' } };
}
/** Runs the op's shape rule and float kernel; checks they agree; returns the kernel output. */
function run(type: string, inputs: TensorValue[], attrs: Attrs = {}): TensorValue {
  const def = getOpDef(type);
  const op = mkOp(type, attrs);
  const shape = def.shape({ op, inputs: inputs.map((i) => ({ shape: i.shape, dtype: 'float32' })) });
  const out = def.float(inputs, attrs, op);
  assert.deepEqual(out.shape, shape, `${type}: shape rule vs kernel`);
  return out;
}
function close(actual: Float32Array, expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  expected.forEach((e, i) => {
    const a = actual[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)) || (Number.isNaN(a) && Number.isNaN(e)), `[${i}] ${a} vs ${e}`);
  });
}

test('every catalog op type is registered; elementwise flags', () => {
  const reg = registeredOpTypes();
  for (const t of CATALOG) assert.ok(reg.includes(t), `missing ${t}`);
  for (const t of CATALOG) assert.equal(getOpDef(t).elementwise === true, ELEMENTWISE.includes(t), `elementwise flag of ${t}`);
});

test('data and const', () => {
  const d = getOpDef('data');
  assert.deepEqual(d.shape({ op: mkOp('data', { shape: [1, 4, 4, 3] }), inputs: [] }), [1, 4, 4, 3]);
  assert.throws(() => d.shape({ op: mkOp('data', { shape: [1, -1, 4, 3] }), inputs: [] }), /--input-shape/);
  const c = { ...mkOp('const', {}, [2]), data: Float32Array.from([1, 2]) };
  const v = getOpDef('const').float([], {}, c);
  assert.deepEqual(v.shape, [2]);
  assert.equal(v.data, c.data); // shares the payload (weights cache key)
});

test('conv2d: 3x3 input, 2x2 kernel, pad/stride/dilation/group, fused relu', () => {
  // x (1 channel) = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,0],[0,-1]], bias 0.5
  // valid conv: [1-5, 2-6; 4-8, 5-9] + 0.5 = [-3.5, -3.5, -3.5, -3.5]
  const x = T([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const w = T([1, 2, 2, 1], [1, 0, 0, -1]);
  const b = T([1], [0.5]);
  close(run('conv2d', [x, w, b], { kernel: [2, 2], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], group: 1 }).data, [-3.5, -3.5, -3.5, -3.5]);
  // pad left 1 top 1, stride 2: windows at (-1,-1),(−1,1),(1,−1),(1,1) top-left corners:
  // (−1,−1): 0·1 − x[0][0]=−1 ; (−1,1): 0 − x[0][2]=−3 ; (1,−1): 0 − x[2][0]=−7 ; (1,1): x[1][1] − x[2][2] = 5−9 = −4
  close(run('conv2d', [x, w], { kernel: [2, 2], stride: [2, 2], dilation: [1, 1], pad: [1, 0, 1, 0], group: 1 }).data, [-1, -3, -7, -4]);
  // dilation 2: single window x[0][0] − x[2][2] = 1 − 9 = −8; RELU → 0
  close(run('conv2d', [x, w], { kernel: [2, 2], dilation: [2, 2], pad: [0, 0, 0, 0] }).data, [-8]);
  close(run('conv2d', [x, w], { kernel: [2, 2], dilation: [2, 2], nonlinear: 'RELU' }).data, [0]);
  // 1x1 conv, 2 in channels → 2 out, group 2: out0 = 2·a, out1 = 3·b
  const x2 = T([1, 1, 2, 2], [1, 10, 2, 20]);
  close(run('conv2d', [x2, T([2, 1, 1, 1], [2, 3])], { kernel: [1, 1], group: 2 }).data, [2, 30, 4, 60]);
  // group 1: out0 = a + b, out1 = a − b ; LEAKYRELU alpha 0.1 → [11, −0.9, 22, −1.8]
  close(run('conv2d', [x2, T([2, 1, 1, 2], [1, 1, 1, -1])], { kernel: [1, 1], nonlinear: 'LEAKYRELU', alpha: 0.1 }).data, [11, -0.9, 22, -1.8]);
  // HSWISH of 1·x: x=1 → 1·4/6, x=-4 → 0 ; HSIGMOID x=1 → 4/6
  close(run('conv2d', [T([1, 1, 2, 1], [1, -4]), T([1, 1, 1, 1], [1])], { kernel: [1, 1], nonlinear: 'HSWISH' }).data, [4 / 6, 0]);
  close(run('conv2d', [T([1, 1, 2, 1], [1, -4]), T([1, 1, 1, 1], [1])], { kernel: [1, 1], nonlinear: 'HSIGMOID' }).data, [4 / 6, 0]);
});

test('conv2d shape errors name the op and the mismatch', () => {
  const def = getOpDef('conv2d');
  const op = mkOp('conv2d', { kernel: [3, 3] });
  assert.throws(() => def.shape({ op, inputs: [{ shape: [1, 8, 8, 3], dtype: 'float32' }, { shape: [4, 3, 3, 5], dtype: 'float32' }] }),
    (e: unknown) => e instanceof GraphError && e.code === 'E_SHAPE' && /t_conv2d/.test(e.message) && /3 channels/.test(e.message));
  const add = getOpDef('add');
  assert.throws(() => add.shape({ op: mkOp('add', {}), inputs: [{ shape: [1, 4, 3], dtype: 'float32' }, { shape: [1, 4, 2], dtype: 'float32' }] }),
    (e: unknown) => e instanceof GraphError && e.code === 'E_BROADCAST' && /t_add/.test(e.message));
});

test('depthwise-conv2d and transposed-conv2d', () => {
  // 2 channels, 2x2 input, 2x2 kernel: c0 weights all 1 → 1+2+3+4 = 10; c1 weights [1,0,0,0] → 10 ; bias [0, 1]
  const x = T([1, 2, 2, 2], [1, 10, 2, 20, 3, 30, 4, 40]);
  close(run('depthwise-conv2d', [x, T([1, 2, 2, 2], [1, 1, 1, 0, 1, 0, 1, 0]), T([2], [0, 1])], { kernel: [2, 2] }).data, [10, 11]);
  // transposed: x 1x2 (values 1, 2), kernel 1x2 [1, 10], stride w 2 → out width 2·1+2 = 4: [1, 10, 2, 20]
  close(run('transposed-conv2d', [T([1, 1, 2, 1], [1, 2]), T([1, 1, 2, 1], [1, 10])], { kernel: [2, 1], stride: [2, 1] }).data, [1, 10, 2, 20]);
  // stride 1 overlap: out = [1, 10+2, 20] = [1, 12, 20]; pad left 1 crops the first → [12, 20]; output_padding 1 → [12, 20, 0]
  close(run('transposed-conv2d', [T([1, 1, 2, 1], [1, 2]), T([1, 1, 2, 1], [1, 10])], { kernel: [2, 1], stride: [1, 1] }).data, [1, 12, 20]);
  close(run('transposed-conv2d', [T([1, 1, 2, 1], [1, 2]), T([1, 1, 2, 1], [1, 10])], { kernel: [2, 1], pad: [1, 0, 0, 0] }).data, [12, 20]);
  close(run('transposed-conv2d', [T([1, 1, 2, 1], [1, 2]), T([1, 1, 2, 1], [1, 10])], { kernel: [2, 1], stride: [2, 1], pad: [1, 0, 0, 0], output_padding: [1, 0] }).data, [10, 2, 20, 0]);
});

test('matmul with transposes, batch broadcast and bias', () => {
  // [[1,2],[3,4]] · [[5,6],[7,8]] = [[19,22],[43,50]]; + bias [1, -1]
  const a = T([2, 2], [1, 2, 3, 4]), b = T([2, 2], [5, 6, 7, 8]);
  close(run('matmul', [a, b, T([2], [1, -1])]).data, [20, 21, 44, 49]);
  // aᵀ·b = [[1,3],[2,4]]·b = [[26,30],[38,44]]
  close(run('matmul', [a, b], { transpose_a: true }).data, [26, 30, 38, 44]);
  // a·bᵀ = [[1·5+2·6, 1·7+2·8],[3·5+4·6, 3·7+4·8]] = [[17,23],[39,53]]
  close(run('matmul', [a, b], { transpose_b: true }).data, [17, 23, 39, 53]);
  // batch [2,1,2]·[2,1]: rows [1,2] and [3,4] times [1,1]ᵀ → [[3],[7]]
  const r = run('matmul', [T([2, 1, 2], [1, 2, 3, 4]), T([2, 1], [1, 1])]);
  assert.deepEqual(r.shape, [2, 1, 1]);
  close(r.data, [3, 7]);
  // vector · matrix: [1,1]·b = [12, 14]
  close(run('matmul', [T([2], [1, 1]), b]).data, [12, 14]);
  assert.throws(() => run('matmul', [T([2, 3], [1, 2, 3, 4, 5, 6]), b]), /inner dims/);
});

test('batchnorm', () => {
  // (x − mean)/sqrt(var + eps)·γ + β with eps 0: c0: (4 − 2)/2·3 + 1 = 4 ; c1: (1 − 0)/1·1 + 0 = 1
  close(run('batchnorm', [T([1, 1, 1, 2], [4, 1]), T([2], [3, 1]), T([2], [1, 0]), T([2], [2, 0]), T([2], [4, 1])], { epsilon: 0, axis: -1 }).data, [4, 1]);
});

test('maxpool2d / avgpool2d with pads, count_include_pad, global', () => {
  const x = T([1, 2, 2, 1], [1, 2, 3, 4]);
  // 2x2 window pad right/bottom 1, stride 1 → 2x2 out: max of [1,2,3,4]=4, [2,4]=4, [3,4]=4, [4]=4
  close(run('maxpool2d', [x], { kernel: [2, 2], stride: [1, 1], pad: [0, 1, 0, 1] }).data, [4, 4, 4, 4]);
  // avg excluding pad: (1+2+3+4)/4 = 2.5, (2+4)/2 = 3, (3+4)/2 = 3.5, 4/1 = 4
  close(run('avgpool2d', [x], { kernel: [2, 2], stride: [1, 1], pad: [0, 1, 0, 1], count_include_pad: false }).data, [2.5, 3, 3.5, 4]);
  // including pad: divide by 4 always → 2.5, 1.5, 1.75, 1
  close(run('avgpool2d', [x], { kernel: [2, 2], stride: [1, 1], pad: [0, 1, 0, 1], count_include_pad: true }).data, [2.5, 1.5, 1.75, 1]);
  close(run('avgpool2d', [x], { global: true }).data, [2.5]);
  close(run('maxpool2d', [T([1, 1, 2, 1], [-5, -3])], { global: true }).data, [-3]);
});

test('unary element-wise ops', () => {
  const x = T([5], [-2, -0.5, 0, 0.5, 4]);
  close(run('relu', [x]).data, [0, 0, 0, 0.5, 4]);
  close(run('relu6', [T([3], [-1, 3, 7])]).data, [0, 3, 6]);
  close(run('sigmoid', [T([3], [0, -1000, 1000])]).data, [0.5, 0, 1]);
  close(run('tanh', [T([1], [0.5])]).data, [0.46211715726000974]);
  close(run('sqrt', [T([2], [9, -1])]).data, [3, NaN]);
  close(run('exp', [T([1], [1])]).data, [Math.E]);
  close(run('neg', [x]).data, [2, 0.5, -0, -0.5, -4]);
  close(run('abs', [x]).data, [2, 0.5, 0, 0.5, 4]);
  close(run('reciprocal', [T([2], [4, -0.5])]).data, [0.25, -2]);
  close(run('identity', [x]).data, [-2, -0.5, 0, 0.5, 4]);
  close(run('leaky-relu', [x], { alpha: 0.1 }).data, [-0.2, -0.05, 0, 0.5, 4]);
  // clamp(0.2x + 0.5, 0, 1): −2 → 0.1, −0.5 → 0.4, 0 → 0.5, 0.5 → 0.6, 4 → 1
  close(run('hard-sigmoid', [x], { alpha: 0.2, beta: 0.5 }).data, [0.1, 0.4, 0.5, 0.6, 1]);
  // x·relu6(x+3)/6: −2 → −2/6, −0.5 → −0.5·2.5/6, 0 → 0, 0.5 → 0.5·3.5/6, 4 → 4
  close(run('hard-swish', [x]).data, [-1 / 3, -1.25 / 6, 0, 1.75 / 6, 4]);
  close(run('clamp', [x], { min: -1, max: 1 }).data, [-1, -0.5, 0, 0.5, 1]);
});

test('erf matches tabulated values to 1e-7', () => {
  // Abramowitz & Stegun table 7.1 / high-precision reference values
  const xs = [0, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, -0.7, 5];
  const ref = [0, 0.1124629160182849, 0.5204998778130465, 0.8427007929497149, 0.9661051464753108, 0.9953222650189527,
    0.9995930479825550, 0.9999779095030014, 0.9999992569016276, -0.6778011938374184, 0.9999999999984626];
  const y = run('erf', [T([xs.length], xs)]).data;
  ref.forEach((r, i) => assert.ok(Math.abs(y[i]! - r) <= 1e-7, `erf(${xs[i]}) = ${y[i]} vs ${r}`));
});

test('binary ops with numpy broadcasting', () => {
  const a = T([2, 3], [1, 2, 3, 4, 5, 6]), b = T([3], [10, 20, 30]), c = T([2, 1], [1, 2]);
  close(run('add', [a, b]).data, [11, 22, 33, 14, 25, 36]);
  close(run('sub', [a, c]).data, [0, 1, 2, 2, 3, 4]);
  close(run('mul', [c, b]).data, [10, 20, 30, 20, 40, 60]); // [2,1]×[3] → [2,3]
  close(run('div', [a, T([1], [2])]).data, [0.5, 1, 1.5, 2, 2.5, 3]);
  close(run('pow', [T([3], [2, 3, 4]), T([1], [2])]).data, [4, 9, 16]);
  close(run('min', [a, T([1], [3])]).data, [1, 2, 3, 3, 3, 3]);
  close(run('max', [a, T([1], [3])]).data, [3, 3, 3, 4, 5, 6]);
  // [2,1,3] + [1,2,1]: out[i][j][k] = A[i][0][k] + B[0][j][0]
  close(run('add', [T([2, 1, 2], [1, 2, 3, 4]), T([1, 2, 1], [10, 20])]).data, [11, 12, 21, 22, 13, 14, 23, 24]);
});

test('concat, reshape, transpose, strided_slice', () => {
  const a = T([1, 2, 2], [1, 2, 3, 4]), b = T([1, 2, 1], [5, 6]);
  close(run('concat', [a, b], { axis: -1 }).data, [1, 2, 5, 3, 4, 6]);
  assert.throws(() => run('concat', [a, T([1, 3, 1], [1, 2, 3])], { axis: 2 }), /concat/);
  assert.deepEqual(run('reshape', [a], { shape: [4] }).shape, [4]);
  assert.throws(() => run('reshape', [a], { shape: [3] }), /cannot reshape/);
  // [[1,2],[3,4]]ᵀ = [[1,3],[2,4]]
  close(run('transpose', [T([2, 2], [1, 2, 3, 4])], { order: [1, 0] }).data, [1, 3, 2, 4]);
  // x = 0..9, begin 1 end 8 stride 3 → 1, 4, 7 ; begin 8 end -1 stride -4 → 8, 4, 0
  const r = T([10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  close(run('strided_slice', [r], { begin: [1], end: [8], strides: [3] }).data, [1, 4, 7]);
  close(run('strided_slice', [r], { begin: [8], end: [-1], strides: [-4] }).data, [8, 4, 0]);
  close(run('strided_slice', [T([2, 2], [1, 2, 3, 4])], { begin: [1, 0], end: [2, 2], strides: [1, 1] }).data, [3, 4]);
});

test('pad modes', () => {
  const x = T([3], [1, 2, 3]);
  const p = { paddings: [2, 2] };
  close(run('pad', [x], { ...p, mode: 'CONSTANT', constant_value: 9 }).data, [9, 9, 1, 2, 3, 9, 9]);
  close(run('pad', [x], { ...p, mode: 'REFLECT' }).data, [3, 2, 1, 2, 3, 2, 1]);
  close(run('pad', [x], { ...p, mode: 'SYMMETRIC' }).data, [2, 1, 1, 2, 3, 3, 2]);
  close(run('pad', [x], { ...p, mode: 'EDGE' }).data, [1, 1, 1, 2, 3, 3, 3]);
  // 2-D: pad rows before 1 (constant 0), crop last column
  close(run('pad', [T([2, 2], [1, 2, 3, 4])], { paddings: [1, 0, 0, -1] }).data, [0, 1, 3]);
});

test('resize nearest/bilinear coordinate modes', () => {
  // 1-D along W: in [0, 10], out width 4
  const x = T([1, 1, 2, 1], [0, 10]);
  const rs = (attrs: Attrs) => run('resize', [x], { size: [4, 1], ...attrs }).data;
  // asymmetric: x_in = o/2 → 0, 0.5, 1, 1.5 ; floor → 0,0,1,1
  close(rs({ mode: 'NEAREST', coordinate: 'asymmetric', nearest_mode: 'floor' }), [0, 0, 10, 10]);
  // round_prefer_ceil: 0.5 → 1, 1.5 → 2 → clamp 1 : [0, 10, 10, 10]; prefer_floor: [0, 0, 10, 10]
  close(rs({ mode: 'NEAREST', coordinate: 'asymmetric', nearest_mode: 'round_prefer_ceil' }), [0, 10, 10, 10]);
  close(rs({ mode: 'NEAREST', coordinate: 'asymmetric', nearest_mode: 'round_prefer_floor' }), [0, 0, 10, 10]);
  // half_pixel bilinear: x_in = (o+0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamp → 0, 2.5, 7.5, 10
  close(rs({ mode: 'BILINEAR', coordinate: 'half_pixel' }), [0, 2.5, 7.5, 10]);
  // align_corners: x_in = o·1/3 → 0, 3.333, 6.667, 10
  close(rs({ mode: 'BILINEAR', coordinate: 'align_corners' }), [0, 10 / 3, 20 / 3, 10], 1e-6);
  // asymmetric bilinear: 0, 5, 10, 10
  close(rs({ mode: 'BILINEAR', coordinate: 'asymmetric' }), [0, 5, 10, 10]);
  // pytorch_half_pixel with output length 1: x_in = 0 → 0
  close(run('resize', [x], { size: [1, 1], mode: 'BILINEAR', coordinate: 'pytorch_half_pixel' }).data, [0]);
});

test('softmax, reductions, layernorm, gather', () => {
  // softmax([0, ln 3]) = [1/4, 3/4]; huge inputs stay finite
  close(run('softmax', [T([2], [0, Math.log(3)])], { axis: -1 }).data, [0.25, 0.75]);
  close(run('softmax', [T([2], [1000, 1000])], { axis: 0 }).data, [0.5, 0.5]);
  // axis 0 of [[1,2],[3,4]]: columns → [e^1,e^3]/(…) etc.
  const s = run('softmax', [T([2, 2], [1, 2, 3, 4])], { axis: 0 }).data;
  close(s, [1 / (1 + Math.E ** 2), 1 / (1 + Math.E ** 2), 1 / (1 + Math.E ** -2), 1 / (1 + Math.E ** -2)]);
  const m = T([2, 3], [1, 2, 3, 4, 5, 6]);
  close(run('reduction_mean', [m], { axis: [1], keep_dims: false }).data, [2, 5]);
  assert.deepEqual(run('reduction_mean', [m], { axis: [1], keep_dims: true }).shape, [2, 1]);
  close(run('reduction_sum', [m], { axis: [0], keep_dims: false }).data, [5, 7, 9]);
  close(run('reduction_max', [m], { axis: [-1, 0], keep_dims: false }).data, [6]);
  close(run('reduction_sum', [m], { axis: [], keep_dims: false }).data, [21]);
  // layernorm of [1,2,3,4] (mean 2.5, var 1.25) with eps 0, γ=2, β=1: (x−2.5)/√1.25·2 + 1
  const k = 2 / Math.sqrt(1.25);
  close(run('layernorm', [T([1, 4], [1, 2, 3, 4]), T([4], [2, 2, 2, 2]), T([4], [1, 1, 1, 1])], { axis: [-1], epsilon: 0 }).data,
    [-1.5 * k + 1, -0.5 * k + 1, 0.5 * k + 1, 1.5 * k + 1], 1e-6);
  // over axis 0 of [[1, 10],[3, 30]] (non-trailing): column means 2 and 20, std 1 and 10 → [−1,−1,1,1]
  close(run('layernorm', [T([2, 2], [1, 10, 3, 30])], { axis: [0], epsilon: 0 }).data, [-1, -1, 1, 1]);
  // gather axis 1, indices [2, 0, -1] of [[1,2,3],[4,5,6]] → [[3,1,3],[6,4,6]]
  close(run('gather', [m], { axis: 1, indices: [2, 0, -1] }).data, [3, 1, 3, 6, 4, 6]);
  assert.deepEqual(run('gather', [m], { axis: 0, indices: 1 }).shape, [3]);
  close(run('gather', [m, T([1], [1])], { axis: 0 }).data, [4, 5, 6]);
});
