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

/**
 * Op kinds of `addOp`. Their parameters are the arguments of the WASM kernel of the same
 * arithmetic (assembly/kernels.ts), as numbers:
 * - addq: a b out i0 i1 sa sb sub cut relu
 * - mulq: a b out i0 i1 cut relu
 * - reluq: src dst i0 i1 s
 * - maxpool: x H W C kh kw sh sw pt pl out OW s oy0 oy1
 * - avgpool: x H W C kh kw sh sw pt pl out OW mult shift oy0 oy1
 * - concat (along the last axis, per pixel): out pixels total nParts, then per part: src width shift
 *   (shift = fix point in − out, the WASM `requant` of each run; 0 = plain copy)
 * - resize (nearest, NHWC batch 1): x H W C out OH OW shift, then the source row of each output row (OH
 *   numbers), then the source column of each output column (OW numbers); shift as for concat
 */
export const NATIVE_OP = { addq: 1, mulq: 2, reluq: 3, maxpool: 4, avgpool: 5, concat: 6, resize: 7 } as const;
export type NativeOpName = keyof typeof NATIVE_OP;
/** Numbers per task in `profile()`. */
export const NATIVE_PROFILE_COLS = 17;
/** Task kinds in `profile()` (native/dpu_kernels.cc enum Kind). */
export const NATIVE_TASK_KIND = ['', 'pad-u8', 'conv', 'pad-i16', 'conv-avx2', 'depthwise', 'pad-dw', 'depthwise-avx2', 'add', 'mul', 'relu', 'maxpool', 'avgpool', 'concat', 'quantize', 'dequantize', 'resize', 'dw+proj', 'conv-amx'] as const;

export interface NativeKernels {
  /** Instruction set the kernels run with: 'avx512vnni' or 'avx2'. */
  readonly level: string;
  /** A context: the addon's own thread pool (std::thread), its scratch and its program of ops. */
  createContext(threads: number): NativeContext;
  /** Packs weights once (native-owned memory): conv [OC][kh][kw][C], depthwise [kh][kw][C] (OC = C). */
  packConv(w: Int8Array, OC: number, kh: number, kw: number, C: number, depthwise: boolean): NativeWeights;
  /** Runs one conv / depthwise conv now, reading and writing `mem` (the arena) at the offsets in `params`. */
  conv(ctx: NativeContext, w: NativeWeights, mem: Int8Array, params: Float64Array): void;
  /** Adds a conv to the context's program; returns the program's length (its task count) after it. */
  addConv?(ctx: NativeContext, w: NativeWeights, params: Float64Array): number;
  /** Adds an op (NATIVE_OP) to the context's program; returns the program's length after it. */
  addOp?(ctx: NativeContext, kind: number, params: Float64Array): number;
  /** Runs program tasks [from, to) on `mem` with one dispatch to the context's threads. */
  run?(ctx: NativeContext, mem: Int8Array, from: number, to: number): void;
  /** Wakes the context's idle workers (they spin for a while), e.g. at the start of a frame. */
  wake?(ctx: NativeContext): void;
  /** Feed quantization: mem[off .. off+n) = clamp(floor(src·2^fp + 1/2)) (NaN → 0), the executor's arithmetic. */
  quantize?(src: Float32Array, mem: Int8Array, off: number, n: number, fp: number): void;
  /** Output dequantization: dst[0 .. n) = mem[off ..] · 2^−fp. */
  dequantize?(mem: Int8Array, off: number, n: number, fp: number, dst: Float32Array): void;
  /** `quantize` split over a context's threads (the same bytes). */
  quantizeIn?(ctx: NativeContext, src: Float32Array, mem: Int8Array, off: number, n: number, fp: number): void;
  /** `dequantize` split over a context's threads (the same floats). */
  dequantizeIn?(ctx: NativeContext, mem: Int8Array, off: number, n: number, fp: number, dst: Float32Array): void;
  /** A Float32Array of n values that is NOT zero-filled (its own ArrayBuffer, byteOffset 0), for a
   * destination that `dequantize` / `dequantizeIn` writes in full right away: a large output then costs no
   * zeroing pass on the calling thread (YOLOv5s 640²: 8.5 MB per frame, ≈ 0.9 ms). */
  allocFloat32?(n: number): Float32Array;
  /** Per program task: [kind, units, chunks, wallNs, runs, busyNs of threads 0..3, chunks run by threads 0..3,
   * thread CPU ns inside the kernel of threads 0..3]
   * (NATIVE_PROFILE_COLS numbers each; zeros unless the context was created with DPUFLOW_NATIVE_PROFILE=1 or 2:
   * =1 reads the thread CPU clock around every claim (a system call each, which inflates 2-thread figures, that
   * make ~7× the claims), =2 reports the busy ns as the CPU ns and makes no system call). */
  profile?(ctx: NativeContext, reset: boolean): Float64Array;
  /** Roofline helper (AVX-512 VNNI CPUs only): runs `iters` × 12 independent 512-bit vpdpbusd, returns the MACs done. */
  peak(iters: number): number;
}

/** What the fast executor takes: the kernels and how many threads their pool may use. */
export interface NativeOption {
  kernels: NativeKernels;
  threads?: number;
}
