import type { Subgraph } from '../xir/graph.js';
import { RuntimeError } from '../errors.js';
import { createBackend, type BackendOptions, type RunnerMode, type SubgraphBackend } from './backend.js';
import { JobTable } from './jobs.js';
import { elementCount, type RunnerTensor, type TensorBuffer } from './tensor.js';
import './backends/index.js'; // registers the DPU (ref, sim, run) and CPU backends

/**
 * VART's Runner in camelCase: one subgraph, several jobs in flight, ids unique per runner.
 *   const runner = Runner.create(sg, 'run');
 *   const [jobId] = runner.executeAsync(inputs, outputs);
 *   await runner.wait(jobId, -1);
 */
export class Runner {
  private readonly jobs: JobTable;

  private constructor(
    private readonly subgraph: Subgraph,
    readonly mode: RunnerMode,
    private readonly backend: SubgraphBackend,
  ) {
    this.jobs = new JobTable(`runner '${subgraph.getName()}' (${mode})`);
  }

  static create(subgraph: Subgraph, mode: RunnerMode = 'run', opts: BackendOptions = {}): Runner {
    return new Runner(subgraph, mode, createBackend(subgraph, mode, opts));
  }

  getSubgraph(): Subgraph {
    return this.subgraph;
  }

  getInputTensors(): RunnerTensor[] {
    return this.backend.inputs;
  }

  getOutputTensors(): RunnerTensor[] {
    return this.backend.outputs;
  }

  /** Validates the buffers now (a bad buffer throws here) and queues the job. Returns [jobId, status]. */
  executeAsync(inputs: TensorBuffer[], outputs: TensorBuffer[]): [number, number] {
    const ins = this.bind('input', this.backend.inputs, inputs);
    const outs = this.bind('output', this.backend.outputs, outputs);
    const id = this.jobs.submit(async () => this.backend.execute(ins, outs));
    return [id, 0];
  }

  /** -1 blocks, 0 polls, > 0 waits at most that many ms. Resolves 0; rejects with RuntimeError. */
  wait(jobId: number, timeoutMs = -1): Promise<number> {
    return this.jobs.wait(jobId, timeoutMs);
  }

  /** Convenience: executeAsync + wait. */
  async execute(inputs: TensorBuffer[], outputs: TensorBuffer[]): Promise<void> {
    const [id] = this.executeAsync(inputs, outputs);
    await this.wait(id, -1);
  }

  close(): void {
    this.jobs.close();
    this.backend.close?.();
  }

  private bind(kind: 'input' | 'output', expected: RunnerTensor[], given: TensorBuffer[]): Array<Int8Array | Float32Array> {
    const where = `runner '${this.subgraph.getName()}'`;
    const byName = new Map(given.map((b) => [b.tensor.name, b]));
    return expected.map((t, i) => {
      const buf = byName.get(t.name) ?? (given.length === expected.length ? given[i] : undefined);
      if (!buf) {
        throw new RuntimeError('E_BUFFER_MISSING', `missing ${kind} buffer for tensor '${t.name}'`, {
          where,
          fix: `pass one buffer per tensor of get${kind === 'input' ? 'Input' : 'Output'}Tensors()`,
        });
      }
      const wantType = t.dtype === 'xint8' ? Int8Array : Float32Array;
      if (!(buf.data instanceof wantType)) {
        throw new RuntimeError('E_BUFFER_DTYPE', `${kind} '${t.name}' must be a ${wantType.name} (${t.dtype})`, { where });
      }
      if (buf.data.length !== elementCount(t.dims)) {
        throw new RuntimeError(
          'E_BUFFER_SIZE',
          `${kind} '${t.name}' has ${buf.data.length} elements, expected ${elementCount(t.dims)} (dims ${t.dims.join('x')})`,
          { where },
        );
      }
      return buf.data;
    });
  }
}
