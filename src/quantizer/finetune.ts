/**
 * Fast finetune (AdaQuant, Hubara et al. 2020; Vitis AI's `fast_finetune`), kept fast: every weighted layer —
 * conv2d (any kernel, stride, dilation, pad, group), depthwise-conv2d, transposed-conv2d and matmul with a
 * constant 2-D weight — in graph order, **sequentially**: the quantized graph runs op by op on the calibration
 * batches with the bit-exact INT8 kernels (runQuantized's rules), and before a layer runs, its float weights and
 * bias are optimised by a few Adam steps so that the layer on its *quantized* input (the output of the already
 * quantized and finetuned upstream) with fake-quantized weights and bias (straight-through estimator for the
 * rounding; the fused activation's derivative) matches the float layer's output on the *float* input (the float
 * reference graph's activation) at sampled output positions, both clipped to the output fix point's range (the DPU
 * saturates there: values beyond it carry no gradient). The result is kept only when the loss on held-out
 * sampled positions (not used for the steps) drops; the best step by that loss is kept. Fix points do not change.
 *
 * Cost per layer: ≈ iterations × 2 × samples × (output channels × weights per output channel) MACs, the samples
 * limited by `macBudget`; plus one float and one INT8 pass over the graph per batch.
 */
import type { Graph, Op, TensorValue } from '../ir/types.js';
import { getOpDef } from '../ir/registry.js';
import { QuantizeError } from '../errors.js';
import { PARAM_ROUND, fakeQuant } from './fixpoint.js';
import { attrAt, opMap } from './graph-util.js';
import type { FixPoints } from './quantize.js';
import { mulberry32 } from '../models/prng.js';
import { type QSlot, constSlot, quantizedStep, slotFloat } from './quantized-step.js';

export interface FinetuneOptions {
  seed: number;
  /** Adam steps per layer (default 32). */
  iterations?: number;
  /** About this many sampled output positions per layer (default 1024; distinct; a fifth of them held out to decide what is kept). */
  samples?: number;
  /** MACs of one forward pass over the samples (default 4e6): bounds the samples of big layers. */
  macBudget?: number;
  /** Adam step size in units of the weight's quantization step (bias: the output's step), cosine-decayed. Default 0.05
   * (0.25 overshoots: the first steps move every weight at once and the held-out loss rises). */
  learningRate?: number;
  /** Calibration batches used (default 4). */
  batches?: number;
  /** Only these layers (default: every weighted layer with fix points). */
  layers?: ReadonlySet<string>;
  /** Only the last N of them in graph order (e.g. a detector's head). */
  lastLayers?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface FinetuneLayer {
  layer: string;
  type: string;
  samples: number;
  /** Held-out MSE vs the float layer output before and after (the kept parameters). */
  before: number;
  after: number;
  kept: boolean;
}

export interface FinetuneResult {
  /** Layers whose parameters changed. */
  layers: number;
  details: FinetuneLayer[];
}

/** mulberry32 (src/models/prng.ts). */
export const prng = mulberry32;

const FINETUNED = new Set(['conv2d', 'depthwise-conv2d', 'transposed-conv2d', 'matmul']);

/**
 * A weighted layer as a linear map per output position: y[o] = act(b[o] + Σ_j Wc[o·K + j] · col[grp(o)·K + j]),
 * grp(o) = floor(o / ocg); `col` (G·K values) gathered from the input at one output position.
 */
interface LinearView {
  OC: number; K: number; G: number; ocg: number;
  /** Output positions per batch. */
  positions: number;
  /** Fills col (G·K) for output position p of input x. */
  gather(x: Float32Array, p: number, col: Float32Array): void;
  /** Weights (stored layout) → canonical [OC][K], and back. */
  toCanon(w: Float32Array): Float32Array;
  fromCanon(c: Float32Array): Float32Array;
}

function linearView(op: Op, x: readonly number[], w: readonly number[], out: readonly number[]): LinearView | undefined {
  const a = op.attrs;
  if (op.type === 'matmul') {
    if (a['transpose_a'] === true || w.length !== 2 || x.length < 1) return undefined;
    const tb = a['transpose_b'] === true;
    const K = tb ? w[1]! : w[0]!, N = tb ? w[0]! : w[1]!;
    if (x[x.length - 1] !== K) return undefined;
    const rows = x.reduce((p, v) => p * v, 1) / K;
    return {
      OC: N, K, G: 1, ocg: N, positions: rows,
      gather: (xd, p, col) => col.set(xd.subarray(p * K, p * K + K)),
      toCanon: (wd) => { if (tb) return new Float32Array(wd); const c = new Float32Array(N * K); for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) c[n * K + k] = wd[k * N + n]!; return c; },
      fromCanon: (c) => { if (tb) return new Float32Array(c); const wd = new Float32Array(N * K); for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) wd[k * N + n] = c[n * K + k]!; return wd; },
    };
  }
  if (x.length !== 4 || w.length !== 4 || out.length !== 4) return undefined;
  const [, H, W, C] = x as [number, number, number, number];
  const [, OH, OW] = out as [number, number, number, number];
  const KH = w[1]!, KW = w[2]!;
  const sw = attrAt(a['stride'], 0, 1), sh = attrAt(a['stride'], 1, 1), dw = attrAt(a['dilation'], 0, 1), dh = attrAt(a['dilation'], 1, 1);
  const pl = attrAt(a['pad'], 0, 0), pt = attrAt(a['pad'], 2, 0);
  const T = KH * KW;
  const positions = OH * OW;
  const same = (v: Float32Array): Float32Array => new Float32Array(v);
  /**
   * The im2col gather of a (grouped) conv at one output position, for the layout `G` groups × `ICg` input channels
   * each: col[g·K + t·ICg + i] = x[iy, ix, g·ICg + i] at tap t = ky·KW + kx (0 outside the input), K = KH·KW·ICg.
   * conv2d is G = group, ICg = C / group; depthwise is G = C, ICg = 1.
   */
  const im2col = (G: number, ICg: number): LinearView['gather'] => {
    const K = T * ICg;
    return (xd, p, col) => {
      const oy = Math.floor(p / OW), ox = p % OW;
      for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
        const iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw, tap = (ky * KW + kx) * ICg;
        const inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
        const base = (iy * W + ix) * C;
        for (let g = 0; g < G; g++) {
          const dst = g * K + tap, src = base + g * ICg;
          for (let i = 0; i < ICg; i++) col[dst + i] = inside ? xd[src + i]! : 0;
        }
      }
    };
  };
  if (op.type === 'depthwise-conv2d') {
    if (w[3] !== C || out[3] !== C) return undefined;
    return {
      OC: C, K: T, G: C, ocg: 1, positions,
      gather: im2col(C, 1),
      toCanon: (wd) => { const c = new Float32Array(C * T); for (let t = 0; t < T; t++) for (let ch = 0; ch < C; ch++) c[ch * T + t] = wd[t * C + ch]!; return c; },
      fromCanon: (c) => { const wd = new Float32Array(C * T); for (let t = 0; t < T; t++) for (let ch = 0; ch < C; ch++) wd[t * C + ch] = c[ch * T + t]!; return wd; },
    };
  }
  const OC = w[0]!, ICg = w[3]!;
  if (op.type === 'conv2d') {
    const G = attrAt([a['group']], 0, 1);
    if (ICg * G !== C || OC % G !== 0) return undefined;
    const K = T * ICg;
    return {
      OC, K, G, ocg: OC / G, positions,
      gather: im2col(G, ICg),
      toCanon: same, fromCanon: same,
    };
  }
  if (op.type === 'transposed-conv2d') {
    if (ICg !== C) return undefined;
    const K = T * C;
    return {
      OC, K, G: 1, ocg: OC, positions,
      gather: (xd, p, col) => {
        col.fill(0);
        const oy = Math.floor(p / OW), ox = p % OW;
        for (let ky = 0; ky < KH; ky++) {
          const ny = oy + pt - ky * dh;
          if (ny < 0 || ny % sh !== 0 || ny / sh >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const nx = ox + pl - kx * dw;
            if (nx < 0 || nx % sw !== 0 || nx / sw >= W) continue;
            const base = ((ny / sh) * W + nx / sw) * C;
            col.set(xd.subarray(base, base + C), (ky * KW + kx) * C);
          }
        }
      },
      toCanon: same, fromCanon: same,
    };
  }
  return undefined;
}

/** The fused activation (float kernels' definition, kernels/ref/float/conv.ts) and its derivative. */
function activation(op: Op): { f: (a: number) => number; d: (a: number) => number } {
  const nl = String(op.attrs['nonlinear'] ?? 'NONE').toUpperCase();
  const alpha = typeof op.attrs['alpha'] === 'number' ? op.attrs['alpha'] as number : 0.01;
  switch (nl) {
    case 'RELU': return { f: (a) => (a < 0 ? 0 : a), d: (a) => (a > 0 ? 1 : 0) };
    case 'RELU6': return { f: (a) => (a < 0 ? 0 : a > 6 ? 6 : a), d: (a) => (a > 0 && a < 6 ? 1 : 0) };
    case 'LEAKYRELU': return { f: (a) => (a < 0 ? a * alpha : a), d: (a) => (a > 0 ? 1 : alpha) };
    case 'HSIGMOID': return { f: (a) => Math.min(6, Math.max(0, a + 3)) / 6, d: (a) => (a > -3 && a < 3 ? 1 / 6 : 0) };
    case 'HSWISH': return { f: (a) => (a * Math.min(6, Math.max(0, a + 3))) / 6, d: (a) => (a <= -3 ? 0 : a >= 3 ? 1 : (2 * a + 3) / 6) };
    default: return { f: (a) => a, d: () => 1 };
  }
}


/**
 * Finetunes in place, sequentially (see the file comment). `g`: the float graph whose weight/bias data are
 * optimised (already bias-corrected: the starting point); `qg`: the quantized graph built from it
 * (applyFixPoints; its weight/bias consts are updated as layers are finetuned, so later layers see the
 * finetuned upstream); `ref`: the float reference graph (before bias correction) whose activations are the
 * targets. All three have the same ops in the same order. The caller rebuilds `qg` from `g` afterwards.
 */
export function fastFinetune(g: Graph, qg: Graph, ref: Graph, fps: FixPoints, batches: Record<string, TensorValue>[], opts: FinetuneOptions): FinetuneResult {
  if (g.ops.length !== qg.ops.length || g.ops.length !== ref.ops.length || g.ops.some((o, i) => o.name !== qg.ops[i]!.name || o.name !== ref.ops[i]!.name)) {
    throw new QuantizeError('E_Q_FINETUNE_GRAPHS', 'fast finetune needs the float, quantized and reference graphs with the same ops in the same order', {
      fix: 'a quantizer bug: report it with the model; quantize without fastFinetune meanwhile',
    });
  }
  const iters = opts.iterations ?? 32;
  const maxS = opts.samples ?? 1024;
  const budget = opts.macBudget ?? 4e6;
  const lrScale = opts.learningRate ?? 0.05;
  const rnd = prng(opts.seed);
  const nb = Math.min(batches.length, opts.batches ?? 4);
  const use = batches.slice(0, nb);
  const gOps = opMap(g);
  const qOps = opMap(qg);
  const isLayer = (op: Op): boolean => {
    if (!FINETUNED.has(op.type) || op.output.fixPoint === undefined || (opts.layers && !opts.layers.has(op.name))) return false;
    const w = qOps.get(op.inputs[1]!);
    const b = op.inputs[2] ? qOps.get(op.inputs[2]) : undefined;
    const x = qOps.get(op.inputs[0]!);
    return w?.type === 'const' && w.output.fixPoint !== undefined && x?.output.fixPoint !== undefined && (!b || (b.type === 'const' && b.output.fixPoint !== undefined));
  };
  let eligible = qg.ops.filter(isLayer);
  if (opts.lastLayers !== undefined) eligible = eligible.slice(Math.max(0, eligible.length - opts.lastLayers));
  const chosen = new Set(eligible.map((o) => o.name));
  const total = eligible.length;
  const lastUse = new Map<string, number>();
  qg.ops.forEach((op, i) => { for (const n of op.inputs) lastUse.set(n, i); });
  for (const o of qg.outputs) lastUse.set(o, Infinity);
  const fSlots = use.map(() => new Map<string, TensorValue>());
  const qSlots = use.map(() => new Map<string, QSlot>());
  const details: FinetuneLayer[] = [];
  let changed = 0;

  const tune = (op: Op, li: number): void => {
    const wq = qOps.get(op.inputs[1]!) as Op;
    const bq = op.inputs[2] ? qOps.get(op.inputs[2]) : undefined;
    const wOp = gOps.get(wq.name) as Op;
    const bOp = bq ? gOps.get(bq.name) : undefined;
    const x0 = slotFloat(qSlots[0]!.get(op.inputs[0]!) as QSlot);
    const y0 = fSlots[0]!.get(op.name) as TensorValue;
    const view = linearView(op, x0.shape, wq.output.shape, y0.shape);
    if (!view || !wOp.data) return;
    const { OC, K, G, ocg } = view;
    const GK = G * K;
    const perSample = OC * K;
    // distinct sampled (batch, position) pairs: the first nS for the steps, the rest (a fifth) held out
    const avail = use.length * view.positions;
    const all = Math.min(avail, Math.floor(1.25 * Math.max(16, Math.min(maxS, Math.floor(budget / perSample)))));
    const nS = all - Math.max(1, Math.floor(all / 5));
    // candidates (up to 4× as many): positions whose float output is saturated in every channel (beyond the output
    // fix point's range: det's background logits) go last — they carry no gradient while the prediction saturates too
    const lo = -128 * 2 ** -(op.output.fixPoint as number), hi = 127 * 2 ** -(op.output.fixPoint as number);
    const nCand = Math.min(avail, 4 * all);
    const picks = new Set<number>();
    if (nCand === avail) for (let i = 0; i < avail; i++) picks.add(i);
    else while (picks.size < nCand) picks.add(Math.floor(rnd() * avail));
    const cand = [...picks];
    for (let i = cand.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [cand[i], cand[j]] = [cand[j]!, cand[i]!]; }
    const inside: number[] = [], saturated: number[] = [];
    for (const c of cand) {
      const y = (fSlots[Math.floor(c / view.positions)]!.get(op.name) as TensorValue).data;
      const b0 = (c % view.positions) * OC;
      let any = false;
      for (let o = 0; o < OC && !any; o++) any = y[b0 + o]! > lo && y[b0 + o]! < hi;
      (any ? inside : saturated).push(c);
    }
    const order = inside.concat(saturated).slice(0, all);
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
    // quantized-input columns and float targets
    const cols = new Float32Array(all * GK);
    const T = new Float32Array(all * OC);
    const col = new Float32Array(GK);
    for (let s = 0; s < all; s++) {
      const bi = Math.floor(order[s]! / view.positions);
      const p = order[s]! % view.positions;
      view.gather(slotFloat(qSlots[bi]!.get(op.inputs[0]!) as QSlot).data, p, col);
      cols.set(col, s * GK);
      T.set((fSlots[bi]!.get(op.name) as TensorValue).data.subarray(p * OC, p * OC + OC), s * OC);
    }
    const fw = wq.output.fixPoint as number;
    const fb = bq?.output.fixPoint;
    const act = activation(op);
    const w = view.toCanon(wOp.data);
    const b = bOp?.data ? new Float32Array(bOp.data) : new Float32Array(OC);
    const gw = new Float64Array(w.length), gb = new Float64Array(OC);
    // loss over samples [s0, s1); with grad: accumulates into gw/gb
    const loss = (wc: Float32Array, bc: Float32Array, s0: number, s1: number, grad: boolean): number => {
      const wQ = fakeQuant(wc, fw, PARAM_ROUND);
      const bQ = fb === undefined ? bc : fakeQuant(bc, fb, PARAM_ROUND);
      let L = 0;
      for (let s = s0; s < s1; s++) {
        const cb = s * GK, tb = s * OC;
        for (let o = 0; o < OC; o++) {
          const xb = cb + Math.floor(o / ocg) * K, wb = o * K;
          let a = bQ[o]!;
          for (let j = 0; j < K; j++) a += wQ[wb + j]! * cols[xb + j]!;
          // the DPU output saturates at the output fix point: compare clipped values (no gradient where clipped)
          const y = act.f(a);
          const yc = y < lo ? lo : y > hi ? hi : y;
          const tv = T[tb + o]!;
          const e = yc - (tv < lo ? lo : tv > hi ? hi : tv);
          L += e * e;
          if (grad && yc === y) {
            const ga = 2 * e * act.d(a);
            if (ga === 0) continue;
            gb[o] += ga;
            for (let j = 0; j < K; j++) gw[wb + j] += ga * cols[xb + j]!;
          }
        }
      }
      return L / ((s1 - s0) * OC);
    };
    const before = loss(w, b, nS, all, false);
    let best = before, bestW = w, bestB = b;
    const lrW = lrScale * 2 ** -fw;
    const lrB = lrScale * 2 ** -(op.output.fixPoint as number);
    const mw = new Float64Array(w.length), vw = new Float64Array(w.length), mb = new Float64Array(OC), vb = new Float64Array(OC);
    const b1 = 0.9, b2 = 0.999, eps = 1e-12;
    const cw = new Float32Array(w), cb = new Float32Array(b);
    for (let t = 1; t <= iters; t++) {
      gw.fill(0);
      gb.fill(0);
      loss(cw, cb, 0, nS, true);
      const decay = 0.5 * (1 + Math.cos((Math.PI * (t - 1)) / iters));
      const step = (p: Float32Array, gg: Float64Array, m: Float64Array, v: Float64Array, lr: number): void => {
        for (let i = 0; i < p.length; i++) {
          const gi = gg[i]! / nS;
          m[i] = b1 * m[i]! + (1 - b1) * gi;
          v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
          const mh = m[i]! / (1 - b1 ** t), vh = v[i]! / (1 - b2 ** t);
          p[i] = p[i]! - (lr * decay * mh) / (Math.sqrt(vh) + eps);
        }
      };
      step(cw, gw, mw, vw, lrW);
      if (bOp?.data) step(cb, gb, mb, vb, lrB);
      const lv = loss(cw, cb, nS, all, false);

      if (lv < best) { best = lv; bestW = new Float32Array(cw); bestB = new Float32Array(cb); }
    }
    const kept = best < before;
    if (kept) {
      wOp.data = view.fromCanon(bestW);
      wq.data = fakeQuant(wOp.data, fw, PARAM_ROUND);
      if (bOp && bq && fb !== undefined) {
        bOp.data = bestB;
        bq.data = fakeQuant(bestB, fb, PARAM_ROUND);
      }
      changed++;
      // the consts ran before this op: their slots hold the old values
      for (const sl of qSlots) {
        sl.set(wq.name, constSlot(wq));
        if (bq) sl.set(bq.name, constSlot(bq));
      }
    }
    details.push({ layer: op.name, type: op.type, samples: nS, before, after: best, kept });
    opts.onProgress?.('fast-finetune', li, total);
  };

  let li = 0;
  qg.ops.forEach((op, idx) => {
    const rop = ref.ops[idx] as Op;
    // float reference pass (targets)
    for (let bi = 0; bi < use.length; bi++) {
      const sl = fSlots[bi]!;
      let v: TensorValue;
      if (rop.type === 'data') {
        const feed = use[bi]![rop.name] as TensorValue;
        v = { shape: rop.output.shape.length ? rop.output.shape.slice() : feed.shape.slice(), data: feed.data };
      } else if (rop.type === 'const') v = { shape: rop.output.shape.slice(), data: rop.data as Float32Array };
      else v = getOpDef(rop.type).float(rop.inputs.map((n) => sl.get(n) as TensorValue), rop.attrs, rop);
      sl.set(rop.name, v);
    }
    if (chosen.has(op.name)) tune(op, ++li);
    // quantized pass (what the DPU computes), as sequentialBiasCorrection runs it
    for (let bi = 0; bi < use.length; bi++) {
      const sl = qSlots[bi]!;
      const s = quantizedStep(op, (n) => sl.get(n) as QSlot, use[bi]![op.name]);
      sl.set(op.name, s);
      for (const n of op.inputs) if ((lastUse.get(n) ?? -1) <= idx) { sl.delete(n); fSlots[bi]!.delete(n); }
    }
  });
  return { layers: changed, details };
}
