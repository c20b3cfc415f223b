/**
 * Fast finetune (AdaQuant on every weighted layer, sequential on the quantized upstream; src/quantizer/finetune.ts).
 * Oracle: runFloat of the float graph on held-out inputs (not the calibration ones); the INT8 side is runQuantized
 * (the bit-exact DPU arithmetic) and, for the conv stack, our compiled mc_code on the instruction-level simulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Op, TensorValue } from '../../src/ir/types.js';
import { quantize, type QuantizeOptions } from '../../src/quantizer/quantize.js';
import { installDpuRules } from '../../src/compiler/support/index.js';
import { checkBitExact } from '../compiler/helpers.js';
import { constOp, outputMse, randArray, seeded } from './helpers.js';

const H = 32, W = 32, C = 3;

function conv(name: string, type: string, x: string, w: Op, b: Op, attrs: Record<string, unknown>, shape: number[]): Op[] {
  return [w, b, { name, type, inputs: [x, w.name, b.name], attrs: { dilation: [1, 1], ...attrs }, output: { shape, dtype: 'float32' } } as Op];
}

/**
 * A small conv stack with every layer kind the finetune handles: conv 3×3 stride 2 (relu), depthwise 3×3 (hard-swish),
 * conv 3×3, pointwise conv, transposed conv 2×2 stride 2 (relu), conv 3×3 stride 1 to 2 channels.
 * Weights with a wide per-channel range (one power-of-two scale per tensor leaves the small channels few levels).
 */
function stack(seed: number): Graph {
  const rnd = seeded(seed);
  const wide = (n: number, oc: number, scale: number): Float32Array => {
    const a = randArray(n, rnd, scale);
    const per = n / oc;
    for (let i = 0; i < n; i++) a[i] *= 0.1 + 3 * ((Math.floor(i / per) % oc) / oc) ** 2;
    return a;
  };
  const ops: Op[] = [{ name: 'x', type: 'data', inputs: [], attrs: { shape: [1, H, W, C] }, output: { shape: [1, H, W, C], dtype: 'float32' } }];
  ops.push(...conv('c1', 'conv2d', 'x', constOp('w1', [8, 3, 3, C], wide(8 * 9 * C, 8, 0.4)), constOp('b1', [8], randArray(8, rnd, 0.2)),
    { kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], group: 1, nonlinear: 'RELU' }, [1, 16, 16, 8]));
  // depthwise weights [1,kh,kw,c]: channel is the last axis
  const dw = randArray(9 * 8, rnd, 0.5);
  for (let i = 0; i < dw.length; i++) dw[i] *= 0.2 + 2 * ((i % 8) / 8);
  ops.push(...conv('d1', 'depthwise-conv2d', 'c1', constOp('wd', [1, 3, 3, 8], dw), constOp('bd', [8], randArray(8, rnd, 0.3)),
    { kernel: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], nonlinear: 'HSWISH' }, [1, 16, 16, 8]));
  ops.push(...conv('g1', 'conv2d', 'd1', constOp('wg', [8, 3, 3, 8], wide(8 * 9 * 8, 8, 0.3)), constOp('bg', [8], randArray(8, rnd, 0.2)),
    { kernel: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], group: 1, nonlinear: 'RELU' }, [1, 16, 16, 8]));
  ops.push(...conv('p1', 'conv2d', 'g1', constOp('wp', [12, 1, 1, 8], wide(12 * 8, 12, 0.5)), constOp('bp', [12], randArray(12, rnd, 0.2)),
    { kernel: [1, 1], stride: [1, 1], pad: [0, 0, 0, 0], group: 1, nonlinear: 'RELU' }, [1, 16, 16, 12]));
  ops.push(...conv('t1', 'transposed-conv2d', 'p1', constOp('wt', [6, 2, 2, 12], wide(6 * 4 * 12, 6, 0.4)), constOp('bt', [6], randArray(6, rnd, 0.2)),
    { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], output_padding: [0, 0], nonlinear: 'RELU' }, [1, 32, 32, 6]));
  ops.push(...conv('out', 'conv2d', 't1', constOp('wo', [2, 3, 3, 6], randArray(2 * 9 * 6, rnd, 0.4)), constOp('bo', [2], randArray(2, rnd, 0.1)),
    { kernel: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], group: 1 }, [1, 32, 32, 2]));
  return { name: 'ft-stack', ops, inputs: ['x'], outputs: ['out'], meta: {} };
}

/** Smooth-ish random images (sums of a few seeded waves) so that neighbouring pixels correlate as in photos. */
function images(n: number, seed: number, h = H, w = W, c = C): Record<string, TensorValue>[] {
  const rnd = seeded(seed);
  return Array.from({ length: n }, () => {
    const d = new Float32Array(h * w * c);
    const waves = Array.from({ length: 4 }, () => [rnd() * 1.2, rnd() * 1.2, rnd() * 6, rnd() * 2]);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
      let v = 0.1 * rnd();
      for (const [fy, fx, ph, a] of waves) v += a! * Math.sin(fy! * y + fx! * x + ph! + k);
      d[(y * w + x) * c + k] = v;
    }
    return { x: { shape: [1, h, w, c], data: d } };
  });
}

test('fast finetune on a conv stack (k×k stride 2, depthwise, k×k, pointwise, transposed): lower output MSE vs FP32 on held-out inputs; every layer kind tried', async () => {
  const g = stack(5);
  const calib = images(8, 11);
  const held = images(4, 99);
  const base: QuantizeOptions = { skipReport: true, cle: false, biasCorrectionBatches: 4 };
  const r0 = await quantize(g, calib, base);
  const r1 = await quantize(g, calib, { ...base, fastFinetune: { batches: 8 } });
  const e0 = outputMse(g, r0.graph, held, 'out'), e1 = outputMse(g, r1.graph, held, 'out');
  const det = r1.finetune!.details;
  console.log(`output MSE vs FP32 (held-out): ${e0.toExponential(3)} → ${e1.toExponential(3)} (${(e0 / e1).toFixed(2)}×); ${det.map((d) => `${d.layer} ${d.before.toExponential(2)}→${d.after.toExponential(2)}${d.kept ? '' : ' (not kept)'}`).join(', ')}`);
  assert.ok(e1 < 0.9 * e0, `finetuned ${e1} vs ${e0}`);
  assert.deepEqual(det.map((d) => d.type).sort(), ['conv2d', 'conv2d', 'conv2d', 'conv2d', 'depthwise-conv2d', 'transposed-conv2d']);
  // the strided 3×3 conv and the transposed conv moved (the depthwise case has its own test below)
  for (const name of ['c1', 't1']) assert.ok(det.find((d) => d.layer === name)!.kept, `${name} changed`);
  for (const d of det) assert.ok(d.after <= d.before);
  assert.equal(r1.quantInfo.fast_finetuned, true);
  // the fix points are the same: only the parameters moved
  assert.deepEqual(r1.quantInfo.output, r0.quantInfo.output);
});

test('fast finetune: the finetuned graph still compiles and our mc_code on the simulator equals the INT8 reference', async () => {
  installDpuRules();
  const g = stack(6);
  const r = await quantize(g, images(4, 12), { skipReport: true, cle: false, fastFinetune: { iterations: 10 } });
  assert.ok(r.report.fastFinetune.layers >= 1);
  assert.ok(checkBitExact(r.graph, 'B2304') >= 1);
});

test('fast finetune on a depthwise 3×3 stride-2 conv (channel max|w| spread 40×): lower MSE vs FP32 on held-out inputs', async () => {
  const rnd = seeded(9);
  const Cd = 16;
  const wd = randArray(9 * Cd, rnd, 0.5);
  for (let i = 0; i < wd.length; i++) wd[i] *= 0.05 + 2 * ((i % Cd) / Cd) ** 2; // [1,3,3,C]: channel = last axis
  const g: Graph = {
    name: 'ft-dw', inputs: ['x'], outputs: ['dw'], meta: {},
    ops: [
      { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, 16, 16, Cd] }, output: { shape: [1, 16, 16, Cd], dtype: 'float32' } },
      ...conv('dw', 'depthwise-conv2d', 'x', constOp('wd', [1, 3, 3, Cd], wd), constOp('bd', [Cd], randArray(Cd, rnd, 0.1)),
        { kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], nonlinear: 'RELU6' }, [1, 8, 8, Cd]),
    ],
  };
  const calib = images(8, 31, 16, 16, Cd), held = images(4, 87, 16, 16, Cd);
  const base: QuantizeOptions = { skipReport: true, cle: false };
  const e0 = outputMse(g, (await quantize(g, calib, base)).graph, held, 'dw');
  const r1 = await quantize(g, calib, { ...base, fastFinetune: { batches: 8 } });
  const e1 = outputMse(g, r1.graph, held, 'dw');
  console.log(`depthwise output MSE vs FP32 (held-out): ${e0.toExponential(3)} → ${e1.toExponential(3)}`);
  assert.equal(r1.finetune!.details[0]!.type, 'depthwise-conv2d');
  assert.ok(r1.finetune!.details[0]!.kept);
  assert.ok(e1 < e0, `${e1} vs ${e0}`);
});

test('fast finetune on a const matmul (+ bias) over an NHWC tensor: lower MSE vs FP32 on held-out inputs', async () => {
  const rnd = seeded(8);
  const K = 16, N = 8;
  const wm = randArray(K * N, rnd, 0.5);
  for (let i = 0; i < wm.length; i++) wm[i] *= 0.1 + 2 * ((i % N) / N) ** 2; // column n: output channel n
  const g: Graph = {
    name: 'ft-matmul', inputs: ['x'], outputs: ['mm'], meta: {},
    ops: [
      { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, 6, 6, K] }, output: { shape: [1, 6, 6, K], dtype: 'float32' } },
      constOp('wm', [K, N], wm), constOp('bm', [N], randArray(N, rnd, 0.2)),
      { name: 'mm', type: 'matmul', inputs: ['x', 'wm', 'bm'], attrs: { transpose_a: false, transpose_b: false }, output: { shape: [1, 6, 6, N], dtype: 'float32' } },
    ],
  };
  const calib = images(4, 21, 6, 6, K), held = images(3, 77, 6, 6, K);
  const base: QuantizeOptions = { skipReport: true, cle: false };
  const e0 = outputMse(g, (await quantize(g, calib, base)).graph, held, 'mm');
  const r1 = await quantize(g, calib, { ...base, fastFinetune: true });
  const e1 = outputMse(g, r1.graph, held, 'mm');
  console.log(`matmul output MSE vs FP32 (held-out): ${e0.toExponential(3)} → ${e1.toExponential(3)}`);
  assert.equal(r1.finetune!.details[0]!.type, 'matmul');
  assert.ok(e1 < e0, `${e1} vs ${e0}`);
});
