/**
 * Pre-pass: fold `mul` / `add` by a constant (scalar or per output channel) that directly follows a
 * conv-like op into the conv's weights and bias — exact in float:
 *   a·conv(x; W, b) = conv(x; a·W, a·b),   conv(x; W, b) + c = conv(x; W, b + c).
 * PP-LCNetV3 (PP-OCRv4) puts such "learnable affine" pairs after every conv; left alone each one
 * is an extra requantization. Only when the conv's output feeds nothing else and has no fused
 * nonlinear. The folded op keeps the conv's name.
 */
import type { Graph, Op } from '../ir/types.js';
import { CONV_TYPES, bypassOp, consumerMap, dropDeadConsts, freshName, opMap, outChannels, scaleOutChannels } from './graph-util.js';

export interface FoldAffineResult {
  folded: { op: string; into: string; kind: 'mul' | 'add' }[];
}

function constOperand(op: Op, ops: Map<string, Op>, convName: string, oc: number): Float32Array | undefined {
  if (op.inputs.length !== 2) return undefined;
  const other = op.inputs[0] === convName ? op.inputs[1] : op.inputs[1] === convName ? op.inputs[0] : undefined;
  const c = other ? ops.get(other) : undefined;
  if (!c || c.type !== 'const' || !c.data) return undefined;
  // broadcast over NHWC: scalar, or per channel (shape [...1, oc])
  const n = c.data.length;
  const shape = c.output.shape;
  if (n === 1) return new Float32Array(oc).fill(c.data[0]);
  if (n === oc && (shape.length === 0 || shape[shape.length - 1] === oc)) return new Float32Array(c.data);
  return undefined;
}

/** Folds in place. */
export function foldAffine(g: Graph): FoldAffineResult {
  const folded: FoldAffineResult['folded'] = [];
  for (;;) {
    const ops = opMap(g);
    const cons = consumerMap(g);
    let done = false;
    for (const op of g.ops) {
      if (op.type !== 'mul' && op.type !== 'add') continue;
      const convName = op.inputs.find((n) => CONV_TYPES.has(ops.get(n)?.type ?? ''));
      if (!convName || op.inputs[0] === op.inputs[1]) continue;
      const conv = ops.get(convName) as Op;
      if ((conv.attrs['nonlinear'] ?? 'NONE') !== 'NONE' || (cons.get(conv.name) ?? []).length !== 1) continue;
      const wOp = ops.get(conv.inputs[1]);
      if (wOp?.type !== 'const' || !wOp.data) continue;
      const oc = outChannels(conv, wOp.output.shape);
      const k = constOperand(op, ops, conv.name, oc);
      if (!k) continue;
      if (op.output.shape.length !== conv.output.shape.length || op.output.shape.some((d, i) => d !== conv.output.shape[i])) continue;
      // own copies of the weights and bias
      let w = wOp;
      if ((cons.get(wOp.name) ?? []).length > 1) {
        w = { ...wOp, name: freshName(g, `${conv.name}_weights`), output: { ...wOp.output, shape: [...wOp.output.shape] } };
        g.ops.splice(g.ops.indexOf(conv), 0, w);
        conv.inputs[1] = w.name;
      }
      const bOld = conv.inputs[2] ? ops.get(conv.inputs[2]) : undefined;
      const b = new Float32Array(oc);
      if (bOld?.data) b.set(bOld.data);
      if (op.type === 'mul') {
        const wd = new Float32Array(wOp.data);
        scaleOutChannels(conv, wd, w.output.shape, k);
        w.data = wd;
        for (let c = 0; c < oc; c++) b[c] *= k[c];
      } else {
        for (let c = 0; c < oc; c++) b[c] += k[c];
      }
      if (bOld && bOld.type === 'const' && (cons.get(bOld.name) ?? []).length === 1) {
        bOld.data = b;
        bOld.output = { ...bOld.output, shape: [oc] };
      } else {
        const nb: Op = { name: freshName(g, `${conv.name}_bias`), type: 'const', inputs: [], attrs: {}, output: { shape: [oc], dtype: 'float32' }, data: b };
        g.ops.splice(g.ops.indexOf(conv), 0, nb);
        conv.inputs[2] = nb.name;
      }
      bypassOp(g, op.name, conv.name);
      folded.push({ op: op.name, into: conv.name, kind: op.type });
      done = true;
      break;
    }
    if (!done) break;
  }
  dropDeadConsts(g);
  return { folded };
}

function padIsZero(op: Op): boolean {
  const p = op.attrs['pad'];
  return !Array.isArray(p) || (p as number[]).every((v) => v === 0);
}

/**
 * Fold `mul` / `add` by a constant (scalar or per channel) into the conv that consumes it, when that
 * conv has no padding (exact: conv(a⊙h + c) = conv(h; W·a) + Σ W·c; with zero padding the border
 * would differ, so padded convs are left alone). The conv must be the op's only consumer.
 */
export function foldAffineForward(g: Graph): FoldAffineResult {
  const folded: FoldAffineResult['folded'] = [];
  for (;;) {
    const ops = opMap(g);
    const cons = consumerMap(g);
    let done = false;
    for (const op of g.ops) {
      if (op.type !== 'mul' && op.type !== 'add') continue;
      const users = cons.get(op.name) ?? [];
      if (users.length !== 1 || users[0] === '') continue;
      const conv = ops.get(users[0]);
      if (!conv || (conv.type !== 'conv2d' && conv.type !== 'depthwise-conv2d') || conv.inputs[0] !== op.name || !padIsZero(conv)) continue;
      if (conv.type === 'conv2d' && (conv.attrs['group'] ?? 1) !== 1) continue;
      const xName = op.inputs.find((n) => ops.get(n)?.type !== 'const');
      if (!xName) continue;
      const wOp = ops.get(conv.inputs[1]);
      if (wOp?.type !== 'const' || !wOp.data || (cons.get(wOp.name) ?? []).length !== 1) continue;
      const ic = wOp.output.shape[wOp.output.shape.length - 1];
      const k = constOperand(op, ops, xName, ic);
      if (!k) continue;
      const bOld = conv.inputs[2] ? ops.get(conv.inputs[2]) : undefined;
      if (bOld && (bOld.type !== 'const' || (cons.get(bOld.name) ?? []).length !== 1)) continue;
      const oc = outChannels(conv, wOp.output.shape);
      const b = new Float32Array(oc);
      if (bOld?.data) b.set(bOld.data);
      const w = wOp.data;
      if (op.type === 'mul') {
        const wd = new Float32Array(w.length);
        for (let i = 0; i < w.length; i++) wd[i] = w[i] * k[i % ic];
        wOp.data = wd;
      } else {
        // Σ over the kernel window and input channels of W · c
        if (conv.type === 'depthwise-conv2d') for (let i = 0; i < w.length; i++) b[i % ic] += w[i] * k[i % ic];
        else {
          const per = w.length / oc;
          for (let o = 0; o < oc; o++) for (let i = 0; i < per; i++) b[o] += w[o * per + i] * k[i % ic];
        }
      }
      if (bOld) bOld.data = b;
      else {
        const nb: Op = { name: freshName(g, `${conv.name}_bias`), type: 'const', inputs: [], attrs: {}, output: { shape: [oc], dtype: 'float32' }, data: b };
        g.ops.splice(g.ops.indexOf(conv), 0, nb);
        conv.inputs[2] = nb.name;
      }
      conv.inputs[0] = xName;
      g.ops = g.ops.filter((o) => o !== op);
      folded.push({ op: op.name, into: conv.name, kind: op.type });
      done = true;
      break;
    }
    if (!done) break;
  }
  dropDeadConsts(g);
  return { folded };
}
