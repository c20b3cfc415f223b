// The worker pool: N threads, results equal runQuantized (independent oracle); a worker killed mid-job
// fails exactly that job with a RuntimeError naming it, is replaced, and no other job is lost or duplicated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/compiler/compile.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { RunnerPool } from '../../src/runtime/node/pool.js';
import { RuntimeError } from '../../src/errors.js';
import { killOneMidJob } from './pool-util.js';
import { mobilenetV2 } from '../compiler/nets.js';

const q = mobilenetV2(32);
const xmodel = compile(q, 'B4096').xmodel;
const inName = q.inputs[0]!;
const outName = q.outputs[0]!;
const feedOf = (k: number) => Float32Array.from({ length: 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.07 + k));
const oracle = (k: number) => runQuantized(q, { [inName]: { shape: [1, 32, 32, 3], data: feedOf(k) } })[outName]!.data;

test('2 threads: every job gives runQuantized\'s output; both workers take jobs', async () => {
  const pool = await RunnerPool.create({ xmodel, mode: 'sim', threads: 2 });
  try {
    const ids = [0, 1, 2, 3].map((k) => pool.executeAsync({ [inName]: feedOf(k) })[0]);
    const workers = new Set<number>();
    for (const [k, id] of ids.entries()) {
      assert.equal(await pool.wait(id, -1), 0);
      const r = pool.takeResult(id)!;
      workers.add(r.worker);
      assert.deepEqual(r.outputs[outName]!.data, oracle(k));
      assert.ok(r.timings.length >= 1);
    }
    assert.equal(workers.size, 2);
  } finally {
    await pool.close();
  }
});

test('a worker killed mid-job: that job gets E_WORKER_DIED naming it; replaced; others finish once each', async () => {
  const pool = await RunnerPool.create({ xmodel, mode: 'ref', threads: 2 });
  try {
    const ids = [0, 1, 2, 3, 4].map((k) => pool.executeAsync({ [inName]: feedOf(k) })[0]);
    const victim = await killOneMidJob(pool, ids, 30000);
    ids.forEach((id, k) => {
      if (id === victim.job) return;
      assert.deepEqual(pool.takeResult(id)!.outputs[outName]!.data, oracle(k));
    });
    assert.equal(pool.spawned, 3, 'one replacement worker');
    // the pool is still usable after the replacement
    const r = await pool.run({ [inName]: feedOf(9) });
    assert.deepEqual(r.outputs[outName]!.data, oracle(9));
  } finally {
    await pool.close();
  }
});

test('a job that throws in its worker fails alone with a RuntimeError; the worker keeps serving', async () => {
  const pool = await RunnerPool.create({ xmodel, mode: 'ref', threads: 1 });
  try {
    const [bad] = pool.executeAsync({ [inName]: new Float32Array(7) });
    const [good] = pool.executeAsync({ [inName]: feedOf(1) });
    await assert.rejects(pool.wait(bad), (e: unknown) => e instanceof RuntimeError && new RegExp(`job ${bad} failed in worker 0: .*'${inName}' has 7 elements`).test(e.message));
    assert.equal(await pool.wait(good), 0);
    assert.deepEqual(pool.takeResult(good)!.outputs[outName]!.data, oracle(1));
    assert.equal(pool.spawned, 1);
  } finally {
    await pool.close();
  }
});
