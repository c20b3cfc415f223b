/**
 * The fast executor ('run' mode): runs a quantized IR graph (docs/quantized-ir.md) with the
 * WebAssembly SIMD kernels, bit-exact with `runQuantized` (src/kernels/ref/quant-executor.ts).
 *
 * `createFastExecutor(graph)` prepares once: packs every conv / depthwise weight into the
 * kernels' layout (int8 conv / int16 depthwise, blocks of 8 output channels × input-channel pairs), turns bias and
 * fix points into output-stage parameters, and plans one arena in WebAssembly memory that holds
 * every fixed-point activation of the graph (slots are never reused, so after a run each tensor
 * can be read back with `tensor(name)`). `run(feeds)` then quantizes the feeds into the arena,
 * runs the ops in order and dequantizes the outputs: fixed-point ops with a WASM kernel run in
 * WASM without allocating; fixed-point ops without one (concat across odd axes, resize, broadcast
 * eltwise, odd fix-point combinations…) run the INT8 reference kernel on views of the arena;
 * float ops run their float reference kernel, with the same boundary rules as runQuantized.
 *
 * Stage code: no fs / worker_threads. Threads: pass a `Parallel` (node/pool.ts makes one).
 */
import type { Graph, Op, TensorValue } from '../../ir/types.js';
import { getOpDef } from '../../ir/registry.js';
import { QuantizeError } from '../../errors.js';
import { constToQ } from '../ref/quant-executor.js';
import { INT8_KERNELS, hasInt8Kernel } from '../ref/int8/index.js';
import { type QTensor, attrBool, attrNum, attrNums, attrStr, numel } from '../ref/int8/common.js';
import { NONLINEARS, type Nonlinear, outputStage } from '../ref/int8/conv.js';
import { avgpoolReciprocal } from '../ref/int8/pool.js';
import { checkShift } from '../ref/int8/arith.js';
import type { WasmMemory } from './wasm-api.js';
import { WASM_PAGE, createKernelMemory, instantiateKernels, type KernelInstance } from './loader.js';
import { ARENA_START, type Parallel, type ParallelJob, type StageArgs, serialParallel } from './parallel.js';
import '../../ops/index.js';
import { NATIVE_CONV_PARAMS, NP, type NativeContext, type NativeOption } from '../native/types.js';
import { constInt8 } from '../../xir/to-ir.js';
import { type ExtraContext, noopStep, planBroadcastEltwise, planResize, planTranspose, planTransposedConv } from './plan-extra.js';
import { createNativePlan, type NativeTaskProfile } from './plan-native.js';
import { planNativeResize } from './plan-native-resize.js';

export interface FastExecutorOptions {
  /** Memory to run in (node/pool.ts passes a shared one); default: a new memory. */
  memory?: WasmMemory;
  /** Thread dispatcher; default: everything on the calling thread. */
  parallel?: (k: KernelInstance) => Parallel;
  /** Native conv / depthwise kernels (Node: `loadNativeKernels()` from src/kernels/native/node.js);
   * they read and write this executor's memory directly. Default: WASM kernels only. */
  native?: NativeOption;
}

export interface FastExecutorStats {
  /** Ops run by a WASM kernel / by a reference kernel on arena views / float ops. */
  wasmOps: number;
  refOps: number;
  floatOps: number;
  /** Bytes of the arena (activations + packed weights + scratch). */
  arenaBytes: number;
  /** Bytes of packed weights (conv int8, depthwise int16). */
  weightBytes: number;
  /** Op types run by a reference kernel, with counts. */
  refTypes: Record<string, number>;
  /** Ops that fell back to a reference kernel, with the reason. */
  fallbacks: { op: string; type: string; reason: string }[];
  /** Conv / depthwise / matmul ops run by the native kernels (FastExecutorOptions.native). */
  nativeOps?: number;
}

export interface FastExecutor {
  /** Float feeds keyed by data op name → float outputs keyed by output op name (as runQuantized). Each call returns
   * fresh arrays, except for outputs the caller passes in `into` (output name → a Float32Array of the output's
   * length): those are written in place and returned as the output's data, so a frame loop that hands its own
   * arrays back allocates nothing per frame (the caller decides when an earlier frame's values may be overwritten). */
  run(feeds: Record<string, TensorValue>, into?: Record<string, Float32Array>): Record<string, TensorValue>;
  /** Slack bytes after every arena block that some kernel overwrote (empty = no out-of-bounds write). */
  checkBounds(): string[];
  /** Re-runs the ops on the inputs of the last run, without quantizing feeds or reading outputs
   * (kernel-only timing). */
  rerun(): void;
  /** Runs on int8 feeds already at the graph inputs' fix points (a DPU subgraph's xint8 inputs are copied
   * into the arena as they are: no dequantize/quantize round trip); read results with `tensorInto`. */
  runInt8(feeds: Record<string, Int8Array>): void;
  /** int8 bytes (a copy) of a fixed-point tensor from the last run. */
  tensor(name: string): Int8Array | undefined;
  /** Copies a fixed-point tensor's int8 bytes of the last run into `dst` (same length); false if there is none. */
  tensorInto(name: string, dst: Int8Array): boolean;
  /** Any tensor of the last run as float (fixed-point slots dequantized, float ops' values as
   * computed; const ops are not included). For per-tensor reports (quantizer test mode). */
  value(name: string): TensorValue | undefined;
  readonly stats: FastExecutorStats;
  readonly threads: number;
  readonly memory: WasmMemory;
  /** Native per-task timing since the last reset (only with DPUFLOW_NATIVE_PROFILE=1 or 2 and native kernels). */
  nativeProfile?(reset?: boolean): NativeTaskProfile[] | undefined;
}

interface QSlot {
  kind: 'q';
  off: number;
  shape: number[];
  fp: number;
  n: number;
}
interface FSlot {
  kind: 'f';
  shape: number[];
  value?: TensorValue;
}
type Slot = QSlot | FSlot;

const MODES: Record<Nonlinear, number> = { NONE: 0, RELU: 1, RELU6: 2, LEAKYRELU: 3, HSIGMOID: 4, HSWISH: 5 };
const I32_LIMIT = 2 ** 31;
const CANARY = 0x5a;
/** conv loop order switch (see planConv): packed weights up to this size, inputs above it. */
const ROWS_OUTER_MAX_WEIGHT_BYTES = 256 * 1024;

class Unsupported extends Error {}
function unsupported(reason: string): never {
  throw new Unsupported(reason);
}

function nonlinearOf(op: Op): Nonlinear {
  const nl = attrStr(op.attrs, 'nonlinear', 'NONE').toUpperCase();
  if (!(NONLINEARS as readonly string[]).includes(nl)) unsupported(`nonlinear ${nl}`);
  return nl as Nonlinear;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const align16 = (n: number): number => (n + 15) & ~15;

export function createFastExecutor(graph: Graph, opts: FastExecutorOptions = {}): FastExecutor {
  const memory = opts.memory ?? createKernelMemory();
  const inst = instantiateKernels(memory);
  const k = inst.exports;
  const par = opts.parallel ? opts.parallel(inst) : serialParallel(k);
  const nat = opts.native;
  let nctx: NativeContext | undefined;

  // ---- plan -----------------------------------------------------------------------------------
  let top = ARENA_START;
  /** [start, end) of the slack after every block: filled with CANARY, checked by checkBounds(). */
  const slack: [number, number][] = [];
  const alloc = (bytes: number): number => {
    const off = top;
    top = align16(top + bytes + 16); // ≥ 16 bytes of slack after every block
    slack.push([off + bytes, top]);
    return off;
  };
  let I8: Int8Array<ArrayBufferLike> = new Int8Array(0);
  const inits: (() => void)[] = [];
  type Step = () => void;
  const steps: Step[] = [];
  /** Op type of each step (for the optional profile: set globalThis.__prof = {} before run). */
  const stepTypes: string[] = [];
  const slots = new Map<string, Slot>();
  const stats: FastExecutorStats = { wasmOps: 0, refOps: 0, floatOps: 0, arenaBytes: 0, weightBytes: 0, refTypes: {}, fallbacks: [] };
  // native plan (src/kernels/wasm/plan-native.ts): native ops batched into one dispatch per run of them
  const np = nat ? createNativePlan(nat, () => I8) : undefined;
  const ndq = np ? np.dequantize : nat?.kernels.dequantize;
  // outputs ndq fills in full: no zero fill first (a fresh array per call, as before)
  const outF32 = ndq && nat?.kernels.allocFloat32 ? nat.kernels.allocFloat32.bind(nat.kernels) : (n: number): Float32Array => new Float32Array(n);
  const nstep = (job: ParallelJob): Step => {
    const s = np?.job(job);
    if (s) stats.nativeOps = (stats.nativeOps ?? 0) + 1;
    return s ?? (() => run(job));
  };
  const constQ = new Map<string, QTensor>();
  let scratchBytes = 0;
  const scratchUsers: ((off: number) => void)[] = [];

  const byName = new Map(graph.ops.map((o) => [o.name, o]));
  const qOfConst = (name: string): QTensor | undefined => {
    const op = byName.get(name);
    if (!op || op.type !== 'const' || op.output.fixPoint === undefined) return undefined;
    let q = constQ.get(name);
    // an xmodel read with int8Consts: 'lazy' hands out its int8 payload directly (no float round trip)
    const raw = q ? undefined : constInt8(op);
    if (!q) constQ.set(name, (q = raw ? { shape: op.output.shape.slice(), data: raw, fixPoint: op.output.fixPoint } : constToQ(op)));
    return q;
  };
  const qslot = (shape: number[], fp: number): QSlot => {
    const n = numel(shape);
    return { kind: 'q', off: alloc(n), shape, fp, n };
  };
  const view = (s: QSlot): Int8Array => new Int8Array(memory.buffer, s.off, s.n);
  const run = (job: ParallelJob): void => par.run(job);

  function stageArgs(op: Op, fi: number, w: QTensor, bias: QTensor | undefined, oc: number, kred: number): { stage: StageArgs; biasOff: number } {
    const fo = op.output.fixPoint as number;
    const nl = nonlinearOf(op);
    const alpha = op.attrs.alpha === undefined ? undefined : attrNum(op.attrs, 'alpha', 26 / 256);
    // the reference's own validation (E_Q_SHIFT_CUT, E_Q_SHIFT_BIAS, E_Q_LEAKY_ALPHA)
    outputStage({ fpIn: fi, fpW: w.fixPoint, fpBias: bias?.fixPoint, fpOut: fo, nonlinear: nl, alpha, where: op.name });
    if (kred * 16384 >= I32_LIMIT) unsupported('reduction too long for int32 accumulation');
    const fa0 = fi + w.fixPoint;
    let fa = fa0;
    let accShift = 0;
    let bscale = 0;
    if (bias) {
      const sb = fa0 - bias.fixPoint;
      if (sb >= 0) bscale = 2 ** sb;
      else {
        accShift = -sb;
        bscale = 1;
        fa = bias.fixPoint;
      }
    }
    if (fa < 0) unsupported('negative accumulator fix point');
    const cut = fa - fo;
    const ocp = Math.ceil(oc / 8) * 8;
    const biasOff = alloc(ocp * 4);
    let maxB = 0;
    const bt = new Int32Array(ocp);
    if (bias) {
      if (bias.data.length !== oc) unsupported(`bias has ${bias.data.length} values for ${oc} channels`);
      for (let o = 0; o < oc; o++) {
        bt[o] = bias.data[o] * bscale;
        maxB = Math.max(maxB, Math.abs(bt[o]));
      }
    }
    inits.push(() => new Int32Array(memory.buffer, biasOff, ocp).set(bt));
    const mode = MODES[nl];
    const six = 6 * 2 ** fa;
    const leaky = nl === 'LEAKYRELU' ? (alpha ?? 26 / 256) * 256 : 26;
    if (six >= 2 ** 52) unsupported('accumulator fix point too large');
    const maxA = kred * 16384 + maxB;
    const fastBasic = mode <= 2 && maxA + 2 ** cut < I32_LIMIT && (mode !== 2 || six < I32_LIMIT);
    const fastLeaky = mode === 3 && maxA * leaky + 2 ** (cut + 8) < I32_LIMIT && cut + 8 < 31;
    const fast = accShift === 0 && (fastBasic || fastLeaky) ? 1 : 0;
    return { stage: [mode, cut, accShift, six, 3 * 2 ** fa, leaky, fa + 7, fast, biasOff], biasOff };
  }

  function convInputs(op: Op): [QTensor, QTensor | undefined] {
    if (op.inputs.length < 2) unsupported('no weights');
    const w = qOfConst(op.inputs[1]);
    if (!w) unsupported('weights are not a fixed-point const');
    const bias = op.inputs[2] !== undefined ? qOfConst(op.inputs[2]) : undefined;
    if (op.inputs[2] !== undefined && !bias) unsupported('bias is not a fixed-point const');
    return [w, bias];
  }

  /** matmul [M, K] · const [K, N] (or [N, K] with transpose_b) + bias: a 1×1 conv over M pixels. */
  function planMatmul(op: Op, a: QSlot): Step {
    const [b, bias] = convInputs(op);
    if (attrBool(op.attrs, 'transpose_a', false)) unsupported('transpose_a');
    const tb = attrBool(op.attrs, 'transpose_b', false);
    if (a.shape.length < 2 || a.shape.slice(0, -2).some((d) => d !== 1) || b.shape.length !== 2) unsupported('batched matmul');
    const M = a.shape[a.shape.length - 2];
    const K = a.shape[a.shape.length - 1];
    const N = tb ? b.shape[0] : b.shape[1];
    if ((tb ? b.shape[1] : b.shape[0]) !== K) unsupported('inner dims');
    const wd = new Int8Array(N * K);
    for (let n = 0; n < N; n++) for (let kk = 0; kk < K; kk++) wd[n * K + kk] = b.data[tb ? n * K + kk : kk * N + n];
    const w: QTensor = { shape: [N, 1, 1, K], data: wd, fixPoint: b.fixPoint };
    const x: QSlot = { kind: 'q', off: a.off, shape: [1, 1, M, K], fp: a.fp, n: a.n };
    const step = planConv({ ...op, attrs: { ...op.attrs, kernel: [1, 1] } }, x, false, w, bias);
    const s = slots.get(op.name) as QSlot;
    slots.set(op.name, { ...s, shape: op.output.shape.slice() });
    return step;
  }

  function planConv(op: Op, x: QSlot, depthwise: boolean, w: QTensor, bias: QTensor | undefined): Step {
    if (!depthwise && attrNum(op.attrs, 'group', 1) !== 1) unsupported('grouped conv');
    if (x.shape.length !== 4 || x.shape[0] !== 1) unsupported('input is not NHWC batch 1');
    const [, H, W, C] = x.shape;
    const kdef = w.shape.length === 4 ? [w.shape[2], w.shape[1]] : [1, 1];
    const [kw, kh] = attrNums(op.attrs, 'kernel', kdef);
    const [sw, sh] = attrNums(op.attrs, 'stride', [1, 1]);
    const [dw, dh] = attrNums(op.attrs, 'dilation', [1, 1]);
    const [pl, pr, pt, pb] = attrNums(op.attrs, 'pad', [0, 0, 0, 0]);
    if ([pl, pr, pt, pb].some((p) => p < 0) || [sw, sh, dw, dh].some((s) => s < 1)) unsupported('negative pad or stride < 1');
    const OC = depthwise ? C : w.shape[0];
    const wantW = depthwise ? [1, kh, kw, C] : [OC, kh, kw, C];
    if (!sameShape(w.shape, wantW)) unsupported(`weights [${w.shape}] are not [${wantW}]`);
    const OH = Math.floor((H + pt + pb - ((kh - 1) * dh + 1)) / sh) + 1;
    const OW = Math.floor((W + pl + pr - ((kw - 1) * dw + 1)) / sw) + 1;
    if (OH < 1 || OW < 1) unsupported('empty output');
    const fo = op.output.fixPoint as number;
    const Hp = H + pt + pb;
    const Wp = W + pl + pr;
    const Cp = depthwise ? Math.ceil(C / 8) * 8 : C <= 4 ? Math.ceil(C / 2) * 2 : Math.ceil(C / 8) * 8;
    const kred = depthwise ? kh * kw : kh * kw * C;
    const { stage } = stageArgs(op, x.fp, w, bias, OC, kred);
    const out = qslot([1, OH, OW, OC], fo);
    slots.set(op.name, out);
    if (nat) {
      // native hook: weights packed once in native memory, the kernel works on the arena in place
      const nw = nat.kernels.packConv(w.data, OC, kh, kw, C, depthwise);
      const p = new Float64Array(NATIVE_CONV_PARAMS);
      p.set([x.off, H, W, C, out.off, OH, OW, sh, sw, dh, dw, pt, pl, pb, pr]);
      p.set(stage, NP.stage);
      p[NP.threads] = nat.threads ?? 1;
      stats.nativeOps = (stats.nativeOps ?? 0) + 1;
      if (np) return np.conv(nw, p);
      const ctx = (nctx ??= nat.kernels.createContext(nat.threads ?? 1));
      const kconv = nat.kernels.conv;
      return () => kconv(ctx, nw, I8, p);
    }
    const xpBytes = Hp * Wp * Cp * 2;
    let xpOff = 0;
    scratchBytes = Math.max(scratchBytes, xpBytes);
    scratchUsers.push((off) => (xpOff = off));
    let wOff: number;
    if (depthwise) {
      const packed = new Int16Array(kh * kw * Cp);
      for (let t = 0; t < kh * kw; t++) for (let c = 0; c < C; c++) packed[t * Cp + c] = w.data[t * C + c];
      wOff = alloc(packed.byteLength);
      stats.weightBytes += packed.byteLength;
      inits.push(() => new Int16Array(memory.buffer, wOff, packed.length).set(packed));
    } else {
      const pairs = Cp / 2;
      const OCB = Math.ceil(OC / 8);
      // int8 (the conv kernel widens with v128.load8x8_s): half the bytes of an int16 layout
      const packed = new Int8Array(OCB * kh * kw * pairs * 16);
      let i = 0;
      for (let ob = 0; ob < OCB; ob++)
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++)
            for (let cp = 0; cp < pairs; cp++)
              for (let j = 0; j < 8; j++)
                for (let t = 0; t < 2; t++, i++) {
                  const o = ob * 8 + j;
                  const c = cp * 2 + t;
                  if (o < OC && c < C) packed[i] = w.data[((o * kh + ky) * kw + kx) * C + c];
                }
      wOff = alloc(packed.byteLength);
      stats.weightBytes += packed.byteLength;
      inits.push(() => new Int8Array(memory.buffer, wOff, packed.length).set(packed));
    }
    const threads = par.threads;
    const OCB = Math.ceil(OC / 8);
    const imb = (n: number): number => (Math.ceil(n / threads) * threads) / n;
    const splitOb = !depthwise && threads > 1 && imb(OCB) < imb(OH);
    // small weights (all blocks fit in L2) and a big input: sweep rows outermost so the input streams once
    const rowsOuter = !depthwise && OCB * kh * kw * (Cp / 2) * 16 <= ROWS_OUTER_MAX_WEIGHT_BYTES && xpBytes > ROWS_OUTER_MAX_WEIGHT_BYTES ? 1 : 0;
    // job objects are built once (after the scratch offset is known), not per frame
    let jobs: ParallelJob[] | undefined;
    return () => {
      jobs ??= [
        { fn: 'widen', args: [x.off, H, W, C, xpOff, Wp, Cp, pt, pl, 0, Hp], range: 9 },
        depthwise
          ? { fn: 'dwconv', args: [xpOff, Wp, Cp, wOff, kh, kw, sh, sw, dh, dw, out.off, OW, C, 0, OH], range: 13, stage }
          : { fn: 'conv', args: [xpOff, Wp, Cp, wOff, kh, kw, sh, sw, dh, dw, out.off, OW, OC, 0, OH, 0, OCB, rowsOuter], range: splitOb ? 15 : 13, stage },
      ];
      run(jobs[0]);
      run(jobs[1]);
    };
  }

  function planPool(op: Op, x: QSlot, avg: boolean): Step {
    if (x.shape.length !== 4 || x.shape[0] !== 1) unsupported('input is not NHWC batch 1');
    const [, H, W, C] = x.shape;
    const fo = op.output.fixPoint as number;
    const global = attrBool(op.attrs, 'global', false);
    let [kw, kh] = attrNums(op.attrs, 'kernel', [1, 1]);
    let [sw, sh] = attrNums(op.attrs, 'stride', [1, 1]);
    let [pl, pr, pt, pb] = attrNums(op.attrs, 'pad', [0, 0, 0, 0]);
    if (global) {
      [kw, kh, sw, sh, pl, pr, pt, pb] = [W, H, 1, 1, 0, 0, 0, 0];
    }
    if ([pl, pr, pt, pb].some((p) => p < 0 || p >= (p === pl || p === pr ? kw : kh))) unsupported('padding ≥ kernel (empty windows)');
    const OH = global ? 1 : Math.floor((H + pt + pb - kh) / sh) + 1;
    const OW = global ? 1 : Math.floor((W + pl + pr - kw) / sw) + 1;
    if (OH < 1 || OW < 1) unsupported('empty output');
    const out = qslot([1, OH, OW, C], fo);
    slots.set(op.name, out);
    if (avg) {
      if (!attrBool(op.attrs, 'count_include_pad', true) && (pl || pr || pt || pb)) unsupported('count_include_pad = false with padding');
      const r = avgpoolReciprocal(kh, kw);
      const shift = r.shift + x.fp - fo;
      checkShift(shift, op.name);
      const job: ParallelJob = { fn: 'avgpool', args: [x.off, H, W, C, kh, kw, sh, sw, pt, pl, out.off, OW, r.mult, shift, 0, OH], range: 14 };
      return nstep(job);
    }
    const s = x.fp - fo;
    checkShift(s, op.name);
    if (Math.abs(s) > 30) unsupported('shift out of range');
    const job: ParallelJob = { fn: 'maxpool', args: [x.off, H, W, C, kh, kw, sh, sw, pt, pl, out.off, OW, s, 0, OH], range: 13 };
    return nstep(job);
  }

  function planEltwise(op: Op, a: QSlot, b: QSlot): Step {
    if (!sameShape(a.shape, b.shape)) unsupported('broadcasting');
    const nl = nonlinearOf(op);
    if (nl !== 'NONE' && nl !== 'RELU') unsupported(`eltwise nonlinear ${nl}`);
    const relu = nl === 'RELU' ? 1 : 0;
    const fo = op.output.fixPoint as number;
    if (op.type === 'mul') {
      const cut = a.fp + b.fp - fo;
      if (cut < 0 || cut > 30) unsupported('mul shift outside [0, 30]');
      const out = qslot(a.shape.slice(), fo);
      slots.set(op.name, out);
      const job: ParallelJob = { fn: 'mulq', args: [a.off, b.off, out.off, 0, a.n, cut, relu], range: 3 };
      return nstep(job);
    }
    const F = Math.max(a.fp, b.fp);
    const cut = F - fo;
    if (cut < 0 || cut > 30 || F - Math.min(a.fp, b.fp) > 20) unsupported('add shifts out of the int32 vector range');
    const out = qslot(a.shape.slice(), fo);
    slots.set(op.name, out);
    const sub = op.type === 'sub' ? 1 : 0;
    const job: ParallelJob = { fn: 'addq', args: [a.off, b.off, out.off, 0, a.n, F - a.fp, F - b.fp, sub, cut, relu], range: 3 };
    return nstep(job);
  }

  function planRelu(op: Op, x: QSlot): Step {
    const fo = op.output.fixPoint as number;
    const s = x.fp - fo;
    checkShift(s, op.name);
    if (Math.abs(s) > 30) unsupported('shift out of range');
    const out = qslot(x.shape.slice(), fo);
    slots.set(op.name, out);
    const job: ParallelJob = { fn: 'reluq', args: [x.off, out.off, 0, x.n, s], range: 2 };
    return nstep(job);
  }

  /** reshape / identity at the same fix point: the output aliases the input's slot (a no-op step: no dispatch cut). */
  function planAlias(op: Op, x: QSlot): Step | undefined {
    const fo = op.output.fixPoint as number;
    if (fo !== x.fp) return undefined;
    const shape = op.type === 'reshape' ? attrNums(op.attrs, 'shape', op.output.shape) : x.shape.slice();
    if (numel(shape) !== x.n) return undefined;
    slots.set(op.name, { kind: 'q', off: x.off, shape: op.output.shape.length ? op.output.shape.slice() : shape, fp: fo, n: x.n });
    return noopStep();
  }

  /** concat along the last axis of NHWC tensors: per-pixel copies (re-quantized when needed). */
  function planConcat(op: Op, ins: QSlot[]): Step {
    const r = ins[0].shape.length;
    let axis = attrNum(op.attrs, 'axis', -1);
    if (axis < 0) axis += r;
    if (axis !== r - 1) unsupported('concat not on the last axis');
    const lead = ins[0].shape.slice(0, r - 1);
    for (const s of ins) if (s.shape.length !== r || !sameShape(s.shape.slice(0, r - 1), lead)) unsupported('concat shapes');
    const fo = op.output.fixPoint as number;
    const widths = ins.map((s) => s.shape[r - 1]);
    const total = widths.reduce((a, b) => a + b, 0);
    const pixels = numel(lead);
    const out = qslot([...lead, total], fo);
    slots.set(op.name, out);
    for (const s of ins) checkShift(s.fp - fo, op.name);
    const ns = np?.concat(out.off, pixels, total, ins.map((s, j) => [s.off, widths[j], s.fp - fo]));
    if (ns) {
      stats.nativeOps = (stats.nativeOps ?? 0) + 1;
      return ns;
    }
    return () => {
      let c0 = 0;
      for (let j = 0; j < ins.length; j++) {
        const s = ins[j];
        const wdt = widths[j];
        const sh = s.fp - fo;
        if (sh === 0) {
          for (let p = 0; p < pixels; p++) I8.copyWithin(out.off + p * total + c0, s.off + p * wdt, s.off + (p + 1) * wdt);
        } else {
          for (let p = 0; p < pixels; p++) k.requant(s.off + p * wdt, out.off + p * total + c0, wdt, sh);
        }
        c0 += wdt;
      }
    };
  }

  /** Any other fixed-point op: the INT8 reference kernel on views of the arena. */
  function planRef(op: Op, ins: QSlot[]): Step {
    const fo = op.output.fixPoint as number;
    const want = op.output.shape;
    const out = qslot(want.slice(), fo);
    slots.set(op.name, out);
    stats.refOps++;
    const kernel = INT8_KERNELS[op.type];
    return () => {
      const qs: QTensor[] = ins.map((s) => ({ shape: s.shape, data: view(s), fixPoint: s.fp }));
      const q = kernel(qs, op);
      if (q.data.length !== out.n) {
        throw new QuantizeError('E_Q_SHAPE_MISMATCH', `INT8 kernel produced [${q.shape}] but the graph says [${want}]`, { where: op.name });
      }
      view(out).set(q.data);
    };
  }

  function constSlot(op: Op): QSlot {
    const q = qOfConst(op.name) as QTensor;
    const s = qslot(q.shape.slice(), q.fixPoint);
    inits.push(() => view(s).set(q.data));
    return s;
  }

  const extra: ExtraContext = { qslot, setSlot: (n, s) => slots.set(n, s), slot: (n) => { const s = slots.get(n); return s?.kind === 'q' ? s : undefined; }, i8: () => I8, wasm: (n) => (k as unknown as Record<string, ((...a: number[]) => void) | undefined>)[n], requant: (a, b, n, s) => k.requant(a, b, n, s), planConv, planEltwise, unsupported };
  const feedSteps: ((feeds: Record<string, TensorValue>) => void)[] = [];
  for (const op of graph.ops) {
    const fp = op.output.fixPoint;
    if (op.type === 'data') {
      const shape = op.output.shape.slice();
      if (fp === undefined) {
        const s: FSlot = { kind: 'f', shape };
        slots.set(op.name, s);
        feedSteps.push((feeds) => {
          const f = feedOf(feeds, op, shape);
          s.value = { shape: shape.length ? shape : f.shape.slice(), data: f.data };
        });
      } else {
        const s = qslot(shape, fp);
        slots.set(op.name, s);
        const scale = 2 ** fp;
        const nq = np ? np.quantize : nat?.kernels.quantize;
        feedSteps.push((feeds) => {
          const d = feedOf(feeds, op, shape).data;
          const o = s.off;
          if (nq && d instanceof Float32Array) return nq(d, I8, o, s.n, fp); // native: the same arithmetic
          for (let i = 0; i < s.n; i++) {
            const v = d[i] * scale;
            I8[o + i] = Number.isNaN(v) ? 0 : Math.max(-128, Math.min(127, Math.floor(v + 0.5)));
          }
        });
      }
      continue;
    }
    if (op.type === 'const') {
      // fixed-point consts get an arena slot lazily (only when an op reads them as an activation)
      if (fp === undefined) slots.set(op.name, { kind: 'f', shape: op.output.shape.slice(), value: { shape: op.output.shape.slice(), data: op.data ?? new Float32Array(0) } });
      continue;
    }
    const isConv = op.type === 'conv2d' || op.type === 'depthwise-conv2d' || op.type === 'matmul' || op.type === 'transposed-conv2d';
    // a conv's weight/bias consts are packed by planConv; they get arena slots only on fallback
    const lazy = (i: number): boolean => isConv && i > 0 && byName.get(op.inputs[i])?.type === 'const' && byName.get(op.inputs[i])?.output.fixPoint !== undefined;
    const ins = op.inputs.map((name, i) => (lazy(i) ? undefined : resolve(name, op)));
    if (fp !== undefined && hasInt8Kernel(op.type)) {
      const qs = ins.map((s, i) => {
        if (!s) return undefined;
        if (s.kind !== 'q') {
          throw new QuantizeError('E_QIR_BOUNDARY', `fixed-point op '${op.name}' (${op.type}) reads float tensor '${op.inputs[i]}' which has no fix point`, {
            where: op.name,
            fix: `give '${op.inputs[i]}' a fixPoint (quantize at the boundary) or keep '${op.name}' on the CPU`,
          });
        }
        return s;
      });
      let step: Step | undefined;
      try {
        switch (op.type) {
          case 'conv2d': step = planConv(op, qs[0] as QSlot, false, ...convInputs(op)); break;
          case 'depthwise-conv2d': step = planConv(op, qs[0] as QSlot, true, ...convInputs(op)); break;
          case 'matmul': step = planMatmul(op, qs[0] as QSlot); break;
          case 'relu': step = planRelu(op, qs[0] as QSlot); break;
          case 'maxpool2d': step = planPool(op, qs[0] as QSlot, false); break;
          case 'avgpool2d': step = planPool(op, qs[0] as QSlot, true); break;
          case 'add': case 'sub': case 'mul': step = sameShape((qs[0] as QSlot).shape, (qs[1] as QSlot).shape) ? planEltwise(op, qs[0] as QSlot, qs[1] as QSlot) : planBroadcastEltwise(extra, op, qs[0] as QSlot, qs[1] as QSlot); break;
          case 'transposed-conv2d': step = planTransposedConv(extra, op, qs[0] as QSlot, ...convInputs(op)); break;
          case 'resize': step = planNativeResize(np, extra, op, qs[0] as QSlot); if (step) stats.nativeOps = (stats.nativeOps ?? 0) + 1; else step = planResize(extra, op, qs[0] as QSlot); break;
          case 'transpose': step = planTranspose(extra, op, qs[0] as QSlot); break;
          case 'reshape': case 'identity': step = planAlias(op, qs[0] as QSlot); break;
          case 'concat': step = planConcat(op, qs as QSlot[]); break;
          default: break;
        }
        if (step) stats.wasmOps++;
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
        stats.fallbacks.push({ op: op.name, type: op.type, reason: e.message });
      }
      if (!step) stats.refTypes[op.type] = (stats.refTypes[op.type] ?? 0) + 1;
      if (!step) step = planRef(op, op.inputs.map((name, i) => qs[i] ?? (resolve(name, op) as QSlot)));
      steps.push(step);
      np?.label(step, op.name, op.type);
      stepTypes.push(op.type + (stats.fallbacks.some((f) => f.op === op.name) ? '(ref)' : ''));
    } else {
      stepTypes.push(op.type + '(float)');
      stats.floatOps++;
      const def = getOpDef(op.type);
      const s: Slot = fp === undefined ? { kind: 'f', shape: op.output.shape.slice() } : qslot(op.output.shape.slice(), fp);
      slots.set(op.name, s);
      steps.push(() => {
        const fin = ins.map((x) => floatValue(x as Slot));
        const y = def.float(fin, op.attrs, op);
        if (s.kind === 'f') s.value = y;
        else {
          if (y.data.length !== s.n) throw new QuantizeError('E_Q_SHAPE_MISMATCH', `float kernel produced [${y.shape}] but the graph says [${s.shape}]`, { where: op.name });
          const scale = 2 ** s.fp;
          const d = y.data;
          for (let i = 0; i < s.n; i++) {
            const v = d[i] * scale;
            I8[s.off + i] = Number.isNaN(v) ? 0 : Math.max(-128, Math.min(127, Math.floor(v + 0.5)));
          }
        }
      });
    }
  }
  for (const name of graph.outputs) {
    if (!slots.has(name)) throw new QuantizeError('E_QIR_OUTPUT', `graph output '${name}' is not an op`, { where: name });
  }

  function resolve(name: string, op: Op): Slot {
    let s = slots.get(name);
    if (!s) {
      const src = byName.get(name);
      if (src && src.type === 'const' && src.output.fixPoint !== undefined) {
        s = constSlot(src);
        slots.set(name, s);
      } else {
        throw new QuantizeError('E_QIR_ORDER', `input '${name}' of '${op.name}' is not computed before it`, { where: op.name, fix: 'ops must be topologically sorted' });
      }
    }
    return s;
  }

  function floatValue(s: Slot, dst?: Float32Array): TensorValue {
    if (s.kind === 'f') {
      if (!s.value) throw new QuantizeError('E_QIR_ORDER', 'float tensor read before it was computed');
      if (!dst) return s.value;
      dst.set(s.value.data);
      return { shape: s.value.shape.slice(), data: dst };
    }
    const out = dst ?? (ndq ? outF32(s.n) : new Float32Array(s.n));
    if (ndq) ndq(I8, s.off, s.n, s.fp, out);
    else {
      const sc = 2 ** -s.fp;
      for (let i = 0; i < s.n; i++) out[i] = I8[s.off + i] * sc;
    }
    return { shape: s.shape.slice(), data: out };
  }

  function feedOf(feeds: Record<string, TensorValue>, op: Op, want: number[]): TensorValue {
    const feed = feeds[op.name];
    if (!feed) {
      throw new QuantizeError('E_Q_FEED_MISSING', `no feed for graph input '${op.name}'`, { where: op.name, fix: `pass feeds for: ${graph.inputs.join(', ')}` });
    }
    if (want.length && numel(want) !== feed.data.length) {
      throw new QuantizeError('E_Q_FEED_SHAPE', `feed '${op.name}' has ${feed.data.length} values, the graph input [${want}] needs ${numel(want)}`, { where: op.name });
    }
    return feed;
  }

  // ---- allocate and initialise ----------------------------------------------------------------
  const scratch = alloc(scratchBytes);
  for (const u of scratchUsers) u(scratch);
  const needPages = Math.ceil(top / WASM_PAGE);
  const have = memory.buffer.byteLength / WASM_PAGE;
  if (needPages > have) memory.grow(needPages - have);
  I8 = new Int8Array(memory.buffer);
  for (const f of inits) f();
  inits.length = 0; // the closures hold the packed weights' JS copies: free them once they are in the arena
  for (const [a, b] of slack) I8.fill(CANARY, a, b);
  stats.arenaBytes = top - ARENA_START;
  const runSteps = np ? np.fuse(steps) : steps;

  return {
    stats,
    threads: par.threads,
    memory,
    ...(np ? { nativeProfile: (reset?: boolean) => np.profile(reset) } : {}),
    run(feeds, into) {
      if (into) {
        for (const [name, a] of Object.entries(into)) {
          const s = slots.get(name);
          const n = s ? (s.kind === 'q' ? s.n : s.value ? s.value.data.length : numel(s.shape)) : -1;
          if (!graph.outputs.includes(name) || !(a instanceof Float32Array) || a.length !== n) {
            throw new QuantizeError('E_Q_OUTPUT_ARRAY', `run(): the array given for '${name}' is not a Float32Array of that graph output's ${n} values`, {
              where: name, fix: `pass Float32Arrays only for graph outputs (${graph.outputs.join(', ')}), each of the output's length`,
            });
          }
        }
      }
      np?.begin();
      for (const f of feedSteps) f(feeds);
      const prof = (globalThis as { __prof?: Record<string, number> }).__prof;
      if (prof) {
        for (let i = 0; i < steps.length; i++) {
          const t = performance.now();
          steps[i]();
          const key = stepTypes[i];
          prof[key] = (prof[key] ?? 0) + performance.now() - t;
        }
      } else for (const s of runSteps) s();
      const out: Record<string, TensorValue> = {};
      for (const name of graph.outputs) out[name] = floatValue(slots.get(name) as Slot, into?.[name]);
      return out;
    },
    checkBounds() {
      const bad: string[] = [];
      for (const [a, b] of slack) {
        for (let i = a; i < b; i++) {
          if (I8[i] !== CANARY) {
            bad.push(`arena byte ${i} (slack [${a}, ${b})) overwritten`);
            break;
          }
        }
      }
      return bad;
    },
    rerun() {
      for (const s of runSteps) s();
    },
    runInt8(feeds) {
      np?.begin();
      for (const name of graph.inputs) {
        const s = slots.get(name);
        const d = feeds[name];
        if (!s || s.kind !== 'q') throw new QuantizeError('E_Q_FEED_FLOAT', `graph input '${name}' is not fixed-point: feed it float through run()`, { where: name });
        if (!d || d.length !== s.n) throw new QuantizeError('E_Q_FEED_SHAPE', `int8 feed '${name}' has ${d?.length ?? 0} values, the graph input needs ${s.n}`, { where: name });
        I8.set(d, s.off);
      }
      for (const s of runSteps) s();
    },
    tensor(name) {
      const s = slots.get(name);
      return s && s.kind === 'q' ? view(s).slice() : undefined;
    },
    tensorInto(name, dst) {
      const s = slots.get(name);
      if (!s || s.kind !== 'q' || s.n !== dst.length) return false;
      dst.set(view(s));
      return true;
    },
    value(name) {
      const s = slots.get(name);
      return s && (s.kind === 'q' || s.value) ? floatValue(s) : undefined;
    },
  };
}
