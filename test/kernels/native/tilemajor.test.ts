// AMX convs at > 1 thread walk tile-major units when their packed weights are ≤ 600 KB (native/dpu_kernels.cc
// Context::amxTileMajorMax, DPUFLOW_NATIVE_AMX_TILEMAJOR=0 off / =<bytes> another bound): before, a conv whose
// weights were bigger than its input always ran group-major, so at 2 threads each thread wrote half the channels
// of every pixel and the next layer read the other core's writes. The rule changes only the order in which the
// units are claimed, so every output must stay == runQuantized (the independent oracle) byte for byte: checked on
// convs with weights > input on both sides of the bound — padded 3×3 (x + 128 copy), 1×1 read directly, 3×3
// stride 2 onto ≤ 8 output rows (the dense tiles, whose gathered rows are kept across groups only group-major) —
// at 1 / 2 / 3 threads with 1-ns chunks (a thread boundary inside every conv), with the rule on, off and bounded
// so that every case takes it. Skipped where the AMX path is off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convGraph, type ConvCase } from '../helpers.js';
import { amxSetup, expectRefAtThreads, refInt8 } from './amx-util.js';

const { nk, amxStatus, skip } = amxSetup();

const base = { s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0], nl: 'RELU', bias: 'pos' } as const;
const CASES: (ConvCase & { label: string })[] = [
  { ...base, label: '3×3 pad 1, 6×7, 256 → 256 (576 KB weights)', C: 256, OC: 256, H: 6, W: 7, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1] },
  { ...base, label: '1×1 direct, 5×9, 512 → 300 (150 KB)', C: 512, OC: 300, H: 5, W: 9, k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0], nl: 'NONE', bias: 'neg' },
  { ...base, label: '3×3 stride 2, 13×14 → 7×7, 144 → 260 (dense tiles, 329 KB)', C: 144, OC: 260, H: 13, W: 14, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1] },
  { ...base, label: '3×3 pad 1, 3×5, 512 → 300 (1.3 MB: group-major unless bounded higher)', C: 512, OC: 300, H: 3, W: 5, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], nl: 'LEAKYRELU' },
];

test('AMX unit order at > 1 thread (tile-major ≤ bound, group-major above) keeps every conv == runQuantized', { skip }, () => {
  const saved = { chunk: process.env.DPUFLOW_NATIVE_CHUNK_NS, tm: process.env.DPUFLOW_NATIVE_AMX_TILEMAJOR };
  process.env.DPUFLOW_NATIVE_CHUNK_NS = '1';
  const amxBefore = amxStatus!()[1];
  try {
    for (const [i, c] of CASES.entries()) {
      const { g, feeds } = convGraph(c, 7100 + i);
      const want = refInt8(g, feeds);
      for (const rule of [undefined, '0', '4000000']) {
        if (rule === undefined) delete process.env.DPUFLOW_NATIVE_AMX_TILEMAJOR;
        else process.env.DPUFLOW_NATIVE_AMX_TILEMAJOR = rule;
        expectRefAtThreads(nk!, g, feeds, want, `${c.label}, rule ${rule ?? 'default'}`);
      }
    }
    assert.ok(amxStatus!()[1] > amxBefore, 'no AMX unit ran');
  } finally {
    for (const [k, v] of [['DPUFLOW_NATIVE_CHUNK_NS', saved.chunk], ['DPUFLOW_NATIVE_AMX_TILEMAJOR', saved.tm]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
