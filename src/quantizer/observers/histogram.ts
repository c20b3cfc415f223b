/**
 * Histogram of |x| over [0, range) with a fixed number of bins, where range is a power of two.
 * When a larger value arrives the range doubles and bins merge pairwise — exact, no re-reading
 * of earlier batches (the approach TensorRT / onnxruntime calibrators use, here on a pow2 grid so
 * that candidate power-of-two thresholds fall on bin edges).
 */
import { maxAbsChecked } from './diffs-fast.js';
import type { CalibMethod, Observer, ObserverOptions } from './types.js';

export const HIST_BINS = 2048;

export class AbsHistogram {
  readonly bins: Float64Array;
  /** log2 of the range; undefined until a non-zero value is seen. */
  rangeLog2: number | undefined;
  total = 0;
  constructor(readonly nbins = HIST_BINS) {
    this.bins = new Float64Array(nbins);
  }
  get range(): number {
    return this.rangeLog2 === undefined ? 0 : 2 ** this.rangeLog2;
  }
  add(x: Float32Array, tensor = 'tensor'): void {
    const m = maxAbsChecked(x, tensor);
    this.total += x.length;
    if (m === 0) {
      this.bins[0] += x.length;
      return;
    }
    const need = Math.ceil(Math.log2(m)); // values equal to the range land in the last bin
    if (this.rangeLog2 === undefined) this.rangeLog2 = need;
    while (this.rangeLog2 < need) this.grow();
    const w = this.nbins / this.range;
    const last = this.nbins - 1;
    for (let i = 0; i < x.length; i++) {
      const a = x[i] < 0 ? -x[i] : x[i];
      const b = Math.floor(a * w);
      this.bins[b > last ? last : b]++;
    }
  }
  private grow(): void {
    const h = this.nbins / 2;
    for (let i = 0; i < h; i++) this.bins[i] = this.bins[2 * i] + this.bins[2 * i + 1];
    this.bins.fill(0, h);
    this.rangeLog2 = (this.rangeLog2 ?? 0) + 1;
  }
  /** Smallest bin upper edge t with count(|x| < t) ≥ p·total. */
  percentile(p: number): number {
    if (this.rangeLog2 === undefined || this.total === 0) return 0;
    const target = p * this.total;
    let acc = 0;
    const bw = this.range / this.nbins;
    for (let i = 0; i < this.nbins; i++) {
      acc += this.bins[i];
      if (acc >= target) return (i + 1) * bw;
    }
    return this.range;
  }
}

/** An observer that accumulates |x| over all batches in one histogram; subclasses pick the fix point from it. */
export abstract class HistogramObserver implements Observer {
  abstract readonly method: CalibMethod;
  protected readonly hist = new AbsHistogram();
  private n = 0;
  constructor(protected readonly opts: ObserverOptions) {}
  get batches(): number {
    return this.n;
  }
  observe(batch: Float32Array): void {
    this.hist.add(batch, this.opts.tensor);
    this.n++;
  }
  abstract fixPoint(): number;
}
