/**
 * Pre-pass (opt-in): depthwise channel-group split — per-channel-group depthwise weight fix points that stay
 * DPU-legal (the DPU has one power-of-two fix point per weight tensor).
 *
 * On MobileNetV3 (CenterNet) the depthwise convs that feed a hard-swish have, after BN folding, channels whose
 * max|w| differ 100–500×; with one fix point per tensor the small channels keep 1–2 integer levels and the
 * detections are lost (docs/tfjs.md). This pass rewrites
 *
 *   X: conv2d → [channel-wise ops: relu/relu6/hard-swish/hard-sigmoid/leaky/clamp, mul/add/sub by a scalar or
 *      per-channel const]* → D: depthwise-conv2d → consumers
 *
 * (each link the only consumer of the previous one) into G parallel branches, one per group of D's channels
 * sorted by D's own per-channel max|w| (`by: 'depthwise'`, default; `'producer'` sorts by X's output-channel
 * max|w| like splitChannelGroups): X_k (conv2d over all inputs, the group's output channels) → the same
 * channel-wise ops (per-channel consts gathered) → D_k (the group's depthwise channels), joined by a concat along
 * channels in sorted order. The concat keeps D's name. The channels after it are permuted, so the pass
 * propagates the permutation to the consumers (`permutationPlan`):
 *  - a conv2d reading the permuted tensor gets its input-channel axis permuted (the end of the permutation);
 *  - channel-wise ops (activations, pools, pad without channel padding, resize, element-wise ops with a
 *    scalar/per-channel const) carry it on; an element-wise op between two tensors needs both permuted, so the
 *    other operand is permuted *backward*: through channel-wise ops up to a conv2d / depthwise conv whose output
 *    channels (weight rows, bias) are permuted — an SE block (global pool → fc → fc → hard-sigmoid → mul) is
 *    handled that way;
 *  - anything else (a residual add whose other side cannot be permuted, concat, reshape, a graph output) stops
 *    the rewrite: the block is left unsplit and reported in `skipped` with the reason.
 * A depthwise conv without a producing conv (e.g. it reads a residual sum) is left unsplit: the DPU compiler has
 * no channel slice (strided_slice is CPU-only), so splitting its input would cost a CPU round trip.
 * Exact in float (a channel permutation and a split of independent channels). Every X_k / D_k gets its own
 * weight fix point and X_k its own output fix point; D_k share the concat's (in place on the DPU).
 */
import type { Graph, Op, TensorValue } from '../ir/types.js';
import { QuantizeError } from '../errors.js';
import { channelMaxAbs, consumerMap, dropDeadConsts, freshName, opMap } from './graph-util.js';

export interface SplitDepthwiseOptions {
  /** Number of channel groups (≥ 2). */
  groups: number;
  /** Sort key of the channels: D's per-channel max|w| ('depthwise', default) or X's output-channel max|w| ('producer'). */
  by?: SplitKey;
  /** Split each group again into `thenGroups` sub-groups sorted by this key (G · thenGroups branches): e.g. by
   * 'depthwise' then 'input' gives each branch alike depthwise weights *and* alike input channel ranges. */
  thenBy?: SplitKey;
  /** Sub-groups per group for `thenBy` (default 2). */
  thenGroups?: number;
  /** Per-channel max|x| of each depthwise conv's input tensor (keyed by that tensor's name), for the 'input' key:
   * `depthwiseInputRanges(g, batches)`. quantize() computes it from the calibration batches when a key needs it. */
  inputRanges?: Map<string, Float64Array>;
  /** Group boundaries: equal channel counts ('size', default) or chosen to minimise Σ_c (group max / channel max)²
   * over the sorted channels ('range': small groups of outliers, big groups where the ranges are alike). */
  balance?: 'size' | 'range';
  /** Split only depthwise convs whose channel max|w| spread (largest / smallest non-zero) is at least this (default 8). */
  minSpread?: number;
  /** Round group sizes up to a multiple of this many channels (e.g. the DPU's channel parallelism); default 1. */
  align?: number;
  /** Only these depthwise ops (by name); default every match. */
  only?: string[];
  /** When X also feeds other ops: 'duplicate' (default) keeps X for them and adds the X_k for the branches (X's
   * MACs twice, but each X_k keeps its own output fix point — MobileNetV3's stem feeds the first depthwise conv and
   * a residual add, and its small channels need their own fix point); 'concat' joins the X_k outputs by a concat in
   * the same sorted order for the other consumers (no extra MACs, but the X_k then share the concat's output fix
   * point) and permutes those consumers like D's; 'skip' leaves the block. */
  sharedProducer?: 'concat' | 'duplicate' | 'skip';
}

/** Channel sort keys: D's per-channel max|w| ('depthwise'), X's output-channel max|w| ('producer'), or D's input
 * per-channel max|x| on calibration data ('input': X's output activation range, which X_k's own output fix point
 * then fits). */
export type SplitKey = 'depthwise' | 'producer' | 'input';

/** Per-channel max|x| of every depthwise conv's input tensor over `batches` (float inference). */
export function depthwiseInputRanges(g: Graph, batches: Record<string, TensorValue>[]): Map<string, Float64Array> {
  return channelMaxAbs(g, batches, new Set(g.ops.filter((op) => op.type === 'depthwise-conv2d').map((op) => op.inputs[0] as string)));
}

export interface SplitDepthwiseResult {
  /** `sharedProducer`: X had other consumers (they keep X, or read the concat of the X_k with sharedProducer 'concat'). */
  split: { depthwise: string; producer: string; groups: number; spread: number; sizes: number[]; sharedProducer: boolean }[];
  skipped: { depthwise: string; reason: string }[];
}

/** Channel-wise unary ops: output channel c depends on input channel c only. */
const UNARY = new Set(['relu', 'relu6', 'hard-swish', 'hard-sigmoid', 'leaky-relu', 'clamp', 'sigmoid', 'tanh', 'identity', 'neg', 'abs', 'exp', 'erf', 'sqrt', 'reciprocal', 'avgpool2d', 'maxpool2d', 'resize', 'pad']);
/** Channel-wise binary ops (numpy broadcasting over NHWC). */
const BINARY = new Set(['add', 'sub', 'mul', 'div', 'min', 'max', 'pow']);

const isConst = (ops: Map<string, Op>, n: string): boolean => ops.get(n)?.type === 'const';

/** A const that broadcasts per channel against a [..., C] tensor: all dims 1 (scalar) or only the last = C. */
function constKind(c: Op, C: number): 'scalar' | 'channel' | undefined {
  const s = c.output.shape;
  if (!c.data) return undefined;
  if (s.every((d) => d === 1)) return 'scalar';
  if (s.length >= 1 && s[s.length - 1] === C && s.slice(0, -1).every((d) => d === 1)) return 'channel';
  return undefined;
}

/** Does op `u` act per channel (with tensors of C channels)? Returns a reason when not. */
function channelwise(u: Op, ops: Map<string, Op>, C: number): string | undefined {
  if (UNARY.has(u.type)) {
    if (u.type === 'pad') {
      const p = u.attrs['paddings'];
      if (!Array.isArray(p) || (p[p.length - 1] as number) !== 0 || (p[p.length - 2] as number) !== 0) return `pad '${u.name}' pads the channel axis`;
    }
    if (u.output.shape[u.output.shape.length - 1] !== C) return `${u.type} '${u.name}' changes the channel count`;
    return undefined;
  }
  if (BINARY.has(u.type)) {
    if (u.output.shape[u.output.shape.length - 1] !== C) return `${u.type} '${u.name}' changes the channel count`;
    for (const i of u.inputs) {
      const p = ops.get(i);
      if (!p) return `${u.type} '${u.name}' reads unknown '${i}'`;
      if (p.type === 'const') {
        if (!constKind(p, C)) return `${u.type} '${u.name}' has a const of shape [${p.output.shape}] that is not per channel`;
      } else if (p.output.shape[p.output.shape.length - 1] !== C) return `${u.type} '${u.name}' broadcasts '${i}' over channels`;
    }
    return undefined;
  }
  return `${u.type} '${u.name}' is not channel-wise`;
}

/** How the permutation of one tensor's channels is carried through the graph. */
export interface PermutationPlan {
  /** conv2d ops whose input-channel axis is permuted (they end the permutation). */
  inputPermuted: string[];
  /** conv2d / depthwise ops whose output channels are permuted (backward sources, e.g. an SE block's second fc). */
  outputPermuted: string[];
  /** Channel-wise ops whose output is permuted (their per-channel consts are permuted). */
  carried: string[];
}

/**
 * Which ops must change when tensor `start` (C channels) is produced with its channels permuted. Returns the
 * plan, or a reason why the permutation cannot be absorbed (the caller leaves the graph alone). Consumers of
 * `start` named in `ignore` are not followed (the caller rewrites them itself).
 */
export function permutationPlan(g: Graph, start: string, ignore: ReadonlySet<string> = new Set()): PermutationPlan | { reason: string } {
  const ops = opMap(g);
  const cons = consumerMap(g);
  const startOp = ops.get(start);
  if (!startOp) return { reason: `no op '${start}'` };
  const C = startOp.output.shape[startOp.output.shape.length - 1] as number;
  const permuted = new Set<string>([start]);
  const inputPermuted = new Set<string>();
  const outputPermuted = new Set<string>();
  const carried = new Set<string>();
  const fwd: string[] = [start];
  const back: string[] = [];
  const need = (t: string): void => {
    if (permuted.has(t)) return;
    permuted.add(t);
    back.push(t);
    fwd.push(t);
  };
  while (fwd.length || back.length) {
    const b = back.pop();
    if (b !== undefined) {
      // b must come out permuted: make its producer do it
      const p = ops.get(b) as Op;
      if (g.outputs.includes(b)) return { reason: `'${b}' is a graph output` };
      if ((p.type === 'conv2d' && (p.attrs['group'] ?? 1) === 1) || p.type === 'depthwise-conv2d') {
        if (!isConst(ops, p.inputs[1] as string) || (p.inputs[2] && !isConst(ops, p.inputs[2]))) return { reason: `${p.type} '${p.name}' has non-constant weights` };
        if (p.type === 'depthwise-conv2d') need(p.inputs[0] as string);
        else outputPermuted.add(p.name);
        if (p.type === 'depthwise-conv2d') carried.add(p.name);
        continue;
      }
      const why = channelwise(p, ops, C);
      if (why) return { reason: `${why} (needed to permute '${b}')` };
      carried.add(p.name);
      for (const i of p.inputs) if (!isConst(ops, i)) need(i);
      continue;
    }
    const t = fwd.pop() as string;
    if (g.outputs.includes(t)) return { reason: `'${t}' is a graph output` };
    for (const un of cons.get(t) ?? []) {
      if (t === start && ignore.has(un)) continue;
      const u = ops.get(un) as Op;
      if (u.type === 'conv2d' && (u.attrs['group'] ?? 1) === 1 && u.inputs[0] === t && !u.inputs.slice(1).includes(t) && isConst(ops, u.inputs[1] as string)) {
        inputPermuted.add(u.name);
        continue;
      }
      if (permuted.has(u.name)) continue;
      if (u.type === 'depthwise-conv2d' && u.inputs[0] === t && isConst(ops, u.inputs[1] as string) && (!u.inputs[2] || isConst(ops, u.inputs[2]))) {
        carried.add(u.name);
        need(u.name);
        continue;
      }
      const why = channelwise(u, ops, C);
      if (why) return { reason: why };
      carried.add(u.name);
      need(u.name);
      for (const i of u.inputs) if (!isConst(ops, i)) need(i);
    }
  }
  // a conv both input- and output-permuted (its output feeds back into the permuted set) is fine: both axes move
  return { inputPermuted: [...inputPermuted], outputPermuted: [...outputPermuted], carried: [...carried].filter((n) => !outputPermuted.has(n)) };
}

/** Per-channel max|w| of a conv2d ([oc, …] rows) or depthwise ([1, kh, kw, c], channels last) weight. */
function channelMax(w: Op, depthwise: boolean): Float64Array {
  const d = w.data as Float32Array;
  const s = w.output.shape;
  const C = (depthwise ? s[s.length - 1] : s[0]) as number;
  const per = d.length / C;
  const m = new Float64Array(C);
  for (let i = 0; i < d.length; i++) {
    const c = depthwise ? i % C : Math.floor(i / per);
    const v = Math.abs(d[i] as number);
    if (v > (m[c] as number)) m[c] = v;
  }
  return m;
}

/** Group sizes over channels sorted by ascending `key`. */
function groupSizes(key: Float64Array, order: number[], G: number, balance: 'size' | 'range', align: number): number[] {
  const C = order.length;
  if (balance === 'size') {
    let size = Math.ceil(C / G);
    size = Math.ceil(size / align) * align;
    const out: number[] = [];
    for (let s = 0; s < C; s += size) out.push(Math.min(size, C - s));
    return out;
  }
  // DP over sorted channels: cost of a group [i, j) = Σ_c (max_group / max_c)², max_group = key of its last channel
  const floor = Math.max(...key) * 1e-6;
  const k = order.map((c) => Math.max(key[c] as number, floor));
  const inv2 = new Float64Array(C + 1);
  for (let i = 0; i < C; i++) inv2[i + 1] = (inv2[i] as number) + 1 / ((k[i] as number) * (k[i] as number));
  const cost = (i: number, j: number): number => (k[j - 1] as number) ** 2 * ((inv2[j] as number) - (inv2[i] as number));
  const INF = Number.POSITIVE_INFINITY;
  const best: Float64Array[] = [];
  const from: Int32Array[] = [];
  for (let gi = 0; gi <= G; gi++) { best.push(new Float64Array(C + 1).fill(INF)); from.push(new Int32Array(C + 1)); }
  (best[0] as Float64Array)[0] = 0;
  for (let gi = 1; gi <= G; gi++) {
    for (let j = 1; j <= C; j++) {
      for (let i = 0; i < j; i++) {
        if ((j - i) % align !== 0 && j !== C) continue;
        const b = (best[gi - 1] as Float64Array)[i] as number;
        if (b === INF) continue;
        const v = b + cost(i, j);
        if (v < ((best[gi] as Float64Array)[j] as number)) { (best[gi] as Float64Array)[j] = v; (from[gi] as Int32Array)[j] = i; }
      }
    }
  }
  let gBest = 1;
  for (let gi = 1; gi <= G; gi++) if (((best[gi] as Float64Array)[C] as number) < ((best[gBest] as Float64Array)[C] as number)) gBest = gi;
  const sizes: number[] = [];
  for (let gi = gBest, j = C; gi > 0; gi--) {
    const i = (from[gi] as Int32Array)[j] as number;
    sizes.unshift(j - i);
    j = i;
  }
  return sizes.filter((s) => s > 0);
}

/** Finds X → channel-wise chain → D. */
function producerChain(g: Graph, d: Op, ops: Map<string, Op>, cons: Map<string, string[]>, allowShared: boolean): { x: Op; chain: Op[]; shared: boolean } | { reason: string } {
  const C = d.output.shape[d.output.shape.length - 1] as number;
  const chain: Op[] = [];
  let cur = ops.get(d.inputs[0] as string);
  let next = d;
  for (;;) {
    if (!cur) return { reason: 'no producer' };
    const users = cons.get(cur.name) ?? [];
    const shared = users.length !== 1 || users[0] !== next.name || g.outputs.includes(cur.name);
    if (cur.type === 'conv2d') {
      if (shared && (!allowShared || g.outputs.includes(cur.name) || users.filter((u) => u === next.name).length !== 1)) return { reason: `its producer '${cur.name}' has other consumers` };
      if ((cur.attrs['group'] ?? 1) !== 1) return { reason: `producer '${cur.name}' is a grouped conv` };
      if (!isConst(ops, cur.inputs[1] as string) || (cur.inputs[2] && !isConst(ops, cur.inputs[2]))) return { reason: `producer '${cur.name}' has non-constant weights` };
      return { x: cur, chain: chain.reverse(), shared };
    }
    if (shared) return { reason: `its input '${cur.name}' (${cur.type}) has other consumers` };
    const why = channelwise(cur, ops, C);
    if (why) return { reason: `no producing conv (${why})` };
    const dyn = cur.inputs.filter((i) => !isConst(ops, i));
    if (dyn.length !== 1) return { reason: `no producing conv (${cur.type} '${cur.name}' reads ${dyn.length} tensors)` };
    chain.push(cur);
    next = cur;
    cur = ops.get(dyn[0] as string);
  }
}

/** Gather channels `chans` of a const whose channel axis is first ([oc, …]) or last (channels-last / per-channel). */
function gatherChannels(src: Float32Array, total: number, chans: number[], axisFirst: boolean): Float32Array {
  const per = src.length / total;
  const out = new Float32Array(chans.length * per);
  if (axisFirst) chans.forEach((c, j) => out.set(src.subarray(c * per, (c + 1) * per), j * per));
  else for (let s = 0; s < per; s++) chans.forEach((c, j) => { out[s * chans.length + j] = src[s * total + c] as number; });
  return out;
}

/** Permute the last (input-channel) axis of a conv2d weight [oc, kh, kw, ic]: new[.., j] = old[.., order[j]]. */
function permuteLast(src: Float32Array, n: number, order: number[]): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < src.length / n; r++) for (let j = 0; j < n; j++) out[r * n + j] = src[r * n + (order[j] as number)] as number;
  return out;
}

/**
 * Apply `plan` for tensor channels reordered by `order` (new channel j = old channel order[j]). Permuted consts
 * get their own copies (new names); mutates `g`.
 */
export function applyPermutation(g: Graph, plan: PermutationPlan, order: number[]): void {
  const ops = opMap(g);
  const C = order.length;
  const added: Op[] = [];
  const copy = (name: string, data: Float32Array, shape: number[]): string => {
    const n = freshName({ ...g, ops: [...g.ops, ...added] }, `${name}_perm`);
    added.push({ name: n, type: 'const', inputs: [], attrs: {}, output: { shape: [...shape], dtype: 'float32' }, data });
    return n;
  };
  const constOf = (n: string): Op => ops.get(n) as Op;
  // conv2d: input-channel axis (plan.inputPermuted) and/or output channels (plan.outputPermuted)
  for (const name of new Set([...plan.inputPermuted, ...plan.outputPermuted])) {
    const u = ops.get(name) as Op;
    const w = constOf(u.inputs[1] as string);
    let wd = w.data as Float32Array;
    if (plan.inputPermuted.includes(name)) wd = permuteLast(wd, C, order);
    if (plan.outputPermuted.includes(name)) wd = gatherChannels(wd, C, order, true);
    u.inputs[1] = copy(w.name, wd, w.output.shape);
    if (plan.outputPermuted.includes(name) && u.inputs[2]) {
      const b = constOf(u.inputs[2]);
      u.inputs[2] = copy(b.name, gatherChannels(b.data as Float32Array, C, order, true), b.output.shape);
    }
  }
  for (const name of plan.carried) {
    const u = ops.get(name) as Op;
    if (u.type === 'depthwise-conv2d') {
      const w = constOf(u.inputs[1] as string);
      u.inputs[1] = copy(w.name, gatherChannels(w.data as Float32Array, C, order, false), w.output.shape);
      if (u.inputs[2]) {
        const b = constOf(u.inputs[2]);
        u.inputs[2] = copy(b.name, gatherChannels(b.data as Float32Array, C, order, true), b.output.shape);
      }
      continue;
    }
    u.inputs = u.inputs.map((i) => {
      const c = ops.get(i);
      if (c?.type !== 'const' || constKind(c, C) !== 'channel') return i;
      return copy(c.name, gatherChannels(c.data as Float32Array, C, order, false), c.output.shape);
    });
  }
  // consts go first (any position before their users is valid: put them at the front)
  g.ops = [...added, ...g.ops];
  dropDeadConsts(g);
}

/** Mutates `g`: splits every matching depthwise block (see the file comment). */
export function splitDepthwiseGroups(g: Graph, options: number | SplitDepthwiseOptions): SplitDepthwiseResult {
  const o: SplitDepthwiseOptions = typeof options === 'number' ? { groups: options } : options;
  const G = o.groups;
  if (!Number.isInteger(G) || G < 2) {
    throw new QuantizeError('E_Q_OPTION', `splitDepthwiseGroups: groups must be an integer ≥ 2, got ${String(G)}`, { fix: 'pass 2–16 groups (8 is a good start), or leave the option off' });
  }
  const by = o.by ?? 'depthwise';
  const balance = o.balance ?? 'size';
  const minSpread = o.minSpread ?? 8;
  const align = Math.max(1, Math.floor(o.align ?? 1));
  const res: SplitDepthwiseResult = { split: [], skipped: [] };
  const candidates = g.ops.filter((op) => op.type === 'depthwise-conv2d' && (!o.only || o.only.includes(op.name))).map((op) => op.name);
  for (const dName of candidates) {
    const ops = opMap(g);
    const cons = consumerMap(g);
    const d = ops.get(dName) as Op;
    const skip = (reason: string): void => { res.skipped.push({ depthwise: dName, reason }); };
    const dw = ops.get(d.inputs[1] as string);
    if (dw?.type !== 'const' || !dw.data || (d.inputs[2] && !isConst(ops, d.inputs[2]))) { skip('non-constant weights'); continue; }
    const C = dw.output.shape[dw.output.shape.length - 1] as number;
    if (C < 2 * G) { skip(`${C} channels < 2·${G}`); continue; }
    const dMax = channelMax(dw, true);
    const nz = [...dMax].filter((v) => v > 0);
    const spread = nz.length ? Math.max(...nz) / Math.min(...nz) : 1;
    if (spread < minSpread) { skip(`channel max|w| spread ${spread.toFixed(1)}× < ${minSpread}×`); continue; }
    if (g.outputs.includes(d.name)) { skip('its output is a graph output'); continue; }
    const sharedMode = o.sharedProducer ?? 'duplicate';
    const pc = producerChain(g, d, ops, cons, sharedMode !== 'skip');
    if ('reason' in pc) { skip(pc.reason); continue; }
    const plan = permutationPlan(g, d.name);
    if ('reason' in plan) { skip(`its output channels cannot be permuted: ${plan.reason}`); continue; }
    const { x, chain, shared } = pc;
    const inBlock = new Set([x.name, ...chain.map((e) => e.name)]);
    const touched = [...plan.inputPermuted, ...plan.outputPermuted, ...plan.carried].find((n) => inBlock.has(n));
    if (touched) { skip(`permuting its output would also permute '${touched}' inside the block`); continue; }
    // X shared with other consumers: X becomes the concat of the X_k (same order) and its other consumers are permuted too
    let planX: PermutationPlan | undefined;
    if (shared && sharedMode === 'concat') {
      const px = permutationPlan(g, x.name, new Set([(chain[0] ?? d).name]));
      if ('reason' in px) { skip(`its producer '${x.name}' has other consumers that cannot take permuted channels: ${px.reason}`); continue; }
      inBlock.add(d.name);
      const keys = (p: PermutationPlan): string[] => [...p.inputPermuted.map((n) => `in:${n}`), ...p.outputPermuted.map((n) => `out:${n}`), ...p.carried.map((n) => `c:${n}`)];
      const k1 = new Set(keys(plan));
      const clash = keys(px).find((k) => k1.has(k) || inBlock.has(k.slice(k.indexOf(':') + 1)));
      if (clash) { skip(`permuting its producer '${x.name}' clashes with the block's own permutation at ${clash}`); continue; }
      planX = px;
    }
    const wx = ops.get(x.inputs[1] as string) as Op;
    const keyOf = (k: SplitKey): Float64Array | undefined => (k === 'producer' ? channelMax(wx, false) : k === 'depthwise' ? dMax : o.inputRanges?.get(d.inputs[0] as string));
    const key = keyOf(by);
    if (!key || key.length !== C) { skip(`no input ranges for '${d.inputs[0]}' (pass inputRanges for by/thenBy 'input')`); continue; }
    let order = Array.from({ length: C }, (_, c) => c).sort((p, q) => (key[p] as number) - (key[q] as number) || p - q);
    let sizes = groupSizes(key, order, G, balance, align);
    if (o.thenBy) {
      const xMax = keyOf(o.thenBy);
      if (!xMax || xMax.length !== C) { skip(`no input ranges for '${d.inputs[0]}' (pass inputRanges for by/thenBy 'input')`); continue; }
      const G2 = Math.max(1, Math.floor(o.thenGroups ?? 2));
      const order2: number[] = [];
      const sizes2: number[] = [];
      let s1 = 0;
      for (const n of sizes) {
        const sub = order.slice(s1, s1 + n).sort((p, q) => (xMax[p] as number) - (xMax[q] as number) || p - q);
        s1 += n;
        order2.push(...sub);
        sizes2.push(...groupSizes(xMax, sub, Math.min(G2, n), balance, align));
      }
      order = order2;
      sizes = sizes2;
    }
    if (sizes.length < 2) { skip('one group'); continue; }

    // consumers first (they reference D's name, which the concat keeps), then the branches
    applyPermutation(g, plan, order);
    if (planX) applyPermutation(g, planX, order);
    const ops2 = opMap(g);
    const newOps: Op[] = [];
    const taken = (): Graph => ({ ...g, ops: [...g.ops, ...newOps] });
    const addConst = (base: string, shape: number[], data: Float32Array): string => {
      const name = freshName(taken(), base);
      newOps.push({ name, type: 'const', inputs: [], attrs: {}, output: { shape, dtype: 'float32' }, data });
      return name;
    };
    const clone = (e: Op, name: string, inputs: string[], n: number): Op => ({ name: freshName(taken(), name), type: e.type, inputs, attrs: JSON.parse(JSON.stringify(e.attrs)) as Op['attrs'], output: { ...e.output, shape: [...e.output.shape.slice(0, -1), n] } });
    const xb = x.inputs[2] ? ops2.get(x.inputs[2]) : undefined;
    const db = d.inputs[2] ? ops2.get(d.inputs[2]) : undefined;
    const branchOut: string[] = [];
    const xOut: string[] = [];
    let s0 = 0;
    sizes.forEach((n, k) => {
      const chans = order.slice(s0, s0 + n);
      s0 += n;
      const xi = [x.inputs[0] as string, addConst(`${x.name}_g${k}_weights`, [n, ...wx.output.shape.slice(1)], gatherChannels(wx.data as Float32Array, C, chans, true))];
      if (xb?.data) xi.push(addConst(`${x.name}_g${k}_bias`, [n], gatherChannels(xb.data, C, chans, true)));
      const xk = clone(x, `${x.name}_g${k}`, xi, n);
      newOps.push(xk);
      xOut.push(xk.name);
      let prev = xk.name;
      for (const e of chain) {
        const ins = e.inputs.map((i) => {
          const c = ops2.get(i);
          if (c?.type !== 'const') return prev;
          const kind = constKind(c, C);
          return kind === 'channel' ? addConst(`${c.name}_g${k}`, [...c.output.shape.slice(0, -1), n], gatherChannels(c.data as Float32Array, C, chans, false)) : addConst(`${c.name}_g${k}`, [...c.output.shape], new Float32Array(c.data as Float32Array));
        });
        const ek = clone(e, `${e.name}_g${k}`, ins, n);
        newOps.push(ek);
        prev = ek.name;
      }
      const di = [prev, addConst(`${d.name}_g${k}_weights`, [...dw.output.shape.slice(0, -1), n], gatherChannels(dw.data as Float32Array, C, chans, false))];
      if (db?.data) di.push(addConst(`${d.name}_g${k}_bias`, [n], gatherChannels(db.data, C, chans, true)));
      const dk = clone(d, `${d.name}_g${k}`, di, n);
      newOps.push(dk);
      branchOut.push(dk.name);
    });
    if (shared && sharedMode === 'concat') newOps.push({ name: x.name, type: 'concat', inputs: xOut, attrs: { axis: x.output.shape.length - 1 }, output: { ...x.output, shape: [...x.output.shape] } });
    newOps.push({ name: d.name, type: 'concat', inputs: branchOut, attrs: { axis: d.output.shape.length - 1 }, output: { ...d.output, shape: [...d.output.shape] } });
    const dead = new Set([...(shared && sharedMode === 'duplicate' ? [] : [x.name]), d.name, ...chain.map((e) => e.name)]);
    const at = g.ops.findIndex((op) => op.name === x.name);
    const after = g.ops.slice(at).find((op) => !dead.has(op.name));
    const rest = g.ops.filter((op) => !dead.has(op.name));
    rest.splice(after ? rest.indexOf(after) : rest.length, 0, ...newOps);
    g.ops = rest;
    dropDeadConsts(g);
    res.split.push({ depthwise: d.name, producer: x.name, groups: sizes.length, spread, sizes, sharedProducer: shared });
  }
  return res;
}
