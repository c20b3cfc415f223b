/**
 * Loads the WebAssembly SIMD kernels (assembly/kernels.ts, embedded by assembly/build.mjs) on a
 * memory owned by the caller. Stage code: no fs/worker_threads; runs in browsers too.
 *
 * The shared-memory build is used when SharedArrayBuffer exists (worker threads can then
 * instantiate the same module on the same memory); otherwise the plain build.
 */
import { RuntimeError } from '../../errors.js';
import { WA, type WasmMemory, type WasmModule } from './wasm-api.js';
import { KERNELS_WASM_PLAIN_BASE64, KERNELS_WASM_SHARED_BASE64 } from './kernels-wasm.js';

/** Raw exports of the kernel module (pointers and sizes are i32; `six`/`three` are i64). */
export interface KernelExports {
  setStage(mode: number, cut: number, accShift: number, six: bigint, three: bigint, leaky: number, hswShift: number, fast: number, bias: number): void;
  widen(x: number, H: number, W: number, C: number, xp: number, Wp: number, Cp: number, pt: number, pl: number, r0: number, r1: number): void;
  conv(xp: number, Wp: number, Cp: number, wpk: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number,
    out: number, OW: number, OC: number, oy0: number, oy1: number, ob0: number, ob1: number, rowsOuter: number): void;
  dwconv(xp: number, Wp: number, Cp: number, wpk: number, kh: number, kw: number, sh: number, sw: number, dh: number, dw: number,
    out: number, OW: number, C: number, oy0: number, oy1: number): void;
  maxpool(x: number, H: number, W: number, C: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number,
    out: number, OW: number, s: number, oy0: number, oy1: number): void;
  avgpool(x: number, H: number, W: number, C: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number,
    out: number, OW: number, mult: number, shift: number, oy0: number, oy1: number): void;
  addq(a: number, b: number, out: number, i0: number, i1: number, sa: number, sb: number, sub: number, cut: number, relu: number): void;
  mulq(a: number, b: number, out: number, i0: number, i1: number, cut: number, relu: number): void;
  requant(src: number, dst: number, n: number, s: number): void;
  reluq(src: number, dst: number, i0: number, i1: number, s: number): void;
  peakDot(iters: number, seed: number): number;
}

export const WASM_PAGE = 65536;
/** The kernels' declared maximum memory (pages): 2 GiB. */
export const MAX_PAGES = 32768;

function b64ToBytes(b64: string): Uint8Array {
  const atobFn = (globalThis as { atob?: (s: string) => string }).atob;
  if (!atobFn) throw new RuntimeError('E_WASM_NO_ATOB', 'this JavaScript runtime has no atob() to decode the embedded kernels');
  const s = atobFn(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

let sharedModule: WasmModule | undefined;
let plainModule: WasmModule | undefined;

/** True when this runtime can create shared WebAssembly memories (threads possible). */
export function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  try {
    new WA.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** The compiled kernel module (cached); `shared` selects the shared-memory build. */
export function kernelModule(shared: boolean): WasmModule {
  try {
    if (shared) return (sharedModule ??= new WA.Module(b64ToBytes(KERNELS_WASM_SHARED_BASE64)));
    return (plainModule ??= new WA.Module(b64ToBytes(KERNELS_WASM_PLAIN_BASE64)));
  } catch (e) {
    throw new RuntimeError('E_WASM_COMPILE', `cannot compile the WebAssembly SIMD kernels: ${(e as Error).message}`, {
      fix: 'run on a runtime with WebAssembly SIMD (Node ≥ 16.4, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4)',
    });
  }
}

export interface KernelInstance {
  exports: KernelExports;
  memory: WasmMemory;
  shared: boolean;
}

/** A new memory for the kernels (shared when possible unless `shared` is false). */
export function createKernelMemory(initialPages = 16, shared = canShareMemory()): WasmMemory {
  return new WA.Memory({ initial: initialPages, maximum: MAX_PAGES, shared });
}

/** Instantiates the kernels on `memory` (synchronously: fine in Node and in browser workers). */
export function instantiateKernels(memory: WasmMemory): KernelInstance {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const inst = new WA.Instance(kernelModule(shared), { env: { memory } });
  return { exports: inst.exports as unknown as KernelExports, memory, shared };
}
