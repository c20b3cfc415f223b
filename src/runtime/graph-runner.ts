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
 *   const { xint8 } = await gr.runInt8({ input: int8Feed });    // xint8 in/out, outputs with their fixPoint
 */
import { RuntimeError } from '../errors.js';
import type { TensorValue } from '../ir/types.js';
import { resolveTarget } from '../dpu/arch/index.js';
import type { Graph, Subgraph } from '../xir/graph.js';
import { RUNNER_MODES, type RunnerMode } from './backend.js';
import { JobTable } from './jobs.js';
import { Runner } from './runner.js';
import { graphAsIr, runnerTensorOf } from './subgraph-ir.js';
import { elementCount, type RunnerTensor, type TensorBuffer, type XintValue } from './tensor.js';
import { hostQuantIo, type QuantIo } from './quant-io.js';

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

/** Outputs of `runInt8`: xint8 outputs (those with a fix point) and float ones (CPU outputs without). */
export interface Int8RunResult {
  xint8: Record<string, XintValue>;
  outputs: Record<string, TensorValue>;
}

/** One runnable step: its runner and tensors. */
interface Planned {
  name: string;
  device: string;
  runner: Runner;
  ins: RunnerTensor[];
  outs: RunnerTensor[];
}

/** The buffers of one job in flight, reused by the next job (no allocation per frame). */
interface Frame {
  values: Map<string, Buf>;
  /** Per planned step: the TensorBuffers handed to its runner (data filled in per frame). */
  stepIns: TensorBuffer[][];
  stepOuts: TensorBuffer[][];
  /** Per planned step: the frame's own output buffers (a caller's Int8Array output may stand in for one). */
  own: Buf[][];
  /** Per graph input: the quantized feed (fix-point inputs only). */
  staged: Array<Int8Array | undefined>;
}

export class GraphRunner {
  private readonly jobs: JobTable;
  private readonly results = new Map<number, SubgraphTiming[]>();
  private last: SubgraphTiming[] = [];
  private readonly planned: Planned[];
  /** Per graph output: the planned step and output index producing it (absent: a graph input passed through). */
  private readonly outAt: Array<[number, number] | undefined>;
  private readonly free: Frame[] = [];
  private readonly io: QuantIo;

  private constructor(
    private readonly graph: Graph,
    readonly mode: RunnerMode,
    private readonly steps: GraphStep[],
    private readonly inputs: RunnerTensor[],
    private readonly outputs: RunnerTensor[],
  ) {
    this.jobs = new JobTable(`graph runner '${graph.getName()}' (${mode})`);
    this.planned = steps.filter((s) => s.runner).map((s) => ({
      name: s.name, device: s.device, runner: s.runner!, ins: s.runner!.getInputTensors(), outs: s.runner!.getOutputTensors(),
    }));
    this.outAt = outputs.map((t) => {
      let at: [number, number] | undefined;
      this.planned.forEach((p, i) => p.outs.forEach((o, k) => { if (o.name === t.name) at = [i, k]; }));
      return at;
    });
    this.io = hostQuantIo();
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

  /** The graph inputs, float32 (fixPoint says how they are quantized for the DPU; with a fixPoint an
   * Int8Array at that fix point may be fed instead). */
  getInputTensors(): RunnerTensor[] {
    return this.inputs;
  }

  /** The graph outputs, float32 (dequantized from their fixPoint when they have one; with a fixPoint an
   * Int8Array output buffer receives the xint8 values instead). */
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

  /** 'native' when the float ↔ xint8 conversions of graph inputs/outputs run in the addon, else 'js'. */
  get conversions(): 'native' | 'js' {
    return this.io.impl;
  }

  /** Runs the model once: float feeds (keyed by input name) → float outputs (keyed by output name), new arrays. */
  async run(feeds: Record<string, Float32Array | TensorValue>): Promise<Record<string, TensorValue>> {
    const inputs = this.feedBuffers(feeds);
    const outputs = this.outputs.map((t) => ({ tensor: t, data: new Float32Array(elementCount(t.dims)) }));
    const [id] = this.executeAsync(inputs, outputs);
    await this.wait(id, -1);
    this.results.delete(id); // lastTimings() has them; nobody will take them by id
    return Object.fromEntries(outputs.map((b) => [b.tensor.name, { shape: [...b.tensor.dims], data: b.data }]));
  }

  /**
   * Runs the model once with xint8 where the graph has fix points: feeds may be Int8Array (at the
   * input's fixPoint, used as they are) or Float32Array (quantized); outputs with a fix point come back
   * as new Int8Arrays with their fixPoint (value = q · 2^-fixPoint), the others as float.
   */
  async runInt8(feeds: Record<string, Float32Array | Int8Array>): Promise<Int8RunResult> {
    const inputs = this.feedBuffers(feeds);
    const outputs: TensorBuffer[] = this.outputs.map((t) => ({
      tensor: t, data: t.fixPoint !== undefined ? new Int8Array(elementCount(t.dims)) : new Float32Array(elementCount(t.dims)),
    }));
    const [id] = this.executeAsync(inputs, outputs);
    await this.wait(id, -1);
    this.results.delete(id);
    const r: Int8RunResult = { xint8: {}, outputs: {} };
    for (const b of outputs) {
      if (b.data instanceof Int8Array) r.xint8[b.tensor.name] = { shape: [...b.tensor.dims], data: b.data, fixPoint: b.tensor.fixPoint! };
      else r.outputs[b.tensor.name] = { shape: [...b.tensor.dims], data: b.data };
    }
    return r;
  }

  /**
   * VART-style: buffers in and out, validated now, run as a job. Returns [jobId, status]. Float32Array
   * buffers are float (quantized / dequantized at the tensor's fixPoint); an Int8Array is xint8 at the
   * tensor's fixPoint (only for tensors that have one). Nothing is allocated per job once the runner has
   * run one job (per job in flight).
   */
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

  private feedBuffers(feeds: Record<string, Float32Array | Int8Array | TensorValue>): TensorBuffer[] {
    return this.inputs.map((t) => {
      const f = feeds[t.name];
      if (!f) throw new RuntimeError('E_BUFFER_MISSING', `missing input '${t.name}'`, { where: `graph ${this.graph.getName()}`, fix: `feed: ${this.inputs.map((x) => `${x.name} [${x.dims}]`).join(', ')}` });
      return { tensor: t, data: f instanceof Float32Array || f instanceof Int8Array ? f : f.data };
    });
  }

  private newFrame(): Frame {
    const alloc = (t: RunnerTensor): Buf => (t.dtype === 'xint8' ? new Int8Array(elementCount(t.dims)) : new Float32Array(elementCount(t.dims)));
    const own = this.planned.map((p) => p.outs.map(alloc));
    return {
      values: new Map(),
      stepIns: this.planned.map((p) => p.ins.map((t) => ({ tensor: t, data: EMPTY_F32 as Buf }))),
      stepOuts: this.planned.map((p, i) => p.outs.map((t, k) => ({ tensor: t, data: own[i]![k]! }))),
      own,
      staged: this.inputs.map((t) => (t.fixPoint !== undefined ? new Int8Array(elementCount(t.dims)) : undefined)),
    };
  }

  private async execute(ins: Buf[], outs: Buf[]): Promise<SubgraphTiming[]> {
    // Start on a new turn of the event loop: executeAsync returns at once, a wait(id, 0) right after it
    // sees the job pending, and jobs in flight take turns (the kernels themselves are synchronous).
    // setImmediate where there is one (Node): setTimeout(0) waits ≥ 1 ms, per frame.
    await nextTurn();
    const f = this.free.pop() ?? this.newFrame();
    const { values } = f;
    const timings: SubgraphTiming[] = [];
    try {
      values.clear();
      this.inputs.forEach((t, i) => {
        const d = ins[i]!;
        if (t.fixPoint === undefined || d instanceof Int8Array) { values.set(t.name, d); return; }
        const q = f.staged[i]!;
        this.io.quantizeInto(d, q, t.fixPoint);
        values.set(t.name, q);
      });
      // an Int8Array graph output is written by its subgraph directly
      this.outAt.forEach((at, j) => { if (at && outs[j] instanceof Int8Array) f.stepOuts[at[0]]![at[1]]!.data = outs[j]!; });
      for (let s = 0; s < this.planned.length; s++) {
        const step = this.planned[s]!;
        const inBufs = f.stepIns[s]!;
        for (const b of inBufs) {
          const v = values.get(b.tensor.name);
          if (!v) {
            throw new RuntimeError('E_GRAPH_TENSOR', `tensor '${b.tensor.name}' needed by subgraph '${step.name}' was not produced`, {
              where: `graph ${this.graph.getName()}`, fix: 'the subgraph order or tensor lists are inconsistent; re-compile the model',
            });
          }
          b.data = v;
        }
        const outBufs = f.stepOuts[s]!;
        const t0 = performance.now();
        await step.runner.execute(inBufs, outBufs);
        timings.push({ name: step.name, device: step.device, ms: performance.now() - t0 });
        for (const b of outBufs) values.set(b.tensor.name, b.data);
      }
      this.outputs.forEach((t, j) => {
        const v = values.get(t.name);
        if (!v) throw new RuntimeError('E_GRAPH_TENSOR', `graph output '${t.name}' was not produced`, { where: `graph ${this.graph.getName()}` });
        const o = outs[j]!;
        if (v === o) return;
        if (o instanceof Int8Array) {
          if (v instanceof Int8Array) o.set(v);
          else this.io.quantizeInto(v, o, t.fixPoint!);
        } else if (v instanceof Int8Array) this.io.dequantizeInto(v, o, t.fixPoint!);
        else o.set(v);
      });
    } finally {
      // give the frame its own output buffers back and drop references to the caller's
      f.stepOuts.forEach((bs, i) => bs.forEach((b, k) => { b.data = f.own[i]![k]!; }));
      for (const bs of f.stepIns) for (const b of bs) b.data = EMPTY_F32;
      values.clear();
      this.free.push(f);
    }
    return timings;
  }

  private bind(kind: 'input' | 'output', expected: RunnerTensor[], given: TensorBuffer[]): Buf[] {
    const where = `graph ${this.graph.getName()}`;
    const byName = new Map(given.map((b) => [b.tensor.name, b]));
    return expected.map((t, i) => {
      const buf = byName.get(t.name) ?? (given.length === expected.length ? given[i] : undefined);
      if (!buf) throw new RuntimeError('E_BUFFER_MISSING', `missing ${kind} buffer for tensor '${t.name}'`, { where });
      const d = buf.data;
      if (!(d instanceof Float32Array) && !(d instanceof Int8Array && t.fixPoint !== undefined)) {
        throw new RuntimeError('E_BUFFER_DTYPE', `${kind} '${t.name}' must be a Float32Array${t.fixPoint !== undefined ? ` or an Int8Array (xint8 at fix point ${t.fixPoint})` : ' (it has no fix point, so it is float only)'}`, {
          where, fix: t.fixPoint !== undefined ? 'pass float values, or int8 values q with value = q · 2^-fixPoint' : 'pass a Float32Array',
        });
      }
      if (d.length !== elementCount(t.dims)) {
        throw new RuntimeError('E_BUFFER_SIZE', `${kind} '${t.name}' has ${d.length} elements, expected ${elementCount(t.dims)} (dims ${t.dims.join('x')})`, { where });
      }
      return d;
    });
  }
}

const EMPTY_F32 = new Float32Array(0);
