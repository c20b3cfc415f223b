/** `percentile`: fix point covering the p-th percentile of |x| over all batches (default 99.99 %). */
import { fpForMaxAbs } from '../fixpoint.js';
import { AbsHistogram, HistogramObserver } from './histogram.js';

export const DEFAULT_PERCENTILE = 99.99;

export function percentileFixPoint(x: Float32Array, percentile = DEFAULT_PERCENTILE, tensor = 'tensor'): number {
  const h = new AbsHistogram();
  h.add(x, tensor);
  return fpForMaxAbs(h.percentile(percentile / 100));
}

export class PercentileObserver extends HistogramObserver {
  readonly method = 'percentile' as const;
  fixPoint(): number {
    return fpForMaxAbs(this.hist.percentile((this.opts.percentile ?? DEFAULT_PERCENTILE) / 100));
  }
}
