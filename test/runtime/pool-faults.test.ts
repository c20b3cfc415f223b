// Runtime faults (issue 11 item 2): workers killed at seeded random moments during a 2-thread bench-style run
// of 200 frames — every submitted frame ends exactly once, either completed (output equal to runQuantized, the
// independent INT8 oracle) or reported failed with a RuntimeError naming it; the pool replaces each killed
// worker. Plus: a runner closed with jobs in flight, and a job whose input is far too large.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/compiler/compile.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { RunnerPool } from '../../src/runtime/node/pool.js';
import { RuntimeError } from '../../src/errors.js';
import { mobilenetV2 } from '../compiler/nets.js';
import { busyWorkers, isWorkerDied, outcomesOf, sleep } from './pool-util.js';

const q = mobilenetV2(32);
const xmodel = compile(q, 'B4096').xmodel;
const inName = q.inputs[0]!;
const outName = q.outputs[0]!;
const FEEDS = 4;
const feedOf = (k: number) => Float32Array.from({ length: 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.07 + (k % FEEDS)));
const oracles = Array.from({ length: FEEDS }, (_, k) => runQuantized(q, { [inName]: { shape: [1, 32, 32, 3], data: feedOf(k) } })[outName]!.data);

let rng = 12345;
const rand = (n: number) => { rng = (Math.imul(rng, 1103515245) + 12345) >>> 0; return (rng >>> 8) % n; };

test('200 frames on 2 threads, 12 workers killed at random: submitted = completed + failed, none lost or duplicated', async () => {
  const FRAMES = 200, KILLS = 12;
  const pool = await RunnerPool.create({ xmodel, mode: 'sim', threads: 2 }); // sim: frames long enough to be hit
  try {
    const ids: number[] = [];
    for (let k = 0; k < FRAMES; k++) ids.push(pool.executeAsync({ [inName]: feedOf(k) })[0]);
    assert.equal(new Set(ids).size, FRAMES, 'unique job ids');
    const outcomes = outcomesOf(pool, ids, 120000);
    const victims: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      // a random moment, then a random busy worker
      await sleep(rand(40));
      const busy = await busyWorkers(pool, 400, 25); // replacements load the model first
      if (busy.length === 0) break; // queue drained
      const v = busy[rand(busy.length)]!;
      victims.push(v.job);
      await pool.terminateWorker(v.worker);
    }
    const res = await outcomes;
    let completed = 0, failed = 0;
    const failedIds: number[] = [];
    for (const [k, id] of ids.entries()) {
      const o = res[k];
      if (o === 'ok') {
        completed++;
        const r = pool.takeResult(id);
        assert.ok(r, `frame ${k} has its result`);
        assert.deepEqual(r.outputs[outName]!.data, oracles[k % FEEDS], `frame ${k} output`);
        assert.equal(pool.takeResult(id), undefined, `frame ${k} result delivered once`);
      } else {
        failed++;
        failedIds.push(id);
        assert.ok(isWorkerDied(o, id), `frame ${k}: ${String(o)}`);
        assert.equal(pool.takeResult(id), undefined, `failed frame ${k} has no result`);
      }
      // a second wait reports the job as already waited for (not a second outcome)
      await assert.rejects(pool.wait(id, 0), (e: unknown) => e instanceof RuntimeError && e.code === 'E_JOB_UNKNOWN');
    }
    assert.equal(completed + failed, FRAMES, 'submitted = completed + reported failed');
    // only killed jobs fail (a job whose result was already posted when the kill landed may still complete)
    for (const id of failedIds) assert.ok(victims.includes(id), `job ${id} failed but was not killed`);
    assert.ok(failed >= victims.length - 2 && victims.length >= 6, `kills ${victims.length}, failed ${failed}`);
    assert.equal(pool.spawned, 2 + victims.length, 'one replacement per killed worker');
    console.log(`# pool faults: ${FRAMES} frames, ${victims.length} workers killed mid-job → ${completed} completed + ${failed} failed`);
    const r = await pool.run({ [inName]: feedOf(1) });
    assert.deepEqual(r.outputs[outName]!.data, oracles[1], 'pool usable after the kills');
  } finally {
    await pool.close();
  }
});

test('runner closed with jobs in flight: every job ends (RuntimeError E_RUNNER_CLOSED / E_WORKER_DIED or done), none hangs', async () => {
  const pool = await RunnerPool.create({ xmodel, mode: 'run', threads: 2 });
  const ids = Array.from({ length: 30 }, (_, k) => pool.executeAsync({ [inName]: feedOf(k) })[0]);
  const outcomes = outcomesOf(pool, ids, 30000);
  await sleep(20);
  await pool.close();
  const res = await outcomes;
  let closed = 0;
  for (const o of res) {
    if (o === 'ok') continue;
    assert.ok(o instanceof RuntimeError && ['E_RUNNER_CLOSED', 'E_WORKER_DIED'].includes(o.code), String(o));
    closed++;
  }
  assert.ok(closed > 0, 'jobs were still in flight at close');
  assert.throws(() => pool.executeAsync({ [inName]: feedOf(0) }), (e: unknown) => e instanceof RuntimeError && e.code === 'E_RUNNER_CLOSED');
});

test('a job with a huge input fails alone with a RuntimeError (its size is checked before use); the others complete', async () => {
  const pool = await RunnerPool.create({ xmodel, mode: 'run', threads: 1 });
  try {
    const [a] = pool.executeAsync({ [inName]: feedOf(0) });
    const [huge] = pool.executeAsync({ [inName]: new Float32Array(64 * 1024 * 1024) }); // 256 MB, 21 845× the input
    const [b] = pool.executeAsync({ [inName]: feedOf(2) });
    await assert.rejects(pool.wait(huge), (e: unknown) => e instanceof RuntimeError && e.message.includes(`job ${huge} `));
    assert.equal(await pool.wait(a), 0);
    assert.equal(await pool.wait(b), 0);
    assert.deepEqual(pool.takeResult(a)!.outputs[outName]!.data, oracles[0]);
    assert.deepEqual(pool.takeResult(b)!.outputs[outName]!.data, oracles[2]);
    assert.equal(pool.spawned, 1, 'the worker survived');
  } finally {
    await pool.close();
  }
});
