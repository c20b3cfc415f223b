// Worker-death helpers shared by the pool tests (pool, pool-shared, pool-faults): wait until a worker holds a job,
// collect every job's outcome, recognise the RuntimeError of a job whose worker died, kill one busy worker and check
// that exactly its job failed.
import assert from 'node:assert/strict';
import type { RunnerPool } from '../../src/runtime/node/pool.js';
import { RuntimeError } from '../../src/errors.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type BusyJob = { worker: number; job: number };

/** Polls `pool.busy()` every `ms` until a worker holds a job, at most `tries` times; [] when none did. */
export async function busyWorkers(pool: RunnerPool, tries = 400, ms = 5): Promise<BusyJob[]> {
  let busy = pool.busy();
  for (let i = 0; i < tries && busy.length === 0; i++) {
    await sleep(ms);
    busy = pool.busy();
  }
  return busy;
}

/** Each job's wait outcome: 'ok', or what the wait rejected with. */
export function outcomesOf(pool: RunnerPool, ids: readonly number[], timeoutMs: number): Promise<unknown[]> {
  return Promise.all(ids.map((id) => pool.wait(id, timeoutMs).then(() => 'ok' as const, (e: unknown) => e)));
}

/** The error of job `id` whose worker died: a RuntimeError E_WORKER_DIED naming the job. */
export function isWorkerDied(e: unknown, id: number): boolean {
  return e instanceof RuntimeError && e.code === 'E_WORKER_DIED' && e.message.includes(`job ${id} `);
}

/**
 * Waits until a worker holds one of `ids`, kills that worker, waits for every job (`timeoutMs` each) and asserts that
 * only the killed job failed, with E_WORKER_DIED naming it. Returns the killed job.
 */
export async function killOneMidJob(pool: RunnerPool, ids: readonly number[], timeoutMs: number): Promise<BusyJob> {
  const busy = await busyWorkers(pool);
  assert.ok(busy.length > 0, 'a job is running');
  const victim = busy[0]!;
  await pool.terminateWorker(victim.worker);
  const outcomes = await outcomesOf(pool, ids, timeoutMs);
  assert.deepEqual(ids.filter((_, i) => outcomes[i] !== 'ok'), [victim.job], 'only the killed job failed');
  const err = outcomes[ids.indexOf(victim.job)];
  assert.ok(isWorkerDied(err, victim.job), String(err));
  return victim;
}
