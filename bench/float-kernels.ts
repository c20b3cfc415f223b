// Float conv kernels vs onnxruntime-node FP32 single-node Conv models (same run, same data).
// Representative ResNet-50 / MobileNet layers; dpuflow is single-threaded pure TS.
import ort from 'onnxruntime-node';
import '../src/ops/index.js';
import { getOpDef } from '../src/ir/registry.js';
import type { Attrs, Op, TensorValue } from '../src/ir/types.js';
import { buildModel, nchwToNhwc, permute, rand } from '../test/kernels/float/onnx-model.js';
import type { BenchContext, BenchResult } from './types.js';

interface ConvBench { label: string; ic: number; oc: number; hw: number; k: number; s: number; group: number }

const CASES: ConvBench[] = [
  { label: 'conv 3x3 64→64 @56²', ic: 64, oc: 64, hw: 56, k: 3, s: 1, group: 1 },
  { label: 'conv 1x1 256→64 @56²', ic: 256, oc: 64, hw: 56, k: 1, s: 1, group: 1 },
  { label: 'conv 3x3/2 128→128 @56²', ic: 128, oc: 128, hw: 56, k: 3, s: 2, group: 1 },
  { label: 'depthwise 3x3 32ch @112²', ic: 32, oc: 32, hw: 112, k: 3, s: 1, group: 32 },
];

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const c of CASES) {
    const p = (c.k - 1) >> 1;
    const x = rand(c.ic * c.hw * c.hw, 1);
    const w = rand((c.oc * c.ic * c.k * c.k) / c.group, 2, -0.1, 0.1);
    const b = rand(c.oc, 3);
    const wDims = [c.oc, c.ic / c.group, c.k, c.k];
    const model = buildModel([{ opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs: { kernel_shape: [c.k, c.k], strides: [c.s, c.s], pads: [p, p, p, p], group: c.group } }],
      [{ name: 'x', dims: [1, c.ic, c.hw, c.hw] }], ['y'], [{ name: 'w', dims: wDims, data: w }, { name: 'b', dims: [c.oc], data: b }]);
    const dw = c.group > 1;
    const type = dw ? 'depthwise-conv2d' : 'conv2d';
    const wt = permute(w, wDims, dw ? [1, 2, 3, 0] : [0, 2, 3, 1]);
    const xn = nchwToNhwc(x, [1, c.ic, c.hw, c.hw]);
    const inputs: TensorValue[] = [{ shape: xn.shape, data: xn.data }, { shape: wt.shape, data: wt.data }, { shape: [c.oc], data: b }];
    const attrs: Attrs = { kernel: [c.k, c.k], stride: [c.s, c.s], dilation: [1, 1], pad: [p, p, p, p], group: 1 };
    const op: Op = { name: c.label, type, inputs: [], attrs, output: { shape: [], dtype: 'float32' } };
    const kernel = getOpDef(type).float;
    ctx.progress(`${c.label}: dpuflow`);
    const ours = await ctx.time(() => kernel(inputs, attrs, op), { warmup: 1, minRuns: ctx.quick ? 1 : 3, minSeconds: ctx.quick ? 0 : 1 });
    const oh = Math.floor((c.hw + 2 * p - c.k) / c.s) + 1;
    const macs = (oh * oh * c.oc * c.k * c.k * c.ic) / c.group;
    for (const threads of [1, 2]) {
      ctx.progress(`${c.label}: onnxruntime ${threads}T`);
      const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
      const t = new ort.Tensor('float32', x, [1, c.ic, c.hw, c.hw]);
      const peer = await ctx.time(() => sess.run({ x: t }), { warmup: 2, minRuns: 5, minSeconds: ctx.quick ? 0.2 : 1 });
      await sess.release();
      results.push(ctx.result({
        group: 'float-kernels', name: `${c.label} vs ORT FP32 ${threads}T`, value: macs / ours.medianMs / 1e6, unit: 'GMAC/s',
        higherIsBetter: true, threads: 1,
        peer: { name: `onnxruntime-node FP32 ${threads} thread${threads > 1 ? 's' : ''}`, value: macs / peer.medianMs / 1e6 },
        details: { oursMs: Number(ours.medianMs.toFixed(2)), ortMs: Number(peer.medianMs.toFixed(2)), macs },
      }));
    }
  }
  return results;
}
