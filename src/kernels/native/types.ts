/**
 * The native INT8 kernels' contract (native/dpu_kernels.cc), types only: stage code (the fast
 * executor) receives an implementation through `FastExecutorOptions.native` and never loads it
 * itself, so it keeps running in browsers. The Node loader is src/kernels/native/node.ts.
 */

/** Opaque native handles (N-API externals). */
export interface NativeContext { readonly __nativeContext: unique symbol }
export interface NativeWeights { readonly __nativeWeights: unique symbol }

/** Indices of the conv parameter block (a Float64Array of NATIVE_CONV_PARAMS numbers). */
export const NP = {
  x: 0, H: 1, W: 2, C: 3, out: 4, OH: 5, OW: 6, sh: 7, sw: 8, dh: 9, dw: 10, pt: 11, pl: 12, pb: 13, pr: 14,
  /** output stage, in the order of the WASM setStage: mode cut accShift six three leaky hswShift fast biasOff */
  stage: 15,
  threads: 24,
} as const;
export const NATIVE_CONV_PARAMS = 25;

export interface NativeKernels {
  /** Instruction set the kernels run with: 'avx512vnni' or 'avx2'. */
  readonly level: string;
  /** A context: the addon's own thread pool (std::thread) and padded-input scratch. */
  createContext(threads: number): NativeContext;
  /** Packs weights once (native-owned memory): conv [OC][kh][kw][C], depthwise [kh][kw][C] (OC = C). */
  packConv(w: Int8Array, OC: number, kh: number, kw: number, C: number, depthwise: boolean): NativeWeights;
  /** Runs one conv / depthwise conv reading and writing `mem` (the arena) at the offsets in `params`. */
  conv(ctx: NativeContext, w: NativeWeights, mem: Int8Array, params: Float64Array): void;
  /** Roofline helper (AVX-512 VNNI CPUs only): runs `iters` × 12 independent 512-bit vpdpbusd, returns the MACs done. */
  peak(iters: number): number;
}

/** What the fast executor takes: the kernels and how many threads their pool may use. */
export interface NativeOption {
  kernels: NativeKernels;
  threads?: number;
}
