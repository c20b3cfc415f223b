/** `percentile`: fix point covering the p-th percentile of |x| over all batches (default 99.99 %). */
import { fpForMaxAbs } from '../fixpoint.js';
import { AbsHistogram } from './histogram.js';
import type { Observer, ObserverOptions } from './types.js';

export const DEFAULT_PERCENTILE = 99.99;

export function percentileFixPoint(x: Float32Array, percentile = DEFAULT_PERCENTILE, tensor = 'tensor'): number {
  const h = new AbsHistogram();
  h.add(x, tensor);
  return fpForMaxAbs(h.percentile(percentile / 100));
}

export class PercentileObserver implements Observer {
  readonly method = 'percentile' as const;
  private readonly hist = new AbsHistogram();
  private n = 0;
  constructor(private readonly opts: ObserverOptions) {}
  get batches(): number {
    return this.n;
  }
  observe(batch: Float32Array): void {
    this.hist.add(batch, this.opts.tensor);
    this.n++;
  }
  fixPoint(): number {
    return fpForMaxAbs(this.hist.percentile((this.opts.percentile ?? DEFAULT_PERCENTILE) / 100));
  }
}
