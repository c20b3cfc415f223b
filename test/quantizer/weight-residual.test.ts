/**
 * Weight residual (src/quantizer/weight-residual.ts): a conv X becomes X reading concat(x, (R·2^m) ∗ x) with weights
 * [W_hi | 2^-m·I]. Oracles: runFloat of the original float graph (the rewrite must not change it; the INT8 graph must
 * get closer to it), the hand-computed W_hi = fakeQuant(W, fw) and 2^-m, and our compiled mc_code on the
 * instruction-level simulator against runQuantized.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Op, TensorValue } from '../../src/ir/types.js';
import { quantize, type QuantizeOptions } from '../../src/quantizer/quantize.js';
import { splitWeightResidual } from '../../src/quantizer/weight-residual.js';
import { cloneGraph } from '../../src/quantizer/graph-util.js';
import { PARAM_ROUND, fakeQuant, fpForMaxAbs, maxAbs } from '../../src/quantizer/fixpoint.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { installDpuRules } from '../../src/compiler/support/index.js';
import { checkBitExact } from '../compiler/helpers.js';
import { constOp, outputMse, randArray, seeded } from './helpers.js';

const H = 12, W = 12, C = 16;

function conv(name: string, x: string, w: Op, b: Op, attrs: Record<string, unknown>, shape: number[]): Op[] {
  return [w, b, { name, type: 'conv2d', inputs: [x, w.name, b.name], attrs: { dilation: [1, 1], stride: [1, 1], group: 1, ...attrs }, output: { shape, dtype: 'float32' } } as Op];
}

/**
 * c0 3×3 (relu) → pw 1×1 (hard-swish) → k3 3×3 (relu6) → s2 3×3 stride 2 (not eligible). pw's and k3's weights are
 * heavy-tailed (a few weights 25× the typical ones, as in PP-LCNetV3's pointwise convs): the per-tensor weight
 * scale is set by them and the typical weights get few levels — weight rounding, not activation rounding, dominates.
 */
function net(seed: number): Graph {
  const rnd = seeded(seed);
  const tailed = (n: number, s: number): Float32Array => {
    const a = randArray(n, rnd, s);
    for (let k = 0; k < 3; k++) a[Math.floor(rnd() * n)] = (rnd() < 0.5 ? -25 : 25) * s;
    return a;
  };
  const ops: Op[] = [{ name: 'x', type: 'data', inputs: [], attrs: { shape: [1, H, W, 3] }, output: { shape: [1, H, W, 3], dtype: 'float32' } }];
  ops.push(...conv('c0', 'x', constOp('w0', [C, 3, 3, 3], randArray(C * 27, rnd, 0.4)), constOp('b0', [C], randArray(C, rnd, 0.1)),
    { kernel: [3, 3], pad: [1, 1, 1, 1], nonlinear: 'RELU' }, [1, H, W, C]));
  ops.push(...conv('pw', 'c0', constOp('wp', [24, 1, 1, C], tailed(24 * C, 0.3)), constOp('bp', [24], randArray(24, rnd, 0.2)),
    { kernel: [1, 1], pad: [0, 0, 0, 0], nonlinear: 'HSWISH' }, [1, H, W, 24]));
  ops.push(...conv('k3', 'pw', constOp('wk', [8, 3, 3, 24], tailed(8 * 9 * 24, 0.1)), constOp('bk', [8], randArray(8, rnd, 0.1)),
    { kernel: [3, 3], pad: [1, 1, 1, 1], nonlinear: 'RELU6' }, [1, H, W, 8]));
  ops.push(...conv('s2', 'k3', constOp('ws', [4, 3, 3, 8], randArray(4 * 72, rnd, 0.4)), constOp('bs', [4], randArray(4, rnd, 0.1)),
    { kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1] }, [1, H / 2, W / 2, 4]));
  return { name: 'wres-net', ops, inputs: ['x'], outputs: ['s2'], meta: {} };
}

function images(n: number, seed: number): Record<string, TensorValue>[] {
  const rnd = seeded(seed);
  return Array.from({ length: n }, () => {
    const d = new Float32Array(H * W * 3);
    const waves = Array.from({ length: 3 }, () => [rnd() * 1.2, rnd() * 1.2, rnd() * 6, rnd() * 2]);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let k = 0; k < 3; k++) {
      let v = 0.2 * rnd();
      for (const [fy, fx, ph, a] of waves) v += a! * Math.sin(fy! * y + fx! * x + ph! + k);
      d[(y * W + x) * 3 + k] = v;
    }
    return { x: { shape: [1, H, W, 3], data: d } };
  });
}

test('weight residual: the rewrite leaves the float graph unchanged; stride-2 convs are not touched; W_hi and 2^-m are exact at fw', () => {
  const g = net(3);
  const calib = images(2, 7);
  const s = cloneGraph(g);
  const r = splitWeightResidual(s, calib, () => true);
  assert.deepEqual(r.split.map((l) => l.conv).sort(), ['c0', 'k3', 'pw']);
  assert.equal(r.measured, 3);
  for (const b of images(2, 70)) {
    const a = runFloat(g, b)['s2']!.data, c = runFloat(s, b)['s2']!.data;
    const scale = maxAbs(a);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - c[i]!) <= 1e-5 * scale, `element ${i}: ${a[i]} vs ${c[i]}`);
  }
  // pw: weights [24, 1, 1, 16 + 24] = [fakeQuant(W, fw) | 2^-m·I]
  const orig = g.ops.find((o) => o.name === 'wp')!.data!;
  const fw = fpForMaxAbs(maxAbs(orig));
  const hi = fakeQuant(orig, fw, PARAM_ROUND);
  const pw = s.ops.find((o) => o.name === 'pw')!;
  const wf = s.ops.find((o) => o.name === pw.inputs[1])!;
  assert.deepEqual(wf.output.shape, [24, 1, 1, 40]);
  const m = r.split.find((l) => l.conv === 'pw')!.shift;
  assert.ok(m <= fw && m >= fw - 6);
  for (let o = 0; o < 24; o++) {
    for (let i = 0; i < 16; i++) assert.equal(wf.data![o * 40 + i], hi[o * 16 + i]);
    for (let j = 0; j < 24; j++) assert.equal(wf.data![o * 40 + 16 + j], j === o ? 2 ** -m : 0);
  }
  // the concat reads the conv's input and the residual conv, whose weights are (W − W_hi)·2^m
  const cat = s.ops.find((o) => o.name === pw.inputs[0])!;
  assert.equal(cat.type, 'concat');
  assert.equal(cat.inputs[0], 'c0');
  const res = s.ops.find((o) => o.name === cat.inputs[1])!;
  const rw = s.ops.find((o) => o.name === res.inputs[1])!.data!;
  for (let i = 0; i < orig.length; i++) assert.equal(rw[i], (orig[i]! - hi[i]!) * 2 ** m);
  assert.equal(res.attrs['nonlinear'], 'NONE');
  assert.equal(pw.attrs['nonlinear'], 'HSWISH');
});

test('weight residual: INT8 output much closer to FP32 on held-out inputs; the split weights keep their fix point; top/maxSqnrDb/layers select', async () => {
  const g = net(4);
  const calib = images(8, 11), held = images(4, 99);
  const base: QuantizeOptions = { skipReport: true, cle: false, biasCorrection: false };
  const r0 = await quantize(g, calib, base);
  const r1 = await quantize(g, calib, { ...base, weightResidual: true });
  const e0 = outputMse(g, r0.graph, held, 's2'), e1 = outputMse(g, r1.graph, held, 's2');
  console.log(`output MSE vs FP32 (held-out): ${e0.toExponential(3)} → ${e1.toExponential(3)} (${(e0 / e1).toFixed(2)}×); split ${JSON.stringify(r1.report.weightResidual)}`);
  assert.ok(e1 < 0.5 * e0, `with residual ${e1} vs ${e0}`);
  // W_hi is exact: the quantized pw weights' first 16 input channels equal fakeQuant(W, fw) at fix point fw
  const orig = g.ops.find((o) => o.name === 'wp')!.data!;
  const fw = fpForMaxAbs(maxAbs(orig));
  const pw = r1.graph.ops.find((o) => o.name === 'pw')!;
  const wq = r1.graph.ops.find((o) => o.name === pw.inputs[1])!;
  assert.equal(wq.output.fixPoint, fw);
  const hi = fakeQuant(orig, fw, PARAM_ROUND);
  for (let o = 0; o < 24; o++) for (let i = 0; i < 16; i++) assert.equal(wq.data![o * 40 + i], hi[o * 16 + i]);
  // selection
  const top1 = await quantize(g, calib, { ...base, weightResidual: { top: 1 } });
  const split = r1.report.weightResidual!.split;
  assert.equal(top1.report.weightResidual!.split.length, 1);
  assert.equal(top1.report.weightResidual!.split[0]!.conv, [...split].sort((a, b) => a.sqnrDb - b.sqnrDb)[0]!.conv);
  const named = await quantize(g, calib, { ...base, weightResidual: { layers: ['k3'] } });
  assert.deepEqual(named.report.weightResidual!.split.map((l) => l.conv), ['k3']);
  const none = await quantize(g, calib, { ...base, weightResidual: { maxSqnrDb: -100 } });
  assert.equal(none.report.weightResidual!.split.length, 0);
  assert.equal(none.report.weightResidual!.measured, 3);
});

test('weight residual: the split graph compiles for the DPU and our mc_code on the simulator equals the INT8 reference', async () => {
  installDpuRules();
  const g = net(5);
  const r = await quantize(g, images(4, 12), { skipReport: true, cle: false, weightResidual: true });
  assert.equal(r.report.weightResidual!.split.length, 3);
  assert.ok(checkBitExact(r.graph, 'B2304') >= 1);
});
