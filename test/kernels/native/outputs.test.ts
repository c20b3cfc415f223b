// The float outputs of run() with the native kernels (src/kernels/wasm/executor.ts + NativeKernels.allocFloat32):
// an output of ≥ 16384 values is allocated WITHOUT the zero fill (Buffer.allocUnsafeSlow) because the native
// dequantize writes every value right after — YOLOv5s 640² saved ≈ 0.9 ms per frame of zeroing 8.5 MB on the
// calling thread. Checked: every output == runQuantized (the independent oracle) on two different feeds, with the
// allocator poisoned (NaN-filled arrays: any value the dequantize skipped shows), at 1 / 2 / 3 threads and output
// sizes below the unfilled threshold, above it, and above the split-over-threads threshold (65536); each run()
// returns fresh arrays (the first frame's outputs survive the second run unchanged, no shared ArrayBuffer), each
// on its own ArrayBuffer of exactly its bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { loadNativeKernels, nativeStatus } from '../../../src/kernels/native/node.js';
import type { NativeKernels } from '../../../src/kernels/native/types.js';
import { convGraph, feed, rng, type ConvCase } from '../helpers.js';
import { QuantizeError } from '../../../src/errors.js';

const nk = loadNativeKernels();
const skip = nk ? false : `native kernels unavailable: ${nativeStatus().reason}`;

const base = { k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0], nl: 'RELU', bias: 'pos' } as const;
const CASES: (ConvCase & { label: string })[] = [
  { ...base, label: '8×8×24 (1536 values: zero-filled)', C: 16, OC: 24, H: 8, W: 8, k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0] },
  { ...base, label: '30×31×20 (18600 values: unfilled, one thread dequantizes)', C: 17, OC: 20, H: 30, W: 31, k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0], nl: 'NONE' },
  { ...base, label: '64×65×24 (99840 values: unfilled, split over the threads)', C: 33, OC: 24, H: 64, W: 65, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1] },
];

test('allocFloat32: an unfilled Float32Array on its own ArrayBuffer above the threshold, a zeroed one below', { skip }, () => {
  assert.equal(typeof nk!.allocFloat32, 'function', 'the Node kernels have no allocFloat32');
  for (const n of [1, 100, 16383, 16384, 99840]) {
    const a = nk!.allocFloat32!(n), b = nk!.allocFloat32!(n);
    assert.equal(a.length, n);
    assert.equal(a.byteOffset, 0, `${n}: not at the start of its buffer`);
    assert.equal(a.buffer.byteLength, n * 4, `${n}: a shared / pooled buffer`);
    assert.notEqual(a.buffer, b.buffer);
    if (n < 16384) assert.ok(a.every((v) => v === 0), `${n}: small arrays are zero-filled`);
  }
});

test('run() outputs with unfilled allocation == runQuantized, fully written, fresh per call (1/2/3 threads)', { skip }, () => {
  let calls = 0;
  // poisoned allocator: every array starts as NaN, so a value the dequantize did not write fails the comparison
  const poisoned: NativeKernels = { ...nk!, allocFloat32: (n: number) => { calls++; return nk!.allocFloat32!(n).fill(Number.NaN); } };
  for (const [i, c] of CASES.entries()) {
    const { g, feeds } = convGraph(c, 4200 + i);
    const fi = g.ops[0]!.output.fixPoint!;
    const feeds2: Record<string, TensorValue> = { x: feed([1, c.H, c.W, c.C], fi, rng(4300 + i)) };
    const want = [feeds, feeds2].map((f) => runQuantized(g, f).y!.data);
    assert.notDeepEqual(want[0], want[1], `${c.label}: the two feeds give the same output`);
    for (const threads of [1, 2, 3]) {
      const ex = createFastExecutor(g, { native: { kernels: poisoned, threads } });
      const before = calls;
      const y1 = ex.run(feeds).y!;
      const keep = Float32Array.from(y1.data);
      const y2 = ex.run(feeds2).y!;
      assert.ok(calls > before, `${c.label} ${threads}T: the executor did not allocate its output through allocFloat32`);
      for (const [f, y] of [y1, y2].entries()) {
        assert.deepEqual(y.shape, [1, c.H, c.W, c.OC]);
        const w = want[f]!;
        for (let j = 0; j < w.length; j++) {
          if (!Object.is(y.data[j], w[j])) assert.fail(`${c.label} ${threads}T feed ${f}: y[${j}] = ${y.data[j]}, runQuantized ${w[j]}`);
        }
      }
      assert.notEqual(y1.data.buffer, y2.data.buffer, `${c.label} ${threads}T: two runs share an output buffer`);
      assert.deepEqual(y1.data, keep, `${c.label} ${threads}T: the first run's output changed in the second run`);
      assert.deepEqual(ex.checkBounds(), []);
    }
  }
});

test('run(feeds, into): outputs written into the caller\'s arrays (no allocation), == runQuantized, native 1/2/3T and WASM', { skip }, () => {
  let calls = 0;
  const counting: NativeKernels = { ...nk!, allocFloat32: (n: number) => { calls++; return nk!.allocFloat32!(n); } };
  for (const [i, c] of CASES.entries()) {
    const { g, feeds } = convGraph(c, 4200 + i);
    const fi = g.ops[0]!.output.fixPoint!;
    const feeds2: Record<string, TensorValue> = { x: feed([1, c.H, c.W, c.C], fi, rng(4300 + i)) };
    const want = [feeds, feeds2].map((f) => runQuantized(g, f).y!.data);
    const n = want[0]!.length;
    for (const threads of [0, 1, 2, 3]) {
      const ex = threads ? createFastExecutor(g, { native: { kernels: counting, threads } }) : createFastExecutor(g);
      const label = `${c.label} ${threads ? `${threads}T` : 'WASM'}`;
      const mine = new Float32Array(n);
      for (const [f, fd] of [feeds, feeds2].entries()) {
        mine.fill(Number.NaN); // poisoned: a value the dequantize skipped shows
        const before = calls;
        const y = ex.run(fd, { y: mine }).y!;
        assert.equal(calls, before, `${label}: allocated an output although one was given`);
        assert.equal(y.data, mine, `${label}: the returned data is not the caller's array`);
        assert.deepEqual(y.shape, [1, c.H, c.W, c.OC]);
        const w = want[f]!;
        for (let j = 0; j < n; j++) if (!Object.is(mine[j], w[j])) assert.fail(`${label} feed ${f}: y[${j}] = ${mine[j]}, runQuantized ${w[j]}`);
      }
      // without `into` the next run returns a fresh array and leaves the caller's alone
      const keep = Float32Array.from(mine);
      const y3 = ex.run(feeds).y!;
      assert.notEqual(y3.data, mine);
      assert.deepEqual(mine, keep);
      assert.deepEqual(y3.data, want[0]);
      const bads: Record<string, Float32Array>[] = [{ y: new Float32Array(n + 1) }, { y: new Float64Array(n) as unknown as Float32Array }, { x: new Float32Array(numelOf(c)) }];
      for (const bad of bads) {
        assert.throws(() => ex.run(feeds, bad), (e: Error) => e instanceof QuantizeError && (e as QuantizeError).code === 'E_Q_OUTPUT_ARRAY', `${label}: a bad array was accepted`);
      }
      assert.deepEqual(ex.checkBounds(), []);
    }
  }
});

function numelOf(c: ConvCase): number {
  return c.H * c.W * c.C;
}
