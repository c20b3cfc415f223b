/**
 * The INT8 executor the quantizer's own passes run a quantized graph on (the output-aware fix-point search): the
 * WASM fast executor, with the native kernels when the host provides them (Node: src/runtime/node/native-run.ts
 * installs the addon's loader, as for 'run' mode). Bit-exact either way; stage code never loads the addon itself.
 */
import type { Graph } from '../ir/types.js';
import { type FastExecutor, createFastExecutor } from '../kernels/wasm/executor.js';
import type { NativeKernels } from '../kernels/native/types.js';

let nativeProvider: (() => NativeKernels | undefined) | undefined;

export function setQuantizerNative(provider: (() => NativeKernels | undefined) | undefined): void {
  nativeProvider = provider;
}

/** A fast executor for `qg` (one thread: the passes run many small graphs' worth of candidates). */
export function quantizerExecutor(qg: Graph): FastExecutor {
  const kernels = nativeProvider?.();
  return createFastExecutor(qg, kernels ? { native: { kernels, threads: 1 } } : {});
}
