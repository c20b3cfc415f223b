import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobTable, JOB_OK } from '../../src/runtime/jobs.js';
import { RuntimeError } from '../../src/errors.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test('job ids are unique and several jobs can be in flight', async () => {
  const t = new JobTable('r');
  const order: number[] = [];
  const ids = [30, 10, 20].map((ms, i) => t.submit(async () => { await sleep(ms); order.push(i); }));
  assert.equal(new Set(ids).size, 3);
  assert.equal(t.inFlight, 3);
  for (const id of ids) assert.equal(await t.wait(id, -1), JOB_OK);
  assert.deepEqual(order, [1, 2, 0]);
  assert.equal(t.inFlight, 0);
});

test('a timeout does not lose the job; a poll of an unfinished job times out', async () => {
  const t = new JobTable('r');
  const id = t.submit(() => sleep(40));
  await assert.rejects(t.wait(id, 0), (e: unknown) => e instanceof RuntimeError && e.code === 'E_JOB_TIMEOUT');
  await assert.rejects(t.wait(id, 5), (e: unknown) => e instanceof RuntimeError && e.code === 'E_JOB_TIMEOUT');
  assert.equal(await t.wait(id, 1000), JOB_OK);
  await assert.rejects(t.wait(id, 0), (e: unknown) => e instanceof RuntimeError && e.code === 'E_JOB_UNKNOWN');
});

test('a failing job reports a RuntimeError naming it; the other jobs keep going', async () => {
  const t = new JobTable('runner dpu0');
  const bad = t.submit(async () => { throw new Error('boom'); });
  const good = t.submit(() => sleep(5));
  await assert.rejects(t.wait(bad), (e: unknown) => e instanceof RuntimeError && /job 1 failed: boom/.test(e.message));
  assert.equal(await t.wait(good), JOB_OK);
});

test('closing with jobs in flight fails them and refuses new ones', async () => {
  const t = new JobTable('r');
  const id = t.submit(() => sleep(20));
  t.close();
  await assert.rejects(t.wait(id), (e: unknown) => e instanceof RuntimeError && e.code === 'E_RUNNER_CLOSED');
  assert.throws(() => t.submit(async () => {}), RuntimeError);
});
