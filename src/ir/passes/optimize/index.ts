/**
 * Inference optimisation for float graphs (issue 3 "Speed"): pure Graph → Graph passes that fold
 * batchnorm and constant per-channel/scalar affine ops into the preceding conv's weights/bias and
 * fuse the following activation into the conv's `nonlinear` attr. Graph output names are kept
 * (the fused op takes the name of the last op it absorbs) and shapes are verified after each
 * pass. Not used by the importer: the quantizer needs every tensor of the unoptimised graph.
 */
import type { Graph, Op } from '../../types.js';
import { batchnormScale, scaleConvOutChannels } from '../batchnorm-fold.js';
import { eliminateDeadOps } from '../dce.js';
import { opMap, toposortOps, usersOf } from '../util.js';
import { verifyGraph } from '../verify.js';

export interface OptimizePass {
  name: string;
  run: (g: Graph) => Graph;
}

const CONVS = new Set(['conv2d', 'depthwise-conv2d', 'transposed-conv2d']);

function nonlinearOf(o: Op): string {
  const v = o.attrs['nonlinear'];
  return typeof v === 'string' ? v.toUpperCase() : 'NONE';
}

/** Helper state for one pass: fresh unique names, new const ops, users. */
class Rewriter {
  readonly byName: Map<string, Op>;
  readonly users: Map<string, Op[]>;
  readonly names: Set<string>;
  readonly added: Op[] = [];
  readonly removed = new Set<string>();
  /** op name → replacement op (placed at the position of the replaced op). */
  readonly replaced = new Map<string, Op>();
  constructor(readonly g: Graph) {
    this.byName = opMap(g);
    this.users = usersOf(g);
    this.names = new Set(g.ops.map((o) => o.name));
  }
  fresh(base: string): string {
    let n = base, i = 1;
    while (this.names.has(n)) n = `${base}_${i++}`;
    this.names.add(n);
    return n;
  }
  constOp(base: string, shape: number[], data: Float32Array): string {
    const name = this.fresh(base);
    this.added.push({ name, type: 'const', inputs: [], attrs: {}, output: { shape, dtype: 'float32' }, data });
    return name;
  }
  /** A conv whose only consumer is `user` and which is no graph output. */
  fusableConv(name: string | undefined, user: Op): Op | undefined {
    if (name === undefined) return undefined;
    const c = this.byName.get(name);
    if (!c || !CONVS.has(c.type) || this.removed.has(c.name) || this.replaced.has(c.name)) return undefined;
    if (this.g.outputs.includes(c.name)) return undefined;
    const us = this.users.get(c.name) ?? [];
    if (us.length !== 1 || us[0] !== user) return undefined;
    if (c.output.dtype !== 'float32') return undefined;
    return c;
  }
  /** Per-output-channel constant of a conv: [C] data, or undefined if not per-channel/scalar. */
  channelConst(name: string | undefined, C: number, outRank: number): Float32Array | undefined {
    if (name === undefined) return undefined;
    const k = this.byName.get(name);
    if (!k || k.type !== 'const' || !k.data) return undefined;
    const s = k.output.shape;
    if (s.length > outRank) return undefined;
    const n = k.data.length;
    if (n === 1) return new Float32Array(C).fill(k.data[0]!);
    // Only the last axis may be non-1 (channels last) and it must equal C.
    if (n !== C || s[s.length - 1] !== C) return undefined;
    return k.data;
  }
  /** Replace conv `c` and consumer `u` by one conv named like `u`. */
  fuse(c: Op, u: Op, inputs: string[], attrs: Op['attrs']): void {
    this.removed.add(c.name);
    this.replaced.set(u.name, { ...c, name: u.name, inputs, attrs, output: { ...u.output, shape: [...u.output.shape] } });
  }
  result(): Graph {
    if (this.replaced.size === 0) return this.g;
    const ops: Op[] = [...this.added];
    for (const o of this.g.ops) {
      if (this.removed.has(o.name)) continue;
      ops.push(this.replaced.get(o.name) ?? o);
    }
    return eliminateDeadOps({ ...this.g, ops: toposortOps(ops), inputs: [...this.g.inputs], outputs: [...this.g.outputs] });
  }
}

/** Scaled copy of conv weights: factor per output channel. */
function scaleWeights(c: Op, w: Op, s: Float64Array | Float32Array): Float32Array {
  return scaleConvOutChannels(c.type, w.data!, s);
}

function convChannels(c: Op): number {
  return c.output.shape[c.output.shape.length - 1]!;
}

/** Conv bias as float64 [C] (zeros if absent); undefined if the bias is not a const. */
function convBias(r: Rewriter, c: Op): Float64Array | undefined {
  const C = convChannels(c);
  const b = new Float64Array(C);
  const bn = c.inputs[2];
  if (bn === undefined) return b;
  const k = r.byName.get(bn);
  if (!k || k.type !== 'const' || !k.data || k.data.length !== C) return undefined;
  for (let i = 0; i < C; i++) b[i] = k.data[i]!;
  return b;
}

function convWeights(r: Rewriter, c: Op): Op | undefined {
  const w = r.byName.get(c.inputs[1] ?? '');
  if (!w || w.type !== 'const' || !w.data) return undefined;
  const C = convChannels(c);
  const expected = c.type === 'depthwise-conv2d' ? w.output.shape[3] : w.output.shape[0];
  return expected === C ? w : undefined;
}

/** Rewrite conv c (absorbing consumer u) with y' = s·y + t per channel. */
function foldAffine(r: Rewriter, c: Op, u: Op, s: Float64Array | undefined, t: Float64Array): boolean {
  const w = convWeights(r, c);
  const b = convBias(r, c);
  if (!w || !b) return false;
  const C = b.length;
  const nb = new Float32Array(C);
  for (let i = 0; i < C; i++) nb[i] = (s ? b[i]! * s[i]! : b[i]!) + t[i]!;
  const wName = s ? r.constOp(`${u.name}/folded_weights`, [...w.output.shape], scaleWeights(c, w, s)) : c.inputs[1]!;
  const bName = r.constOp(`${u.name}/folded_bias`, [C], nb);
  r.fuse(c, u, [c.inputs[0]!, wName, bName], { ...c.attrs });
  return true;
}

/** batchnorm (channels last) after a conv → conv with scaled weights and shifted bias. */
export function foldBatchnorm(g: Graph): Graph {
  const r = new Rewriter(g);
  for (const o of g.ops) {
    if (o.type !== 'batchnorm') continue;
    const c = r.fusableConv(o.inputs[0], o);
    if (!c || nonlinearOf(c) !== 'NONE') continue;
    const rank = o.output.shape.length;
    const axis = Number(o.attrs['axis'] ?? -1);
    if (axis !== -1 && axis !== rank - 1) continue;
    const C = convChannels(c);
    const [gamma, beta, mean, vr] = [1, 2, 3, 4].map((i) => r.channelConst(o.inputs[i], C, 1));
    if (!gamma || !beta || !mean || !vr) continue;
    const eps = Number(o.attrs['epsilon'] ?? 1e-5);
    const s = batchnormScale(gamma, vr, eps), t = new Float64Array(C);
    for (let i = 0; i < C; i++) t[i] = beta[i]! - mean[i]! * s[i]!;
    foldAffine(r, c, o, s, t);
  }
  return r.result();
}

/** mul/add/sub/div by a scalar or per-channel constant after a conv → into its weights/bias. */
export function foldConvAffine(g: Graph): Graph {
  const r = new Rewriter(g);
  for (const o of g.ops) {
    if (!['mul', 'add', 'sub', 'div'].includes(o.type) || o.inputs.length !== 2) continue;
    const rank = o.output.shape.length;
    for (const side of [0, 1] as const) {
      const c = r.fusableConv(o.inputs[side], o);
      if (!c || nonlinearOf(c) !== 'NONE') continue;
      // The result must have the conv's shape (the constant only broadcasts along channels).
      if (o.output.shape.join(',') !== c.output.shape.join(',')) continue;
      const C = convChannels(c);
      const k = r.channelConst(o.inputs[1 - side], C, rank);
      if (!k) continue;
      const s = new Float64Array(C).fill(1), t = new Float64Array(C);
      let ok = true;
      for (let i = 0; i < C; i++) {
        const v = k[i]!;
        if (o.type === 'mul') s[i] = v;
        else if (o.type === 'add') t[i] = v;
        else if (o.type === 'sub') { if (side === 0) t[i] = -v; else { s[i] = -1; t[i] = v; } }
        else if (side === 0 && v !== 0) s[i] = 1 / v;
        else ok = false; // const / conv is not affine
      }
      if (!ok) continue;
      const scaled = o.type === 'mul' || o.type === 'div' || (o.type === 'sub' && side === 1);
      if (foldAffine(r, c, o, scaled ? s : undefined, t)) break;
    }
  }
  return r.result();
}

/**
 * mul/add by a scalar or per-input-channel constant right before a conv2d (group 1) or depthwise
 * conv → into its weights/bias. A mul is exact with zero padding (0·s = 0); an add only when the
 * conv has no padding (padded zeros would otherwise become the constant), so it requires pad 0.
 */
export function foldAffineIntoNextConv(g: Graph): Graph {
  const r = new Rewriter(g);
  for (const c of g.ops) {
    if (c.type !== 'conv2d' && c.type !== 'depthwise-conv2d') continue;
    if (c.type === 'conv2d' && Number(c.attrs['group'] ?? 1) !== 1) continue;
    if (r.removed.has(c.name) || r.replaced.has(c.name)) continue;
    const pre = r.byName.get(c.inputs[0] ?? '');
    if (!pre || (pre.type !== 'mul' && pre.type !== 'add') || pre.inputs.length !== 2) continue;
    if (g.outputs.includes(pre.name) || (r.users.get(pre.name) ?? []).length !== 1) continue;
    if (r.removed.has(pre.name) || r.replaced.has(pre.name)) continue;
    const w = r.byName.get(c.inputs[1] ?? '');
    const b = convBias(r, c);
    if (!w || w.type !== 'const' || !w.data || !b || w.output.shape.length !== 4) continue;
    const IC = w.output.shape[3]!;
    const pad = c.attrs['pad'];
    const noPad = Array.isArray(pad) && pad.every((v) => v === 0);
    if (pre.type === 'add' && !noPad) continue;
    for (const side of [0, 1] as const) {
      const x = r.byName.get(pre.inputs[1 - side]!);
      if (!x || x.type === 'const' || x.output.shape.join(',') !== pre.output.shape.join(',')) continue;
      const k = r.channelConst(pre.inputs[side], IC, pre.output.shape.length);
      if (!k) continue;
      const wd = w.data;
      let wName = c.inputs[1]!;
      const nb = new Float32Array(b.length);
      if (pre.type === 'mul') {
        const nw = new Float32Array(wd.length);
        for (let i = 0; i < wd.length; i++) nw[i] = wd[i]! * k[i % IC]!;
        wName = r.constOp(`${c.name}/folded_weights`, [...w.output.shape], nw);
        for (let i = 0; i < b.length; i++) nb[i] = b[i]!;
      } else {
        const acc = Float64Array.from(b);
        if (c.type === 'depthwise-conv2d') for (let i = 0; i < wd.length; i++) acc[i % IC] += wd[i]! * k[i % IC]!;
        else { const per = wd.length / b.length; for (let i = 0; i < wd.length; i++) acc[Math.floor(i / per)] += wd[i]! * k[i % IC]!; }
        nb.set(acc);
      }
      const bName = r.constOp(`${c.name}/folded_bias`, [b.length], nb);
      r.removed.add(pre.name);
      r.replaced.set(c.name, { ...c, inputs: [x.name, wName, bName], attrs: { ...c.attrs } });
      break;
    }
  }
  return r.result();
}

const near = (a: unknown, b: number): boolean => typeof a === 'number' && Math.abs(a - b) <= 1e-6;

/** The conv `nonlinear` value equivalent to activation op `o`, if any. */
function nonlinearFor(o: Op): { nonlinear: string; alpha?: number } | undefined {
  switch (o.type) {
    case 'relu': return { nonlinear: 'RELU' };
    case 'relu6': return { nonlinear: 'RELU6' };
    case 'hard-swish': return { nonlinear: 'HSWISH' };
    case 'leaky-relu': return typeof o.attrs['alpha'] === 'number' ? { nonlinear: 'LEAKYRELU', alpha: o.attrs['alpha'] } : { nonlinear: 'LEAKYRELU', alpha: 0.01 };
    case 'hard-sigmoid':
      return near(o.attrs['alpha'], 1 / 6) && near(o.attrs['beta'], 0.5) ? { nonlinear: 'HSIGMOID' } : undefined;
    case 'clamp': {
      const lo = o.attrs['min'], hi = o.attrs['max'];
      if (lo === 0 && hi === 6) return { nonlinear: 'RELU6' };
      if (lo === 0 && (hi === undefined || hi === Infinity)) return { nonlinear: 'RELU' };
      return undefined;
    }
    default: return undefined;
  }
}

/** relu/relu6/leaky-relu/hard-sigmoid/hard-swish after a conv → conv `nonlinear` attr. */
export function fuseConvActivation(g: Graph): Graph {
  const r = new Rewriter(g);
  for (const o of g.ops) {
    const nl = nonlinearFor(o);
    if (!nl) continue;
    const c = r.fusableConv(o.inputs[0], o);
    if (!c || nonlinearOf(c) !== 'NONE') continue;
    const attrs: Op['attrs'] = { ...c.attrs, nonlinear: nl.nonlinear };
    if (nl.alpha !== undefined) attrs['alpha'] = nl.alpha;
    r.fuse(c, o, [...c.inputs], attrs);
  }
  return r.result();
}

/** The passes of optimizeForInference, in order. */
export const OPTIMIZE_PASSES: OptimizePass[] = [
  { name: 'fold-batchnorm', run: foldBatchnorm },
  { name: 'fold-conv-affine', run: foldConvAffine },
  { name: 'fuse-conv-activation', run: fuseConvActivation },
  { name: 'fold-affine-into-next-conv', run: foldAffineIntoNextConv },
];

/**
 * Runs the optimisation passes to a fixed point (chains like conv→bn→mul→add→relu fold one op
 * per round). Graph inputs and output names are unchanged; shapes verified after each pass.
 */
export function optimizeForInference(g: Graph, passes: OptimizePass[] = OPTIMIZE_PASSES): Graph {
  let cur = verifyGraph(g, 'optimize input');
  for (let round = 0; round < 16; round++) {
    const before = cur;
    for (const p of passes) {
      let prev: Graph;
      do {
        prev = cur;
        cur = p.run(cur);
        if (cur !== prev) verifyGraph(cur, `after optimize pass ${p.name}`);
      } while (cur !== prev);
    }
    if (cur === before) break;
  }
  return cur;
}
