// 'run' mode (issue 7): the fast INT8 executor (WebAssembly SIMD kernels, src/kernels/wasm) on
// ResNet-50, MobileNetV2 and a YOLOv5s-shaped net, 1 and 2 threads, vs onnxruntime-node FP32 on
// the same network (same weights, same run), plus the machine's int8 MAC peak of the kernels'
// instruction mix and a conv kernel micro-benchmark (GMAC/s vs that peak).
import ort from 'onnxruntime-node';
import { buildModel } from '../src/models/index.js';
import { importOnnx } from '../src/importers/onnx/index.js';
import { quantize } from '../src/quantizer/index.js';
import type { Graph, Op, TensorValue } from '../src/ir/types.js';
import { createFastExecutor } from '../src/kernels/wasm/executor.js';
import { createKernelMemory, instantiateKernels } from '../src/kernels/wasm/loader.js';
import { createThreadedExecutor } from '../src/kernels/wasm/node/pool.js';
import type { BenchContext, BenchResult } from './types.js';

function randomInput(shape: number[], seed: number): TensorValue {
  let a = seed >>> 0;
  const n = shape.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    data[i] = (a / 2 ** 32) * 4 - 2;
  }
  return { shape, data };
}

/** Multiply-accumulates of the conv / depthwise / matmul ops of a graph. */
export function graphMacs(g: Graph): number {
  const byName = new Map(g.ops.map((o) => [o.name, o]));
  let macs = 0;
  for (const op of g.ops) {
    const w = byName.get(op.inputs[1] ?? '');
    const outN = op.output.shape.reduce((a, b) => a * b, 1);
    if (op.type === 'conv2d' && w) macs += outN * (w.output.shape[1] * w.output.shape[2] * w.output.shape[3]);
    else if (op.type === 'depthwise-conv2d' && w) macs += outN * w.output.shape[1] * w.output.shape[2];
    else if (op.type === 'matmul' && w) macs += outN * (op.attrs.transpose_b ? w.output.shape[1] : w.output.shape[0]);
  }
  return macs;
}

/** int8 MAC/s of 12 independent i32x4.dot_i16x8_s chains on one thread (the conv loop's core). */
export function measurePeak(): number {
  const k = instantiateKernels(createKernelMemory(1)).exports;
  k.peakDot(100000, 1);
  const iters = 2_000_000;
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    k.peakDot(iters, r);
    const s = (performance.now() - t) / 1000;
    best = Math.max(best, (iters * 12 * 8) / s);
  }
  return best;
}

export function convLayer(C: number, OC: number, HW: number, k: number, depthwise = false): Graph {
  const fi = 4, fw = 6, fo = 4;
  const wshape = depthwise ? [1, k, k, C] : [OC, k, k, C];
  const n = wshape.reduce((a, b) => a * b, 1);
  const wd = new Float32Array(n);
  for (let i = 0; i < n; i++) wd[i] = (((i * 2654435761) >>> 24) - 128) * 2 ** -fw;
  const p = k >> 1;
  const oc = depthwise ? C : OC;
  const ops: Op[] = [
    { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, HW, HW, C] }, output: { shape: [1, HW, HW, C], dtype: 'int8', fixPoint: fi } },
    { name: 'w', type: 'const', inputs: [], attrs: {}, output: { shape: wshape, dtype: 'int8', fixPoint: fw }, data: wd },
    { name: 'y', type: depthwise ? 'depthwise-conv2d' : 'conv2d', inputs: ['x', 'w'], attrs: { kernel: [k, k], stride: [1, 1], dilation: [1, 1], pad: [p, p, p, p], nonlinear: 'RELU', group: 1 }, output: { shape: [1, HW, HW, oc], dtype: 'int8', fixPoint: fo } },
  ];
  return { name: 'layer', ops, inputs: ['x'], outputs: ['y'], meta: {} };
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  ctx.progress('int8 MAC peak');
  const peak = measurePeak();
  results.push(ctx.result({ group: 'dpu-run', name: 'peak int8 MAC/s per core (WASM SIMD i32x4.dot_i16x8_s, 12 chains)', value: peak / 1e9, unit: 'GMAC/s', higherIsBetter: true, threads: 1 }));

  for (const [label, C, OC, HW, k, dw] of [
    ['conv 3×3 64→64 56²', 64, 64, 56, 3, false], ['conv 1×1 256→64 56²', 256, 64, 56, 1, false],
    ['conv 3×3 512→512 7²', 512, 512, 7, 3, false], ['depthwise 3×3 144ch 56²', 144, 144, 56, 3, true],
  ] as [string, number, number, number, number, boolean][]) {
    ctx.progress(`kernel ${label}`);
    const g = convLayer(C, OC, HW, k, dw);
    const ex = createFastExecutor(g);
    const feeds = { x: randomInput([1, HW, HW, C], 5) };
    ex.run(feeds);
    const t = await ctx.time(() => ex.rerun(), { minRuns: 3, minSeconds: ctx.quick ? 0.2 : 1 });
    const gmacs = graphMacs(g) / (t.medianMs / 1000) / 1e9;
    results.push(ctx.result({ group: 'dpu-run', name: `kernel ${label} (ops only, 1 thread)`, value: gmacs, unit: 'GMAC/s', higherIsBetter: true, threads: 1,
      details: { peakFraction: Number((gmacs / (peak / 1e9)).toFixed(3)), ms: Number(t.medianMs.toFixed(2)) } }));
  }

  const models: [string, string, number][] = ctx.quick
    ? [['ResNet-50', 'resnet50', 224], ['MobileNetV2', 'mobilenetv2', 224], ['YOLOv5s-shaped', 'yolov5s', 320]]
    : [['ResNet-50', 'resnet50', 224], ['MobileNetV2', 'mobilenetv2', 224], ['YOLOv5s-shaped', 'yolov5s', 640]];
  for (const [label, name, size] of models) {
    const tag = `${label} ${size}²`;
    ctx.progress(`${tag}: build + quantize`);
    const m = buildModel(name, { seed: 1, inputSize: size });
    const fg = importOnnx(m.onnx);
    const inName = fg.inputs[0];
    const inShape = fg.ops.find((o) => o.name === inName)?.output.shape ?? [1, size, size, 3];
    const feed = randomInput(inShape, 7);
    const { graph } = await quantize(fg, [{ [inName]: feed }], { method: 'maxmin', cle: false, biasCorrection: false, skipReport: true });
    const feeds = { [inName]: feed };
    const gmac = graphMacs(graph) / 1e9;
    const opt = { minRuns: ctx.quick ? 2 : 5, minSeconds: ctx.quick ? 0.5 : 4 };
    const fps: Record<number, number> = {};
    for (const threads of [1, 2]) {
      ctx.progress(`${tag}: dpuflow run mode ${threads}T`);
      const ex = threads === 1 ? createFastExecutor(graph) : await createThreadedExecutor(graph, { threads });
      const t = await ctx.time(() => ex.run(feeds), opt);
      fps[threads] = 1000 / t.medianMs;
      const rss = process.memoryUsage().rss / 2 ** 20;
      ctx.progress(`${tag}: onnxruntime FP32 ${threads}T`);
      const session = await ort.InferenceSession.create(m.onnx, { intraOpNumThreads: threads, interOpNumThreads: 1 });
      const nchw = new ort.Tensor('float32', new Float32Array(m.inputShape.reduce((a, b) => a * b, 1)).fill(0.5), m.inputShape);
      const p = await ctx.time(() => session.run({ [m.inputName]: nchw }), { ...opt, warmup: 2 });
      await session.release();
      results.push(ctx.result({
        group: 'dpu-run', name: `${tag} INT8 run mode`, value: fps[threads], unit: 'fps', higherIsBetter: true, threads,
        peer: { name: `onnxruntime-node FP32, ${threads} thread${threads > 1 ? 's' : ''}`, value: 1000 / p.medianMs },
        details: {
          bestFps: Number((1000 / t.minMs).toFixed(2)), peerBestFps: Number((1000 / p.minMs).toFixed(2)),
          gmac: Number(gmac.toFixed(3)), gmacPerSec: Number((gmac * fps[threads]).toFixed(2)), rssMB: Math.round(rss),
          arenaMB: Number((ex.stats.arenaBytes / 2 ** 20).toFixed(1)), packedWeightMB: Number((ex.stats.weightBytes / 2 ** 20).toFixed(1)),
          refOps: ex.stats.refOps, floatOps: ex.stats.floatOps, ...(threads === 2 ? { scaling: Number((fps[2] / fps[1]).toFixed(2)) } : {}),
        },
      }));
      if ('close' in ex) await (ex as { close(): Promise<void> }).close();
    }
  }
  ctx.note('dpu-run: ORT INT8 (QDQ) peer not built yet; ratios are vs ORT FP32. Figures on a shared 2-core machine are noisy.');
  return results;
}
