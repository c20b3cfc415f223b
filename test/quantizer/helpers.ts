/** Tiny hand-built IR graphs for quantizer unit tests. */
import type { Graph, Op, TensorValue } from '../../src/ir/types.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { mulberry32 } from '../../src/models/prng.js';

export function constOp(name: string, shape: number[], data: number[] | Float32Array): Op {
  return { name, type: 'const', inputs: [], attrs: {}, output: { shape, dtype: 'float32' }, data: Float32Array.from(data) };
}

/** Uniform in [−0.5, 0.5) from mulberry32. */
export function seeded(seed: number): () => number {
  const u = mulberry32(seed);
  return () => u() - 0.5;
}

export function randArray(n: number, rnd: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rnd() * 2 * scale;
  return a;
}

/** data[1,H,W,C] → conv3x3(C→M) → batchnorm → relu → conv1x1(M→K) → out; optional leaky instead of relu. */
export function convBnReluConv(rnd: () => number, H = 6, W = 6, C = 3, M = 4, K = 2, act = 'relu'): Graph {
  const ops: Op[] = [
    { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, H, W, C] }, output: { shape: [1, H, W, C], dtype: 'float32' } },
    constOp('w1', [M, 3, 3, C], randArray(M * 9 * C, rnd)),
    constOp('b1', [M], randArray(M, rnd, 0.1)),
    { name: 'conv1', type: 'conv2d', inputs: ['x', 'w1', 'b1'], attrs: { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [1, 1, 1, 1], group: 1 }, output: { shape: [1, H, W, M], dtype: 'float32' } },
    constOp('gamma', [M], Array.from({ length: M }, (_, i) => 0.5 + i * 0.7)),
    constOp('beta', [M], Array.from({ length: M }, (_, i) => 0.1 * i - 0.1)),
    constOp('mean', [M], Array.from({ length: M }, (_, i) => 0.2 * i - 0.3)),
    constOp('var', [M], Array.from({ length: M }, (_, i) => 0.5 + i * 2)),
    { name: 'bn', type: 'batchnorm', inputs: ['conv1', 'gamma', 'beta', 'mean', 'var'], attrs: { epsilon: 1e-5, axis: -1 }, output: { shape: [1, H, W, M], dtype: 'float32' } },
    { name: 'act', type: act, inputs: ['bn'], attrs: act === 'leaky-relu' ? { alpha: 0.1 } : {}, output: { shape: [1, H, W, M], dtype: 'float32' } },
    constOp('w2', [K, 1, 1, M], randArray(K * M, rnd)),
    constOp('b2', [K], randArray(K, rnd, 0.1)),
    { name: 'conv2', type: 'conv2d', inputs: ['act', 'w2', 'b2'], attrs: { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], group: 1 }, output: { shape: [1, H, W, K], dtype: 'float32' } },
  ];
  return { name: 'tiny', ops, inputs: ['x'], outputs: ['conv2'], meta: {} };
}

/** A w×h crop of an RGB image at (x0, y0). */
export function cropRgb(img: { width: number; data: Uint8Array }, x0: number, y0: number, w: number, h: number): { width: number; height: number; channels: 3; data: Uint8Array } {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) data.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + w) * 3), y * w * 3);
  return { width: w, height: h, channels: 3, data };
}

/** Levenshtein distance (character errors). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length] as number;
}

/** Mean squared difference between the float graph's and the quantized graph's output `out` (runFloat vs runQuantized) over `evalSet`. */
export function outputMse(g: Graph, q: Graph, evalSet: Record<string, TensorValue>[], out: string): number {
  let s = 0, n = 0;
  for (const b of evalSet) {
    const f = runFloat(g, b)[out]!.data, y = runQuantized(q, b)[out]!.data;
    for (let i = 0; i < f.length; i++) { s += (f[i]! - y[i]!) ** 2; n++; }
  }
  return s / n;
}
