/**
 * Pre-pass: fold batchnorm into the preceding conv (conv2d, depthwise-conv2d, transposed-conv2d)
 * when the conv's only consumer is the batchnorm. s = γ/√(var+ε); W'[c] = W[c]·s[c];
 * b'[c] = (b[c] − mean[c])·s[c] + β[c]. The fused op keeps the conv's name.
 */
import type { Graph, Op } from '../ir/types.js';
import { QuantizeError } from '../errors.js';
import { CONV_TYPES, bypassOp, consumerMap, dropDeadConsts, freshName, opMap, outChannels } from './graph-util.js';
import { batchnormFoldedBias, batchnormScale, scaleConvOutChannels } from '../ir/passes/batchnorm-fold.js';

export interface FoldBnResult {
  /** `bn → conv` pairs folded. */
  folded: { bn: string; conv: string }[];
}

function constData(ops: Map<string, Op>, name: string | undefined, where: string): Float32Array {
  const op = name ? ops.get(name) : undefined;
  if (!op || op.type !== 'const' || !op.data) {
    throw new QuantizeError('E_Q_BN_PARAM', `batchnorm parameter '${name}' is not a constant`, { where, fix: 'export the model in inference mode (constant BN statistics)' });
  }
  return op.data;
}

/** Folds in place (mutates `g`). */
export function foldBatchNorm(g: Graph): FoldBnResult {
  const folded: FoldBnResult['folded'] = [];
  for (;;) {
    const ops = opMap(g);
    const cons = consumerMap(g);
    const bn = g.ops.find((op) => {
      if (op.type !== 'batchnorm') return false;
      const conv = ops.get(op.inputs[0]);
      return !!conv && CONV_TYPES.has(conv.type) && (cons.get(conv.name) ?? []).length === 1
        && (conv.attrs['nonlinear'] ?? 'NONE') === 'NONE' && ops.get(conv.inputs[1])?.type === 'const'
        && op.inputs.slice(1).every((n) => ops.get(n)?.type === 'const');
    });
    if (!bn) break;
    const conv = ops.get(bn.inputs[0]) as Op;
    const gamma = constData(ops, bn.inputs[1], bn.name);
    const beta = constData(ops, bn.inputs[2], bn.name);
    const mean = constData(ops, bn.inputs[3], bn.name);
    const vr = constData(ops, bn.inputs[4], bn.name);
    const eps = typeof bn.attrs['epsilon'] === 'number' ? (bn.attrs['epsilon'] as number) : 1e-5;
    const wOp = ops.get(conv.inputs[1]) as Op;
    const wShape = wOp.output.shape;
    const oc = outChannels(conv, wShape);
    if (gamma.length !== oc) {
      throw new QuantizeError('E_Q_BN_SHAPE', `batchnorm has ${gamma.length} channels, conv '${conv.name}' has ${oc}`, { where: bn.name });
    }
    const s = batchnormScale(gamma, vr, eps);
    // Weights: own copy if shared.
    const wUsers = (cons.get(wOp.name) ?? []).length;
    let w = wOp;
    if (wUsers > 1) {
      w = { ...wOp, name: freshName(g, `${conv.name}_weights`), output: { ...wOp.output, shape: [...wShape] }, data: new Float32Array(wOp.data as Float32Array) };
      g.ops.splice(g.ops.indexOf(conv), 0, w);
      conv.inputs[1] = w.name;
    }
    w.data = scaleConvOutChannels(conv.type, w.data as Float32Array, s);
    // Bias.
    const bName = conv.inputs[2];
    const oldB = bName ? ops.get(bName) : undefined;
    const nb = batchnormFoldedBias(oldB?.data, mean, s, beta);
    if (oldB && oldB.type === 'const' && (cons.get(oldB.name) ?? []).length === 1) {
      oldB.data = nb;
      oldB.output = { ...oldB.output, shape: [oc] };
    } else {
      const b: Op = { name: freshName(g, `${conv.name}_bias`), type: 'const', inputs: [], attrs: {}, output: { shape: [oc], dtype: 'float32' }, data: nb };
      g.ops.splice(g.ops.indexOf(conv), 0, b);
      conv.inputs[2] = b.name;
    }
    bypassOp(g, bn.name, conv.name);
    folded.push({ bn: bn.name, conv: conv.name });
  }
  dropDeadConsts(g);
  return { folded };
}
