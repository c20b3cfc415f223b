// DPUFLOW_NATIVE_SOLO (native/dpu_kernels.cc runSolo, a diagnostic switch): a 2- or 3-thread context whose claims
// all run on the calling thread — 1: the two threads' claims in turn (front / back, each with its own row ring),
// 2: the front claims only, 3: each task whole — must give the bytes of the INT8 reference executor
// (runQuantized), with 1-ns chunks (every task cut as finely as it goes) and two feeds through the same executor
// (a row ring left over from the previous frame would show).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { loadNativeKernels, nativeStatus } from '../../../src/kernels/native/node.js';
import { convGraph, feed, rng, type ConvCase } from '../helpers.js';

const nk = loadNativeKernels();
const skip = nk?.run ? false : `native program API unavailable: ${nk ? 'old addon' : nativeStatus().reason}`;

function refY(g: Graph, feeds: Record<string, TensorValue>): Int8Array {
  let y: Int8Array | undefined;
  runQuantized(g, feeds, { onTensor: (o, _v, q) => { if (q && o.name === 'y') y = q.slice(); } });
  return y!;
}

test('DPUFLOW_NATIVE_SOLO=1/2/3 on 2 and 3 threads, 1-ns chunks, two feeds: depthwise, padded and 1×1 convs == runQuantized', { skip }, () => {
  const cases: ConvCase[] = [
    { H: 21, W: 19, C: 144, OC: 144, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], nl: 'RELU6', bias: 'pos', dw: true },
    { H: 26, W: 17, C: 200, OC: 200, k: [3, 3], s: [2, 2], d: [1, 1], pad: [1, 1, 1, 1], nl: 'RELU', bias: 'neg', dw: true },
    { H: 15, W: 13, C: 37, OC: 70, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], nl: 'RELU', bias: 'pos' },
    { H: 14, W: 14, C: 96, OC: 200, k: [1, 1], s: [1, 1], d: [1, 1], pad: [0, 0, 0, 0], nl: 'NONE', bias: 'neg' },
  ];
  for (const [ci, c] of cases.entries()) {
    const { g, feeds } = convGraph(c, 40 + ci);
    const x = g.ops.find((o) => o.name === 'x')!;
    const feeds2 = { x: feed([1, c.H, c.W, c.C], x.output.fixPoint as number, rng(140 + ci)) };
    const want = [refY(g, feeds), refY(g, feeds2)];
    for (const solo of ['1', '2', '3']) {
      for (const threads of [2, 3]) {
        const old = [process.env.DPUFLOW_NATIVE_SOLO, process.env.DPUFLOW_NATIVE_CHUNK_NS];
        process.env.DPUFLOW_NATIVE_SOLO = solo;
        process.env.DPUFLOW_NATIVE_CHUNK_NS = '1';
        let ex;
        try {
          ex = createFastExecutor(g, { native: { kernels: nk!, threads } });
        } finally {
          if (old[0] === undefined) delete process.env.DPUFLOW_NATIVE_SOLO; else process.env.DPUFLOW_NATIVE_SOLO = old[0];
          if (old[1] === undefined) delete process.env.DPUFLOW_NATIVE_CHUNK_NS; else process.env.DPUFLOW_NATIVE_CHUNK_NS = old[1];
        }
        for (const [i, f] of [feeds, feeds2, feeds].entries()) {
          ex.run(f);
          assert.deepEqual(ex.tensor('y'), want[i === 1 ? 1 : 0], `case ${ci} SOLO=${solo} ${threads}T frame ${i}: y differs from runQuantized`);
        }
        assert.deepEqual(ex.checkBounds(), [], `case ${ci} SOLO=${solo} ${threads}T: out-of-bounds write`);
      }
    }
  }
});
