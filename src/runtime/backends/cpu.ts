/**
 * CPU backend: the float ops of a CPU subgraph (LayerNorm, Softmax, MatMul, layout changes…). Float
 * ops run their float kernels on dequantized inputs; an op whose output carries a fix point is
 * quantized there (DPU_ROUND + saturation) — the quantizer's test mode, so a whole model run by
 * GraphRunner equals runQuantized on the quantized graph. Used for every mode: the mode names the
 * DPU implementation — except 'run', which has its own planned CPU backend (cpu-run.ts).
 */
import type { Subgraph } from '../../xir/graph.js';
import { registerBackend, type BackendOptions, type SubgraphBackend } from '../backend.js';
import { makeQuantizedBackend } from './dpu-ref.js';
// 'run' mode has its own CPU backend (planned kernels, byte-equal to this one), registered by cpu-run.ts
import './cpu-run.js';

export function createCpuBackend(sg: Subgraph, _opts: BackendOptions): SubgraphBackend {
  return makeQuantizedBackend(sg);
}

registerBackend('CPU', 'ref', createCpuBackend);
