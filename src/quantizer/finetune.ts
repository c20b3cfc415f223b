/**
 * Fast finetune (AdaQuant, Hubara et al. 2020), kept small: per layer, a few Adam iterations on
 * the float weights and bias so that the layer with fake-quantized input and weights (straight-
 * through estimator for the rounding) matches the float layer's pre-activation output on
 * calibration data. Implemented for pointwise conv2d (1×1, stride 1, group 1) — the bulk of the
 * parameters in MobileNet-style nets; other layers are left as they are (reported count only
 * includes finetuned layers). A layer is only changed when its loss went down.
 */
import type { Graph, Op, TensorValue } from '../ir/types.js';
import { runFloat } from '../kernels/ref/float-executor.js';
import { ACT_ROUND, PARAM_ROUND, fakeQuant } from './fixpoint.js';
import { opMap } from './graph-util.js';
import type { FixPoints } from './quantize.js';
import { mulberry32 } from '../models/prng.js';

export interface FinetuneOptions {
  seed: number;
  iterations?: number;
  /** Pixel positions sampled per layer. */
  samples?: number;
  learningRate?: number;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** mulberry32 (src/models/prng.ts). */
export const prng = mulberry32;

function isPointwise(op: Op, ops: Map<string, Op>): boolean {
  if (op.type !== 'conv2d') return false;
  const k = op.attrs['kernel'];
  const s = op.attrs['stride'];
  const p = op.attrs['pad'];
  const w = ops.get(op.inputs[1]);
  return Array.isArray(k) && k[0] === 1 && k[1] === 1 && (!Array.isArray(s) || (s[0] === 1 && s[1] === 1))
    && (!Array.isArray(p) || (p as number[]).every((v) => v === 0)) && (op.attrs['group'] ?? 1) === 1
    && w?.type === 'const' && !!w.data && !!op.inputs[2] && ops.get(op.inputs[2])?.type === 'const';
}

/** Finetunes in place (weights/bias float data of `g`). */
export function fastFinetune(g: Graph, fps: FixPoints, batches: Record<string, TensorValue>[], opts: FinetuneOptions): { layers: number } {
  const ops = opMap(g);
  const layers = g.ops.filter((op) => fps.act.has(op.name) && isPointwise(op, ops) && fps.act.has(op.inputs[0]) && fps.param.has(op.inputs[1]));
  const iters = opts.iterations ?? 20;
  const nS = opts.samples ?? 512;
  const lr = opts.learningRate ?? 1e-3;
  const rnd = prng(opts.seed);
  let changed = 0;
  // sample input rows for every layer from a few batches
  const nb = Math.min(batches.length, 4);
  const inputsOf = new Map<string, Float32Array[]>();
  const needed = new Set(layers.map((l) => l.inputs[0]));
  for (let i = 0; i < nb; i++) {
    runFloat(g, batches[i], { onTensor: (op, v) => { if (needed.has(op.name)) { const a = inputsOf.get(op.name) ?? []; a.push(v.data); inputsOf.set(op.name, a); } } });
  }
  layers.forEach((op, li) => {
    const wOp = ops.get(op.inputs[1]) as Op;
    const bOp = ops.get(op.inputs[2]) as Op;
    const [oc, , , ic] = wOp.output.shape;
    const W = wOp.data as Float32Array;
    const B = bOp.data as Float32Array;
    const fi = fps.act.get(op.inputs[0]) as number;
    const fw = fps.param.get(wOp.name) as number;
    const fb = fps.param.get(bOp.name) as number;
    const pool = inputsOf.get(op.inputs[0]) ?? [];
    if (!pool.length) return;
    // X: nS × ic sampled pixel rows (float); Xq fake-quantized; T: float target rows.
    const X = new Float32Array(nS * ic);
    for (let s = 0; s < nS; s++) {
      const src = pool[Math.floor(rnd() * pool.length)];
      const p = Math.floor(rnd() * (src.length / ic));
      X.set(src.subarray(p * ic, p * ic + ic), s * ic);
    }
    const Xq = fakeQuant(X, fi, ACT_ROUND);
    const T = new Float64Array(nS * oc);
    for (let s = 0; s < nS; s++) for (let o = 0; o < oc; o++) {
      let a = B[o];
      for (let i = 0; i < ic; i++) a += X[s * ic + i] * W[o * ic + i];
      T[s * oc + o] = a;
    }
    const w = new Float32Array(W);
    const b = new Float32Array(B);
    const loss = (ww: Float32Array, bb: Float32Array, grad?: { w: Float64Array; b: Float64Array }): number => {
      const wq = fakeQuant(ww, fw, PARAM_ROUND);
      const bq = fakeQuant(bb, fb, PARAM_ROUND);
      let L = 0;
      for (let s = 0; s < nS; s++) for (let o = 0; o < oc; o++) {
        let a = bq[o];
        for (let i = 0; i < ic; i++) a += Xq[s * ic + i] * wq[o * ic + i];
        const e = a - T[s * oc + o];
        L += e * e;
        if (grad) {
          grad.b[o] += 2 * e;
          for (let i = 0; i < ic; i++) grad.w[o * ic + i] += 2 * e * Xq[s * ic + i];
        }
      }
      return L / (nS * oc);
    };
    const L0 = loss(w, b);
    const m = { w: new Float64Array(w.length), b: new Float64Array(b.length) };
    const v = { w: new Float64Array(w.length), b: new Float64Array(b.length) };
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    for (let t = 1; t <= iters; t++) {
      const gr = { w: new Float64Array(w.length), b: new Float64Array(b.length) };
      loss(w, b, gr);
      for (const [p, gg, mm, vv] of [[w, gr.w, m.w, v.w], [b, gr.b, m.b, v.b]] as [Float32Array, Float64Array, Float64Array, Float64Array][]) {
        for (let i = 0; i < p.length; i++) {
          const gi = gg[i] / (nS * oc);
          mm[i] = b1 * mm[i] + (1 - b1) * gi;
          vv[i] = b2 * vv[i] + (1 - b2) * gi * gi;
          p[i] -= (lr * (mm[i] / (1 - b1 ** t))) / (Math.sqrt(vv[i] / (1 - b2 ** t)) + eps);
        }
      }
    }
    if (loss(w, b) < L0) {
      wOp.data = w;
      bOp.data = b;
      changed++;
    }
    opts.onProgress?.('fast-finetune', li + 1, layers.length);
  });
  return { layers: changed };
}
