// The split of AMX conv tasks over threads (native/dpu_kernels.cc amxResplit): an AMX unit costs its whole tiles
// (32 positions × up to 8 channel blocks × K) however few positions it holds, so the chunk count of an AMX conv at
// > 1 thread comes from that tile work, not from its MACs — a 1-pixel fully connected layer (ResNet-50's
// 2048 → 1000, 8 units) ran whole on one thread before. Checked: the plan (DPUFLOW_NATIVE_PROFILE=1: chunks per
// task) splits such layers on 2 / 3 threads, runs them whole on 1, and every output == runQuantized (the
// independent oracle) byte for byte; DPUFLOW_NATIVE_AMX_RESPLIT=0 (read once per process: a child) keeps the
// hook's own count. Skipped where the AMX path is off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { convGraph, type ConvCase } from '../helpers.js';
import { amxSetup, refInt8 } from './amx-util.js';

const { nk, skip } = amxSetup();

const same = (a: Int8Array, b: Int8Array): boolean =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

const base = { s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0], nl: 'NONE', bias: 'pos' } as const;
const CASES: (ConvCase & { label: string })[] = [
  { ...base, label: 'fc 1×1 pixel 2048 → 1000', C: 2048, OC: 1000, H: 1, W: 1, k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0] },
  { ...base, label: 'fc 1×1 pixel 520 → 130 relu', C: 520, OC: 130, H: 1, W: 1, k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0], nl: 'RELU' },
  { ...base, label: '3×3 pad 1, 2×3 pixels, 512 → 300', C: 512, OC: 300, H: 2, W: 3, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], bias: 'neg' },
];

test('AMX convs of few pixels split over 2 / 3 threads (tile work, not MACs) and stay == runQuantized; whole on 1 thread', { skip }, () => {
  const old = process.env.DPUFLOW_NATIVE_PROFILE;
  process.env.DPUFLOW_NATIVE_PROFILE = '1';
  try {
    for (const [i, c] of CASES.entries()) {
      const { g, feeds } = convGraph(c, 900 + i);
      const want = refInt8(g, feeds);
      for (const threads of [1, 2, 3]) {
        const ex = createFastExecutor(g, { native: { kernels: nk!, threads } });
        const conv = (ex.nativeProfile?.() ?? []).find((t) => t.kind === 'conv-amx');
        assert.ok(conv, `${c.label} ${threads}T: no AMX conv task in the program`);
        if (threads === 1) assert.equal(conv.chunks, 1, `${c.label} 1T: split on one thread`);
        else assert.ok(conv.chunks >= Math.min(conv.units, 2 * threads), `${c.label} ${threads}T: ${conv.chunks} chunks of ${conv.units} units (runs on one thread)`);
        for (let f = 0; f < 3; f++) {
          ex.run(feeds);
          const got = ex.tensor('y')!;
          if (!same(got, want)) {
            let j = 0;
            while (got[j] === want[j]) j++;
            assert.fail(`${c.label} ${threads}T frame ${f}: y differs at ${j} of ${want.length}: got ${got[j]}, want ${want[j]}`);
          }
        }
        assert.deepEqual(ex.checkBounds(), [], `${c.label} ${threads}T: out-of-bounds write`);
      }
    }
  } finally {
    if (old === undefined) delete process.env.DPUFLOW_NATIVE_PROFILE;
    else process.env.DPUFLOW_NATIVE_PROFILE = old;
  }
});

test('DPUFLOW_NATIVE_AMX_RESPLIT=0 keeps the hook\'s count: the 2048 → 1000 fc runs whole at 2 threads (child process)', { skip }, () => {
  const url = (p: string): string => new URL(p, import.meta.url).href;
  const script = `
    import { createFastExecutor } from ${JSON.stringify(url('../../../src/kernels/wasm/executor.js'))};
    import { loadNativeKernels } from ${JSON.stringify(url('../../../src/kernels/native/node.js'))};
    import { convGraph } from ${JSON.stringify(url('../helpers.js'))};
    const c = ${JSON.stringify(CASES[0])};
    const { g } = convGraph(c, 900);
    const ex = createFastExecutor(g, { native: { kernels: loadNativeKernels({ isa: 'avx512vnni' }), threads: 2 } });
    console.log(JSON.stringify((ex.nativeProfile?.() ?? []).find((t) => t.kind === 'conv-amx')));`;
  for (const [v, split] of [['0', false], ['1', true]] as const) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8', cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: { ...process.env, DPUFLOW_NATIVE_PROFILE: '1', DPUFLOW_NATIVE_AMX_RESPLIT: v },
    });
    assert.equal(r.status, 0, r.stderr);
    const t = JSON.parse(r.stdout.trim().split('\n').pop()!) as { chunks: number; units: number };
    if (split) assert.ok(t.chunks > 1, `RESPLIT=${v}: ${t.chunks} chunks`);
    else assert.equal(t.chunks, 1, `RESPLIT=${v}: ${t.chunks} chunks (the hook's MAC estimate gives 1)`);
  }
});
