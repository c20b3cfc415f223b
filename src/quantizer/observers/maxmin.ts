/** `maxmin`: the fix point that covers max |x| over all batches without clipping. */
import { fpForMaxAbs, maxAbs } from '../fixpoint.js';
import type { Observer, ObserverOptions } from './types.js';
import { maxAbsChecked } from './diffs-fast.js';

export function maxminFixPoint(x: Float32Array, tensor = 'tensor'): number {
  return fpForMaxAbs(maxAbs(x, tensor));
}

export class MaxMinObserver implements Observer {
  readonly method = 'maxmin' as const;
  private m = 0;
  private n = 0;
  constructor(private readonly opts: ObserverOptions) {}
  get batches(): number {
    return this.n;
  }
  observe(batch: Float32Array): void {
    this.m = Math.max(this.m, maxAbsChecked(batch, this.opts.tensor));
    this.n++;
  }
  fixPoint(): number {
    return fpForMaxAbs(this.m);
  }
}
