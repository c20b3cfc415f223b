/**
 * Calibration statistics on the float SIMD module (assembly/float/kernels.ts: maxabs, diffshist,
 * diffssse) for the quantizer's observers. Each function copies the tensor into the module's
 * scratch memory and returns null when WebAssembly is unavailable/disabled or the tensor does not
 * fit; the caller then runs its TypeScript loop (same f64 operations in the same order: same result).
 */
import { ensureMemory, floatWasm, CTRL_BYTES } from './instance.js';

/** Bins per sign of the diffs grid (must match src/quantizer/observers/diffs-fast.ts). */
export const DIFFS_HALF = 1 << 12;
const NBINS = 2 * DIFFS_HALF + 2;
/** Bytes of one histogram copy ([count, Σd] f64 per bin); two copies. */
export const DIFFS_STRIDE = NBINS * 16;
const HIST_BYTES = 2 * DIFFS_STRIDE;

function place(x: Float32Array, extra: number): { off: number; mem: ArrayBufferLike; histOff: number } | null {
  const w = floatWasm();
  if (!w) return null;
  const histOff = CTRL_BYTES;
  const off = histOff + ((extra + 15) & ~15);
  if (!ensureMemory(w.memory, off + x.length * 4 + 16)) return null;
  new Float32Array(w.memory.buffer, off, x.length).set(x);
  return { off, mem: w.memory.buffer, histOff };
}

/** max |x| via SIMD; NaN/Inf when some element is non-finite; null without WebAssembly. */
export function maxAbsWasm(x: Float32Array): number | null {
  const p = place(x, 0);
  if (!p) return null;
  return (floatWasm() as NonNullable<ReturnType<typeof floatWasm>>).exports.maxabs(p.off, x.length);
}

/**
 * The diffs search's squared errors at fp0 − below … fp0+nc−1 from binned moments on the grid 2^-(fp0+5)
 * (DPU_ROUND, int8 saturation; the rounding cells of a coarser fp also start and end on that grid). Needs
 * max |x| ≤ 2^(7−fp0) and nc ≤ 5. Also returns max |x| (computed on the copy) so the caller needs no second
 * scan. null without WebAssembly.
 */
export function diffsBinnedSseWasm(x: Float32Array, fp0ForMax: (m: number) => number, nc: number, below = 0): { m: number; fp0: number; sse: number[] | null } | null {
  const p = place(x, HIST_BYTES);
  if (!p) return null;
  const k = (floatWasm() as NonNullable<ReturnType<typeof floatWasm>>).exports;
  const m = k.maxabs(p.off, x.length);
  if (!Number.isFinite(m)) return { m, fp0: NaN, sse: null };
  const fp0 = fp0ForMax(m);
  if (!(m <= 2 ** (7 - fp0)) || nc > 5) return { m, fp0, sse: null };
  new Uint8Array(p.mem, p.histOff, HIST_BYTES).fill(0);
  const sc = 2 ** (fp0 + 5);
  const w = 2 ** -(fp0 + 5);
  const d2 = k.diffshist(p.off, x.length, sc, w, p.histOff, DIFFS_HALF, DIFFS_STRIDE);
  // bins that can hold values: [−m, m] on the grid
  const j0 = Math.max(0, Math.floor(-m * sc) + DIFFS_HALF);
  const j1 = Math.min(NBINS, Math.floor(m * sc) + DIFFS_HALF + 1);
  const sse: number[] = [];
  for (let i = -below; i < nc; i++) sse.push(d2 + k.diffssse(p.histOff, j0, j1, DIFFS_HALF, w, 2 ** (fp0 + i), 2 ** -(fp0 + i), DIFFS_STRIDE));
  return { m, fp0, sse };
}
