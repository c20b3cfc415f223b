/**
 * DPU 'run' backend: the fast host kernels (WebAssembly SIMD, src/kernels/wasm `createFastExecutor`).
 * That executor is not in the tree yet, so 'run' is registered as UNAVAILABLE: creating a 'run' runner
 * for a DPU subgraph throws E_RUN_UNAVAILABLE naming the modes that work. It is never silently
 * aliased to 'ref'. When createFastExecutor lands, replace the factory below.
 */
import { RuntimeError } from '../../errors.js';
import type { Subgraph } from '../../xir/graph.js';
import { registerBackend, type BackendOptions, type SubgraphBackend } from '../backend.js';
import { openDpuSubgraph } from './common.js';

/** False until the WASM fast executor is wired in. */
export const RUN_MODE_AVAILABLE = false;

export function createDpuRunBackend(sg: Subgraph, opts: BackendOptions): SubgraphBackend {
  openDpuSubgraph(sg, opts); // the fingerprint check comes first, as on a board
  throw new RuntimeError('E_RUN_UNAVAILABLE', `mode 'run' (fast WebAssembly kernels) is not available in this build`, {
    where: sg.getName(),
    fix: "use mode 'sim' (instruction-level simulator) or 'ref' (INT8 reference kernels): both give the DPU's exact bytes",
  });
}

registerBackend('DPU', 'run', createDpuRunBackend);
