import type { Subgraph } from '../xir/graph.js';
import type { RunnerTensor } from './tensor.js';
import { RuntimeError } from '../errors.js';

export type RunnerMode = 'run' | 'sim' | 'ref';
export const RUNNER_MODES: readonly RunnerMode[] = ['run', 'sim', 'ref'];

/** What executes one subgraph. Buffers are already validated against `inputs`/`outputs`. */
export interface SubgraphBackend {
  readonly inputs: RunnerTensor[];
  readonly outputs: RunnerTensor[];
  execute(inputs: Array<Int8Array | Float32Array>, outputs: Array<Int8Array | Float32Array>): void | Promise<void>;
  close?(): void;
}

export interface BackendOptions {
  /** DPU arch the virtual board carries (fingerprint check); default: the model's own. */
  targetFingerprint?: bigint;
  /** Host threads a backend may use. */
  threads?: number;
}

export type BackendFactory = (sg: Subgraph, opts: BackendOptions) => SubgraphBackend;

const factories = new Map<string, BackendFactory>();
const key = (device: string, mode: RunnerMode) => `${device}:${mode}`;

/** Backends are registered by name (device + mode), as onnxruntime registers execution providers. */
export function registerBackend(device: 'DPU' | 'CPU', mode: RunnerMode, factory: BackendFactory): void {
  factories.set(key(device, mode), factory);
}

export function createBackend(sg: Subgraph, mode: RunnerMode, opts: BackendOptions): SubgraphBackend {
  const device = sg.hasAttr('device') ? String(sg.getAttr('device')) : 'CPU';
  if (!RUNNER_MODES.includes(mode)) {
    throw new RuntimeError('E_RUNNER_MODE', `unknown runner mode '${String(mode)}'`, { fix: `use one of ${RUNNER_MODES.join(', ')}` });
  }
  // CPU subgraphs compute in float whatever the mode: the mode names the DPU implementation.
  const factory = factories.get(key(device, mode)) ?? (device === 'CPU' ? factories.get(key('CPU', 'ref')) : undefined);
  if (!factory) {
    throw new RuntimeError('E_RUNNER_DEVICE', `no '${mode}' runner for a ${device} subgraph`, {
      where: sg.getName(),
      fix: device === 'USER' ? 'USER subgraphs hold the inputs and are not run; use GraphRunner for a whole model' : 'use another mode',
    });
  }
  return factory(sg, opts);
}
