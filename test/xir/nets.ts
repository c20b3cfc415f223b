// Hand-built IR graphs for the xir tests. Every number here is chosen by hand so the expected
// MACs, op counts and const bytes can be written down independently of the code under test.
import type { Graph, Op } from '../../src/ir/types.js';

/** Deterministic small values (no PRNG needed). */
function ramp(n: number, f: (i: number) => number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => f(i));
}

/**
 * Float graph: data [1,4,4,3] → conv2d 3×3 (2 out ch, pad 1, LEAKYRELU alpha 0.1) → depthwise 3×3
 * stride 2 → reshape [1,8] → matmul [8,5] → softmax; plus an identity carrying odd attrs.
 * MACs: conv 32·27 = 864, depthwise 8·9 = 72, matmul 5·8 = 40 → 976.
 */
export function floatNet(): Graph {
  const ops: Op[] = [
    { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, 4, 4, 3] }, output: { shape: [1, 4, 4, 3], dtype: 'float32' } },
    { name: 'w', type: 'const', inputs: [], attrs: {}, output: { shape: [2, 3, 3, 3], dtype: 'float32' }, data: ramp(54, (i) => (i - 27) / 7) },
    { name: 'b', type: 'const', inputs: [], attrs: {}, output: { shape: [2], dtype: 'float32' }, data: Float32Array.of(0.1, -0.2) },
    {
      name: 'conv', type: 'conv2d', inputs: ['x', 'w', 'b'],
      attrs: { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [1, 1, 1, 1], group: 1, nonlinear: 'LEAKYRELU', alpha: 0.1 },
      output: { shape: [1, 4, 4, 2], dtype: 'float32' },
    },
    { name: 'dw_w', type: 'const', inputs: [], attrs: {}, output: { shape: [1, 3, 3, 2], dtype: 'float32' }, data: ramp(18, (i) => Math.sin(i)) },
    {
      name: 'dw', type: 'depthwise-conv2d', inputs: ['conv', 'dw_w'],
      attrs: { kernel: [3, 3], stride: [2, 2], dilation: [1, 1], pad: [1, 1, 1, 1] }, output: { shape: [1, 2, 2, 2], dtype: 'float32' },
    },
    { name: 'flat', type: 'reshape', inputs: ['dw'], attrs: { shape: [1, 8] }, output: { shape: [1, 8], dtype: 'float32' } },
    { name: 'fc_w', type: 'const', inputs: [], attrs: {}, output: { shape: [8, 5], dtype: 'float32' }, data: ramp(40, (i) => 1 / (i + 1)) },
    { name: 'fc', type: 'matmul', inputs: ['flat', 'fc_w'], attrs: { transpose_a: false, transpose_b: false }, output: { shape: [1, 5], dtype: 'float32' } },
    { name: 'prob', type: 'softmax', inputs: ['fc'], attrs: { axis: -1 }, output: { shape: [1, 5], dtype: 'float32' } },
    {
      name: 'odd', type: 'identity', inputs: ['fc'],
      attrs: { tags: ['a', 'b'], half: 0.5, third: 1 / 3, big: 3e9, neg0: -0, flag: true, off: false, empty: [], mixed: [1, 2.5], eps: [1e-5, 2] },
      output: { shape: [1, 5], dtype: 'float32' },
    },
  ];
  return { name: 'floatnet', ops, inputs: ['x'], outputs: ['prob', 'odd'], meta: { source: 'test/xir/nets.ts', opset: '13' } };
}

/** The int8 values of qnet's weights (chosen by hand, covering -128 and 127). */
export const QNET_W_Q = Array.from({ length: 54 }, (_, i) => [-128, 127, 0, -1, 1, 64, -64, 3, -77][i % 9]!);
export const QNET_B_Q = [100, -100];

/**
 * Quantized graph (docs/quantized-ir.md): data fp 6 → conv2d (w fp 7, b fp 5, out fp 4, RELU) →
 * maxpool2d 2×2 (fp 4) → add(p, p) (fp 3) → sigmoid (float, CPU). Outputs: sig, a.
 * Six tensors have a fix point → six fix ops. MACs: conv 32·27 = 864.
 */
export function quantNet(): Graph {
  const ops: Op[] = [
    { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, 4, 4, 3] }, output: { shape: [1, 4, 4, 3], dtype: 'int8', fixPoint: 6 } },
    { name: 'w', type: 'const', inputs: [], attrs: {}, output: { shape: [2, 3, 3, 3], dtype: 'int8', fixPoint: 7 }, data: Float32Array.from(QNET_W_Q, (q) => q / 128) },
    { name: 'b', type: 'const', inputs: [], attrs: {}, output: { shape: [2], dtype: 'int8', fixPoint: 5 }, data: Float32Array.from(QNET_B_Q, (q) => q / 32) },
    {
      name: 'conv', type: 'conv2d', inputs: ['x', 'w', 'b'],
      attrs: { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [1, 1, 1, 1], group: 1, nonlinear: 'RELU' },
      output: { shape: [1, 4, 4, 2], dtype: 'int8', fixPoint: 4 },
    },
    {
      name: 'p', type: 'maxpool2d', inputs: ['conv'], attrs: { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], global: false },
      output: { shape: [1, 2, 2, 2], dtype: 'int8', fixPoint: 4 },
    },
    { name: 'a', type: 'add', inputs: ['p', 'p'], attrs: {}, output: { shape: [1, 2, 2, 2], dtype: 'int8', fixPoint: 3 } },
    { name: 'sig', type: 'sigmoid', inputs: ['a'], attrs: {}, output: { shape: [1, 2, 2, 2], dtype: 'float32' } },
  ];
  return { name: 'qnet', ops, inputs: ['x'], outputs: ['sig', 'a'], meta: { quantizer: 'hand' } };
}
