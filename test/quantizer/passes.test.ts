import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { foldBatchNorm, fuseActivations, crossLayerEqualize, legalizeFixPoints, quantize, parseQuantInfo, stringifyQuantInfo, md5Hex, isQuantizableOp, quantizationPlan } from '../../src/quantizer/index.js';
import { cloneGraph } from '../../src/quantizer/graph-util.js';
import { QuantizeError } from '../../src/errors.js';
import type { Graph, TensorValue } from '../../src/ir/types.js';
import { convBnReluConv, randArray, seeded } from './helpers.js';

function feed(seed: number, shape = [1, 6, 6, 3]): Record<string, TensorValue> {
  return { x: { shape, data: randArray(shape.reduce((a, b) => a * b, 1), seeded(seed)) } };
}
/** max |a − b| relative to max |b|. */
function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  let s = 1e-12;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return m / s;
}

test('md5 matches RFC 1321 test vectors', () => {
  assert.equal(md5Hex(''), 'd41d8cd98f00b204e9800998ecf8427e');
  assert.equal(md5Hex('abc'), '900150983cd24fb0d6963f7d28e17f72');
  assert.equal(md5Hex('12345678901234567890123456789012345678901234567890123456789012345678901234567890'), '57edf4a22be3c955ac49da2e2107b67a');
});

test('BN folding + activation fusion + CLE keep the float function (runFloat before vs after)', () => {
  const g0 = convBnReluConv(seeded(1));
  const g = cloneGraph(g0);
  // unbalance conv1's channel ranges so CLE has work to do
  const w1 = g.ops.find((o) => o.name === 'w1')!.data!;
  for (let i = 0; i < w1.length; i += 4) w1[i] *= 20;
  const ref = cloneGraph(g);
  const f = feed(7);
  const y0 = runFloat(ref, f)['conv2'].data;
  const fold = foldBatchNorm(g);
  assert.deepEqual(fold.folded, [{ bn: 'bn', conv: 'conv1' }]);
  assert.equal(g.ops.some((o) => o.type === 'batchnorm'), false);
  assert.ok(maxDiff(runFloat(g, f)['conv2'].data, y0) < 1e-4);
  const fuse = fuseActivations(g);
  assert.deepEqual(fuse.fused, [{ conv: 'conv1', act: 'act', nonlinear: 'RELU' }]);
  assert.ok(maxDiff(runFloat(g, f)['conv2'].data, y0) < 1e-4);
  const cle = crossLayerEqualize(g);
  assert.deepEqual(cle.pairs, [{ first: 'conv1', second: 'conv2' }]);
  assert.ok(cle.firstRoundMeanLog2Scale > 0.5);
  const d = maxDiff(runFloat(g, f)['conv2'].data, y0);
  assert.ok(d < 1e-4, `after CLE: rel diff ${d}`);
  // ranges equalized: per channel max|W1[c]| == max|W2[:, c]|
  const W1 = g.ops.find((o) => o.name === g.ops.find((p) => p.name === 'conv1')!.inputs[1])!.data!;
  const W2 = g.ops.find((o) => o.name === g.ops.find((p) => p.name === 'conv2')!.inputs[1])!.data!;
  for (let c = 0; c < 4; c++) {
    let r1 = 0;
    for (let i = 0; i < 27; i++) r1 = Math.max(r1, Math.abs(W1[c * 27 + i]));
    const r2 = Math.max(Math.abs(W2[c]), Math.abs(W2[4 + c]));
    assert.ok(Math.abs(r1 - r2) < 1e-5 * r1, `channel ${c}: ${r1} vs ${r2}`);
  }
});

test('CLE does not cross hard-swish; LeakyReLU alpha becomes 26/256 (reported)', () => {
  const g = convBnReluConv(seeded(2), 6, 6, 3, 4, 2, 'hard-swish');
  foldBatchNorm(g);
  fuseActivations(g);
  assert.equal(crossLayerEqualize(g).pairs.length, 0);
  const g2 = convBnReluConv(seeded(2), 6, 6, 3, 4, 2, 'leaky-relu');
  foldBatchNorm(g2);
  const r = fuseActivations(g2);
  assert.deepEqual(r.leaky, [{ op: 'conv1', from: 0.1, to: 26 / 256 }]);
  assert.equal(g2.ops.find((o) => o.name === 'conv1')!.attrs['alpha'], 0.1015625);
});

test('shift_cut / shift_bias legalization moves weight/bias fix points (hand-computed)', () => {
  const g = convBnReluConv(seeded(3));
  const fps = { act: new Map([['x', 6], ['conv1', 2], ['act', 2], ['bn', 2], ['conv2', 5]]), param: new Map([['w1', 15], ['b1', 0], ['w2', -3], ['b2', 7]]) };
  const adj = legalizeFixPoints(g, fps);
  // conv1: sc = 6 + 15 − 2 = 19 > 16 → fw = 16 + 2 − 6 = 12; sb = 6 + 12 − 0 = 18 > 16 → fb = 2
  assert.equal(fps.param.get('w1'), 12);
  assert.equal(fps.param.get('b1'), 2);
  // conv2 reads 'act' (fp 2): sc = 2 − 3 − 5 = −6 < 0 → fw = 0 + 5 − 2 = 3; sb = 2 + 3 − 7 = −2, lo = min(0, 0 − 16) → ok
  assert.equal(fps.param.get('w2'), 3);
  assert.equal(fps.param.get('b2'), 7);
  assert.equal(adj.length, 3);
  assert.ok(adj.every((a) => a.rule.includes('shift_')));
});

test('isQuantizableOp: DPU ops yes; sigmoid, softmax, layernorm, matmul of activations no', () => {
  const op = (type: string, attrs = {}) => ({ name: 'o', type, inputs: ['a', 'b'], attrs, output: { shape: [1], dtype: 'float32' as const } });
  for (const t of ['conv2d', 'depthwise-conv2d', 'add', 'mul', 'maxpool2d', 'avgpool2d', 'relu', 'relu6', 'leaky-relu', 'hard-swish', 'concat', 'pad', 'reshape']) assert.equal(isQuantizableOp(op(t)), true, t);
  for (const t of ['sigmoid', 'softmax', 'layernorm', 'tanh', 'div']) assert.equal(isQuantizableOp(op(t)), false, t);
  assert.equal(isQuantizableOp(op('resize', { mode: 'BILINEAR' })), false);
  assert.equal(isQuantizableOp(op('resize', { mode: 'NEAREST' })), true);
  assert.equal(isQuantizableOp(op('hard-sigmoid', { alpha: 0.2, beta: 0.5 })), false);
  const prod = (n: string) => (n === 'b' ? { ...op('relu'), name: 'b' } : undefined);
  assert.equal(isQuantizableOp(op('matmul'), prod), false);
});

async function quantTiny(g: Graph, extra = {}) {
  const calib = Array.from({ length: 6 }, (_, i) => feed(100 + i));
  return quantize(g, calib, { reportBatches: 3, ...extra });
}

test('quantize: quantized IR per docs/quantized-ir.md, legal, runs bit-exact, deterministic', async () => {
  const r1 = await quantTiny(convBnReluConv(seeded(4)));
  const r2 = await quantTiny(convBnReluConv(seeded(4)));
  assert.equal(stringifyQuantInfo(r1.quantInfo), stringifyQuantInfo(r2.quantInfo));
  const q = r1.graph;
  for (const op of q.ops) {
    if (op.type === 'const') {
      assert.equal(op.output.dtype, 'int8');
      const s = 2 ** (op.output.fixPoint as number);
      for (const v of op.data!) assert.ok(Number.isInteger(v * s) && v * s >= -128 && v * s <= 127, `${op.name} ${v}`);
    } else assert.equal(typeof op.output.fixPoint, 'number', op.name);
  }
  // report: every tensor, outputs present, warning about < 100 images
  assert.ok(r1.report.tensors.length >= 3);
  assert.equal(r1.report.outputs[0].tensor, 'conv2');
  assert.ok((r1.report.outputs[0].sqnrDb ?? 99) > 15, JSON.stringify(r1.report.outputs));
  assert.ok(r1.report.warnings.some((w) => w.includes('100')));
  assert.ok(r1.report.biasCorrection.layers === 2);
  // quant_info round trip: reload gives identical fix points
  const r3 = await quantTiny(convBnReluConv(seeded(4)), { quantInfo: parseQuantInfo(stringifyQuantInfo(r1.quantInfo)) });
  assert.equal(stringifyQuantInfo(r3.quantInfo), stringifyQuantInfo(r1.quantInfo));
});

test('quant_info override changes a fix point; mismatch lists unknown and missing names', async () => {
  const r = await quantTiny(convBnReluConv(seeded(5)), { biasCorrection: false });
  const qi = parseQuantInfo(stringifyQuantInfo(r.quantInfo));
  const fp = qi.output['conv2'][0][1];
  qi.output['conv2'] = [[8, fp - 1]];
  const r2 = await quantTiny(convBnReluConv(seeded(5)), { quantInfo: qi, biasCorrection: false });
  assert.equal(r2.graph.ops.find((o) => o.name === 'conv2')!.output.fixPoint, fp - 1);
  assert.equal(r2.report.quantInfoOverrides, 1);
  const bad = parseQuantInfo(stringifyQuantInfo(r.quantInfo));
  delete bad.output['conv2'];
  bad.output['nosuch'] = [[8, 3]];
  await assert.rejects(quantTiny(convBnReluConv(seeded(5)), { quantInfo: bad }), (e: unknown) => e instanceof QuantizeError && e.code === 'E_QINFO_MISMATCH' && /unknown nosuch/.test(e.message) && /missing conv2/.test(e.message));
  assert.throws(() => parseQuantInfo('{"param": {"w": [[16, 3]]}}'), (e: unknown) => e instanceof QuantizeError && e.code === 'E_QINFO_BITWIDTH');
});

test('NaN in weights or activations → QuantizeError naming the tensor; empty calib rejected', async () => {
  const g = convBnReluConv(seeded(6));
  g.ops.find((o) => o.name === 'w2')!.data![1] = NaN;
  await assert.rejects(quantTiny(g), (e: unknown) => e instanceof QuantizeError && e.where === 'w2');
  const bad = feed(1);
  bad.x.data[3] = Infinity;
  await assert.rejects(quantize(convBnReluConv(seeded(6)), [bad]), (e: unknown) => e instanceof QuantizeError && e.code === 'E_Q_NONFINITE');
  await assert.rejects(quantize(convBnReluConv(seeded(6)), []), (e: unknown) => e instanceof QuantizeError && e.code === 'E_Q_CALIB_EMPTY');
});

test('fast finetune (AdaQuant) runs on both convs and is reported', async () => {
  const r = await quantTiny(convBnReluConv(seeded(7)), { fastFinetune: true, seed: 3 });
  assert.equal(r.quantInfo.fast_finetuned, true);
  // every conv kind is finetuned now: both convs of this graph are tried; only those whose held-out loss dropped count
  assert.deepEqual(r.finetune?.details.map((d) => d.layer).sort(), ['conv1', 'conv2']);
  const kept = r.finetune!.details.filter((d) => d.kept);
  assert.ok(kept.every((d) => d.after < d.before));
  assert.equal(r.report.fastFinetune.layers, kept.length);
  const plan = quantizationPlan(convBnReluConv(seeded(7)));
  assert.equal(plan.get('conv1')?.quantize, true);
});

test("bias correction 'quantized-upstream': the last conv's INT8 per-channel mean on the calibration data matches FP32 within one output LSB", async () => {
  const rnd = seeded(21);
  const g = convBnReluConv(rnd, 8, 8, 3, 6, 3);
  const batches = [0, 1, 2, 3].map(() => ({ x: { shape: [1, 8, 8, 3], data: randArray(8 * 8 * 3, rnd, 2) } }));
  const meanErr = async (opts: Parameters<typeof quantize>[2]): Promise<{ err: number; lsb: number }> => {
    const q = (await quantize(g, batches, { skipReport: true, cle: false, ...opts })).graph;
    const K = 3;
    const d = new Float64Array(K);
    for (const b of batches) {
      const f = runFloat(g, b).conv2.data; // the FP32 model is the oracle
      const y = runQuantized(q, b).conv2.data;
      for (let i = 0; i < f.length; i++) d[i % K] += (f[i] - y[i]) / (f.length / K) / batches.length;
    }
    const fp = q.ops.find((o) => o.name === 'conv2')!.output.fixPoint!;
    return { err: Math.max(...Array.from(d, Math.abs)), lsb: 2 ** -fp };
  };
  const none = await meanErr({ biasCorrection: false });
  const seq = await meanErr({ biasCorrectionMode: 'quantized-upstream' });
  assert.ok(seq.err <= none.err, `${seq.err} vs ${none.err} without correction`);
  assert.ok(seq.err <= seq.lsb, `${seq.err} > 1 LSB ${seq.lsb}`);
});
