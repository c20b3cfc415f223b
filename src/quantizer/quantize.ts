/**
 * quantize(graph, calib, opts) → { graph (quantized IR, docs/quantized-ir.md), quantInfo, report }.
 *
 * 1. pre-passes on a copy of the float graph: fold batchnorm, fuse activations into convs
 *    (LeakyReLU α → 26/256), cross-layer equalization (optional, on by default);
 * 2. decide the quantized ops (`quantizationPlan`), calibrate activation fix points with the chosen
 *    observer over the calibration batches (float inference via runFloat), parameter fix points
 *    with diffs/maxmin on the values;
 * 3. apply a reloaded quant_info.json (overrides), then make the fix points DPU-legal
 *    (same fix point through data-movement ops and concat, 0 ≤ shift_cut ≤ 16, shift_bias bounds),
 *    every adjustment reported;
 * 4. build the quantized graph (params stored already quantized), bias correction (optional);
 * 5. report: every tensor INT8 (bit-exact: the WASM fast executor, or runQuantized) vs FP32 over the calibration data.
 * Deterministic: no randomness except the seeded fast-finetune order.
 */
import type { Graph, Op, TensorValue } from '../ir/types.js';
import { QuantizeError } from '../errors.js';
import { runFloat } from '../kernels/ref/float-executor.js';
import { SHIFT_BIAS_MAX, SHIFT_CUT_MAX, SHIFT_CUT_MIN, shiftBiasMin } from '../kernels/ref/int8/conv.js';
import { ACT_ROUND, PARAM_ROUND, fakeQuant, maxAbs } from './fixpoint.js';
import { maxAbsChecked } from './observers/diffs-fast.js';
import { channelMaxAbs, cloneGraph, consumerMap, opMap } from './graph-util.js';
import { foldBatchNorm } from './fold-bn.js';
import { foldAffine, foldAffineForward } from './fold-affine.js';
import { fuseActivations } from './fuse-act.js';
import { scalarAffineToDepthwise, splitChannelGroups } from './split-channels.js';
import { keepFloat } from './keep-float.js';
import { type SplitDepthwiseOptions, depthwiseInputRanges, splitDepthwiseGroups } from './split-depthwise.js';
import { type CleResult, cleActivationRanges, crossLayerEqualize } from './cle.js';
import { type QuantDecision, SAME_FP_AS_INPUT, WEIGHTED, quantizationPlan } from './quantizable.js';
import { boundaryViolations, resolveBoundaries } from './boundary.js';
import { type CalibMethod, CALIB_METHODS, type DiffsBatches, type Observer, createObserver, paramFixPoint } from './observers/index.js';
import { QUANT_INFO_VERSION, type QuantInfo, checkQuantInfo, graphMd5 } from './quant-info.js';
import { type FixAdjustment, type QuantReport, sortWorstFirst, suggestionFor, tensorReport } from './report.js';
import { type ReportExecutor, reportPass } from './report-pass.js';
import { type BiasStats, accumulateBiasError, floatLayerMeans, sequentialBiasCorrection } from './bias-correction.js';
import { type FinetuneOptions, type FinetuneResult, fastFinetune } from './finetune.js';
import { type FixPointSearchOptions, type FixPointSearchResult, measureTensors, prunedTo, searchFixPoints } from './fixpoint-search.js';
import { type WeightResidualOptions, type WeightResidualResult, splitWeightResidual } from './weight-residual.js';

export type CalibBatch = Record<string, TensorValue>;
export type CalibSource = AsyncIterable<CalibBatch> | Iterable<CalibBatch>;

export interface QuantizeOptions {
  method?: CalibMethod;
  /** For method 'percentile' (default 99.99). */
  percentile?: number;
  /** For method 'diffs': 'mode' (vai_q: each batch picks a fix point, the mode wins; default) or 'pooled' (the fix
   * point with the least squared error over all batches together, so batches that reach a range are not outvoted
   * by those that do not; observers/diffs.ts). */
  diffsBatches?: DiffsBatches;
  /** Cross-layer equalization (default true). */
  cle?: boolean;
  /** CLE never widens the intermediate activation's per-tensor range (default false: det min IoU 0.877 vs 0.885; see cle.ts). */
  cleActivationAware?: boolean;
  /** Bias correction (default true). */
  biasCorrection?: boolean;
  /** Bias correction reference: 'float-input' (default: each layer alone on its float input) or
   * 'quantized-upstream' (each layer corrected on the output of the already-corrected quantized layers
   * before it, run with the INT8 kernels; ~5× slower; on PP-OCRv4 det it helps some images and hurts
   * others — see docs/quantizer.md). */
  biasCorrectionMode?: 'quantized-upstream' | 'float-input';
  /** Split conv → depthwise blocks into this many output-channel groups (sorted by max|w|), each with its own
   * weight fix point, joined by a concat (DPU-legal, exact in float; see split-channels.ts). Default off. */
  splitChannelGroups?: number;
  /** With splitChannelGroups: sort X's output channels by max|w| ('weights', default) or by their calibrated range
   * ('output': each group's output fix point fits its own channels; needs the calibration batches first). */
  splitChannelGroupsBy?: 'weights' | 'output';
  /** Depthwise channel-group split (split-depthwise.ts): every conv → [channel-wise ops] → depthwise block whose
   * depthwise channel max|w| spread ≥ 8× is split into this many groups sorted by the depthwise conv's own max|w|
   * (or pass the full options), the consumers' channels permuted (next conv, SE blocks). DPU-legal, exact in
   * float. Default off (CenterNet MobileNetV3: see docs/quantizer.md). */
  splitDepthwiseGroups?: number | SplitDepthwiseOptions;
  /** Scalar `mul → add` pairs (learnable affine after an activation) become one 1×1 depthwise conv: one
   * requantization instead of two (see split-channels.ts). Default on (PP-OCRv4 det: min IoU 0.885 → 0.902). */
  affineAsDepthwise?: boolean;
  /** Weight residual (weight-residual.ts): chosen stride-1 convs get near-16-bit weights — X reads concat(x, R·2^m ∗ x)
   * with weights [W_hi | 2^-m·I] — DPU-legal, exact in float, ~3× the conv's MACs. `true`: every eligible conv;
   * options pick by local weight SQNR (`top`, `maxSqnrDb`) or by name. Default off. */
  weightResidual?: boolean | WeightResidualOptions;
  /** More range for the named activation tensors: their calibrated fix point minus `bits` (default 1), before the DPU
   * legality pass (a concat or data-movement group takes it on). For tensors whose calibration ranges are known to be
   * smaller than in use — as a Vitis AI user edits quant_info.json. Unknown names: QuantizeError E_Q_HEADROOM. */
  activationHeadroom?: { tensors: string[]; bits?: number };
  /** Ops kept float although the DPU could run them: the ops a compile places on CPU subgraphs (keep-float.ts). */
  floatOps?: string[];
  /** AdaQuant fast finetune of every conv / depthwise / transposed conv / const matmul, sequential on the quantized
   * upstream (finetune.ts; default false); an object sets its parameters (iterations, samples, macBudget, …). */
  fastFinetune?: boolean | Omit<FinetuneOptions, 'seed' | 'onProgress'>;
  /** Output-aware fix-point search (fixpoint-search.ts; default off): after calibration, each activation's fix point
   * one step finer or coarser where that brings the INT8 values where the fixed-point part ends (the DPU part's
   * outputs) closer to float on the first batches. Off when `quantInfo` gives the fix points. */
  fixPointSearch?: boolean | FixPointSearchOptions;
  /** Least fix point of a tensor read only by sigmoid (default 4: range ±8, where sigmoid is within 3.4e-4 of 0/1).
   * Higher: finer logits, clipped sooner (5: ±4, p in [0.018, 0.982]) — PP-OCR det's DB threshold p = 0.3 is logit −0.85. */
  sigmoidInputFixPoint?: number;
  /** Reloaded quant_info.json: its fix points override the calibrated ones. */
  quantInfo?: QuantInfo;
  /** File name of quantInfo (for errors). */
  quantInfoFile?: string;
  /** Use at most this many calibration batches. */
  calibCount?: number;
  /** Seed of the fast-finetune batch order (default 0). */
  seed?: number;
  /** Batches used for bias correction (default min(calib, 16)) and the report (default min(calib, 8)). */
  biasCorrectionBatches?: number;
  reportBatches?: number;
  /** Skip the per-tensor report run (faster; report.tensors empty). */
  skipReport?: boolean;
  /** INT8 executor of the report pass: 'fast' (default; the WASM executor, bit-exact with the
   * reference, falls back to it when it cannot prepare the graph) or 'reference' (runQuantized). */
  reportExecutor?: ReportExecutor;
  /** Progress: stage name, done, total. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface QuantizeResult {
  graph: Graph;
  /** The pre-passed float graph the quantized IR was built from (same names; before bias correction):
   * the reference for `weightSensitivity`. */
  floatGraph: Graph;
  quantInfo: QuantInfo;
  report: QuantReport;
  /** Wall time of each phase in ms (not part of the report: it would make quant_report.json
   * non-deterministic). calibFloat/calibObserve split the calibration loop. */
  timings: QuantizeTimings;
  /** Per-layer fast-finetune losses (when opts.fastFinetune). */
  finetune?: FinetuneResult;
  /** The output-aware fix-point search's changes (when opts.fixPointSearch). */
  fixPointSearch?: FixPointSearchResult;
}

export interface QuantizeTimings {
  prePasses: number;
  calibFloat: number;
  calibObserve: number;
  fixPoints: number;
  biasCorrection: number;
  finetune: number;
  /** The output-aware fix-point search (0 when off). */
  search: number;
  report: number;
  total: number;
}

/** Warn below this many calibration images (vai_q's guidance). */
export const MIN_CALIB_RECOMMENDED = 100;

async function collect(src: CalibSource, limit: number): Promise<CalibBatch[]> {
  const out: CalibBatch[] = [];
  if (Symbol.asyncIterator in (src as object)) {
    for await (const b of src as AsyncIterable<CalibBatch>) {
      if (out.length >= limit) break;
      out.push(b);
    }
  } else {
    for (const b of src as Iterable<CalibBatch>) {
      if (out.length >= limit) break;
      out.push(b);
    }
  }
  return out;
}

/** The fix points of a quantization, by tensor name. */
export interface FixPoints {
  act: Map<string, number>;
  param: Map<string, number>;
}

function finiteOrThrow(g: Graph): void {
  for (const op of g.ops) if (op.type === 'const' && op.data) maxAbs(op.data, op.name);
}

/** Names of the weight / bias / other const inputs of quantized ops. */
function paramRoles(g: Graph, quantized: (n: string) => boolean): Map<string, 'weights' | 'bias' | 'const'> {
  const ops = opMap(g);
  const roles = new Map<string, 'weights' | 'bias' | 'const'>();
  for (const op of g.ops) {
    if (op.type === 'const' || !quantized(op.name)) continue;
    op.inputs.forEach((n, i) => {
      if (ops.get(n)?.type !== 'const') return;
      const role = WEIGHTED.has(op.type) ? (i === 1 ? 'weights' : i === 2 ? 'bias' : 'const') : 'const';
      if (!roles.has(n) || role === 'weights') roles.set(n, role);
    });
  }
  return roles;
}

/**
 * DPU legality. Mutates fps; returns the adjustments.
 * - data movement (reshape-likes, pad, nearest resize, maxpool) and concat: output fp = input fp;
 *   concat inputs and output share the smallest fp of the group;
 * - conv-like: shift_cut = fi + fw − fo in [0, 16] by moving fw; shift_bias = fi + fw − fb in
 *   [min(0, shift_cut − 16), 16] by moving fb (vai_q's rules).
 */
export function legalizeFixPoints(g: Graph, fps: FixPoints): FixAdjustment[] {
  const adj: FixAdjustment[] = [];
  const ops = opMap(g);
  const set = (map: Map<string, number>, tensor: string, op: string, rule: string, to: number): void => {
    const from = map.get(tensor) as number;
    if (from === to) return;
    map.set(tensor, to);
    adj.push({ tensor, op, rule, from, to });
  };
  // Tensors that must share one fix point (data movement: output = input; concat: all inputs and
  // output) form groups (union-find); each group takes the smallest fix point of its members.
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) as string;
    return r;
  };
  const groupRule = new Map<string, string>();
  for (const op of g.ops) {
    if (!fps.act.has(op.name) || !SAME_FP_AS_INPUT.has(op.type)) continue;
    const ins = op.type === 'concat' ? op.inputs.filter((n) => fps.act.has(n)) : op.inputs.slice(0, 1).filter((n) => fps.act.has(n));
    for (const n of ins) {
      const a = find(n);
      const b = find(op.name);
      if (a !== b) parent.set(a, b);
      groupRule.set(n, op.type === 'concat' ? `concat '${op.name}' inputs share its fix point` : `${op.type} '${op.name}' keeps its input fix point`);
      if (!groupRule.has(op.name)) groupRule.set(op.name, op.type === 'concat' ? `concat '${op.name}' inputs share its fix point` : `${op.type} '${op.name}' keeps its input fix point`);
    }
  }
  // A group containing a concat takes the concat output's calibrated fix point (vai_q aligns concat
  // inputs to its output: the inputs clip rather than the whole group losing resolution); others the
  // smallest fix point of the group (no member clips).
  const groupMin = new Map<string, number>();
  const concatFp = new Map<string, number>();
  for (const t of groupRule.keys()) {
    const r = find(t);
    groupMin.set(r, Math.min(groupMin.get(r) ?? Infinity, fps.act.get(t) as number));
    if (ops.get(t)?.type === 'concat') concatFp.set(r, Math.min(concatFp.get(r) ?? Infinity, fps.act.get(t) as number));
  }
  for (const [r, fp] of concatFp) groupMin.set(r, fp);
  for (const [t, rule] of groupRule) set(fps.act, t, t, rule, groupMin.get(find(t)) as number);
  for (const op of g.ops) {
    if (!WEIGHTED.has(op.type) || !fps.act.has(op.name)) continue;
    const wName = op.inputs[1];
    if (!fps.param.has(wName)) continue;
    const fi = fps.act.get(op.inputs[0]);
    if (fi === undefined) continue;
    const fo = fps.act.get(op.name) as number;
    const fw = fps.param.get(wName) as number;
    const sc = fi + fw - fo;
    if (sc < SHIFT_CUT_MIN) set(fps.param, wName, op.name, `shift_cut ${sc} < ${SHIFT_CUT_MIN}: weight fix point raised`, SHIFT_CUT_MIN + fo - fi);
    else if (sc > SHIFT_CUT_MAX) set(fps.param, wName, op.name, `shift_cut ${sc} > ${SHIFT_CUT_MAX}: weight fix point lowered`, SHIFT_CUT_MAX + fo - fi);
    const bName = op.inputs[2];
    if (!bName || !fps.param.has(bName) || ops.get(bName)?.type !== 'const') continue;
    const fw2 = fps.param.get(wName) as number;
    const sc2 = fi + fw2 - fo;
    const fb = fps.param.get(bName) as number;
    const sb = fi + fw2 - fb;
    const lo = shiftBiasMin(sc2);
    if (sb > SHIFT_BIAS_MAX) set(fps.param, bName, op.name, `shift_bias ${sb} > ${SHIFT_BIAS_MAX}: bias fix point raised`, fi + fw2 - SHIFT_BIAS_MAX);
    else if (sb < lo) set(fps.param, bName, op.name, `shift_bias ${sb} < ${lo}: bias fix point lowered`, fi + fw2 - lo);
  }
  return adj;
}

/** Write fix points into a copy of the float graph: the quantized IR. */
export function applyFixPoints(g: Graph, fps: FixPoints): Graph {
  const q = cloneGraph(g);
  for (const op of q.ops) {
    if (op.type === 'const') {
      const fp = fps.param.get(op.name);
      if (fp === undefined) continue;
      op.output = { ...op.output, dtype: 'int8', fixPoint: fp };
      op.data = fakeQuant(op.data as Float32Array, fp, PARAM_ROUND);
    } else {
      const fp = fps.act.get(op.name);
      if (fp === undefined) continue;
      op.output = { ...op.output, dtype: 'int8', fixPoint: fp };
    }
  }
  return q;
}

export async function quantize(graph: Graph, calib: CalibSource, opts: QuantizeOptions = {}): Promise<QuantizeResult> {
  const method = opts.method ?? 'diffs';
  if (!CALIB_METHODS.includes(method)) {
    throw new QuantizeError('E_Q_METHOD', `unknown calibration method '${String(method)}'`, { fix: `use one of ${CALIB_METHODS.join(', ')}` });
  }
  if (opts.diffsBatches !== undefined && opts.diffsBatches !== 'mode' && opts.diffsBatches !== 'pooled') {
    throw new QuantizeError('E_Q_METHOD', `unknown diffsBatches rule '${String(opts.diffsBatches)}'`, { fix: "use 'mode' (the default) or 'pooled'" });
  }
  if (opts.splitChannelGroupsBy !== undefined && opts.splitChannelGroupsBy !== 'weights' && opts.splitChannelGroupsBy !== 'output') {
    throw new QuantizeError('E_Q_METHOD', `unknown splitChannelGroupsBy key '${String(opts.splitChannelGroupsBy)}'`, { fix: "use 'weights' (max|w|, the default) or 'output'" });
  }
  const search = typeof opts.fixPointSearch === 'object' ? opts.fixPointSearch : {};
  for (const [k, v, min] of [['batches', search.batches, 1], ['passes', search.passes, 1], ['minGain', search.minGain, 0]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= min && (k === 'minGain' || Number.isInteger(v)))) {
      throw new QuantizeError('E_Q_SEARCH', `fixPointSearch.${k} is ${String(v)}`, { fix: k === 'minGain' ? 'give a fraction ≥ 0 (default 0.005)' : `give an integer ≥ 1 (default ${k === 'batches' ? 8 : 1})` });
    }
  }
  const progress = opts.onProgress ?? (() => undefined);
  const warnings: string[] = [];
  const md5 = graphMd5(graph);
  const g = cloneGraph(graph);
  finiteOrThrow(g);

  const tStart = performance.now();
  const timings: QuantizeTimings = { prePasses: 0, calibFloat: 0, calibObserve: 0, fixPoints: 0, biasCorrection: 0, finetune: 0, search: 0, report: 0, total: 0 };
  let tMark = tStart;
  const lap = (): number => {
    const now = performance.now();
    const d = now - tMark;
    tMark = now;
    return d;
  };
  // 1. pre-passes
  // affine before and after BN folding: conv → add(bias) → batchnorm (Paddle's ConvTranspose export)
  const affine = foldAffine(g);
  const { folded } = foldBatchNorm(g);
  affine.folded.push(...foldAffine(g).folded, ...foldAffineForward(g).folded);
  const plan0 = quantizationPlan(g);
  for (const op of g.ops) if (op.type === 'hard-sigmoid') plan0.set(op.name, { quantize: true });
  const fuse = fuseActivations(g, (conv) => plan0.get(conv.name)?.quantize === true);
  // the channel splits' range keys need calibration ranges: collect the batches now (the same ones serve below)
  let early: CalibBatch[] | undefined;
  if (opts.splitChannelGroups) {
    if (opts.splitChannelGroupsBy === 'output') {
      early = await collect(calib, opts.calibCount ?? Infinity);
      const convs = new Set(g.ops.filter((op) => op.type === 'conv2d').map((op) => op.name));
      splitChannelGroups(g, opts.splitChannelGroups, channelMaxAbs(g, early.slice(0, 16), convs));
    } else splitChannelGroups(g, opts.splitChannelGroups);
  }
  if (opts.splitDepthwiseGroups) {
    const o = typeof opts.splitDepthwiseGroups === 'number' ? { groups: opts.splitDepthwiseGroups } : opts.splitDepthwiseGroups;
    if ((o.by === 'input' || o.thenBy === 'input') && !o.inputRanges) {
      early ??= await collect(calib, opts.calibCount ?? Infinity);
      splitDepthwiseGroups(g, { ...o, inputRanges: depthwiseInputRanges(g, early.slice(0, 4)) });
    } else splitDepthwiseGroups(g, o);
  }
  if (opts.affineAsDepthwise ?? true) scalarAffineToDepthwise(g);
  // CLE runs once the calibration batches are in (it needs the intermediate activation ranges)
  let cle: CleResult = { pairs: [], rounds: 0, firstRoundMeanLog2Scale: 0 };

  // 2. calibration data (CLE and the weight residual need it)
  const limit = opts.calibCount ?? Infinity;
  const batches = early ?? (await collect(calib, limit));
  if (!batches.length) {
    throw new QuantizeError('E_Q_CALIB_EMPTY', 'no calibration data', { fix: 'pass at least one calibration batch (ideally 100–1000 representative inputs)' });
  }
  if (opts.calibCount !== undefined && Number.isFinite(opts.calibCount) && batches.length < opts.calibCount) {
    throw new QuantizeError('E_Q_CALIB_COUNT', `asked for ${opts.calibCount} calibration inputs but the set has only ${batches.length}`, {
      fix: `pass --calib-count ${batches.length} or add inputs`,
    });
  }
  if (batches.length < MIN_CALIB_RECOMMENDED) {
    warnings.push(`only ${batches.length} calibration input(s): vai_q recommends 100–1000; with fewer, expect activation fix points to miss rare large values and accuracy to drop by several points`);
  }
  if (opts.cle !== false) cle = crossLayerEqualize(g, { actRanges: opts.cleActivationAware ? cleActivationRanges(g, batches.slice(0, 4)) : undefined });
  // what gets fix points: the ops the DPU runs, less floatOps
  const planOf = (): Map<string, QuantDecision> => {
    const p = quantizationPlan(g);
    if (opts.floatOps?.length) keepFloat(g, p, opts.floatOps);
    return p;
  };
  let residual: WeightResidualResult = { split: [], measured: 0 };
  if (opts.weightResidual) {
    const p = planOf();
    residual = splitWeightResidual(g, batches, (n) => p.get(n)?.quantize === true, opts.weightResidual === true ? {} : opts.weightResidual);
  }

  // 3. what gets fix points (after the weight residual's new ops)
  const plan = planOf();
  const cons = consumerMap(g);
  const isQ = (n: string): boolean => plan.get(n)?.quantize === true;
  const boundary = resolveBoundaries(g, plan);
  const actTensors: string[] = [];
  const floatOps: QuantReport['floatOps'] = [];
  for (const op of g.ops) {
    if (op.type === 'const') continue;
    const d = plan.get(op.name);
    if (d?.quantize) actTensors.push(op.name);
    else {
      floatOps.push({ op: op.name, type: op.type, reason: d?.reason ?? 'not a DPU op' });
      // float → fixed boundary: a float op feeding a DPU op gets a fix point on its output
      if (boundary.has(op.name)) actTensors.push(op.name);
    }
  }
  const roles = paramRoles(g, isQ);
  const ops = opMap(g);

  const observers = new Map<string, Observer>();
  for (const t of actTensors) observers.set(t, createObserver(method, { tensor: t, round: ACT_ROUND, percentile: opts.percentile, diffsBatches: opts.diffsBatches }));
  const want = new Set(actTensors);
  timings.prePasses = lap();
  let observeMs = 0;
  batches.forEach((feeds, i) => {
    runFloat(g, feeds, {
      onTensor: (op, v) => {
        const t = performance.now();
        if (want.has(op.name)) observers.get(op.name)?.observe(v.data);
        else maxAbsChecked(v.data, op.name);
        observeMs += performance.now() - t;
      },
    });
    progress('calibrate', i + 1, batches.length);
  });
  timings.calibObserve = observeMs;
  timings.calibFloat = lap() - observeMs;

  const fps: FixPoints = { act: new Map(), param: new Map() };
  for (const t of actTensors) fps.act.set(t, (observers.get(t) as Observer).fixPoint());
  for (const [name, role] of [...roles.entries()].sort()) {
    const op = ops.get(name) as Op;
    fps.param.set(name, paramFixPoint(op.data as Float32Array, role === 'const' ? 'diffs' : method, PARAM_ROUND, name));
  }

  // a weight-residual concat(x, s) keeps x's own fix point: its observer saw the small residual s too and would
  // pick a finer one, and the concat group's fix point would then clip x
  for (const l of residual.split) {
    const x = (ops.get(l.concat) as Op).inputs[0] as string;
    if (fps.act.has(x)) fps.act.set(l.concat, fps.act.get(x) as number);
  }

  // headroom the caller asks for: calibration ranges known to be smaller than in use
  const headroomAdj: FixAdjustment[] = [];
  for (const t of opts.activationHeadroom?.tensors ?? []) {
    const fp = fps.act.get(t);
    if (fp === undefined) {
      throw new QuantizeError('E_Q_HEADROOM', `activationHeadroom names '${t}', which is not a quantized tensor of this graph`, {
        where: t, fix: 'name tensors from the quantizer report (report.tensors) or quant_info.json "output"',
      });
    }
    const to = fp - (opts.activationHeadroom?.bits ?? 1);
    fps.act.set(t, to);
    headroomAdj.push({ tensor: t, op: t, rule: `activationHeadroom: ${fp - to} bit(s) more range`, from: fp, to });
  }

  // quant_info.json overrides
  const inputNames = new Set(g.inputs);
  const expected = {
    param: [...fps.param.keys()],
    output: actTensors.filter((t) => !inputNames.has(t)),
    input: actTensors.filter((t) => inputNames.has(t)),
  };
  let overrides = 0;
  if (opts.quantInfo) {
    checkQuantInfo(opts.quantInfo, expected, opts.quantInfoFile);
    for (const [k, v] of Object.entries(opts.quantInfo.param)) if (fps.param.get(k) !== v[0][1]) { fps.param.set(k, v[0][1]); overrides++; }
    for (const sec of ['output', 'input'] as const) {
      for (const [k, v] of Object.entries(opts.quantInfo[sec])) if (fps.act.get(k) !== v[0][1]) { fps.act.set(k, v[0][1]); overrides++; }
    }
  }

  // A tensor read only by a saturating float op (sigmoid: |x| > 8 changes its output by < 3.4e-4;
  // tanh: |x| > 4 by < 6.7e-4) needs no range beyond that: spend the bits on resolution instead.
  const satAdj: FixAdjustment[] = [];
  if (!opts.quantInfo) {
    for (const t of actTensors) {
      const users = (cons.get(t) ?? []).map((c) => ops.get(c)?.type);
      if (!users.length || users.some((u) => u !== 'sigmoid' && u !== 'tanh')) continue;
      const minFp = users.every((u) => u === 'sigmoid') ? (opts.sigmoidInputFixPoint ?? 4) : 5;
      const fp = fps.act.get(t) as number;
      if (fp < minFp) {
        fps.act.set(t, minFp);
        satAdj.push({ tensor: t, op: t, rule: `read only by ${users[0]}, which saturates beyond ±${2 ** (7 - minFp)}: fix point raised`, from: fp, to: minFp });
      }
    }
  }
  // the fix points before legalization, where the output-aware search starts (only kept when it will run)
  const calibrated: FixPoints | undefined = opts.fixPointSearch && !opts.quantInfo ? { act: new Map(fps.act), param: new Map(fps.param) } : undefined;
  const adjustments = [...headroomAdj, ...satAdj, ...legalizeFixPoints(g, fps)];
  let qg = applyFixPoints(g, fps);

  timings.fixPoints = lap();
  // 4. bias correction (it edits the float biases of g: the report compares against the float graph before it)
  const gRef = cloneGraph(g);
  const biasLayers = g.ops.filter((op) => WEIGHTED.has(op.type) && op.type !== 'matmul' && isQ(op.name) && op.inputs[2] && fps.param.has(op.inputs[2])).map((o) => o.name);
  let bcMax = 0;
  let bcLayers = 0;
  const bcMode = opts.biasCorrectionMode ?? 'float-input';
  if (opts.biasCorrection !== false && biasLayers.length && bcMode === 'quantized-upstream') {
    const nb = Math.min(batches.length, opts.biasCorrectionBatches ?? 16);
    const layerSet = new Set(biasLayers);
    const sums = new Map<string, Float64Array>();
    const needed = new Set(biasLayers.map((n) => (ops.get(n) as Op).inputs[0]));
    for (let i = 0; i < nb; i++) {
      const acts = new Map<string, TensorValue>();
      runFloat(g, batches[i], { onTensor: (op, v) => { if (needed.has(op.name)) acts.set(op.name, v); } });
      for (const name of biasLayers) {
        const m = floatLayerMeans(g, ops.get(name) as Op, acts.get((ops.get(name) as Op).inputs[0]) as TensorValue);
        const s = sums.get(name);
        if (!s) sums.set(name, m);
        else for (let c = 0; c < m.length; c++) s[c] += m[c];
      }
      progress('bias-correction', i + 1, 2 * nb);
    }
    for (const s of sums.values()) for (let c = 0; c < s.length; c++) s[c] /= nb;
    bcMax = sequentialBiasCorrection(qg, layerSet, batches.slice(0, nb), sums, (layer, bias, corrected) => {
      const fi = fps.act.get(layer.inputs[0]) as number;
      const fw = fps.param.get(layer.inputs[1]) as number;
      const fo = fps.act.get(layer.name) as number;
      let fb = opts.quantInfo ? (fps.param.get(bias.name) as number) : paramFixPoint(corrected, method, PARAM_ROUND, bias.name);
      fb = Math.min(Math.max(fb, fi + fw - SHIFT_BIAS_MAX), fi + fw - shiftBiasMin(fi + fw - fo));
      fps.param.set(bias.name, fb);
      (ops.get(bias.name) as Op).data = corrected;
      bias.data = fakeQuant(corrected, fb, PARAM_ROUND);
      bias.output = { ...bias.output, dtype: 'int8', fixPoint: fb };
      bcLayers++;
    });
    progress('bias-correction', 2 * nb, 2 * nb);
    adjustments.push(...legalizeFixPoints(g, fps));
    qg = applyFixPoints(g, fps);
  } else if (opts.biasCorrection !== false && biasLayers.length) {
    const nb = Math.min(batches.length, opts.biasCorrectionBatches ?? 16);
    const stats: BiasStats = { sum: new Map(), batches: 0 };
    const needed = new Set(biasLayers.map((n) => (ops.get(n) as Op).inputs[0]));
    for (let i = 0; i < nb; i++) {
      const acts = new Map<string, TensorValue>();
      runFloat(g, batches[i], { onTensor: (op, v) => { if (needed.has(op.name)) acts.set(op.name, v); } });
      accumulateBiasError(g, qg, biasLayers, acts, stats);
      progress('bias-correction', i + 1, nb);
    }
    for (const name of biasLayers) {
      const s = stats.sum.get(name);
      if (!s) continue;
      const bOp = ops.get((ops.get(name) as Op).inputs[2]) as Op;
      const b = (bOp.data = new Float32Array(bOp.data as Float32Array));
      for (let c = 0; c < b.length; c++) {
        const corr = s[c] / stats.batches;
        bcMax = Math.max(bcMax, Math.abs(corr));
        b[c] += corr;
      }
      bcLayers++;
      if (!opts.quantInfo) fps.param.set(bOp.name, paramFixPoint(b, method, PARAM_ROUND, bOp.name));
    }
    adjustments.push(...legalizeFixPoints(g, fps));
    qg = applyFixPoints(g, fps);
  }

  timings.biasCorrection = lap();
  // fast finetune (AdaQuant)
  let ftLayers = 0;
  let ftResult: FinetuneResult | undefined;
  if (opts.fastFinetune) {
    const ftOpts = typeof opts.fastFinetune === 'object' ? opts.fastFinetune : {};
    ftResult = fastFinetune(g, qg, gRef, fps, batches, { ...ftOpts, seed: opts.seed ?? 0, onProgress: progress });
    ftLayers = ftResult.layers;
    adjustments.push(...legalizeFixPoints(g, fps));
    qg = applyFixPoints(g, fps);
  }

  timings.finetune = lap();
  // output-aware fix-point search (after bias correction and finetune: it judges the model as it will run)
  let searchResult: FixPointSearchResult | undefined;
  if (calibrated) {
    const use = batches.slice(0, Math.min(batches.length, search.batches ?? 8));
    const measured = measureTensors(qg);
    const want = new Set(measured);
    const reference = use.map((b) => {
      const vals: Record<string, TensorValue> = {};
      runFloat(gRef, b, { onTensor: (op, v) => { if (want.has(op.name)) vals[op.name] = v; } });
      return vals;
    });
    // the search starts from the calibrated fix points, the biases' own for their corrected (finetuned) values
    for (const name of calibrated.param.keys()) if (roles.get(name) === 'bias') calibrated.param.set(name, paramFixPoint((ops.get(name) as Op).data as Float32Array, method, PARAM_ROUND, name));
    searchResult = searchFixPoints(prunedTo(g, measured), fps, calibrated, use, reference, legalizeFixPoints, applyFixPoints, search, (d, t) => progress('fix-point search', d, t));
    const fmt = (e: number): string => `${(-10 * Math.log10(e / measured.length)).toFixed(2)} dB`;
    for (const c of searchResult.changes) {
      adjustments.push({ tensor: c.tensor, op: c.tensor, rule: `output-aware search: SQNR where the fixed-point part ends ${fmt(c.errorBefore)} → ${fmt(c.errorAfter)}`, from: c.from, to: c.to });
    }
    if (searchResult.changes.length) {
      fps.act = calibrated.act;
      fps.param = calibrated.param;
      adjustments.push(...legalizeFixPoints(g, fps));
      qg = applyFixPoints(g, fps);
    }
  }
  timings.search = lap();

  qg.meta = { ...qg.meta, quantizer: 'dpuflow', quant_method: method };
  const viol = boundaryViolations(qg);
  if (viol.length) {
    throw new QuantizeError('E_Q_BOUNDARY', `fixed-point op '${viol[0].op}' reads '${viol[0].input}', which has no fix point (${viol.length} such edge(s))`, {
      where: viol[0].op,
      fix: 'a quantizer bug: report it with the model; as a workaround, pass a quant_info.json that gives the tensor a fix point',
    });
  }

  // 5. report
  const nr = opts.skipReport ? 0 : Math.min(batches.length, opts.reportBatches ?? 8);
  const { stats, local } = reportPass(gRef, qg, batches.slice(0, nr), opts.reportExecutor ?? 'fast', (i) => progress('report', i + 1, nr));
  const qOps = opMap(qg);
  timings.report = lap();
  const tensors = [...stats.entries()].map(([name, st]) => {
    const op = qOps.get(name) as Op;
    const t = tensorReport(name, op.type, st, op.output.fixPoint, local.get(name));
    const s = suggestionFor(t, method, batches.length);
    return s ? { ...t, suggestion: s } : t;
  });
  const sorted = sortWorstFirst(tensors);
  const outputs = qg.outputs.map((o) => sorted.find((t) => t.tensor === o)).filter((t): t is NonNullable<typeof t> => !!t);

  const section = (names: string[], map: Map<string, number>): Record<string, [number, number][]> =>
    Object.fromEntries(names.sort().map((n) => [n, [[8, map.get(n) as number]]]));
  const quantInfo: QuantInfo = {
    param: section([...fps.param.keys()], fps.param),
    output: section(expected.output, fps.act),
    input: section(expected.input, fps.act),
    fast_finetuned: !!opts.fastFinetune,
    bias_corrected: opts.biasCorrection !== false && bcLayers > 0,
    version: QUANT_INFO_VERSION,
    graph_md5: md5,
  };
  if (opts.quantInfo && opts.quantInfo.graph_md5 && opts.quantInfo.graph_md5 !== md5) {
    warnings.push(`quant_info.json graph_md5 ${opts.quantInfo.graph_md5} differs from this graph's ${md5}: tensor names match, but the model changed`);
  }

  const report: QuantReport = {
    model: graph.name,
    method,
    calibBatches: batches.length,
    reportBatches: nr,
    warnings,
    folded,
    affineFolded: affine.folded,
    fused: fuse.fused,
    leakyAlpha: fuse.leaky,
    hardSigmoid: fuse.hsigmoid,
    cle: { enabled: opts.cle !== false, pairs: cle.pairs.length, rounds: cle.rounds },
    biasCorrection: { enabled: opts.biasCorrection !== false, layers: bcLayers, maxAbsCorrection: bcMax },
    fastFinetune: { enabled: !!opts.fastFinetune, layers: ftLayers, ...(ftResult ? { note: `${ftLayers} of ${ftResult.details.length} layers changed (held-out loss dropped)` } : {}) },
    ...(opts.weightResidual ? { weightResidual: { measured: residual.measured, split: residual.split } } : {}),
    adjustments,
    quantInfoOverrides: overrides,
    floatOps,
    tensors: sorted,
    outputs,
  };
  timings.total = performance.now() - tStart;
  return { graph: qg, floatGraph: gRef, quantInfo, report, timings, ...(ftResult ? { finetune: ftResult } : {}), ...(searchResult ? { fixPointSearch: searchResult } : {}) };
}
