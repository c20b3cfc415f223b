/**
 * vai_q's default method `diffs`: for fp in [fp_maxabs, fp_maxabs + 5) pick the fp with the least
 * squared error between x and its fake-quantized version (ties → the smaller fp, less clipping).
 * Activations: one choice per batch; the final fix point is the mode over batches (tensors with fewer
 * than DIFFS_POOL_BELOW values per batch: one search over all batches' values). Rule 'pooled': one search
 * over all batches' values for every tensor (the least total squared error over the calibration set), so
 * batches that reach a tensor's range are not outvoted by batches that do not.
 */
import { fpForMaxAbs, maxAbs, quantSse, type RoundFn } from '../fixpoint.js';
import type { Observer, ObserverOptions } from './types.js';
import { diffsFixPointFast, diffsSseTable } from './diffs-fast.js';

/** Number of candidate fix points searched above fp_maxabs (vai_q: 5). */
export const DIFFS_CANDIDATES = 5;

/** The `diffs` fix point of one array (pure). */
export function diffsFixPoint(x: Float32Array, round: RoundFn, tensor = 'tensor'): number {
  const fp0 = fpForMaxAbs(maxAbs(x, tensor));
  let best = fp0;
  let bestErr = Infinity;
  for (let fp = fp0; fp < fp0 + DIFFS_CANDIDATES; fp++) {
    const e = quantSse(x, fp, round);
    if (e < bestErr) {
      bestErr = e;
      best = fp;
    }
  }
  return best;
}

/** Mode of a list of integers; ties → the smallest value. */
export function modeOf(values: Iterable<number>): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = NaN;
  let bestN = -1;
  for (const [v, n] of [...counts.entries()].sort((a, b) => a[0] - b[0])) {
    if (n > bestN) {
      best = v;
      bestN = n;
    }
  }
  return best;
}

/**
 * Below this many values per batch (SE-block vectors, pooled features, logits) a per-batch MSE
 * choice is noise: such tensors are searched once over the values of all batches together.
 */
export const DIFFS_POOL_BELOW = 4096;

/** 'pooled' keeps each batch's errors from this many fix points below its own fp_maxabs (ranges up to 2^8× smaller
 * than the largest batch's); coarser than that, a batch's error is its rounding noise, n·step²/12. */
const POOLED_BELOW = 8;

export class DiffsObserver implements Observer {
  readonly method = 'diffs' as const;
  private readonly perBatch: number[] = [];
  private readonly small: Float32Array[] = [];
  /** 'pooled': per batch, the squared error at fpLo … (diffsSseTable) and the batch's size. */
  private readonly tables: { fpLo: number; sse: number[]; n: number }[] = [];
  constructor(private readonly opts: ObserverOptions) {}
  get batches(): number {
    return this.perBatch.length + this.small.length;
  }
  observe(batch: Float32Array): void {
    if (this.opts.diffsBatches === 'pooled') {
      const t = diffsSseTable(batch, this.opts.round, DIFFS_CANDIDATES, POOLED_BELOW, this.opts.tensor);
      this.tables.push({ ...t, n: batch.length });
      this.perBatch.push(argminFrom(t.sse.slice(POOLED_BELOW), t.fpLo + POOLED_BELOW));
    } else if (batch.length < DIFFS_POOL_BELOW) {
      maxAbs(batch, this.opts.tensor);
      this.small.push(new Float32Array(batch));
    } else this.perBatch.push(diffsFixPointFast(batch, this.opts.round, DIFFS_CANDIDATES, this.opts.tensor));
  }
  fixPoint(): number {
    if (this.tables.length) return this.pooledFixPoint();
    if (this.small.length) {
      const all = new Float32Array(this.small.reduce((a, b) => a + b.length, 0));
      let o = 0;
      for (const b of this.small) {
        all.set(b, o);
        o += b.length;
      }
      const pooled = diffsFixPoint(all, this.opts.round, this.opts.tensor);
      return this.perBatch.length ? Math.min(pooled, modeOf(this.perBatch)) : pooled;
    }
    return this.perBatch.length ? modeOf(this.perBatch) : fpForMaxAbs(0);
  }
  /** The diffs window of the largest batch range, searched on the summed squared error of all batches. */
  private pooledFixPoint(): number {
    const fp0 = Math.min(...this.tables.map((t) => t.fpLo + POOLED_BELOW));
    const total: number[] = [];
    for (let fp = fp0; fp < fp0 + DIFFS_CANDIDATES; fp++) {
      let e = 0;
      for (const t of this.tables) {
        const i = fp - t.fpLo;
        e += i >= 0 ? t.sse[i]! : t.n * 4 ** -fp / 12;
      }
      total.push(e);
    }
    return argminFrom(total, fp0);
  }
  /** The per-batch choices (for the report). */
  history(): readonly number[] {
    return this.perBatch;
  }
}

/** fpLo + the index of the least error (ties → the smaller fp). */
function argminFrom(err: number[], fpLo: number): number {
  let best = 0;
  for (let k = 1; k < err.length; k++) if (err[k]! < err[best]!) best = k;
  return fpLo + best;
}
