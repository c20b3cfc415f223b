/** The calibration methods (observers). Each observer is fed Float32Array batches of one tensor. */
import type { RoundFn } from '../fixpoint.js';

export type CalibMethod = 'diffs' | 'maxmin' | 'percentile' | 'entropy';
export const CALIB_METHODS: readonly CalibMethod[] = ['diffs', 'maxmin', 'percentile', 'entropy'];

export interface Observer {
  readonly method: CalibMethod;
  /** Feed the values of the tensor for one calibration batch. */
  observe(batch: Float32Array): void;
  /** The fix point chosen from everything observed so far. */
  fixPoint(): number;
  /** Number of batches observed. */
  readonly batches: number;
}

export interface ObserverOptions {
  /** Tensor name (for errors). */
  tensor: string;
  /** Rounding used in the fake quantization (DPU_ROUND for activations). */
  round: RoundFn;
  /** For 'percentile': the percentile of |x| kept unclipped (default 99.99). */
  percentile?: number;
  /** For 'diffs': how batches combine — 'mode' (vai_q: the mode of the per-batch choices, default) or 'pooled'
   * (one search over all batches' values: the least total squared error). */
  diffsBatches?: DiffsBatches;
}

export type DiffsBatches = 'mode' | 'pooled';
