// The worker_threads pool (shared WebAssembly memory, rows / channel blocks split between threads)
// gives the same bytes as the INT8 reference executor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createThreadedExecutor } from '../../../src/kernels/wasm/node/pool.js';
import { quantizedModel } from './helpers.js';

for (const [name, size] of [['mobilenetv2', 64], ['resnet18', 32]] as const) {
  test(`${name} ${size}×${size} on 2 and 3 threads == runQuantized on every tensor`, async () => {
    const { g, feeds } = await quantizedModel(name, size);
    const ref = new Map<string, Int8Array>();
    const refOut = runQuantized(g, feeds, { onTensor: (op, _v, q) => { if (q) ref.set(op.name, q); } });
    for (const threads of [2, 3]) {
      const ex = await createThreadedExecutor(g, { threads });
      try {
        assert.equal(ex.threads, threads);
        for (let rep = 0; rep < 2; rep++) {
          const out = ex.run(feeds);
          for (const o of g.outputs) assert.deepEqual(out[o].data, refOut[o].data, `${threads}T output ${o}`);
          for (const [t, want] of ref) {
            const got = ex.tensor(t);
            if (got) assert.equal(Buffer.compare(Buffer.from(want), Buffer.from(got)), 0, `${threads}T tensor ${t}`);
          }
        }
      } finally {
        await ex.close();
      }
    }
  });
}
