/**
 * Output-aware fix-point search (fixpoint-search.ts, quantize's `fixPointSearch`). Oracle: brute force — every
 * combination of the two activation fix points given to quantize() as a quant_info.json override, run on the
 * reference INT8 executor (runQuantized; the search itself runs the WASM executor), the output error computed here.
 *
 * The case: y = relu(0.75·x) over 4 channels; x lies in [0, 1) but every batch has one −100. max-min calibration gives
 * x the range of the outlier (fix point 0: a step of 1, so y is mostly 0), although the relu discards it. The search
 * must walk x to the fix point whose output error is the least of all combinations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, TensorValue } from '../../src/ir/types.js';
import { quantize } from '../../src/quantizer/quantize.js';
import { QuantizeError } from '../../src/errors.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { constOp, seeded } from './helpers.js';

const C = 4;
function reluConv(): Graph {
  const w = new Float32Array(C * C);
  for (let c = 0; c < C; c++) w[c * C + c] = 0.75;
  return {
    name: 'relu-conv', inputs: ['x'], outputs: ['y'], meta: {},
    ops: [
      { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, 4, 4, C] }, output: { shape: [1, 4, 4, C], dtype: 'float32' } },
      constOp('w', [C, 1, 1, C], w), constOp('b', [C], new Float32Array(C)),
      { name: 'y', type: 'conv2d', inputs: ['x', 'w', 'b'], attrs: { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], group: 1, nonlinear: 'RELU' }, output: { shape: [1, 4, 4, C], dtype: 'float32' } },
    ],
  };
}

function batches(n: number): Record<string, TensorValue>[] {
  const rnd = seeded(7);
  return Array.from({ length: n }, (_, b) => {
    const d = Float32Array.from({ length: 16 * C }, () => rnd() + 0.5);
    d[(b * 13) % d.length] = -100;
    return { x: { shape: [1, 4, 4, C], data: d } };
  });
}

/** Output noise ÷ signal power of `q` against the float graph, over the batches (the search's measure). */
function outputError(q: Graph, float: Graph, set: Record<string, TensorValue>[]): number {
  let n = 0, p = 0;
  for (const feeds of set) {
    const r = runFloat(float, feeds)['y']!.data, y = runQuantized(q, feeds)['y']!.data;
    for (let i = 0; i < r.length; i++) { n += (y[i]! - r[i]!) ** 2; p += r[i]! ** 2; }
  }
  return n / p;
}

test('fixPointSearch walks a fix point the local rule got wrong to the best of all combinations (brute force on the reference executor)', async () => {
  const calib = batches(4);
  const opts = { skipReport: true, cle: false, biasCorrection: false, method: 'maxmin' as const };
  const r0 = await quantize(reluConv(), calib, opts);
  const fp = (g: Graph, t: string): number => g.ops.find((o) => o.name === t)!.output.fixPoint!;
  assert.equal(fp(r0.graph, 'x'), 0, 'max-min keeps the outlier: x at fix point 0');

  const r1 = await quantize(reluConv(), calib, { ...opts, fixPointSearch: { passes: 12, minGain: 0 } });
  const s = r1.fixPointSearch!;
  assert.ok(s, 'the result carries the search');
  assert.ok(s.after < s.before / 100, `output error ${s.before} → ${s.after}`);
  assert.ok(r1.report.adjustments.some((a) => a.tensor === 'x' && a.rule.startsWith('output-aware search')));
  assert.equal(r1.quantInfo.input['x']![0]![1], fp(r1.graph, 'x'), 'quant_info.json holds the searched fix point');

  // brute force over both activation fix points, each made legal by quantize() itself from a quant_info override
  let best = { err: Infinity, x: 0, y: 0 };
  for (let fx = -1; fx <= 10; fx++) {
    for (let fy = 4; fy <= 10; fy++) {
      const qi = structuredClone(r0.quantInfo);
      // w = 0.75 takes fix point 7 of its own (96/128); the legality pass raises it where x and y demand
      qi.param['w'] = [[8, 7]];
      qi.input['x'] = [[8, fx]];
      qi.output['y'] = [[8, fy]];
      const q = await quantize(reluConv(), calib, { ...opts, quantInfo: qi });
      const err = outputError(q.graph, r0.floatGraph, calib);
      if (err < best.err) best = { err, x: fx, y: fy };
    }
  }
  const found = outputError(r1.graph, r0.floatGraph, calib);
  assert.equal(found, best.err, `search: x ${fp(r1.graph, 'x')}, y ${fp(r1.graph, 'y')}; brute force: x ${best.x}, y ${best.y}`);
  assert.ok(Math.abs(found - s.after) <= 1e-9 * Math.max(1, found), `the search's own measure (WASM executor) ${s.after} equals the reference's ${found}`);
});

test('fixPointSearch keeps the fix points when no change gains enough; a quant_info override turns it off; bad options are a QuantizeError', async () => {
  const calib = batches(2);
  const opts = { skipReport: true, cle: false, biasCorrection: false, method: 'maxmin' as const };
  const r0 = await quantize(reluConv(), calib, opts);
  // minGain 1: no change can remove all of the error
  const r1 = await quantize(reluConv(), calib, { ...opts, fixPointSearch: { minGain: 1 } });
  assert.deepEqual(r1.quantInfo, r0.quantInfo);
  assert.equal(r1.fixPointSearch!.changes.length, 0);
  const r2 = await quantize(reluConv(), calib, { ...opts, fixPointSearch: true, quantInfo: r0.quantInfo });
  assert.equal(r2.fixPointSearch, undefined);
  for (const bad of [{ batches: 0 }, { passes: 1.5 }, { minGain: -0.1 }]) {
    await assert.rejects(quantize(reluConv(), calib, { ...opts, fixPointSearch: bad }),
      (e: unknown) => e instanceof QuantizeError && e.code === 'E_Q_SEARCH' && e.message.includes(Object.keys(bad)[0]!));
  }
});
