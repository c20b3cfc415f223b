/**
 * QuantizeOptions.floatOps (src/quantizer/keep-float.ts): ops the compiler places on CPU subgraphs stay float,
 * as Vitis AI's CPU runner computes them (issue 8: PP-OCRv4 rec's SVTR neck). Oracles: hand-computed float
 * arithmetic on the quantized producer's dequantized output, and the compiler's own partition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantize } from '../../src/quantizer/index.js';
import { keepFloat, cpuSubgraphOps } from '../../src/quantizer/keep-float.js';
import { quantizationPlan } from '../../src/quantizer/quantizable.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import type { Graph } from '../../src/ir/types.js';
import { constOp, randArray, seeded } from './helpers.js';

// x[1,2,2,3] → conv 1×1 (3→4) → reshape [4,4] → matmul W[4,2] (+ const) → reshape back → out
function net(): Graph {
  const rnd = seeded(3);
  return {
    name: 'fo', inputs: ['x'], outputs: ['y'], meta: {},
    ops: [
      { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, 2, 2, 3] }, output: { shape: [1, 2, 2, 3], dtype: 'float32' } },
      constOp('w1', [4, 1, 1, 3], randArray(12, rnd)), constOp('b1', [4], randArray(4, rnd, 0.1)),
      { name: 'c1', type: 'conv2d', inputs: ['x', 'w1', 'b1'], attrs: { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], group: 1 }, output: { shape: [1, 2, 2, 4], dtype: 'float32' } },
      { name: 'r1', type: 'reshape', inputs: ['c1'], attrs: { shape: [4, 4] }, output: { shape: [4, 4], dtype: 'float32' } },
      constOp('wm', [4, 2], [0.3, -0.7, 0.11, 0.5, -0.25, 0.9, 0.6, -0.05]),
      { name: 'mm', type: 'matmul', inputs: ['r1', 'wm'], attrs: { transpose_a: false, transpose_b: false }, output: { shape: [4, 2], dtype: 'float32' } },
      { name: 'y', type: 'reshape', inputs: ['mm'], attrs: { shape: [1, 2, 2, 2] }, output: { shape: [1, 2, 2, 2], dtype: 'float32' } },
    ],
  };
}

test('keepFloat: the named op turns float, and reshape-likes no longer between quantized ops follow', () => {
  const g = net();
  const plan = quantizationPlan(g);
  assert.equal(plan.get('mm')?.quantize, true, 'a constant-weight matmul is a DPU op by default');
  assert.equal(plan.get('r1')?.quantize, true);
  const changed = keepFloat(g, plan, ['mm', 'no-such-op']);
  assert.equal(plan.get('y')?.quantize, false, 'a reshape feeding only the graph output was float already');
  assert.deepEqual(changed.sort(), ['mm', 'r1']);
  assert.equal(plan.get('c1')?.quantize, true);
  assert.match(plan.get('mm')?.reason ?? '', /floatOps/);
  assert.deepEqual(cpuSubgraphOps({ a: 'DPU', b: 'CPU', x: 'USER', c: 'CPU' }), ['b', 'c']);
});

test('quantize({ floatOps }): the matmul computes in float on the conv\'s INT8 output (hand-computed), no fix point after the conv', async () => {
  const feeds = [1, 2, 3].map((s) => ({ x: { shape: [1, 2, 2, 3], data: randArray(12, seeded(10 + s)) } }));
  const q = await quantize(net(), feeds, { skipReport: true, floatOps: ['mm'] });
  const byName = new Map(q.graph.ops.map((o) => [o.name, o]));
  assert.notEqual(byName.get('c1')?.output.fixPoint, undefined, 'the conv stays INT8 (the DPU part)');
  for (const n of ['r1', 'mm', 'y']) assert.equal(byName.get(n)?.output.fixPoint, undefined, `${n} is float`);
  const wm = byName.get('wm')!;
  assert.equal(wm.output.fixPoint, undefined, 'the float matmul keeps float weights');
  const fp = byName.get('c1')!.output.fixPoint as number;
  let c1: Float32Array | undefined;
  const y = runQuantized(q.graph, feeds[0]!, { onTensor: (op, v) => { if (op.name === 'c1') c1 = Float32Array.from(v.data); } })['y']!.data;
  assert.ok(c1);
  // oracle: c1's INT8 output (a multiple of 2^-fp) times the float weights, summed in float64
  for (const v of c1) assert.equal(Math.round(v * 2 ** fp), v * 2 ** fp, 'c1 is on its INT8 grid');
  const w = [0.3, -0.7, 0.11, 0.5, -0.25, 0.9, 0.6, -0.05];
  let distinct = 0;
  for (let r = 0; r < 4; r++) for (let k = 0; k < 2; k++) {
    let s = 0;
    for (let i = 0; i < 4; i++) s += (c1[r * 4 + i] as number) * (w[i * 2 + k] as number);
    assert.ok(Math.abs((y[r * 2 + k] as number) - s) < 1e-5, `y[${r},${k}] ${y[r * 2 + k]} vs ${s}`);
    if (Math.abs(Math.round(s * 2 ** 7) - s * 2 ** 7) > 1e-3) distinct++;
  }
  assert.ok(distinct > 0, 'the float result is not on an INT8 grid (it was not requantized)');
  // without the option the matmul output is requantized to INT8
  const q2 = await quantize(net(), feeds, { skipReport: true });
  assert.notEqual(q2.graph.ops.find((o) => o.name === 'mm')?.output.fixPoint, undefined);
});
