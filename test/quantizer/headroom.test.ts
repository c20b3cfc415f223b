/**
 * activationHeadroom (quantize.ts): the named tensors get `bits` more range than calibration gave them. Oracle: a 1×1
 * conv y = 0.375·x, hand-computed — calibrated on |x| < 1, x gets fix point 7 and y 8: x = 1.5 saturates to 127/128 and
 * y reads 95/256; with one bit of headroom on x and y (fix points 6 and 7) y = 0.5625 exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, TensorValue } from '../../src/ir/types.js';
import { quantize } from '../../src/quantizer/quantize.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { QuantizeError } from '../../src/errors.js';
import { constOp } from './helpers.js';

const C = 4;
function identity(): Graph {
  const w = new Float32Array(C * C);
  for (let c = 0; c < C; c++) w[c * C + c] = 0.375;
  return {
    name: 'id', inputs: ['x'], outputs: ['y'], meta: {},
    ops: [
      { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, 2, 2, C] }, output: { shape: [1, 2, 2, C], dtype: 'float32' } },
      constOp('w', [C, 1, 1, C], w), constOp('b', [C], new Float32Array(C)),
      { name: 'y', type: 'conv2d', inputs: ['x', 'w', 'b'], attrs: { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], group: 1 }, output: { shape: [1, 2, 2, C], dtype: 'float32' } },
    ],
  };
}

const feed = (v: number[]): Record<string, TensorValue> => ({ x: { shape: [1, 2, 2, C], data: Float32Array.from({ length: 4 * C }, (_, i) => v[i % v.length]!) } });

test('activationHeadroom: one bit more range for the named tensors (x = 1.5 no longer saturates); unknown names are a QuantizeError', async () => {
  const calib = [feed([0.9, -0.95, 0.5, -0.25]), feed([-0.9, 0.75, 0.125, 0.99])];
  const opts = { skipReport: true, cle: false, biasCorrection: false };
  const r0 = await quantize(identity(), calib, opts);
  const r1 = await quantize(identity(), calib, { ...opts, activationHeadroom: { tensors: ['x', 'y'] } });
  const fp = (r: typeof r0, t: string): number => r.graph.ops.find((o) => o.name === t)!.output.fixPoint!;
  assert.deepEqual([fp(r0, 'x'), fp(r0, 'y')], [7, 8]);
  assert.deepEqual([fp(r1, 'x'), fp(r1, 'y')], [6, 7]);
  assert.ok(r1.report.adjustments.some((a) => a.tensor === 'y' && a.rule.startsWith('activationHeadroom')));
  const probe = feed([1.5, -1.5, 0.5, 0.25]);
  assert.deepEqual([...runQuantized(r0.graph, probe)['y']!.data.slice(0, 4)], [95 / 256, -0.375, 0.1875, 0.09375]);
  assert.deepEqual([...runQuantized(r1.graph, probe)['y']!.data.slice(0, 4)], [0.5625, -0.5625, 0.1875, 0.09375]);
  await assert.rejects(quantize(identity(), calib, { ...opts, activationHeadroom: { tensors: ['nope'] } }),
    (e: unknown) => e instanceof QuantizeError && e.code === 'E_Q_HEADROOM' && /nope/.test(e.message));
});
