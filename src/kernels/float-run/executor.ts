/**
 * The CPU-subgraph executor of 'run' mode: runs a quantized IR graph with the semantics of
 * `runQuantized` (src/kernels/ref/quant-executor.ts, the quantizer's test mode) — byte for byte — but
 * planned once and fast:
 *
 * - float ops (no fix point, or no INT8 kernel) run the planned kernels of ./kernels.ts (the reference
 *   arithmetic without per-call planning or allocation) into buffers owned by the executor, or the
 *   reference float kernel itself where ./kernels.ts does not cover the op; an op whose output carries
 *   a fix point is then quantized with DPU_ROUND + saturation, as runQuantized does;
 * - each run of consecutive fixed-point ops with an INT8 kernel (the quantized projections, eltwise and
 *   layout ops of a transformer block…) runs on its own WebAssembly fast executor
 *   (src/kernels/wasm/executor.ts `createFastExecutor`, bit-exact with the INT8 reference kernels);
 *   its inputs cross as dequantized floats, which its DPU_ROUND quantization maps back exactly;
 * - reshape/identity to a float tensor is an alias (no copy).
 *
 * Stage code: no I/O, runs in browsers too.
 */
import type { Graph, Op, TensorValue } from '../../ir/types.js';
import { getOpDef } from '../../ir/registry.js';
import { QuantizeError } from '../../errors.js';
import { constToQ } from '../ref/quant-executor.js';
import { hasInt8Kernel } from '../ref/int8/index.js';
import { createFastExecutor, type FastExecutor } from '../wasm/executor.js';
import { createKernelMemory } from '../wasm/loader.js';
import { constInt8 } from '../../xir/to-ir.js';
import { planFloatKernel, planInt8Move, type PlanInput } from './kernels.js';
import '../../ops/index.js';

export interface CpuRunStats {
  /** Float ops run by a planned kernel of src/kernels/float-run/kernels.ts. */
  plannedOps: number;
  /** Float ops run by their reference float kernel (not covered by the planned kernels), by type. */
  referenceOps: Record<string, number>;
  /** Float reshape/identity ops served as aliases. */
  aliasOps: number;
  /** Fixed-point ops with an INT8 kernel, and the WebAssembly fast executors they were grouped into. */
  int8Ops: number;
  int8Segments: number;
}

export interface CpuRunOptions {
  /** Accumulate host ms per step kind ('matmul', 'softmax', 'int8 segment', …) into this record. */
  profile?: Record<string, number>;
}

export interface CpuRunExecutor {
  /**
   * Runs the graph. Feeds are keyed by data op name: an Int8Array (the raw int8 values) for a data op
   * with a fix point, or a Float32Array (quantized with DPU_ROUND when the data op has a fix point).
   * The arrays are read during the call only.
   */
  run(feeds: Record<string, Int8Array | Float32Array>): void;
  /** int8 values of a fixed-point tensor of the last run (a view: valid until the next run). */
  int8(name: string): Int8Array | undefined;
  /** Float value of a tensor of the last run (dequantized for fixed-point ones; a view). */
  float(name: string): Float32Array | undefined;
  /** Fix point of a tensor (undefined: float). */
  fixPoint(name: string): number | undefined;
  readonly stats: CpuRunStats;
}

interface Slot {
  shape: number[];
  n: number;
  fp?: number;
  /** int8 values (fixed-point slots) for the current run. */
  q?: Int8Array;
  /** float values (float slots) for the current run. */
  f?: Float32Array;
  /** dequantized copy of q, and the run it belongs to. */
  deq?: Float32Array;
  deqRun: number;
  /** q of a fixed-point const, produced on first use. */
  lazyQ?: () => Int8Array;
}

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
/** Fixed-point ops that may be plain copies/aliases when their fix point does not change. */
const INT8_MOVES = new Set(['reshape', 'identity', 'transpose', 'strided_slice', 'concat']);

function quantizeInto(src: Float32Array, fp: number, dst: Int8Array): void {
  const s = 2 ** fp;
  for (let i = 0; i < dst.length; i++) {
    const v = src[i]! * s;
    // DPU_ROUND + saturation, NaN → 0 (src/kernels/ref/int8/arith.ts quantize)
    dst[i] = v !== v ? 0 : v < -128 ? -128 : v > 127 ? 127 : Math.floor(v + 0.5);
  }
}

/** Prepares `graph` (a CPU subgraph as IR: src/runtime/subgraph-ir.ts) for repeated runs. */
export function createCpuRunExecutor(graph: Graph, opts: CpuRunOptions = {}): CpuRunExecutor {
  const byName = new Map(graph.ops.map((o) => [o.name, o]));
  const slots = new Map<string, Slot>();
  const steps: (() => void)[] = [];
  const stepKinds: string[] = [];
  const feedSteps: ((feeds: Record<string, Int8Array | Float32Array>) => void)[] = [];
  const stats: CpuRunStats = { plannedOps: 0, referenceOps: {}, aliasOps: 0, int8Ops: 0, int8Segments: 0 };
  let runId = 0;
  const scratch = new Map<number, Float32Array>();
  const scratchOf = (n: number): Float32Array => {
    let s = scratch.get(n);
    if (!s) scratch.set(n, (s = new Float32Array(n)));
    return s;
  };

  // Float outputs of planned kernels live in pooled buffers: a buffer returns to the pool after the last
  // reader of its tensor (and of every float alias of it) has been planned, so later ops reuse it.
  const pool = new Map<number, Float32Array[]>();
  const pooled = new Map<string, Float32Array>();
  const aliasRoot = new Map<string, string>();
  const finalUse = new Map<string, number>();
  const take = (n: number): Float32Array => pool.get(n)?.pop() ?? new Float32Array(n);
  const lastReader = (name: string): number => { const r = readers.get(name); return r ? r[r.length - 1]! : -1; };
  const releaseAfter = (i: number, names: readonly string[]): void => {
    for (const n of names) {
      const r = aliasRoot.get(n) ?? n;
      const buf = pooled.get(r);
      if (!buf || (finalUse.get(r) ?? -1) > i || keep.has(r)) continue;
      pooled.delete(r);
      let l = pool.get(buf.length);
      if (!l) pool.set(buf.length, (l = []));
      l.push(buf);
    }
  };
  const qOf = (s: Slot): Int8Array => {
    if (!s.q && s.lazyQ) s.q = s.lazyQ();
    return s.q as Int8Array;
  };
  const floatOf = (s: Slot): Float32Array => {
    if (s.fp === undefined) return s.f as Float32Array;
    if (s.deqRun !== runId || !s.deq) {
      const q = qOf(s);
      const d = (s.deq ??= new Float32Array(s.n));
      const sc = 2 ** -s.fp;
      for (let i = 0; i < s.n; i++) d[i] = q[i]! * sc;
      s.deqRun = runId;
    }
    return s.deq;
  };
  const slotOf = (name: string, op: Op): Slot => {
    const s = slots.get(name);
    if (!s) throw new QuantizeError('E_QIR_ORDER', `input '${name}' of '${op.name}' is not computed before it`, { where: op.name, fix: 'ops must be topologically sorted' });
    return s;
  };
  // last reader of every tensor (for segment outputs)
  const readers = new Map<string, number[]>();
  graph.ops.forEach((op, i) => { for (const n of op.inputs) { const r = readers.get(n); if (r) r.push(i); else readers.set(n, [i]); } });
  const outputs = new Set(graph.outputs);
  /** Pooled buffers that must survive the run (graph outputs, directly or through an alias). */
  const keep = new Set<string>();
  const isInt8Op = (op: Op): boolean => op.type !== 'data' && op.type !== 'const' && op.output.fixPoint !== undefined && hasInt8Kernel(op.type);

  let segment: number[] = [];
  const closeSegment = (): void => {
    if (!segment.length) return;
    const idx = segment;
    segment = [];
    const members = new Set(idx.map((i) => graph.ops[i]!.name));
    const ops: Op[] = [];
    const externals: string[] = [];
    const seen = new Set<string>();
    for (const i of idx) {
      const op = graph.ops[i]!;
      for (const n of op.inputs) {
        if (members.has(n) || seen.has(n)) continue;
        seen.add(n);
        const src = byName.get(n);
        if (src && src.type === 'const') { ops.push(src); continue; }
        const s = slotOf(n, op);
        externals.push(n);
        const output = s.fp === undefined ? { shape: s.shape.slice(), dtype: 'float32' as const } : { shape: s.shape.slice(), dtype: 'int8' as const, fixPoint: s.fp };
        ops.push({ name: n, type: 'data', inputs: [], attrs: { shape: s.shape.slice() }, output });
      }
    }
    const last = idx[idx.length - 1]!;
    const outs: string[] = [];
    for (const i of idx) {
      const op = graph.ops[i]!;
      ops.push(op);
      if (outputs.has(op.name) || (readers.get(op.name) ?? []).some((r) => r > last)) outs.push(op.name);
    }
    const sub: Graph = { name: `${graph.name}/int8-${stats.int8Segments}`, ops, inputs: externals, outputs: outs, meta: {} };
    const ex: FastExecutor = createFastExecutor(sub, { memory: createKernelMemory(1, false) });
    stats.int8Segments++;
    stats.int8Ops += idx.length;
    const inSlots = externals.map((n) => slots.get(n)!);
    const outSlots: Slot[] = outs.map((n) => {
      const op = byName.get(n)!;
      const s: Slot = { shape: op.output.shape.slice(), n: numel(op.output.shape), fp: op.output.fixPoint, deqRun: -1 };
      slots.set(n, s);
      return s;
    });
    // (tensors only read inside the segment stay in its arena: int8()/float() do not see them)
    const feeds: Record<string, TensorValue> = {};
    stepKinds.push(`int8 segment ${stats.int8Segments - 1} (${idx.map((i) => graph.ops[i]!.type).join(',')})`);
    steps.push(() => {
      externals.forEach((n, j) => { const s = inSlots[j]!; feeds[n] = { shape: s.shape, data: floatOf(s) }; });
      ex.run(feeds);
      outs.forEach((n, j) => {
        const q = ex.tensor(n);
        const s = outSlots[j]!;
        if (!q || q.length !== s.n) throw new QuantizeError('E_Q_SHAPE_MISMATCH', `the fast executor has no int8 value of [${s.shape}] for '${n}'`, { where: n });
        s.q = q;
      });
    });
  };

  for (let i = 0; i < graph.ops.length; i++) {
    const op = graph.ops[i]!;
    const fp = op.output.fixPoint;
    if (op.type === 'data') {
      closeSegment();
      const shape = op.output.shape.slice();
      const s: Slot = { shape, n: numel(shape), fp, deqRun: -1 };
      slots.set(op.name, s);
      const own = fp === undefined ? undefined : new Int8Array(s.n);
      feedSteps.push((feeds) => {
        const f = feeds[op.name];
        if (!f) throw new QuantizeError('E_Q_FEED_MISSING', `no feed for graph input '${op.name}'`, { where: op.name, fix: `pass feeds for: ${graph.inputs.join(', ')}` });
        if (shape.length && f.length !== s.n) {
          throw new QuantizeError('E_Q_FEED_SHAPE', `feed '${op.name}' has ${f.length} values, the graph input [${shape}] needs ${s.n}`, { where: op.name });
        }
        if (fp === undefined) {
          if (!(f instanceof Float32Array)) throw new QuantizeError('E_Q_FEED_TYPE', `feed '${op.name}' is int8 but the graph input is float`, { where: op.name, fix: 'feed a Float32Array' });
          s.f = f;
        } else if (f instanceof Int8Array) s.q = f;
        else { quantizeInto(f, fp, own!); s.q = own; }
      });
      continue;
    }
    if (op.type === 'const') {
      const shape = op.output.shape.slice();
      if (fp === undefined) {
        if (!op.data) throw new QuantizeError('E_QIR_CONST_EMPTY', `const '${op.name}' has no data`, { where: op.name });
        slots.set(op.name, { shape, n: op.data.length, f: op.data, deqRun: -1 });
      } else {
        const s: Slot = { shape, n: numel(shape), fp, deqRun: -1 };
        s.lazyQ = () => constInt8(op) ?? constToQ(op).data;
        slots.set(op.name, s);
      }
      continue;
    }
    if (isInt8Op(op)) {
      // an int8 move that keeps its fix point is a copy (or, for reshape/identity, an alias): done here
      if (INT8_MOVES.has(op.type) && op.inputs.every((n) => byName.get(n)?.type !== 'const' && byName.get(n)?.output.fixPoint === fp)) closeSegment();
      const ins = op.inputs.map((n) => slots.get(n));
      const fpo = fp as number;
      if (ins.every((x) => x !== undefined) && op.inputs.every((n) => byName.get(n)?.type !== 'const')) {
        const xs = ins as Slot[];
        const shape = op.output.shape.slice();
        if ((op.type === 'reshape' || op.type === 'identity') && xs.length === 1 && xs[0]!.fp === fpo && xs[0]!.n === numel(shape)) {
          const s: Slot = { shape, n: numel(shape), fp, deqRun: -1 };
          slots.set(op.name, s);
          stats.aliasOps++;
          stepKinds.push('alias');
          steps.push(() => { s.q = qOf(xs[0]!); });
          continue;
        }
        const move = planInt8Move(op, xs.map((x) => x.shape), xs.map((x) => x.fp), fpo, shape);
        if (move) {
          const s: Slot = { shape, n: numel(shape), fp, deqRun: -1 };
          slots.set(op.name, s);
          stats.plannedOps++;
          const q = new Int8Array(s.n);
          const inQ: Int8Array[] = new Array<Int8Array>(xs.length);
          stepKinds.push(`${op.type} (int8)`);
          steps.push(() => {
            for (let j = 0; j < xs.length; j++) inQ[j] = qOf(xs[j]!);
            move(inQ, q);
            s.q = q;
          });
          continue;
        }
      }
      segment.push(i);
      continue;
    }
    closeSegment();
    // a float kernel (output quantized when it carries a fix point)
    const ins = op.inputs.map((n) => slotOf(n, op));
    const shape = op.output.shape.slice();
    const s: Slot = { shape, n: numel(shape), fp, deqRun: -1 };
    slots.set(op.name, s);
    if ((op.type === 'reshape' || op.type === 'identity') && fp === undefined && ins.length === 1 && ins[0]!.n === s.n) {
      const x = ins[0]!;
      stats.aliasOps++;
      stepKinds.push('alias');
      steps.push(() => { s.f = floatOf(x); });
      const root = aliasRoot.get(op.inputs[0]!) ?? op.inputs[0]!;
      if (pooled.has(root)) {
        aliasRoot.set(op.name, root);
        finalUse.set(root, Math.max(finalUse.get(root) ?? -1, lastReader(op.name)));
        if (outputs.has(op.name)) keep.add(root);
      }
      releaseAfter(i, op.inputs);
      continue;
    }
    const planIns: PlanInput[] = ins.map((x, j) => {
      const src = byName.get(op.inputs[j]!);
      return src?.type === 'const' && src.output.fixPoint === undefined ? { shape: x.shape, constData: src.data } : { shape: x.shape };
    });
    const plan = planFloatKernel(op, planIns, shape);
    const def = getOpDef(op.type);
    const reference = (): Float32Array => {
      const y = def.float(ins.map((x) => ({ shape: x.shape, data: floatOf(x) })), op.attrs, op);
      if (y.data.length !== s.n) throw new QuantizeError('E_Q_SHAPE_MISMATCH', `float kernel produced [${y.shape}] but the graph says [${shape}]`, { where: op.name });
      return y.data;
    };
    if (plan) stats.plannedOps++;
    else stats.referenceOps[op.type] = (stats.referenceOps[op.type] ?? 0) + 1;
    const own = plan && fp === undefined ? take(s.n) : undefined;
    if (own) {
      pooled.set(op.name, own);
      finalUse.set(op.name, lastReader(op.name));
      if (outputs.has(op.name)) keep.add(op.name);
    }
    const q = fp === undefined ? undefined : new Int8Array(s.n);
    const inVals: Float32Array[] = new Array<Float32Array>(ins.length);
    stepKinds.push(`${op.type}${plan ? '' : ' (reference)'}`);
    steps.push(() => {
      let y: Float32Array;
      if (plan) {
        for (let j = 0; j < ins.length; j++) inVals[j] = floatOf(ins[j]!);
        y = own ?? scratchOf(s.n);
        plan.run(inVals, y);
        if (plan.mayDecline?.()) y = reference();
      } else y = reference();
      if (fp === undefined) s.f = y;
      else { quantizeInto(y, fp, q!); s.q = q; }
    });
    releaseAfter(i, [...op.inputs, op.name]);
  }
  closeSegment();
  for (const name of graph.outputs) {
    if (!slots.has(name)) throw new QuantizeError('E_QIR_OUTPUT', `graph output '${name}' is not an op`, { where: name });
  }

  return {
    stats,
    run(feeds) {
      runId++;
      for (const f of feedSteps) f(feeds);
      const prof = opts.profile;
      if (prof) {
        for (let i = 0; i < steps.length; i++) {
          const t = performance.now();
          steps[i]!();
          const k = stepKinds[i]!;
          prof[k] = (prof[k] ?? 0) + performance.now() - t;
        }
      } else for (const st of steps) st();
    },
    int8(name) {
      const s = slots.get(name);
      return s && s.fp !== undefined ? qOf(s) : undefined;
    },
    float(name) {
      const s = slots.get(name);
      if (!s || (s.fp === undefined && !s.f)) return undefined;
      return floatOf(s);
    },
    fixPoint(name) {
      return slots.get(name)?.fp;
    },
  };
}
