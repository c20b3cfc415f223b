// The native per-task profile (native/dpu_kernels.cc Task::profT, addon profile()): DPUFLOW_NATIVE_PROFILE=2 times
// each claim by the steady clock only and reports that busy time as the kernel CPU time (no thread-CPU-clock system
// call per claim, which inflated the 2-thread figures of =1); =1 keeps the thread CPU clock; unset, no counters.
// Each mode's output is also checked byte for byte against the INT8 reference executor (runQuantized): the
// profiled paths run the same kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { loadNativeKernels, nativeStatus } from '../../../src/kernels/native/node.js';
import { convGraph, type ConvCase } from '../helpers.js';

const nk = loadNativeKernels();
const skip = nk?.run && nk.profile ? false : `native program API with profile() unavailable: ${nk ? 'old addon' : nativeStatus().reason}`;

function refY(g: Graph, feeds: Record<string, TensorValue>): Int8Array {
  let y: Int8Array | undefined;
  runQuantized(g, feeds, { onTensor: (o, _v, q) => { if (q && o.name === 'y') y = q.slice(); } });
  return y!;
}

function withEnv<T>(env: Record<string, string | undefined>, f: () => T): T {
  const old = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  try {
    return f();
  } finally {
    for (const [k, v] of Object.entries(old)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

test('native profile: =2 reports busy ns as CPU ns per thread, =1 the thread CPU clock, unset nothing; outputs == runQuantized', { skip }, () => {
  // a padded 3×3 conv (a copy task and a conv task) and a depthwise one, cut into 1-ns chunks on 2 and 3 threads
  const cases: ConvCase[] = [
    { H: 23, W: 19, C: 37, OC: 70, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], nl: 'RELU', bias: 'pos' },
    { H: 29, W: 17, C: 130, OC: 130, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1], nl: 'RELU6', bias: 'neg', dw: true },
  ];
  for (const [ci, c] of cases.entries()) {
    const { g, feeds } = convGraph(c, 11 + ci);
    const want = refY(g, feeds);
    for (const threads of [1, 2, 3]) {
      for (const mode of ['2', '1', undefined]) {
        const label = `case ${ci} ${threads}T DPUFLOW_NATIVE_PROFILE=${mode ?? 'unset'}`;
        const ex = withEnv({ DPUFLOW_NATIVE_PROFILE: mode, DPUFLOW_NATIVE_CHUNK_NS: '1' }, () => createFastExecutor(g, { native: { kernels: nk!, threads } }));
        ex.nativeProfile?.(true);
        const frames = 3;
        for (let f = 0; f < frames; f++) ex.run(feeds);
        assert.deepEqual(ex.tensor('y'), want, `${label}: y differs from runQuantized`);
        const rows = ex.nativeProfile?.(true) ?? [];
        assert.ok(rows.length >= 1, `${label}: no program tasks`);
        let busy = 0, cpu = 0, claims = 0, runs = 0;
        for (const r of rows) {
          busy += r.busyNs.reduce((a, b) => a + b, 0);
          cpu += r.cpuNs.reduce((a, b) => a + b, 0);
          claims += r.chunksRun.reduce((a, b) => a + b, 0);
          runs += r.runs;
          if (mode === '2') assert.deepEqual(r.cpuNs, r.busyNs, `${label}: task ${r.task} (${r.kind}) CPU ns are not its busy ns`);
          if (mode !== undefined && r.chunks > 1 && threads > 1) assert.ok(r.chunksRun.reduce((a, b) => a + b, 0) >= frames, `${label}: task ${r.task} ran fewer claims than frames`);
        }
        if (mode === undefined) {
          assert.equal(busy + cpu + claims + runs, 0, `${label}: counters without DPUFLOW_NATIVE_PROFILE`);
        } else {
          assert.equal(runs, rows.length * frames, `${label}: runs per task`);
          assert.ok(busy > 0 && cpu > 0 && claims >= rows.length * frames, `${label}: busy ${busy}, cpu ${cpu}, claims ${claims}`);
        }
        // reset: zeroed
        const after = ex.nativeProfile?.(false) ?? [];
        assert.ok(after.every((r) => r.runs === 0 && r.busyNs.every((x) => x === 0) && r.cpuNs.every((x) => x === 0)), `${label}: not reset`);
      }
    }
  }
});
