/**
 * FastExecutor.runInt8 / tensorInto (the DPU 'run' backend's xint8 path): int8 feeds at the input's fix point
 * give the same output bytes as the reference INT8 executor (runQuantized) on the float feed, with no
 * dequantize/quantize round trip; wrong sizes and unknown tensors are refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { convGraph, type ConvCase } from '../helpers.js';

const cases: ConvCase[] = [
  { C: 3, OC: 17, H: 9, W: 7, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1], nl: 'RELU', bias: 'pos' },
  { C: 33, OC: 33, H: 6, W: 5, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], nl: 'NONE', bias: 'neg', dw: true },
];

test('runInt8 + tensorInto == runQuantized bytes (conv, depthwise, odd channels)', () => {
  for (const [i, c] of cases.entries()) {
    const { g, feeds } = convGraph(c, 40 + i);
    const x = g.ops.find((o) => o.name === 'x')!;
    const fp = x.output.fixPoint!;
    const f = feeds.x!.data;
    const q = new Int8Array(f.length);
    for (let j = 0; j < f.length; j++) q[j] = Math.max(-128, Math.min(127, Math.floor(f[j]! * 2 ** fp + 0.5)));
    const ex = createFastExecutor(g);
    ex.runInt8({ x: q });
    const out = g.outputs[0]!;
    const got = new Int8Array(ex.tensor(out)!.length);
    assert.equal(ex.tensorInto(out, got), true);
    const want = runQuantized(g, feeds)[out]!;
    const fo = g.ops.find((o) => o.name === out)!.output.fixPoint!;
    assert.deepEqual(Array.from(got, (v) => v * 2 ** -fo), Array.from(want.data), `case ${i}`);
    assert.equal(ex.tensorInto(out, new Int8Array(got.length + 1)), false, 'wrong length');
    assert.equal(ex.tensorInto('nosuch', got), false, 'unknown tensor');
    assert.throws(() => ex.runInt8({ x: new Int8Array(3) }), /int8 feed 'x' has 3 values/);
  }
});
