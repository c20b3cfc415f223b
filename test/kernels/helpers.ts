// Layer building shared by the fast-kernel tests (test/kernels/wasm, test/kernels/native): seeded int8
// constants and feeds, and one quantized conv2d / depthwise-conv2d layer graph with a legal shift_cut /
// shift_bias for its nonlinear. The graphs are compared kernel against kernel (runQuantized is the oracle).
import type { Attrs, Graph, Op, TensorValue } from '../../src/ir/types.js';
import { mulberry32 } from '../../src/models/prng.js';

/** Seeded PRNG in [0, 1) (mulberry32). */
export const rng = mulberry32;
export const randInt = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** The conv output stage's nonlinears. */
export const NLS = ['NONE', 'RELU', 'RELU6', 'LEAKYRELU', 'HSIGMOID', 'HSWISH'];

/** An int8 const at fix point `fp`: random values over the whole int8 range, or all `fill`. */
export function qconst(name: string, shape: number[], fp: number, r: () => number, fill?: number): Op {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (fill ?? randInt(r, -128, 127)) * 2 ** -fp;
  return { name, type: 'const', inputs: [], attrs: {}, output: { shape, dtype: 'int8', fixPoint: fp }, data };
}

export function dataOp(name: string, shape: number[], fp: number): Op {
  return { name, type: 'data', inputs: [], attrs: { shape }, output: { shape, dtype: 'int8', fixPoint: fp } };
}

/** A float feed whose quantization at `fp` covers the whole int8 range, saturation included (`fill`: all that int8 value). */
export function feed(shape: number[], fp: number, r: () => number, fill?: number): TensorValue {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (fill ?? r() * 300 - 150) * 2 ** -fp;
  return { shape, data };
}

export interface ConvCase {
  C: number; OC: number; H: number; W: number; k: [number, number]; s: [number, number]; d: [number, number];
  pad: [number, number, number, number]; nl: string; bias: 'none' | 'pos' | 'neg'; dw?: boolean;
  /** Every weight and input −128, shift_cut 8 (the largest accumulators). */
  extreme?: boolean;
}

/** x [1,H,W,C] → conv2d (or depthwise with `dw`) → y, fix points drawn from `seed`; with its feed. */
export function convGraph(c: ConvCase, seed: number): { g: Graph; feeds: Record<string, TensorValue> } {
  const r = rng(seed);
  const fi = randInt(r, 1, 6);
  const fw = randInt(r, 5, 8);
  const cut = c.extreme ? 8 : randInt(r, c.nl === 'HSWISH' || c.nl === 'HSIGMOID' ? 5 : 3, 11);
  const fo = fi + fw - cut;
  const [kw, kh] = c.k;
  const wshape = c.dw ? [1, kh, kw, c.C] : [c.OC, kh, kw, c.C];
  const ops: Op[] = [dataOp('x', [1, c.H, c.W, c.C], fi), qconst('w', wshape, fw, r, c.extreme ? -128 : undefined)];
  const inputs = ['x', 'w'];
  if (c.bias !== 'none') {
    // shift_bias = fi + fw − fb within [min(0, cut − 16), 16]
    const sb = c.bias === 'pos' ? randInt(r, 0, 6) : Math.max(cut - 16, -randInt(r, 1, 4));
    ops.push(qconst('b', [c.dw ? c.C : c.OC], fi + fw - sb, r));
    inputs.push('b');
  }
  const attrs: Attrs = { kernel: c.k, stride: c.s, dilation: c.d, pad: c.pad, nonlinear: c.nl };
  if (!c.dw) attrs.group = 1;
  if (c.nl === 'LEAKYRELU') attrs.alpha = 26 / 256;
  const OH = Math.floor((c.H + c.pad[2] + c.pad[3] - ((kh - 1) * c.d[1] + 1)) / c.s[1]) + 1;
  const OW = Math.floor((c.W + c.pad[0] + c.pad[1] - ((kw - 1) * c.d[0] + 1)) / c.s[0]) + 1;
  const oc = c.dw ? c.C : c.OC;
  ops.push({ name: 'y', type: c.dw ? 'depthwise-conv2d' : 'conv2d', inputs, attrs, output: { shape: [1, OH, OW, oc], dtype: 'int8', fixPoint: fo } });
  const g: Graph = { name: 'conv', ops, inputs: ['x'], outputs: ['y'], meta: {} };
  return { g, feeds: { x: feed([1, c.H, c.W, c.C], fi, r, c.extreme ? -128 : undefined) } };
}
