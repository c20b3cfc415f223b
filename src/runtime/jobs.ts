import { RuntimeError } from '../errors.js';

/** Status codes as VART returns them from execute_async / wait. */
export const JOB_OK = 0;

type JobState =
  | { kind: 'pending'; promise: Promise<void> }
  | { kind: 'done' }
  | { kind: 'failed'; error: RuntimeError };

/**
 * Job bookkeeping shared by every runner: unique ids per runner, several jobs in flight,
 * `wait(id, timeoutMs)` with -1 = block, 0 = poll, >0 = bounded. A timeout does not lose the
 * job: it keeps running and can be waited for again. Each finished job is reported once.
 */
export class JobTable {
  private nextId = 1;
  private readonly jobs = new Map<number, JobState>();
  private closed = false;

  constructor(private readonly owner: string) {}

  /** Starts `work` and returns its job id. `work` runs asynchronously (never inside this call). */
  submit(work: () => Promise<void>): number {
    if (this.closed) {
      throw new RuntimeError('E_RUNNER_CLOSED', 'runner is closed', { where: this.owner, fix: 'create a new runner' });
    }
    const id = this.nextId++;
    const promise = Promise.resolve()
      .then(work)
      .then(
        () => {
          if (this.jobs.get(id)?.kind === 'pending') this.jobs.set(id, { kind: 'done' });
        },
        (cause: unknown) => {
          if (this.jobs.get(id)?.kind !== 'pending') return;
          const error =
            cause instanceof RuntimeError
              ? cause
              : new RuntimeError('E_JOB_FAILED', `job ${id} failed: ${(cause as Error)?.message ?? String(cause)}`, {
                  where: `${this.owner} job ${id}`,
                  cause,
                });
          this.jobs.set(id, { kind: 'failed', error });
        },
      );
    this.jobs.set(id, { kind: 'pending', promise });
    return id;
  }

  /** Resolves JOB_OK when the job finished; rejects with a RuntimeError on failure, unknown id or timeout. */
  async wait(jobId: number, timeoutMs = -1): Promise<number> {
    const state = this.jobs.get(jobId);
    if (!state) {
      throw new RuntimeError('E_JOB_UNKNOWN', `no job ${jobId} (never submitted, or already waited for)`, {
        where: this.owner,
        fix: 'wait once per job id returned by executeAsync',
      });
    }
    if (state.kind === 'pending') {
      const finished = await this.raceTimeout(state.promise, timeoutMs);
      if (!finished) {
        throw new RuntimeError('E_JOB_TIMEOUT', `job ${jobId} not finished after ${timeoutMs} ms`, {
          where: this.owner,
          fix: 'the job keeps running: call wait again, with a longer timeout or -1 to block',
        });
      }
    }
    const final = this.jobs.get(jobId)!;
    this.jobs.delete(jobId);
    if (final.kind === 'failed') throw final.error;
    return JOB_OK;
  }

  /** Jobs submitted and not yet waited for. */
  get inFlight(): number {
    return this.jobs.size;
  }

  /** Refuses new jobs; jobs still pending are failed with a RuntimeError when they end. */
  close(): void {
    this.closed = true;
    for (const [id, state] of this.jobs) {
      if (state.kind === 'pending') {
        this.jobs.set(id, {
          kind: 'failed',
          error: new RuntimeError('E_RUNNER_CLOSED', `job ${id} was in flight when the runner was closed`, {
            where: this.owner,
          }),
        });
      }
    }
  }

  private async raceTimeout(p: Promise<void>, timeoutMs: number): Promise<boolean> {
    if (timeoutMs < 0) {
      await p;
      return true;
    }
    if (timeoutMs === 0) return false; // a poll: the caller saw the job pending, it is pending now
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([p.then(() => true), timeout]);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
