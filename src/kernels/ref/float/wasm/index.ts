/** WebAssembly SIMD float kernels (conv2d, depthwise, GEMM) behind the scalar reference kernels. */
export { floatWasm, floatWasmStatus, floatWasmThreads, setFloatWasmEnabled } from './instance.js';
export type { FloatWasm, FloatWasmExports } from './instance.js';
export { conv2dWasm, depthwiseWasm, gemmWasm, packConvWeights8, packGemmB, packTransposedB, transposedConvWasm } from './kernels.js';
export type { ConvGeom } from './kernels.js';
