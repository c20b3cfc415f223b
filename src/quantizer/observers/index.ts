export * from './types.js';
export { DiffsObserver, diffsFixPoint, modeOf, DIFFS_CANDIDATES } from './diffs.js';
export { MaxMinObserver, maxminFixPoint } from './maxmin.js';
export { PercentileObserver, percentileFixPoint, DEFAULT_PERCENTILE } from './percentile.js';
export { EntropyObserver, entropyFixPoint, entropyFromHistogram, klDivergence } from './entropy.js';
export { AbsHistogram, HIST_BINS } from './histogram.js';
import type { CalibMethod, Observer, ObserverOptions } from './types.js';
import { DIFFS_CANDIDATES, DiffsObserver } from './diffs.js';
import { diffsFixPointFast } from './diffs-fast.js';
import { MaxMinObserver, maxminFixPoint } from './maxmin.js';
import { PercentileObserver } from './percentile.js';
import { EntropyObserver } from './entropy.js';
import type { RoundFn } from '../fixpoint.js';

/** An activation observer for a calibration method. */
export function createObserver(method: CalibMethod, opts: ObserverOptions): Observer {
  switch (method) {
    case 'diffs':
      return new DiffsObserver(opts);
    case 'maxmin':
      return new MaxMinObserver(opts);
    case 'percentile':
      return new PercentileObserver(opts);
    case 'entropy':
      return new EntropyObserver(opts);
  }
}

/**
 * Fix point of a parameter tensor (weights, bias): `maxmin` when the method is maxmin, else
 * `diffs` (vai_q's default; percentile/entropy are activation methods, weights have no outliers
 * worth clipping by histogram).
 */
export function paramFixPoint(values: Float32Array, method: CalibMethod, round: RoundFn, tensor: string): number {
  // diffsFixPointFast: the same choice as diffsFixPoint (one pass; bit-identical sums for STD_ROUND)
  return method === 'maxmin' ? maxminFixPoint(values, tensor) : diffsFixPointFast(values, round, DIFFS_CANDIDATES, tensor);
}
