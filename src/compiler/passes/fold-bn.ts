/**
 * Pass `fold-bn`: a batchnorm left after a conv (the quantizer normally folds them) is folded into
 * the conv's weights and bias, which are re-quantized (STD_ROUND, fix point from the new range).
 */
import type { Op } from '../../ir/types.js';
import { consumers, dropDeadConsts, opMap, withOps } from '../graph-util.js';
import type { Pass } from '../types.js';
import { batchnormFoldedBias, batchnormScale, scaleConvOutChannels } from '../../ir/passes/batchnorm-fold.js';

function fixPointFor(data: Float32Array): number {
  let m = 0;
  for (const v of data) m = Math.max(m, Math.abs(v));
  if (m === 0) return 7;
  return Math.max(-16, Math.min(16, Math.floor(Math.log2(127 / m))));
}

/** STD_ROUND (half away from zero) to int8 at fix point fp, returned as float q·2^-fp. */
function quantize(data: Float32Array, fp: number): Float32Array {
  const out = new Float32Array(data.length);
  const s = 2 ** fp;
  for (let i = 0; i < data.length; i++) {
    const x = data[i] * s;
    const q = Math.max(-128, Math.min(127, Math.sign(x) * Math.round(Math.abs(x))));
    out[i] = q / s;
  }
  return out;
}

export const foldBn: Pass = (state, ctx) => {
  const g = state.graph;
  const byName = opMap(g);
  const cons = consumers(g);
  const replace = new Map<string, Op>();
  const removed = new Set<string>();
  for (const bn of g.ops) {
    if (bn.type !== 'batchnorm') continue;
    const conv = byName.get(bn.inputs[0]);
    if (!conv || (conv.type !== 'conv2d' && conv.type !== 'depthwise-conv2d') || (cons.get(conv.name)?.length ?? 0) !== 1) continue;
    if (g.outputs.includes(conv.name)) continue;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1).map((n) => byName.get(n)?.data);
    const w = byName.get(conv.inputs[1]);
    if (!gamma || !beta || !mean || !variance || !w?.data) continue;
    const eps = typeof bn.attrs['epsilon'] === 'number' ? bn.attrs['epsilon'] : 1e-5;
    const oc = gamma.length;
    const scale = batchnormScale(gamma, variance, eps);
    const nw = scaleConvOutChannels(conv.type, w.data, scale);
    const oldB = conv.inputs[2] ? byName.get(conv.inputs[2])?.data : undefined;
    const nb = batchnormFoldedBias(oldB, mean, scale, beta);
    const quant = conv.output.fixPoint !== undefined;
    const fpW = fixPointFor(nw), fpB = fixPointFor(nb);
    const wName = `${bn.name}__w`, bName = `${bn.name}__b`;
    const wOp: Op = { name: wName, type: 'const', inputs: [], attrs: {}, output: { shape: w.output.shape, dtype: quant ? 'int8' : 'float32', ...(quant ? { fixPoint: fpW } : {}) }, data: quant ? quantize(nw, fpW) : nw };
    const bOp: Op = { name: bName, type: 'const', inputs: [], attrs: {}, output: { shape: [oc], dtype: quant ? 'int8' : 'float32', ...(quant ? { fixPoint: fpB } : {}) }, data: quant ? quantize(nb, fpB) : nb };
    replace.set(conv.name, wOp);
    replace.set(`${conv.name}#b`, bOp);
    replace.set(bn.name, { ...conv, name: bn.name, inputs: [conv.inputs[0], wName, bName], output: { ...bn.output } });
    removed.add(conv.name);
    ctx.report.notes.push(`fold-bn: batchnorm '${bn.name}' folded into '${conv.name}' (weights re-quantized at fix point ${fpW}, bias ${fpB})`);
  }
  if (removed.size === 0) return state;
  const ops: Op[] = [];
  for (const o of g.ops) {
    if (removed.has(o.name)) {
      ops.push(replace.get(o.name)!, replace.get(`${o.name}#b`)!);
    } else ops.push(replace.get(o.name) ?? o);
  }
  return { ...state, graph: withOps(g, dropDeadConsts(ops, g.outputs)) };
};
