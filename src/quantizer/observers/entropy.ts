/**
 * `entropy`: TensorRT-style KL calibration restricted to power-of-two thresholds.
 * For each candidate fp in [fp_maxabs, fp_maxabs + 5) the threshold is T = 2^(7−fp); the reference
 * distribution P is the |x| histogram up to T with the outliers added to its last bin; Q is P
 * merged into 128 quantization levels and expanded back over the non-empty bins; the fp with the
 * least KL(P‖Q) wins.
 */
import { fpForMaxAbs } from '../fixpoint.js';
import { AbsHistogram, HistogramObserver } from './histogram.js';

const LEVELS = 128;
const CANDIDATES = 5;

/** KL(P‖Q) for the first `n` bins of `hist` (outliers folded into bin n−1), quantized to 128 levels. */
export function klDivergence(hist: Float64Array, n: number): number {
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = hist[i];
  for (let i = n; i < hist.length; i++) p[n - 1] += hist[i];
  const q = new Float64Array(n);
  const per = n / LEVELS;
  for (let l = 0; l < LEVELS; l++) {
    const a = Math.round(l * per);
    const b = Math.round((l + 1) * per);
    let sum = 0;
    let nz = 0;
    for (let i = a; i < b; i++) {
      sum += hist[i];
      if (hist[i] > 0) nz++;
    }
    // Q is built from the clipped histogram WITHOUT the outliers (TensorRT): clipping costs KL.
    if (nz === 0) continue;
    for (let i = a; i < b; i++) if (hist[i] > 0) q[i] = sum / nz;
  }
  let ps = 0;
  let qs = 0;
  for (let i = 0; i < n; i++) {
    ps += p[i];
    qs += q[i];
  }
  if (ps === 0) return 0;
  const eps = 1e-12;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    if (p[i] === 0) continue;
    const pi = p[i] / ps;
    const qi = qs > 0 ? q[i] / qs : 0;
    kl += pi * Math.log(pi / (qi > 0 ? qi : eps));
  }
  return kl;
}

/** The entropy fix point from an accumulated histogram. */
export function entropyFromHistogram(h: AbsHistogram): number {
  if (h.rangeLog2 === undefined) return fpForMaxAbs(0);
  // Range R = 2^rangeLog2 → fp_maxabs with 2^(7−fp) = R.
  const fp0 = 7 - h.rangeLog2;
  let best = fp0;
  let bestKl = Infinity;
  for (let k = 0; k < CANDIDATES; k++) {
    const n = h.nbins >> k;
    if (n < LEVELS) break;
    const kl = klDivergence(h.bins, n);
    if (kl < bestKl - 1e-12) {
      bestKl = kl;
      best = fp0 + k;
    }
  }
  return best;
}

export function entropyFixPoint(x: Float32Array, tensor = 'tensor'): number {
  const h = new AbsHistogram();
  h.add(x, tensor);
  return entropyFromHistogram(h);
}

export class EntropyObserver extends HistogramObserver {
  readonly method = 'entropy' as const;
  fixPoint(): number {
    return entropyFromHistogram(this.hist);
  }
}
