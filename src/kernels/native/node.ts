/**
 * Node-only loader of the native AVX-512 VNNI addon (build/Release/dpuflow_native.node, built by
 * scripts/build-native.mjs during `npm install`). `loadNativeKernels()` returns undefined — and the
 * 'run' mode stays on the WebAssembly kernels — when the addon is not built, the CPU lacks AVX-512
 * VNNI, or DPUFLOW_NATIVE=0. `nativeStatus()` says which.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeKernels } from './types.js';

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

/** build/Release/dpuflow_native.node of the package root (searched upward from this file). */
export function nativeAddonPath(): string | undefined {
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
  let mod: Partial<NativeKernels> & { cpuLevel?: () => string };
  try {
    mod = createRequire(import.meta.url)(path) as typeof mod;
  } catch (e) {
    return { status: { available: false, reason: `addon failed to load: ${(e as Error).message}`, path } };
  }
  const cpu = mod.cpuLevel?.() ?? 'none';
  if (cpu !== 'avx512vnni' || !mod.conv || !mod.packConv || !mod.createContext || !mod.peak) {
    return { status: { available: false, reason: `CPU level '${cpu}': the native kernels need AVX-512 VNNI`, cpu, path } };
  }
  const kernels: NativeKernels = {
    level: cpu,
    createContext: mod.createContext.bind(mod),
    packConv: mod.packConv.bind(mod),
    conv: mod.conv,
    peak: mod.peak.bind(mod),
  };
  return { kernels, status: { available: true, reason: `loaded ${path}`, cpu, path } };
}

/** The native kernels, or undefined (then use the WASM path). Loaded once per process/thread. */
export function loadNativeKernels(): NativeKernels | undefined {
  if (process.env.DPUFLOW_NATIVE === '0') return undefined;
  cached ??= load();
  return cached.kernels;
}

export function nativeStatus(): NativeStatus {
  if (process.env.DPUFLOW_NATIVE === '0') return { available: false, reason: 'disabled by DPUFLOW_NATIVE=0' };
  cached ??= load();
  return cached.status;
}
