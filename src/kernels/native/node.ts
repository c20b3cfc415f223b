/**
 * Node-only loader of the native AVX-512 VNNI addon (build/Release/dpuflow_native.node, built by
 * scripts/build-native.mjs during `npm install`). CPU dispatch: AVX-512 VNNI kernels, else AVX2 kernels
 * (int16 vpmaddwd), else none. `loadNativeKernels()` returns undefined — and the 'run' mode stays on
 * the WebAssembly kernels — when the addon is not built, the CPU has neither, or DPUFLOW_NATIVE=0.
 * `nativeStatus()` says which. DPUFLOW_NATIVE_ISA=avx2 (or `{ isa: 'avx2' }`) forces the AVX2 kernels
 * on a VNNI CPU (tests, comparisons).
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeContext, NativeKernels } from './types.js';
import { RuntimeError } from '../../errors.js';

export type { NativeKernels, NativeOption } from './types.js';

export interface NativeStatus {
  available: boolean;
  /** Why not (or the path loaded). */
  reason: string;
  /** CPU level reported by the addon: 'avx512vnni' | 'avx2' | 'none'. */
  cpu?: string;
  path?: string;
}

let cached: { kernels?: NativeKernels; status: NativeStatus } | undefined;
const ISA_LEVEL: Record<string, number> = { avx2: 1, avx512vnni: 2 };
type Addon = Partial<Omit<NativeKernels, 'packConv' | 'addOp' | 'quantize' | 'dequantize' | 'quantizeIn' | 'dequantizeIn'>> & {
  quantizeIn?: (ctx: NativeContext, src: Float32Array, mem: Int8Array, off: number, n: number, fp: number, isa?: number) => void;
  dequantizeIn?: (ctx: NativeContext, mem: Int8Array, off: number, n: number, fp: number, dst: Float32Array, isa?: number) => void;
  quantize?: (src: Float32Array, mem: Int8Array, off: number, n: number, fp: number, isa?: number) => void;
  dequantize?: (mem: Int8Array, off: number, n: number, fp: number, dst: Float32Array, isa?: number) => void;
  cpuLevel?: () => string;
  packConv?: (w: Int8Array, OC: number, kh: number, kw: number, C: number, depthwise: boolean, isa?: number) => ReturnType<NativeKernels['packConv']>;
  addOp?: (ctx: NativeContext, kind: number, params: Float64Array, isa?: number) => number;
};
let addon: Addon | undefined;

/** build/Release/dpuflow_native.node of the package root (searched upward from this file). */
export function nativeAddonPath(): string | undefined {
  // DPUFLOW_NATIVE_PATH: an explicit .node file (a development build next to the installed one)
  const forced = process.env.DPUFLOW_NATIVE_PATH;
  if (forced) return existsSync(forced) ? forced : undefined;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'build', 'Release', 'dpuflow_native.node');
    if (existsSync(p)) return p;
    if (existsSync(join(dir, 'package.json'))) return undefined;
    dir = dirname(dir);
  }
  return undefined;
}

function load(): { kernels?: NativeKernels; status: NativeStatus } {
  if (process.env.DPUFLOW_NATIVE === '0') return { status: { available: false, reason: 'disabled by DPUFLOW_NATIVE=0' } };
  const path = nativeAddonPath();
  if (!path) return { status: { available: false, reason: 'addon not built (npm install builds it with node-gyp; see scripts/build-native.mjs)' } };
  let mod: Addon;
  try {
    mod = addon ??= createRequire(import.meta.url)(path) as Addon;
  } catch (e) {
    return { status: { available: false, reason: `addon failed to load: ${(e as Error).message}`, path } };
  }
  const cpu = mod.cpuLevel?.() ?? 'none';
  if (!(cpu in ISA_LEVEL) || !mod.conv || !mod.packConv || !mod.createContext || !mod.peak) {
    return { status: { available: false, reason: `CPU level '${cpu}': the native kernels need AVX2 or AVX-512 VNNI`, cpu, path } };
  }
  return { kernels: bind(mod, cpu), status: { available: true, reason: `loaded ${path}`, cpu, path } };
}

function bind(mod: Addon, level: string): NativeKernels {
  const pack = mod.packConv!;
  const conv = mod.conv!;
  const isa = ISA_LEVEL[level];
  // the addon checks every argument (shapes, offsets inside the memory) and throws a plain Error
  // with code E_NATIVE_ARGS: surface it as the runtime's error class
  const wrap = (e: unknown, what: string): RuntimeError =>
    new RuntimeError('E_NATIVE_KERNEL', `native ${what} refused its arguments: ${(e as Error).message}`, {
      cause: e, fix: 'set DPUFLOW_NATIVE=0 to run the WebAssembly kernels, and report the model',
    });
  return {
    level,
    createContext: mod.createContext!.bind(mod),
    packConv: (w, OC, kh, kw, C, depthwise) => {
      try {
        return pack(w, OC, kh, kw, C, depthwise, isa);
      } catch (e) {
        throw wrap(e, 'packConv');
      }
    },
    conv: (ctx, w, mem, params) => {
      try {
        conv(ctx, w, mem, params);
      } catch (e) {
        throw wrap(e, 'conv');
      }
    },
    peak: mod.peak!.bind(mod),
    ...(mod.profile ? { profile: mod.profile.bind(mod) } : {}),
    ...(mod.addConv && mod.addOp && mod.run && mod.wake ? program(mod, isa, wrap) : {}),
    ...(mod.quantize && mod.dequantize ? convert(mod, isa, wrap) : {}),
    ...(mod.quantizeIn && mod.dequantizeIn ? convertIn(mod, isa, wrap) : {}),
    allocFloat32,
  };
}

/** Below this many values an output is allocated zero-filled as usual (the zeroing is cheap there). */
const UNFILLED_MIN = 1 << 14;

/** NativeKernels.allocFloat32: Buffer.allocUnsafeSlow gives an ArrayBuffer of its own (never the shared
 * pool) without the zero fill; the caller overwrites every value before anyone sees it. */
function allocFloat32(n: number): Float32Array {
  if (n < UNFILLED_MIN) return new Float32Array(n);
  return new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n);
}

/** Feed / output conversions. */
function convert(mod: Addon, isa: number, wrap: (e: unknown, what: string) => RuntimeError): Pick<NativeKernels, 'quantize' | 'dequantize'> {
  const q = mod.quantize!, dq = mod.dequantize!;
  return {
    quantize: (src, mem, off, n, fp) => {
      try {
        q(src, mem, off, n, fp, isa);
      } catch (e) {
        throw wrap(e, 'quantize');
      }
    },
    dequantize: (mem, off, n, fp, dst) => {
      try {
        dq(mem, off, n, fp, dst, isa);
      } catch (e) {
        throw wrap(e, 'dequantize');
      }
    },
  };
}

/** Feed / output conversions split over a context's threads. */
function convertIn(mod: Addon, isa: number, wrap: (e: unknown, what: string) => RuntimeError): Pick<NativeKernels, 'quantizeIn' | 'dequantizeIn'> {
  const q = mod.quantizeIn!, dq = mod.dequantizeIn!;
  return {
    quantizeIn: (ctx, src, mem, off, n, fp) => {
      try {
        q(ctx, src, mem, off, n, fp, isa);
      } catch (e) {
        throw wrap(e, 'quantizeIn');
      }
    },
    dequantizeIn: (ctx, mem, off, n, fp, dst) => {
      try {
        dq(ctx, mem, off, n, fp, dst, isa);
      } catch (e) {
        throw wrap(e, 'dequantizeIn');
      }
    },
  };
}

/** The program API (one dispatch per run of native ops), when the addon has it. */
function program(mod: Addon, isa: number, wrap: (e: unknown, what: string) => RuntimeError): Pick<NativeKernels, 'addConv' | 'addOp' | 'run' | 'wake'> {
  const addConv = mod.addConv!, addOp = mod.addOp!, run = mod.run!;
  return {
    addConv: (ctx, w, params) => {
      try {
        return addConv(ctx, w, params);
      } catch (e) {
        throw wrap(e, 'addConv');
      }
    },
    addOp: (ctx, kind, params) => {
      try {
        return addOp(ctx, kind, params, isa);
      } catch (e) {
        throw wrap(e, 'addOp');
      }
    },
    run: (ctx, mem, from, to) => {
      try {
        run(ctx, mem, from, to);
      } catch (e) {
        throw wrap(e, 'run');
      }
    },
    wake: mod.wake!.bind(mod),
  };
}

/** The native kernels, or undefined (then use the WASM path). Loaded once per process/thread. */
export function loadNativeKernels(opts: { isa?: 'avx512vnni' | 'avx2' } = {}): NativeKernels | undefined {
  if (process.env.DPUFLOW_NATIVE === '0') return undefined;
  cached ??= load();
  const want = opts.isa ?? (process.env.DPUFLOW_NATIVE_ISA === 'avx2' ? 'avx2' : undefined);
  if (!cached.kernels || !want || want === cached.kernels.level) return cached.kernels;
  // a lower level than the CPU's best (AVX2 on a VNNI CPU); a higher one is not available
  return ISA_LEVEL[want] < ISA_LEVEL[cached.kernels.level] ? bind(addon!, want) : undefined;
}

export function nativeStatus(): NativeStatus {
  if (process.env.DPUFLOW_NATIVE === '0') return { available: false, reason: 'disabled by DPUFLOW_NATIVE=0' };
  cached ??= load();
  return cached.status;
}

/** The AMX-INT8 conv path's state (native/amx_conv.cc): 'on', 'off: <why>', or undefined without the addon or
 * with an addon built before it. `DPUFLOW_NATIVE_AMX=0` is read when weights are packed, so one process can build
 * AMX and VNNI executors side by side (the bench does). */
export function nativeAmxStatus(): string | undefined {
  if (!loadNativeKernels() || !addon) return undefined;
  const f = (addon as { amxStatus?: () => [string, number] }).amxStatus;
  return f ? f()[0] : undefined;
}
