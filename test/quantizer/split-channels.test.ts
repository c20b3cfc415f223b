/**
 * splitChannelGroups / scalarAffineToDepthwise (src/quantizer/split-channels.ts): the float function is unchanged
 * (runFloat of the graph before the pass is the oracle), the structure is the documented one, and each branch
 * conv really holds only its group's channels (hand-set channel magnitudes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { scalarAffineToDepthwise, splitChannelGroups } from '../../src/quantizer/split-channels.js';
import { cloneGraph } from '../../src/quantizer/graph-util.js';
import type { Graph, Op, TensorValue } from '../../src/ir/types.js';
import { constOp, randArray, seeded } from './helpers.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { quantize } from '../../src/quantizer/index.js';
import { runPipeline } from '../../src/compiler/pipeline.js';
import { toCompilerArch } from '../../src/compiler/arch.js';
import { installDpuRules } from '../../src/compiler/support/index.js';
import { readAsset } from '../../src/runtime/node/assets.js';
import { checkBitExact } from '../compiler/helpers.js';

const H = 5, W = 6, C = 3, M = 8, K = 4;
const conv = (name: string, x: string, w: string, b: string, c: number, k: number, nl?: string): Op => ({
  name, type: 'conv2d', inputs: [x, w, b], attrs: { kernel: [k, k], stride: [1, 1], dilation: [1, 1], pad: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0], group: 1, ...(nl ? { nonlinear: nl } : {}) }, output: { shape: [1, H, W, c], dtype: 'float32' },
});
const ew = (name: string, type: string, x: string, c: string, ch: number): Op => ({ name, type, inputs: [x, c], attrs: {}, output: { shape: [1, H, W, ch], dtype: 'float32' } });

/** x → conv 1×1 (hswish) → mul 0.3 → add −0.2 → depthwise 3×3 (hswish, padded) → conv 1×1 → out */
function block(): Graph {
  const rnd = seeded(11);
  const w1 = randArray(M * C, rnd);
  // output channels with very different magnitudes: channel c scaled by 2^c
  for (let c = 0; c < M; c++) for (let i = 0; i < C; i++) w1[c * C + i] = (w1[c * C + i] as number) * 2 ** c;
  return {
    name: 'blk', inputs: ['x'], outputs: ['y'], meta: {},
    ops: [
      { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, H, W, C] }, output: { shape: [1, H, W, C], dtype: 'float32' } },
      constOp('w1', [M, 1, 1, C], w1), constOp('b1', [M], randArray(M, rnd, 0.2)), conv('pw', 'x', 'w1', 'b1', M, 1, 'HSWISH'),
      constOp('a', [1], [0.3]), ew('m', 'mul', 'pw', 'a', M), constOp('b', [1], [-0.2]), ew('ad', 'add', 'm', 'b', M),
      constOp('wd', [1, 3, 3, M], randArray(9 * M, rnd)), constOp('bd', [M], randArray(M, rnd, 0.1)),
      { name: 'dw', type: 'depthwise-conv2d', inputs: ['ad', 'wd', 'bd'], attrs: { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [1, 1, 1, 1], nonlinear: 'HSWISH' }, output: { shape: [1, H, W, M], dtype: 'float32' } },
      constOp('w2', [K, 1, 1, M], randArray(K * M, rnd)), constOp('b2', [K], randArray(K, rnd, 0.1)), conv('y', 'dw', 'w2', 'b2', K, 1),
    ],
  };
}

const feeds: Record<string, TensorValue> = { x: { shape: [1, H, W, C], data: randArray(H * W * C, seeded(3)) } };
function assertSameFunction(a: Graph, b: Graph): void {
  const ya = runFloat(a, feeds)['y']!.data;
  const yb = runFloat(b, feeds)['y']!.data;
  let m = 0;
  for (const v of ya) m = Math.max(m, Math.abs(v));
  for (let i = 0; i < ya.length; i++) assert.ok(Math.abs((ya[i] as number) - (yb[i] as number)) <= 1e-5 * m, `y[${i}] ${ya[i]} vs ${yb[i]}`);
}

test('splitChannelGroups: conv → scalar affine → depthwise → conv becomes 4 branches joined by a concat; same float function', () => {
  const g = block();
  const s = cloneGraph(g);
  const r = splitChannelGroups(s, 4);
  assert.deepEqual(r.split, [{ conv: 'pw', depthwise: 'dw', groups: 4 }]);
  const convs = s.ops.filter((o) => o.type === 'conv2d' && o.name.startsWith('pw_g'));
  assert.equal(convs.length, 4);
  const cat = s.ops.find((o) => o.name === 'dw');
  assert.equal(cat?.type, 'concat', 'the concat keeps the depthwise name, so y reads it unchanged');
  assert.equal(cat?.inputs.length, 4);
  // groups sorted by max|w|: branch 0 holds output channels 0,1 (×1, ×2), branch 3 channels 6,7 (×64, ×128)
  const wOf = (o: Op): Float32Array => s.ops.find((c) => c.name === o.inputs[1])!.data!;
  const mx = (d: Float32Array): number => d.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(mx(wOf(convs[3]!)) > 16 * mx(wOf(convs[0]!)), 'the largest channels are together in the last branch');
  assertSameFunction(g, s);
});

test('splitChannelGroups by output range: channels grouped by the given max|x| per channel, not by max|w|; same float function', () => {
  const g = block();
  const s = cloneGraph(g);
  // hand-set ranges unlike the weight order (channel c's weights scale with 2^c); ascending: 7, 0 | 5, 2 | 3, 4 | 1, 6
  const ranges = Float64Array.from([0.2, 7, 0.4, 0.5, 0.6, 0.3, 8, 0.1]);
  splitChannelGroups(s, 4, new Map([['pw', ranges]]));
  const convs = s.ops.filter((o) => o.type === 'conv2d' && o.name.startsWith('pw_g'));
  assert.equal(convs.length, 4);
  // each branch holds the rows of the original weights of its channels, in ascending-range order
  const w1 = g.ops.find((o) => o.name === 'w1')!.data!;
  const rowsOf = (chs: number[]): number[] => chs.flatMap((c) => [...w1.subarray(c * C, (c + 1) * C)]);
  const expected = [[7, 0], [5, 2], [3, 4], [1, 6]];
  convs.forEach((o, k) => assert.deepEqual([...s.ops.find((c) => c.name === o.inputs[1])!.data!], rowsOf(expected[k]!), `branch ${k}`));
  assertSameFunction(g, s);
  // ranges of the wrong length are ignored (the weight order)
  const t = cloneGraph(g);
  splitChannelGroups(t, 4, new Map([['pw', Float64Array.from([1, 2])]]));
  const t0 = t.ops.find((o) => o.name === 'pw_g0')!;
  assert.deepEqual([...t.ops.find((c) => c.name === t0.inputs[1])!.data!], rowsOf([0, 1]));
});

test('scalarAffineToDepthwise: mul by a scalar then add a scalar → one 1×1 depthwise conv; same float function', () => {
  const g = block();
  const s = cloneGraph(g);
  assert.deepEqual(scalarAffineToDepthwise(s), ['ad']);
  assert.equal(s.ops.some((o) => o.type === 'mul' || o.type === 'add'), false);
  const d = s.ops.find((o) => o.name === 'ad')!;
  assert.equal(d.type, 'depthwise-conv2d');
  assert.deepEqual(d.attrs['kernel'], [1, 1]);
  assertSameFunction(g, s);
  // both passes together (the order quantize() uses)
  const both = cloneGraph(g);
  splitChannelGroups(both, 2);
  assert.equal(scalarAffineToDepthwise(both).length, 2);
  assertSameFunction(g, both);
});

test('real PP-OCRv4 det 64² with splitChannelGroups 8 + affineAsDepthwise: one DPU subgraph, our mc_code on the simulator equals the INT8 reference (DPU-legal)', async () => {
  installDpuRules();
  const g = importOnnx(readAsset('ppocr-det'), { inputShapes: { x: [1, 3, 64, 64] } });
  const n = 3 * 64 * 64;
  let s = 7;
  const batches = [0, 1].map(() => ({ x: { shape: [1, 64, 64, 3], data: new Float32Array(n).map(() => { s = (s * 1103515245 + 12345) >>> 0; return (s / 2 ** 32) * 2 - 1; }) } }));
  const r = await quantize(g, batches, { skipReport: true, biasCorrection: false, splitChannelGroups: 8, affineAsDepthwise: true });
  assert.ok(r.graph.ops.filter((o) => o.type === 'concat').length >= 10, 'the split blocks are there');
  const { report } = runPipeline(r.graph, toCompilerArch('B2304'), { until: 'partition' });
  assert.deepEqual(report.counts, { dpu: 1, cpu: 1, user: 1 });
  assert.equal(checkBitExact(r.graph, 'B2304'), 1);
});
