// AMX convs prefetch their weight (B) blocks ahead of the tile loads (native/amx_conv.cc gemm; distance
// Context::amxPrefetch = 2 blocks, DPUFLOW_NATIVE_AMX_PREFETCH=0 off / =<blocks> another distance, read at
// createContext). A prefetch has no architectural effect — it cannot change a byte of the output — so the check is
// that every distance gives runQuantized's bytes (the independent oracle) on convs that walk each B stream in a
// different way: a padded 3×3 (kernel-row runs), a 1×1 read directly with an odd channel count, a 3×3 stride 2 onto
// dense tiles, group-major weights bigger than the input, and an fc (matmul over one pixel, the classifier's shape),
// at 1 / 2 / 3 threads with 1-ns chunks (a thread boundary inside every conv), the distances reaching past the last
// weight block (64) included, with no write outside the arena. Skipped where the AMX path is off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Op } from '../../../src/ir/types.js';
import { convGraph, dataOp, feed, qconst, rng, type ConvCase } from '../helpers.js';
import { amxSetup, expectRefAtThreads, refInt8 } from './amx-util.js';

const { nk, amxStatus, skip } = amxSetup();

const base = { s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0], nl: 'RELU', bias: 'pos' } as const;
const CASES: (ConvCase & { label: string })[] = [
  { ...base, label: '3×3 pad 1, 9×11, 96 → 130', C: 96, OC: 130, H: 9, W: 11, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1] },
  { ...base, label: '1×1 direct, 7×9, 257 → 200', C: 257, OC: 200, H: 7, W: 9, k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0], nl: 'NONE', bias: 'neg' },
  { ...base, label: '3×3 stride 2, 13×14 → 7×7, 144 → 260 (dense tiles)', C: 144, OC: 260, H: 13, W: 14, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1] },
  { ...base, label: '3×3 pad 1, 3×5, 512 → 300 (1.3 MB, group-major)', C: 512, OC: 300, H: 3, W: 5, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], nl: 'LEAKYRELU' },
];

/** x [1, K] → matmul with const [N, K] (transpose_b) + bias → y [1, N]: the classifier's fc. */
function fcGraph(K: number, N: number, seed: number): ReturnType<typeof convGraph> {
  const r = rng(seed);
  const fi = 4, fw = 7, fo = 5;
  const ops: Op[] = [
    dataOp('x', [1, K], fi),
    qconst('w', [N, K], fw, r),
    qconst('b', [N], fi + fw - 2, r),
    { name: 'y', type: 'matmul', inputs: ['x', 'w', 'b'], attrs: { transpose_a: false, transpose_b: true }, output: { shape: [1, N], dtype: 'int8', fixPoint: fo } },
  ];
  const g: Graph = { name: 'fc', ops, inputs: ['x'], outputs: ['y'], meta: {} };
  return { g, feeds: { x: feed([1, K], fi, r) } };
}

test('AMX weight prefetch (default 2 blocks, off, 1, 64) keeps every conv and fc == runQuantized (1/2/3 threads)', { skip }, () => {
  const saved = { chunk: process.env.DPUFLOW_NATIVE_CHUNK_NS, pf: process.env.DPUFLOW_NATIVE_AMX_PREFETCH };
  process.env.DPUFLOW_NATIVE_CHUNK_NS = '1';
  const amxBefore = amxStatus!()[1];
  try {
    const graphs = [...CASES.map((c, i) => ({ label: c.label, ...convGraph(c, 8100 + i) })), { label: 'fc 1280 → 1000', ...fcGraph(1280, 1000, 8200) }];
    for (const { label, g, feeds } of graphs) {
      const want = refInt8(g, feeds);
      for (const pf of [undefined, '0', '1', '64']) {
        if (pf === undefined) delete process.env.DPUFLOW_NATIVE_AMX_PREFETCH;
        else process.env.DPUFLOW_NATIVE_AMX_PREFETCH = pf;
        expectRefAtThreads(nk!, g, feeds, want, `${label}, prefetch ${pf ?? 'default'}`);
      }
    }
    assert.ok(amxStatus!()[1] > amxBefore, 'no AMX unit ran');
  } finally {
    for (const [k, v] of [['DPUFLOW_NATIVE_CHUNK_NS', saved.chunk], ['DPUFLOW_NATIVE_AMX_PREFETCH', saved.pf]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
