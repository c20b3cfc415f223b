// The native scheduler's chunk order (native/dpu_kernels.cc work(): thread 1 takes chunks from the back,
// the others from the front, and a thread's depthwise row ring is kept across its consecutive chunks of
// a task) vs the INT8 reference executor (runQuantized, the independent oracle) and the WASM kernels:
// byte for byte with 1-ns chunks (every task cut as finely as it goes) on 2 and 3 threads, channel
// counts over several 64-channel groups, stride 2, dilation, 5×5 — and two different feeds through
// the same executor, so a row ring left over from the previous frame would show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { loadNativeKernels, nativeStatus } from '../../../src/kernels/native/node.js';
import type { NativeKernels } from '../../../src/kernels/native/types.js';
import { NLS, convGraph, feed, rng, type ConvCase } from '../helpers.js';

const nk = loadNativeKernels();
const skip = nk?.run ? false : `native program API unavailable: ${nk ? 'old addon' : nativeStatus().reason}`;
const ISAS = (['avx512vnni', 'avx2'] as const).map((isa) => loadNativeKernels({ isa })).filter((k): k is NativeKernels => k !== undefined);

// chunks as small as they go (read when a context is created)
process.env.DPUFLOW_NATIVE_CHUNK_NS = '1';

const same = (a: Int8Array, b: Int8Array): boolean => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

function refY(g: Graph, feeds: Record<string, TensorValue>): Int8Array {
  let y: Int8Array | undefined;
  runQuantized(g, feeds, { onTensor: (o, _v, q) => { if (q && o.name === 'y') y = q.slice(); } });
  return y!;
}

function check(c: ConvCase, seed: number, label: string): void {
  const { g, feeds } = convGraph(c, seed);
  const x = g.ops.find((o) => o.name === 'x')!;
  const feeds2 = { x: feed([1, c.H, c.W, c.C], x.output.fixPoint as number, rng(seed + 1)) };
  const want = [refY(g, feeds), refY(g, feeds2)];
  if (c.dw) assert.ok(!same(want[0]!, want[1]!), `${label}: the two feeds give the same output (test would not see a stale ring)`);
  const wasm = createFastExecutor(g);
  wasm.run(feeds2);
  assert.ok(same(wasm.tensor('y')!, want[1]!), `${label}: wasm differs from runQuantized`);
  for (const K of ISAS) {
    for (const threads of [2, 3]) {
      const ex = createFastExecutor(g, { native: { kernels: K, threads } });
      for (const [i, f] of [feeds, feeds2, feeds2, feeds].entries()) {
        ex.run(f);
        const got = ex.tensor('y')!;
        const w = want[i === 1 || i === 2 ? 1 : 0]!;
        if (!same(got, w)) {
          let j = 0;
          while (got[j] === w[j]) j++;
          assert.fail(`${label} [${K.level} ${threads}T frame ${i}]: y differs at ${j} of ${w.length}: got ${got[j]}, want ${w[j]}`);
        }
      }
      assert.deepEqual(ex.checkBounds(), [], `${label}: out-of-bounds write`);
    }
  }
}

test('native depthwise, 1-ns chunks on 2/3 threads, two feeds: channels 65/130/144/200, 3×3/5×5, stride 2, dilation 2 == runQuantized', { skip }, () => {
  let j = 0;
  for (const C of [65, 130, 144, 200]) {
    for (const [k, s, d] of [[3, 1, 1], [3, 2, 1], [5, 1, 1], [3, 1, 2], [5, 2, 1]] as [number, number, number][]) {
      const pad: [number, number, number, number] = [Math.floor(k / 2) * d, j % 2, Math.floor(k / 2) * d, (j >> 1) % 2];
      const H = 13 + (j % 4), W = 7 + (j % 5);
      check({ C, OC: C, H, W, k: [k, k], s: [s, s], d: [d, d], pad, nl: NLS[j % 6]!, bias: (['pos', 'none', 'neg'] as const)[j % 3], dw: true }, 900 + j, `dw C=${C} k=${k} s=${s} d=${d} ${H}×${W}`);
      j++;
    }
  }
});

test('native conv, 1-ns chunks on 2/3 threads, two feeds: several 64-channel groups, C 17/64/96/201, 1×1 (gathered tiles) / 3×3, stride 2 == runQuantized', { skip }, () => {
  let j = 0;
  for (const [C, OC] of [[17, 130], [64, 200], [96, 72], [201, 40]] as [number, number][]) {
    // 1×1 without padding: the tiles gather their pixels (no padded copy), stride 1 and 2
    for (const [k, s] of [[1, 1], [1, 2], [3, 1], [3, 2]] as [number, number][]) {
      const p = k >> 1;
      check({ C, OC, H: 9 + (j % 3), W: 6 + (j % 4), k: [k, k], s: [s, s], d: [1, 1], pad: [p, p, p, p], nl: NLS[(j + 1) % 6]!, bias: (['neg', 'pos', 'none'] as const)[j % 3] }, 950 + j, `conv ${C}→${OC} k=${k} s=${s}`);
      j++;
    }
  }
});

test('native conv split by pixels (2/3 threads, weights smaller than the input): full and partial channel groups, 1×1 (gathered) / 3×3 / stride 2 == runQuantized', { skip }, () => {
  let j = 0;
  // (C, OC, H, W): OC 20 → one group of 2 blocks, 72 → a full group + 1 block, 200 → 3 full groups + 1 block
  for (const [C, OC, H, W] of [[3, 20, 33, 29], [8, 72, 40, 37], [64, 64, 30, 30], [24, 200, 26, 31]] as [number, number, number, number][]) {
    for (const [k, s] of [[1, 1], [3, 1], [3, 2]] as [number, number][]) {
      const p = k >> 1;
      check({ C, OC, H, W, k: [k, k], s: [s, s], d: [1, 1], pad: [p, p, p, p], nl: NLS[(j + 2) % 6]!, bias: (['pos', 'none', 'neg'] as const)[j % 3] }, 980 + j, `conv (pixel split) ${C}→${OC} ${H}×${W} k=${k} s=${s}`);
      j++;
    }
  }
});
