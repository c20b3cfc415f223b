/**
 * splitDepthwiseGroups (src/quantizer/split-depthwise.ts): the float function is unchanged (runFloat of the graph
 * before the pass is the oracle), the branches hold the depthwise channels grouped by their own max|w|
 * (hand-set magnitudes), the permutation reaches through an SE block, blocks whose output cannot be permuted are
 * left alone with a reason, and the quantized rewritten graph compiles to one DPU subgraph whose mc_code on the
 * simulator equals the INT8 reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { depthwiseInputRanges, splitDepthwiseGroups } from '../../src/quantizer/split-depthwise.js';
import { cloneGraph } from '../../src/quantizer/graph-util.js';
import { quantize } from '../../src/quantizer/index.js';
import { runPipeline } from '../../src/compiler/pipeline.js';
import { toCompilerArch } from '../../src/compiler/arch.js';
import { installDpuRules } from '../../src/compiler/support/index.js';
import { QuantizeError } from '../../src/errors.js';
import type { Graph, Op, TensorValue } from '../../src/ir/types.js';
import { constOp, randArray, seeded } from './helpers.js';
import { checkBitExact } from '../compiler/helpers.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { assetPath, packageDir } from '../../src/runtime/node/assets.js';
import { Graph as XGraph, xmodelToIr } from '../../src/xir/index.js';

const C = 4, M = 16, K = 4, R = 4;
const conv = (name: string, x: string, w: string, b: string, h: number, c: number, k: number, nl?: string): Op => ({
  name, type: 'conv2d', inputs: [x, w, b], attrs: { kernel: [k, k], stride: [1, 1], dilation: [1, 1], pad: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0], group: 1, ...(nl ? { nonlinear: nl } : {}) }, output: { shape: [1, h, h, c], dtype: 'float32' },
});
const data = (h: number): Op => ({ name: 'x', type: 'data', inputs: [], attrs: { shape: [1, h, h, C] }, output: { shape: [1, h, h, C], dtype: 'float32' } });

/**
 * MobileNetV3 block with SE: x → expand 1×1 (HSWISH) → depthwise 3×3 (HSWISH; channel c's weights ×2^(c mod 8),
 * so the channel ranges differ 128× and are not in channel order) → SE (global avgpool → fc1 RELU → fc2 RELU6 →
 * mul 1/6 → mul with the depthwise output) → project 1×1 → add x (residual) → y.
 */
function seBlock(h: number): Graph {
  const rnd = seeded(5);
  const wd = randArray(9 * M, rnd);
  for (let i = 0; i < wd.length; i++) wd[i] = (wd[i] as number) * 2 ** ((i % M) % 8);
  const t = (n: string, type: string, ins: string[], shape: number[], attrs: Op['attrs'] = {}): Op => ({ name: n, type, inputs: ins, attrs, output: { shape, dtype: 'float32' } });
  return {
    name: 'se', inputs: ['x'], outputs: ['y'], meta: {},
    ops: [
      data(h),
      constOp('we', [M, 1, 1, C], randArray(M * C, rnd)), constOp('be', [M], randArray(M, rnd, 0.2)), conv('expand', 'x', 'we', 'be', h, M, 1, 'HSWISH'),
      constOp('wd', [1, 3, 3, M], wd), constOp('bd', [M], randArray(M, rnd, 0.3)),
      t('dw', 'depthwise-conv2d', ['expand', 'wd', 'bd'], [1, h, h, M], { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [1, 1, 1, 1], nonlinear: 'HSWISH' }),
      t('pool', 'avgpool2d', ['dw'], [1, 1, 1, M], { kernel: [h, h], stride: [1, 1], pad: [0, 0, 0, 0], global: true, count_include_pad: false }),
      constOp('w1', [R, 1, 1, M], randArray(R * M, rnd)), constOp('b1', [R], randArray(R, rnd, 0.2)), conv('fc1', 'pool', 'w1', 'b1', 1, R, 1, 'RELU'),
      constOp('w2', [M, 1, 1, R], randArray(M * R, rnd)), constOp('b2', [M], randArray(M, rnd, 2)), conv('fc2', 'fc1', 'w2', 'b2', 1, M, 1, 'RELU6'),
      constOp('sixth', [1], [1 / 6]), t('gate', 'mul', ['fc2', 'sixth'], [1, 1, 1, M]),
      t('scaled', 'mul', ['gate', 'dw'], [1, h, h, M]),
      constOp('wp', [C, 1, 1, M], randArray(C * M, rnd)), constOp('bp', [C], randArray(C, rnd, 0.1)), conv('project', 'scaled', 'wp', 'bp', h, C, 1),
      t('y', 'add', ['project', 'x'], [1, h, h, C]),
    ],
  };
}

/** MobileNetV3's first block: stem 3×3 (HSWISH) → depthwise (RELU) → project; add(project, stem) → out; stem → side conv. */
function stemBlock(h: number): Graph {
  const t = (n: string, type: string, ins: string[], shape: number[], attrs: Op['attrs'] = {}): Op => ({ name: n, type, inputs: ins, attrs, output: { shape, dtype: 'float32' } });
  const rnd = seeded(21);
  const wd = randArray(9 * M, rnd);
  for (let i = 0; i < wd.length; i++) wd[i] = (wd[i] as number) * 2 ** ((i * 5) % M % 6);
  return {
    name: 'stem', inputs: ['x'], outputs: ['out', 'side'], meta: {},
    ops: [
      data(h), constOp('ws', [M, 3, 3, C], randArray(M * 9 * C, rnd)), constOp('bs', [M], randArray(M, rnd, 0.2)), conv('stem', 'x', 'ws', 'bs', h, M, 3, 'HSWISH'),
      constOp('wd', [1, 3, 3, M], wd), constOp('bd', [M], randArray(M, rnd, 0.3)),
      t('dw', 'depthwise-conv2d', ['stem', 'wd', 'bd'], [1, h, h, M], { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [1, 1, 1, 1], nonlinear: 'RELU' }),
      constOp('wp', [M, 1, 1, M], randArray(M * M, rnd)), constOp('bp', [M], randArray(M, rnd, 0.1)), conv('project', 'dw', 'wp', 'bp', h, M, 1),
      t('sum', 'add', ['project', 'stem'], [1, h, h, M]),
      constOp('wo', [K, 1, 1, M], randArray(K * M, rnd)), constOp('bo', [K], randArray(K, rnd, 0.1)), conv('out', 'sum', 'wo', 'bo', h, K, 1),
      constOp('wq', [K, 1, 1, M], randArray(K * M, rnd)), constOp('bq', [K], randArray(K, rnd, 0.1)), conv('side', 'stem', 'wq', 'bq', h, K, 1),
    ],
  };
}

function maxDiff(a: Graph, b: Graph, h: number, seed = 3): { diff: number; max: number } {
  const feeds: Record<string, TensorValue> = { x: { shape: [1, h, h, C], data: randArray(h * h * C, seeded(seed), 2) } };
  const ya = runFloat(a, feeds)[a.outputs[0] as string]!.data;
  const yb = runFloat(b, feeds)[b.outputs[0] as string]!.data;
  let diff = 0, max = 0;
  for (let i = 0; i < ya.length; i++) { max = Math.max(max, Math.abs(ya[i] as number)); diff = Math.max(diff, Math.abs((ya[i] as number) - (yb[i] as number))); }
  return { diff, max };
}

test('splitDepthwiseGroups: expand → depthwise → SE → project becomes 4 branches grouped by the depthwise max|w|; same float function', () => {
  const g = seBlock(6);
  const s = cloneGraph(g);
  const r = splitDepthwiseGroups(s, 4);
  assert.deepEqual(r.split.map((x) => [x.depthwise, x.producer, x.groups, x.sizes]), [['dw', 'expand', 4, [4, 4, 4, 4]]]);
  assert.equal(Math.round(r.split[0]!.spread) >= 16, true, `spread ${r.split[0]!.spread}`);
  const cat = s.ops.find((o) => o.name === 'dw')!;
  assert.equal(cat.type, 'concat', 'the concat keeps the depthwise name');
  const branches = cat.inputs.map((n) => s.ops.find((o) => o.name === n)!);
  assert.ok(branches.every((b) => b.type === 'depthwise-conv2d' && b.output.shape[3] === 4));
  // hand-set magnitudes: channel c scaled by 2^(c mod 8) → group k holds the channels with c mod 8 ∈ {2k, 2k+1}
  const mx = (o: Op): number => s.ops.find((c) => c.name === o.inputs[1])!.data!.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let k = 1; k < 4; k++) assert.ok(mx(branches[k]!) > 2.5 * mx(branches[k - 1]!), `group ${k} max ${mx(branches[k]!)} vs ${mx(branches[k - 1]!)}`);
  // each branch's depthwise reads its own expand conv
  for (const b of branches) assert.equal(s.ops.find((o) => o.name === b.inputs[0])?.type, 'conv2d');
  // SE: fc1's input axis and fc2's output channels are permuted copies; project's input axis too
  for (const n of ['fc1', 'fc2', 'project']) assert.notEqual(s.ops.find((o) => o.name === n)!.inputs[1], g.ops.find((o) => o.name === n)!.inputs[1], `${n} weights permuted`);
  assert.equal(s.ops.find((o) => o.name === 'fc2')!.inputs[2] !== 'b2', true, 'fc2 bias permuted');
  const { diff, max } = maxDiff(g, s, 6);
  assert.ok(diff <= 1e-5 * max, `max diff ${diff} (max |y| ${max})`);
  // 'range' balance and 'producer' sort keep the function too
  for (const [o, branches] of [[{ groups: 3, balance: 'range' as const }, 0], [{ groups: 4, by: 'producer' as const }, 4], [{ groups: 2, thenBy: 'producer' as const, thenGroups: 3 }, 6],
    [{ groups: 2, by: 'input' as const, thenBy: 'depthwise' as const, inputRanges: depthwiseInputRanges(g, [{ x: { shape: [1, 6, 6, C], data: randArray(36 * C, seeded(2), 2) } }]) }, 4]] as const) {
    const t = cloneGraph(g);
    const r = splitDepthwiseGroups(t, o);
    assert.equal(r.split.length, 1);
    if (branches) assert.equal(r.split[0]!.groups, branches);
    const m = maxDiff(g, t, 6, 9);
    assert.ok(m.diff <= 1e-5 * m.max, `${JSON.stringify(o)}: max diff ${m.diff}`);
  }
});

function runBoth(a: Graph, b: Graph, h: number, c: number): void {
  const feeds: Record<string, TensorValue> = { x: { shape: [1, h, h, c], data: randArray(h * h * c, seeded(4), 2) } };
  const ra = runFloat(a, feeds), rb = runFloat(b, feeds);
  for (const o of a.outputs) {
    const va = ra[o]!.data, vb = rb[o]!.data;
    const m = va.reduce((x, v) => Math.max(x, Math.abs(v)), 0);
    for (let i = 0; i < va.length; i++) assert.ok(Math.abs((va[i] as number) - (vb[i] as number)) <= 1e-5 * m, `${o}[${i}] ${va[i]} vs ${vb[i]}`);
  }
}

test('splitDepthwiseGroups: a residual add on the depthwise output is permuted backward through its other conv; a shared producer is duplicated (or joined by a concat)', () => {
  // the depthwise output also feeds add(dw, e2) with e2 = conv(x): e2's output channels are permuted too
  const g = seBlock(6);
  g.ops.splice(g.ops.findIndex((o) => o.name === 'pool'), 0, constOp('we2', [M, 1, 1, C], randArray(M * C, seeded(8))), conv('e2', 'x', 'we2', 'be', 6, M, 1),
    { name: 'res', type: 'add', inputs: ['dw', 'e2'], attrs: {}, output: { shape: [1, 6, 6, M], dtype: 'float32' } });
  g.ops.push(constOp('wr', [C, 1, 1, M], randArray(C * M, seeded(9))), conv('yr', 'res', 'wr', 'bp', 6, C, 1));
  g.outputs = ['y', 'yr'];
  const s = cloneGraph(g);
  assert.equal(splitDepthwiseGroups(s, 4).split.length, 1);
  assert.notEqual(s.ops.find((o) => o.name === 'e2')!.inputs[1], 'we2', 'e2 output channels permuted');
  runBoth(g, s, 6, C);

  // MobileNetV3's first block: stem conv (HSWISH) → depthwise (RELU) → project, and add(project, stem) → conv.
  // The stem has two consumers: its branches are joined by a concat (named like the stem) for the add, whose
  // other operand (project) gets its output channels permuted and whose consumer its input axis.
  const stem = stemBlock(6);
  // default 'duplicate': the stem stays for the add and the side conv; its 4 branch copies feed the depthwise groups
  const du = cloneGraph(stem);
  const rd = splitDepthwiseGroups(du, 4);
  assert.deepEqual(rd.split.map((x) => [x.depthwise, x.producer, x.sharedProducer]), [['dw', 'stem', true]]);
  assert.equal(du.ops.find((o) => o.name === 'stem')!.type, 'conv2d');
  assert.equal(du.ops.filter((o) => o.type === 'conv2d' && o.name.startsWith('stem_g')).length, 4);
  runBoth(stem, du, 6, C);
  const st = cloneGraph(stem);
  const r = splitDepthwiseGroups(st, { groups: 4, sharedProducer: 'concat' });
  assert.deepEqual(r.split.map((x) => [x.depthwise, x.producer, x.sharedProducer]), [['dw', 'stem', true]]);
  assert.equal(st.ops.find((o) => o.name === 'stem')!.type, 'concat');
  assert.equal(st.ops.find((o) => o.name === 'dw')!.type, 'concat');
  runBoth(stem, st, 6, C);
  const off = cloneGraph(stem);
  assert.match(splitDepthwiseGroups(off, { groups: 4, sharedProducer: 'skip' }).skipped[0]!.reason, /producer 'stem' has other consumers/);
});

test('splitDepthwiseGroups leaves a block alone, with the reason, when its output cannot be permuted or it has no producing conv', () => {
  // the depthwise output is reshaped: not channel-wise
  const g = seBlock(6);
  g.ops.push({ name: 'flat', type: 'reshape', inputs: ['dw'], attrs: { shape: [1, 36 * M] }, output: { shape: [1, 36 * M], dtype: 'float32' } });
  g.outputs = ['y', 'flat'];
  const r = splitDepthwiseGroups(g, 4);
  assert.equal(r.split.length, 0);
  assert.match(r.skipped[0]!.reason, /reshape 'flat'/);
  // no producing conv: the depthwise reads a residual sum
  const n = seBlock(6);
  n.ops.splice(n.ops.findIndex((o) => o.name === 'dw'), 0, { name: 'sum', type: 'add', inputs: ['expand', 'expand'], attrs: {}, output: { shape: [1, 6, 6, M], dtype: 'float32' } });
  n.ops.find((o) => o.name === 'dw')!.inputs[0] = 'sum';
  const r3 = splitDepthwiseGroups(n, 4);
  assert.equal(r3.split.length, 0);
  assert.match(r3.skipped[0]!.reason, /no producing conv/);
  // too few channels / small spread
  assert.match(splitDepthwiseGroups(seBlock(6), { groups: 4, minSpread: 1000 }).skipped[0]!.reason, /spread/);
  assert.throws(() => splitDepthwiseGroups(seBlock(6), 1), (e: unknown) => e instanceof QuantizeError && e.code === 'E_Q_OPTION');
});

test('quantized SE block and stem block with splitDepthwiseGroups 4: one DPU subgraph each; our mc_code on the simulator equals the INT8 reference (DPU-legal)', async () => {
  installDpuRules();
  const g = seBlock(16);
  const batches = [1, 2].map((sd) => ({ x: { shape: [1, 16, 16, C], data: randArray(16 * 16 * C, seeded(sd), 2) } }));
  const r = await quantize(g, batches, { skipReport: true, biasCorrection: false, splitDepthwiseGroups: 4 });
  assert.equal(r.graph.ops.filter((o) => o.type === 'depthwise-conv2d').length, 4, 'the split is in the quantized graph');
  const { report } = runPipeline(r.graph, toCompilerArch('B4096'), { until: 'partition' });
  assert.equal(report.counts.dpu, 1, `DPU subgraphs: ${JSON.stringify(report.counts)}`);
  assert.ok(checkBitExact(r.graph, 'B4096') >= 1);
  // the stem block: a duplicated shared producer, a residual add, a second graph output
  const st = await quantize(stemBlock(16), batches, { skipReport: true, biasCorrection: false, splitDepthwiseGroups: 4 });
  assert.equal(st.graph.ops.filter((o) => o.type === 'conv2d' && o.name.startsWith('stem_g')).length, 4);
  assert.equal(runPipeline(st.graph, toCompilerArch('B4096'), { until: 'partition' }).report.counts.dpu, 1);
  assert.ok(checkBitExact(st.graph, 'B4096') >= 2);
});

test('dpuflow quantize --split-depthwise-groups 2 [--split-depthwise-by depthwise,input] (PP-OCR cls): the written model holds the depthwise branches; bad N / key / shared mode → usage error', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-sdw-'));
  try {
    const calib = path.join(tmp, 'calib');
    fs.mkdirSync(calib);
    await sharp(`${packageDir('@vladmandic/human')}/assets/screenshot-menu.png`).extract({ left: 0, top: 0, width: 200, height: 50 }).png().toFile(path.join(calib, 'c0.png'));
    const cli = (...a: string[]): { code: number; err: string } => {
      const r = spawnSync(process.execPath, [path.resolve('bin/dpuflow.js'), 'quantize', assetPath('ppocr-cls'), '--calib', calib, '--preprocess', 'half,resize=192x48', ...a], { encoding: 'utf8' });
      return { code: r.status ?? -1, err: r.stderr };
    };
    const out = path.join(tmp, 'q');
    const r = cli('--out', out, '--split-depthwise-groups', '2', '--no-bias-correction');
    assert.equal(r.code, 0, r.err);
    const ir = xmodelToIr(XGraph.deserialize(new Uint8Array(fs.readFileSync(path.join(out, 'ch_ppocr_mobile_v2.0_cls_infer_int.xmodel')))));
    const g1 = ir.ops.filter((o) => o.type === 'depthwise-conv2d' && /_g1$/.test(o.name));
    assert.ok(g1.length >= 5, `${g1.length} depthwise branches <dw>_g1`);
    for (const b of g1) assert.equal(ir.ops.find((o) => o.name === b.name.replace(/_g1$/, ''))?.type, 'concat', `${b.name} joins its block's concat`);
    const bad = cli('--out', path.join(tmp, 'bad'), '--split-depthwise-groups', '1');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--split-depthwise-groups must be an integer 2–64/);
    // two-level key: every block gets 2 × 2 branches (the 'input' ranges come from the calibration image)
    const out2 = path.join(tmp, 'q2');
    const r2 = cli('--out', out2, '--split-depthwise-groups', '2', '--split-depthwise-by', 'depthwise,input', '--no-bias-correction');
    assert.equal(r2.code, 0, r2.err);
    const ir2 = xmodelToIr(XGraph.deserialize(new Uint8Array(fs.readFileSync(path.join(out2, 'ch_ppocr_mobile_v2.0_cls_infer_int.xmodel')))));
    assert.equal(ir2.ops.filter((o) => o.type === 'depthwise-conv2d' && /_g3$/.test(o.name)).length, g1.length, 'each split block has branches _g0…_g3');
    const badKey = cli('--out', path.join(tmp, 'bad'), '--split-depthwise-groups', '2', '--split-depthwise-by', 'size');
    assert.equal(badKey.code, 1);
    assert.match(badKey.err, /--split-depthwise-by must be one or two of depthwise\|producer\|input/);
    const badShared = cli('--out', path.join(tmp, 'bad'), '--split-depthwise-groups', '2', '--split-depthwise-shared', 'merge');
    assert.equal(badShared.code, 1);
    assert.match(badShared.err, /--split-depthwise-shared must be one of duplicate\|concat\|skip/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
