/**
 * Loads the float SIMD kernels (assembly/float/kernels.ts, embedded base64 in float-wasm.ts)
 * synchronously on first use and manages their linear memory as one scratch area.
 * Pure stage code: no fs/process; works in Node and in browsers with WebAssembly SIMD.
 */
import { FLOAT_WASM_PLAIN_BASE64 } from './float-wasm.js';

/**
 * The few WebAssembly JS-API types used here: the project compiles without the DOM lib and
 * @types/node does not declare the global `WebAssembly`.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** The exports of assembly/float/kernels.ts (byte pointers into `memory`). */
export interface FloatWasmExports {
  conv(xp: number, wpk: number, bias: number, out: number,
    C: number, Wp: number, KH: number, KW: number, ICg: number, G: number, nb: number,
    sh: number, sw: number, dh: number, dw: number, OW: number, p0: number, p1: number, tile: number): void;
  dwconv(xp: number, wpk: number, bias: number, out: number,
    C: number, Wp: number, KH: number, KW: number, sh: number, sw: number, dh: number, dw: number,
    OW: number, p0: number, p1: number): void;
  /** max |x| (NaN/Inf when any element is non-finite). */
  maxabs(x: number, n: number): number;
  /** Per-bin [count, Σd] (f64, two copies `stride` bytes apart) of the diffs search; returns Σd². See stats.ts. */
  diffshist(x: number, n: number, sc: number, w: number, hist: number, half: number, stride: number): number;
  /** Squared error at one candidate from the bins [j0, j1), without the Σd² term. */
  diffssse(hist: number, j0: number, j1: number, half: number, w: number, s: number, inv: number, stride: number): number;
}

export interface FloatWasm {
  exports: FloatWasmExports;
  memory: WasmMemory;
}

export type FloatKernelName = 'conv' | 'dwconv';

/**
 * Splits a kernel call over threads: `args[range]`, `args[range + 1]` are a [start, end) range of
 * output pixels that may be divided. Installed by the Node worker pool (node/pool.ts).
 */
export interface FloatParallel {
  readonly threads: number;
  run(fn: FloatKernelName, args: number[], range: number): void;
}

/** Bytes at the start of the memory reserved for the worker control block. */
export const CTRL_BYTES = 1024;

const PAGE = 65536;
const MAX_PAGES = 32768; // the modules declare maximumMemory 32768 (2 GiB)

let enabled = true;
let cached: FloatWasm | null | undefined;
let parallel: FloatParallel | null = null;
let loadError: string | undefined;

/** Decodes base64 without Buffer (browser-safe). */
export function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Instantiates the plain-memory build once (synchronously). Returns null when WebAssembly SIMD is
 * unavailable (the callers then use the scalar TypeScript kernels) or when disabled.
 */
export function floatWasm(): FloatWasm | null {
  if (!enabled) return null;
  if (cached !== undefined) return cached;
  try {
    if (!WA) throw new Error('no WebAssembly in this JavaScript runtime');
    const memory = new WA.Memory({ initial: 16, maximum: MAX_PAGES });
    const mod = new WA.Module(decodeBase64(FLOAT_WASM_PLAIN_BASE64));
    const inst = new WA.Instance(mod, { env: { memory, abort: () => { throw new Error('float wasm abort'); } } });
    cached = { exports: inst.exports as unknown as FloatWasmExports, memory };
  } catch (e) {
    loadError = (e as Error).message;
    cached = null;
  }
  return cached;
}

/**
 * Replaces the kernel instance (e.g. by one on a shared memory) and the thread splitter; pass
 * (undefined, null) to return to the lazily created single-thread instance.
 */
export function installFloatWasm(w: FloatWasm | undefined, par: FloatParallel | null): void {
  cached = w;
  parallel = par;
}

/** Threads the kernels currently run on (1 without a pool). */
export function floatWasmThreads(): number {
  return parallel?.threads ?? 1;
}

/** Below this many MACs a call is not worth waking the workers for. */
const PAR_MIN_MACS = 1 << 20;

/** Runs `fn(...args)`, split over the installed threads when it is big enough. */
export function runKernel(w: FloatWasm, fn: FloatKernelName, args: number[], range: number, macs: number): void {
  if (parallel && parallel.threads > 1 && macs >= PAR_MIN_MACS && args[range + 1]! - args[range]! >= 8) parallel.run(fn, args, range);
  else (w.exports[fn] as (...a: number[]) => void)(...args);
}

/** Turns the WASM kernels on/off (off: every op runs the scalar TypeScript kernel). Returns the previous setting. */
export function setFloatWasmEnabled(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** Whether the float conv/matmul ops currently dispatch to WebAssembly (and why not), and on how many threads. */
export function floatWasmStatus(): { enabled: boolean; available: boolean; threads: number; error?: string } {
  const prev = enabled;
  enabled = true;
  const w = floatWasm();
  enabled = prev;
  return { enabled, available: w !== null, threads: floatWasmThreads(), error: loadError };
}

/** Grows `mem` so that it holds at least `bytes`; false if that exceeds the module's maximum. */
export function ensureMemory(mem: WasmMemory, bytes: number): boolean {
  const have = mem.buffer.byteLength;
  if (bytes <= have) return true;
  const pages = Math.ceil((bytes - have) / PAGE);
  if (have / PAGE + pages > MAX_PAGES) return false;
  mem.grow(pages);
  return true;
}

/** A bump layout of 16-byte-aligned float32 regions starting past the control block. */
export class Layout {
  private next = CTRL_BYTES;
  /** Reserves `floats` float32s; returns the byte offset. */
  take(floats: number): number {
    const off = this.next;
    this.next += ((floats * 4 + 15) & ~15) + 16; // +16: kernels may read one vector past a row
    return off;
  }
  get bytes(): number { return this.next; }
}
