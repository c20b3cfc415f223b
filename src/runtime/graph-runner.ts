/**
 * GraphRunner: runs a whole compiled model — USER, DPU and CPU subgraphs in topological order — float in,
 * float out. Graph inputs are quantized to their fix point with DPU_ROUND + saturation (as VART's
 * examples do before `execute_async`), every subgraph runs on its own Runner, tensors are handed from
 * subgraph to subgraph as the raw int8 (or float) buffers, and graph outputs are dequantized with
 * 2^-fix_point. Chaining subgraphs by hand is where users go wrong; this does it once.
 *
 *   const g = Graph.deserialize(bytes);                      // or readXmodelFile(path) in Node
 *   const gr = GraphRunner.create(g, { mode: 'sim', target: 'kv260' });
 *   const out = await gr.run({ input: new Float32Array(1 * 224 * 224 * 3) });
 */
import { RuntimeError } from '../errors.js';
import type { TensorValue } from '../ir/types.js';
import { DPU_ROUND, dequantize, quantize } from '../kernels/ref/int8/arith.js';
import { resolveTarget } from '../dpu/arch/index.js';
import type { Graph, Subgraph } from '../xir/graph.js';
import { RUNNER_MODES, type RunnerMode } from './backend.js';
import { JobTable } from './jobs.js';
import { Runner } from './runner.js';
import { graphAsIr, runnerTensorOf } from './subgraph-ir.js';
import { elementCount, type RunnerTensor, type TensorBuffer } from './tensor.js';

const setImmediateFn = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
const nextTurn = (): Promise<void> => new Promise<void>((resolve) => { if (setImmediateFn) setImmediateFn(resolve); else setTimeout(resolve, 0); });

export interface GraphRunnerOptions {
  /** DPU implementation: 'run' (fast WASM kernels), 'sim' (instruction-level), 'ref' (INT8 reference). Default 'run'. */
  mode?: RunnerMode;
  /**
   * The DPU the virtual board carries: a board ('kv260'), preset ('B4096'), fingerprint ('0x…') or a
   * fingerprint as bigint. Default: the model's own (no mismatch possible).
   */
  target?: string | bigint;
  /** Host threads a backend may use (passed through to the backends). */
  threads?: number;
}

/** Host time of one subgraph in one run. */
export interface SubgraphTiming {
  name: string;
  device: string;
  ms: number;
}

/** One child subgraph in execution order. */
export interface GraphStep {
  name: string;
  device: string;
  /** Absent for USER subgraphs (they hold the graph inputs and are not run). */
  runner?: Runner;
}

type Buf = Int8Array | Float32Array;

export class GraphRunner {
  private readonly jobs: JobTable;
  private readonly results = new Map<number, SubgraphTiming[]>();
  private last: SubgraphTiming[] = [];

  private constructor(
    private readonly graph: Graph,
    readonly mode: RunnerMode,
    private readonly steps: GraphStep[],
    private readonly inputs: RunnerTensor[],
    private readonly outputs: RunnerTensor[],
  ) {
    this.jobs = new JobTable(`graph runner '${graph.getName()}' (${mode})`);
  }

  static create(graph: Graph, opts: GraphRunnerOptions = {}): GraphRunner {
    const mode = opts.mode ?? 'run';
    if (!RUNNER_MODES.includes(mode)) {
      throw new RuntimeError('E_RUNNER_MODE', `unknown runner mode '${String(mode)}'`, { fix: `use one of ${RUNNER_MODES.join(', ')}` });
    }
    const targetFingerprint = opts.target === undefined ? undefined : typeof opts.target === 'bigint' ? opts.target : resolveTarget(opts.target).fingerprint;
    const root = graph.getRootSubgraph();
    const kids: Subgraph[] = root.isLeaf() ? [] : root.toposortChildSubgraph();
    if (kids.length === 0) {
      throw new RuntimeError('E_GRAPH_NOT_COMPILED', `graph '${graph.getName()}' has no child subgraphs`, {
        where: graph.getName(), fix: 'run a compiled model (dpuflow compile), not the quantizer\'s _int.xmodel',
      });
    }
    const steps: GraphStep[] = [];
    const made: Runner[] = [];
    try {
      for (const sg of kids) {
        const device = sg.hasAttr('device') ? String(sg.getAttr('device')) : 'CPU';
        if (device === 'USER') { steps.push({ name: sg.getName(), device }); continue; }
        const runner = Runner.create(sg, mode, { targetFingerprint, threads: opts.threads });
        made.push(runner);
        steps.push({ name: sg.getName(), device, runner });
      }
    } catch (e) {
      for (const r of made) r.close();
      throw e;
    }
    const ir = graphAsIr(graph);
    const where = `graph ${graph.getName()}`;
    const floatView = (t: RunnerTensor): RunnerTensor => ({ ...t, dtype: 'float32' });
    const inputs = ir.inputs.map((n) => floatView(runnerTensorOf(graph, n, where)));
    const outputs = ir.outputs.map((n) => floatView(runnerTensorOf(graph, n, where)));
    return new GraphRunner(graph, mode, steps, inputs, outputs);
  }

  getGraph(): Graph {
    return this.graph;
  }

  /** The graph inputs, float32 (fixPoint says how they are quantized for the DPU). */
  getInputTensors(): RunnerTensor[] {
    return this.inputs;
  }

  /** The graph outputs, float32 (dequantized from their fixPoint when they have one). */
  getOutputTensors(): RunnerTensor[] {
    return this.outputs;
  }

  /** The child subgraphs in execution order, with their runners. */
  getSteps(): GraphStep[] {
    return this.steps;
  }

  /** Host time per subgraph of the last finished run. */
  lastTimings(): SubgraphTiming[] {
    return this.last;
  }

  /** Runs the model once: float feeds (keyed by input name) → float outputs (keyed by output name). */
  async run(feeds: Record<string, Float32Array | TensorValue>): Promise<Record<string, TensorValue>> {
    const inputs = this.inputs.map((t) => {
      const f = feeds[t.name];
      if (!f) throw new RuntimeError('E_BUFFER_MISSING', `missing input '${t.name}'`, { where: `graph ${this.graph.getName()}`, fix: `feed: ${this.inputs.map((x) => `${x.name} [${x.dims}]`).join(', ')}` });
      return { tensor: t, data: f instanceof Float32Array ? f : f.data };
    });
    const outputs = this.outputs.map((t) => ({ tensor: t, data: new Float32Array(elementCount(t.dims)) }));
    const [id] = this.executeAsync(inputs, outputs);
    await this.wait(id, -1);
    return Object.fromEntries(outputs.map((b) => [b.tensor.name, { shape: [...b.tensor.dims], data: b.data }]));
  }

  /** VART-style: float buffers in and out; validated now, run as a job. Returns [jobId, status]. */
  executeAsync(inputs: TensorBuffer[], outputs: TensorBuffer[]): [number, number] {
    const ins = this.bind('input', this.inputs, inputs);
    const outs = this.bind('output', this.outputs, outputs);
    const id = this.jobs.submit(async () => {
      const timings = await this.execute(ins, outs);
      this.results.set(id, timings);
      this.last = timings;
    });
    return [id, 0];
  }

  /** -1 blocks, 0 polls, > 0 bounded. Resolves 0; rejects with RuntimeError (failure, unknown id, timeout). */
  async wait(jobId: number, timeoutMs = -1): Promise<number> {
    const s = await this.jobs.wait(jobId, timeoutMs);
    return s;
  }

  /** Per-subgraph host timing of a finished job (available once, after wait). */
  takeTimings(jobId: number): SubgraphTiming[] | undefined {
    const t = this.results.get(jobId);
    this.results.delete(jobId);
    return t;
  }

  close(): void {
    this.jobs.close();
    for (const s of this.steps) s.runner?.close();
  }

  private async execute(ins: Float32Array[], outs: Float32Array[]): Promise<SubgraphTiming[]> {
    // Start on a new turn of the event loop: executeAsync returns at once, a wait(id, 0) right after it
    // sees the job pending, and jobs in flight take turns (the kernels themselves are synchronous).
    // setImmediate where there is one (Node): setTimeout(0) waits ≥ 1 ms, per frame.
    await nextTurn();
    const values = new Map<string, Buf>();
    this.inputs.forEach((t, i) => {
      values.set(t.name, t.fixPoint !== undefined ? quantize(ins[i]!, t.fixPoint, DPU_ROUND) : ins[i]!);
    });
    const timings: SubgraphTiming[] = [];
    for (const step of this.steps) {
      const r = step.runner;
      if (!r) continue;
      const inBufs = r.getInputTensors().map((t) => {
        const v = values.get(t.name);
        if (!v) {
          throw new RuntimeError('E_GRAPH_TENSOR', `tensor '${t.name}' needed by subgraph '${step.name}' was not produced`, {
            where: `graph ${this.graph.getName()}`, fix: 'the subgraph order or tensor lists are inconsistent; re-compile the model',
          });
        }
        return { tensor: t, data: v };
      });
      const outBufs = r.getOutputTensors().map((t) => ({ tensor: t, data: (t.dtype === 'xint8' ? new Int8Array(elementCount(t.dims)) : new Float32Array(elementCount(t.dims))) as Buf }));
      const t0 = performance.now();
      await r.execute(inBufs, outBufs);
      timings.push({ name: step.name, device: step.device, ms: performance.now() - t0 });
      for (const b of outBufs) values.set(b.tensor.name, b.data);
    }
    this.outputs.forEach((t, i) => {
      const v = values.get(t.name);
      if (!v) throw new RuntimeError('E_GRAPH_TENSOR', `graph output '${t.name}' was not produced`, { where: `graph ${this.graph.getName()}` });
      outs[i]!.set(v instanceof Int8Array ? dequantize(v, t.fixPoint!) : v);
    });
    return timings;
  }

  private bind(kind: 'input' | 'output', expected: RunnerTensor[], given: TensorBuffer[]): Float32Array[] {
    const where = `graph ${this.graph.getName()}`;
    const byName = new Map(given.map((b) => [b.tensor.name, b]));
    return expected.map((t, i) => {
      const buf = byName.get(t.name) ?? (given.length === expected.length ? given[i] : undefined);
      if (!buf) throw new RuntimeError('E_BUFFER_MISSING', `missing ${kind} buffer for tensor '${t.name}'`, { where });
      if (!(buf.data instanceof Float32Array)) {
        throw new RuntimeError('E_BUFFER_DTYPE', `${kind} '${t.name}' must be a Float32Array (GraphRunner is float in / float out)`, { where });
      }
      if (buf.data.length !== elementCount(t.dims)) {
        throw new RuntimeError('E_BUFFER_SIZE', `${kind} '${t.name}' has ${buf.data.length} elements, expected ${elementCount(t.dims)} (dims ${t.dims.join('x')})`, { where });
      }
      return buf.data;
    });
  }
}
