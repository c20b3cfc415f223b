/**
 * Pre-pass (opt-in): weight residual — near-16-bit weights for a conv, still DPU-legal.
 *
 * The DPU has one power-of-two fix point per weight tensor, and on PP-LCNetV3 (PP-OCRv4 det/rec) the per-tensor
 * rounding of a few pointwise convs' weights is most of the INT8 error (docs/ocr.md). For a stride-1 conv
 *
 *   X: z = act(W ∗ x + b)        W quantized at its fix point fw: W = W_hi + R, W_hi = fakeQuant(W, fw), |R| ≤ 2^-fw/2
 *
 * the pass writes
 *
 *   X_wres: s = (R · 2^m) ∗ x                   (conv2d, no bias, no activation; its own weight fix point ≈ fw + 8 − m)
 *   X_wcat: concat(x, s) along channels           (in place on the DPU; x and s share x's fix point)
 *   X:      z = act([W_hi | 2^-m·I_center] ∗ [x, s] + b)
 *
 * The identity block reads s at the kernel's centre tap, so in float X's output is unchanged (W_hi·x + R·x + b).
 * Quantized, W_hi and 2^-m are exact at fw (2^-m needs fw − 6 ≤ m ≤ fw) and R·2^m is rounded at its own fix point,
 * about 8 bits finer; what is left of the weight error is s rounded at x's step, scaled by 2^-m. X keeps its one
 * output rounding and its fused activation (HSWISH included — an add after two convs would need a second rounding
 * and, for HSWISH, a hard-sigmoid and a mul). m puts s's calibrated range within half of x's. Cost: X reads
 * C_in + C_out channels and X_wres is a second conv of X's size: about 3× X's MACs.
 *
 * Eligible: conv2d, group 1, stride 1, odd kernel with 'same' padding (output size = input size), constant
 * weights, an op the quantization plan quantizes, weights not already exact at fw.
 */
import type { Graph, Op, TensorValue } from '../ir/types.js';
import { runFloat } from '../kernels/ref/float-executor.js';
import { PARAM_ROUND, fakeQuant, fpForMaxAbs, maxAbs } from './fixpoint.js';
import { attrAt, cloneGraph, consumerMap, freshName, opMap } from './graph-util.js';
import { sqnrDb } from './sensitivity.js';

export interface WeightResidualOptions {
  /** Only these convs (default: every eligible one). */
  layers?: readonly string[];
  /** Split the N eligible convs with the lowest local weight SQNR (output of W·x vs R·x on the calibration batches). */
  top?: number;
  /** Split only convs whose local weight SQNR is below this (dB). */
  maxSqnrDb?: number;
  /** Calibration batches used to measure ranges and SQNR (default 2). */
  batches?: number;
}

export interface WeightResidualLayer {
  conv: string;
  /** The concat(x, s) X now reads: the quantizer gives it x's own calibrated fix point (its observer sees s too). */
  concat: string;
  /** Local weight SQNR in dB: Σ(W∗x)² / Σ(R∗x)² over the batches. */
  sqnrDb: number;
  /** The shift m of the residual branch (s = R·2^m ∗ x). */
  shift: number;
  /** Weight fix point of the conv (its W_hi). */
  fixPoint: number;
}

export interface WeightResidualResult {
  split: WeightResidualLayer[];
  /** Eligible convs measured and left alone. */
  measured: number;
}

interface Candidate {
  conv: Op;
  w: Op;
  fw: number;
  hi: Float32Array;
  r: Float32Array;
}

function eligible(conv: Op, ops: Map<string, Op>, quantized: (name: string) => boolean): boolean {
  if (conv.type !== 'conv2d' || (conv.attrs['group'] ?? 1) !== 1 || !quantized(conv.name)) return false;
  const w = ops.get(conv.inputs[1] as string);
  if (w?.type !== 'const' || !w.data || w.output.shape.length !== 4) return false;
  const [kw, kh] = [w.output.shape[2] as number, w.output.shape[1] as number];
  const a = conv.attrs;
  const sw = attrAt(a['stride'], 0, 1), sh = attrAt(a['stride'], 1, 1), dw = attrAt(a['dilation'], 0, 1), dh = attrAt(a['dilation'], 1, 1);
  const p = [0, 1, 2, 3].map((i) => attrAt(a['pad'], i, 0));
  if (sw !== 1 || sh !== 1 || kw % 2 === 0 || kh % 2 === 0) return false;
  if (p[0] !== (dw * (kw - 1)) / 2 || p[1] !== p[0] || p[2] !== (dh * (kh - 1)) / 2 || p[3] !== p[2]) return false;
  const x = ops.get(conv.inputs[0] as string);
  const xs = x?.output.shape;
  const ys = conv.output.shape;
  return !!xs && xs.length === 4 && ys.length === 4 && xs[1] === ys[1] && xs[2] === ys[2];
}

/** The rewrite of one conv; `m` the residual shift. Mutates `g` (the new ops go right before X); returns the new ops' names. */
function rewrite(g: Graph, c: Candidate, m: number): { res: string; cat: string } {
  const { conv, w } = c;
  const [oc, kh, kw, ic] = w.output.shape as [number, number, number, number];
  const x = conv.inputs[0] as string;
  const rName = freshName(g, `${conv.name}_wres/weights`);
  const resName = freshName(g, `${conv.name}_wres`);
  const catName = freshName(g, `${conv.name}_wcat`);
  const wName = freshName(g, `${w.name}_wres_hi`);
  const scaled = new Float32Array(c.r.length);
  const k = 2 ** m;
  for (let i = 0; i < scaled.length; i++) scaled[i] = (c.r[i] as number) * k;
  // [oc, kh, kw, ic + oc]: W_hi, then 2^-m at (o, centre, centre, ic + o)
  const wf = new Float32Array(oc * kh * kw * (ic + oc));
  const icf = ic + oc;
  for (let o = 0; o < oc; o++) {
    for (let t = 0; t < kh * kw; t++) wf.set(c.hi.subarray((o * kh * kw + t) * ic, (o * kh * kw + t + 1) * ic), (o * kh * kw + t) * icf);
    const centre = ((kh - 1) / 2) * kw + (kw - 1) / 2;
    wf[(o * kh * kw + centre) * icf + ic + o] = 2 ** -m;
  }
  const xShape = (opMap(g).get(x) as Op).output.shape;
  const sShape = [...xShape.slice(0, 3), oc];
  // the residual conv: X's geometry, no activation (and so no leaky alpha)
  const { alpha: _alpha, ...resAttrs } = JSON.parse(JSON.stringify(conv.attrs)) as Op['attrs'];
  const ops: Op[] = [
    { name: rName, type: 'const', inputs: [], attrs: {}, output: { ...w.output, shape: [...w.output.shape] }, data: scaled },
    { name: resName, type: 'conv2d', inputs: [x, rName], attrs: { ...resAttrs, nonlinear: 'NONE' }, output: { ...conv.output, shape: sShape } },
    { name: catName, type: 'concat', inputs: [x, resName], attrs: { axis: 3 }, output: { ...conv.output, shape: [...xShape.slice(0, 3), icf] } },
    { name: wName, type: 'const', inputs: [], attrs: {}, output: { ...w.output, shape: [oc, kh, kw, icf] }, data: wf },
  ];
  const at = g.ops.indexOf(conv);
  g.ops.splice(at, 0, ...ops);
  conv.inputs = [catName, wName, ...conv.inputs.slice(2)];
  return { res: resName, cat: catName };
}

/**
 * Mutates `g`. `quantized(name)`: whether the quantization plan gives the op fix points; `batches`: calibration
 * feeds (ranges and SQNR are measured on the first `opts.batches`).
 */
export function splitWeightResidual(
  g: Graph,
  batches: Record<string, TensorValue>[],
  quantized: (name: string) => boolean,
  opts: WeightResidualOptions = {},
): WeightResidualResult {
  const ops = opMap(g);
  const cons = consumerMap(g);
  const only = opts.layers ? new Set(opts.layers) : undefined;
  const cands: Candidate[] = [];
  for (const conv of g.ops) {
    if (only && !only.has(conv.name)) continue;
    if (!eligible(conv, ops, quantized)) continue;
    const w = ops.get(conv.inputs[1] as string) as Op;
    if ((cons.get(w.name) ?? []).length !== 1) continue;
    const data = w.data as Float32Array;
    // no clipping: |R| ≤ half a step everywhere (a clipped outlier's residual would set R's own fix point)
    const fw = fpForMaxAbs(maxAbs(data, w.name));
    const hi = fakeQuant(data, fw, PARAM_ROUND);
    const r = new Float32Array(data.length);
    for (let i = 0; i < r.length; i++) r[i] = (data[i] as number) - (hi[i] as number);
    if (maxAbs(r, w.name) === 0) continue;
    cands.push({ conv, w, fw, hi, r });
  }
  if (!cands.length) return { split: [], measured: 0 };

  // Measure on a probe copy split everywhere with m = 0: the input's and the residual's ranges, the local SQNR.
  const probe = cloneGraph(g);
  const pOps = opMap(probe);
  const stats = new Map<string, { x: number; s: number; ss: number; zz: number }>();
  const watch = new Map<string, { conv: string; role: 's' | 'z' }>();
  for (const c of cands) {
    const { res } = rewrite(probe, { ...c, conv: pOps.get(c.conv.name) as Op, w: pOps.get(c.w.name) as Op }, 0);
    stats.set(c.conv.name, { x: 0, s: 0, ss: 0, zz: 0 });
    watch.set(res, { conv: c.conv.name, role: 's' });
  }
  // the z watched is W∗x before the activation: a copy of X without it
  for (const c of cands) {
    const p = pOps.get(c.conv.name) as Op;
    const zName = freshName(probe, `${c.conv.name}_wres_probe`);
    const full = { ...p, name: zName, inputs: [...p.inputs], attrs: { ...p.attrs, nonlinear: 'NONE' }, output: { ...p.output, shape: [...p.output.shape] } };
    probe.ops.splice(probe.ops.indexOf(p) + 1, 0, full);
    probe.outputs.push(zName);
    watch.set(zName, { conv: c.conv.name, role: 'z' });
  }
  const xOf = new Map<string, string[]>();
  for (const c of cands) xOf.set(c.conv.inputs[0] as string, [...(xOf.get(c.conv.inputs[0] as string) ?? []), c.conv.name]);
  const nb = Math.min(batches.length, opts.batches ?? 2);
  for (let b = 0; b < nb; b++) {
    runFloat(probe, batches[b] as Record<string, TensorValue>, {
      onTensor: (op, v) => {
        const d = v.data as Float32Array;
        for (const conv of xOf.get(op.name) ?? []) {
          const st = stats.get(conv) as { x: number };
          st.x = Math.max(st.x, maxAbs(d, op.name));
        }
        const wch = watch.get(op.name);
        if (!wch) return;
        const st = stats.get(wch.conv) as { s: number; ss: number; zz: number };
        let sq = 0;
        for (let i = 0; i < d.length; i++) sq += (d[i] as number) * (d[i] as number);
        if (wch.role === 's') {
          st.s = Math.max(st.s, maxAbs(d, op.name));
          st.ss += sq;
        } else st.zz += sq;
      },
    });
  }

  let chosen = cands.map((c) => ({ c, st: stats.get(c.conv.name) as { x: number; s: number; ss: number; zz: number } }))
    .map((e) => ({ ...e, db: sqnrDb(e.st.zz, e.st.ss) }))
    .filter((e) => e.st.s > 0 && e.st.x > 0);
  if (opts.maxSqnrDb !== undefined) chosen = chosen.filter((e) => e.db < (opts.maxSqnrDb as number));
  chosen.sort((a, b) => a.db - b.db || (a.c.conv.name < b.c.conv.name ? -1 : 1));
  if (opts.top !== undefined) chosen = chosen.slice(0, Math.max(0, opts.top));

  const split: WeightResidualLayer[] = [];
  for (const e of chosen) {
    const c = e.c;
    // s·2^m within half of x's calibrated range (x's fix point may clip its rare largest values);
    // 2^-m must be exact at fw and ≤ 127·2^-fw
    const want = Math.floor(Math.log2((0.5 * e.st.x) / e.st.s));
    const m = Math.min(c.fw, Math.max(c.fw - 6, want));
    const { cat } = rewrite(g, c, m);
    split.push({ conv: c.conv.name, concat: cat, sqnrDb: e.db, shift: m, fixPoint: c.fw });
  }
  const replaced = new Set(chosen.map((e) => e.c.w));
  g.ops = g.ops.filter((o) => !replaced.has(o));
  return { split, measured: cands.length };
}
