/**
 * Node wiring of the native kernels into the 'run' backend: importing this module makes every DPU
 * 'run' runner created afterwards use the AVX-512 VNNI addon when it is built and the CPU has VNNI
 * (DPUFLOW_NATIVE=0 turns it off; it is read when a runner is created). Otherwise 'run' stays on
 * the WebAssembly kernels. It also gives every GraphRunner (any mode) the addon's float ↔ xint8 loops
 * for graph inputs and outputs (src/runtime/quant-io.ts), and the quantizer's fix-point search its INT8 runs. Imported by src/index.ts and the RunnerPool worker.
 */
import { setRunModeNative } from '../backends/dpu-run.js';
import { setHostQuantKernels } from '../quant-io.js';
import { setQuantizerNative } from '../../quantizer/host-executor.js';
import { loadNativeKernels, nativeStatus } from '../../kernels/native/node.js';

setRunModeNative(loadNativeKernels);
setHostQuantKernels(loadNativeKernels);
setQuantizerNative(loadNativeKernels);

export { loadNativeKernels, nativeStatus };
