// The VART-shaped runtime (browser-safe part; Node helpers live in ./node/).
export { Runner } from './runner.js';
export { GraphRunner } from './graph-runner.js';
export type { GraphRunnerOptions, SubgraphTiming, GraphStep, Int8RunResult } from './graph-runner.js';
export { registerBackend, createBackend, RUNNER_MODES } from './backend.js';
export type { RunnerMode, SubgraphBackend, BackendOptions, BackendFactory } from './backend.js';
export { JobTable, JOB_OK } from './jobs.js';
export { allocBuffers, elementCount } from './tensor.js';
export type { RunnerTensor, TensorBuffer, XintValue } from './tensor.js';
export { setHostQuantKernels, hostQuantIo, type QuantIo, type HostQuantKernels } from './quant-io.js';
export { checkFingerprint } from './fingerprint.js';
export { subgraphToIr, subgraphTensors, subgraphIo } from './subgraph-ir.js';
export { RUN_MODE_AVAILABLE } from './backends/index.js';
