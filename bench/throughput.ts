// Frame-level throughput (issue 7), the way `xdputil benchmark <model> N` measures it: N runner instances,
// one frame each in flight. dpuflow: a compiled .xmodel (B4096) on the RunnerPool ('run' mode, one worker
// thread per runner, native kernels single-threaded inside each when built); peer: onnxruntime-node on the
// same network, FP32 and a per-tensor QDQ INT8 model, with N threads the best way it offers — one session
// with intraOpNumThreads N (onnxruntime-node runs a session's frames one at a time on the calling thread, so
// N sessions in one process do not overlap: measured 0.73–0.92× of one session, kept as a detail). Rounds
// alternate the engines; the figure is the median round. Intra-op figures (one frame split over 2
// threads) are in run-mode.ts.
import ort from 'onnxruntime-node';
import os from 'node:os';
import { buildModel } from '../src/models/index.js';
import { importOnnx } from '../src/importers/onnx/index.js';
import { quantize } from '../src/quantizer/index.js';
import { compile } from '../src/compiler/index.js';
import { RunnerPool } from '../src/runtime/node/pool.js';
import { nativeStatus } from '../src/runtime/node/native-run.js';
import { ortQdqPeer } from './util.js';
import { median, randomInput, toNchw } from './run-mode.js';
import type { BenchContext, BenchResult } from './types.js';

/** Frames per second with `lanes` frames kept in flight for `seconds` (the clock starts after a warm-up frame per lane). */
async function lanesFps(lanes: number, seconds: number, frame: (lane: number) => Promise<unknown>): Promise<number> {
  await Promise.all(Array.from({ length: lanes }, (_, i) => frame(i)));
  let frames = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: lanes }, async (_, i) => {
    do { await frame(i); frames++; } while (performance.now() < deadline);
  }));
  return frames / ((performance.now() - t0) / 1000);
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const seconds = ctx.quick ? 1.5 : 4;
  const rounds = ctx.quick ? 1 : 3;
  const models: [string, string, number][] = ctx.quick
    ? [['ResNet-50', 'resnet50', 224], ['MobileNetV2', 'mobilenetv2', 224]]
    : [['ResNet-50', 'resnet50', 224], ['MobileNetV2', 'mobilenetv2', 224], ['YOLOv5s-shaped', 'yolov5s', 640]];
  ctx.note(`throughput: dpuflow runners ${nativeStatus().available ? 'use the native kernels (1 thread each)' : `use WebAssembly (${nativeStatus().reason})`}`);
  for (const [label, name, size] of models) {
    const tag = `${label} ${size}²`;
    ctx.progress(`throughput ${tag}: build, quantize, compile`);
    const m = buildModel(name, { seed: 1, inputSize: size });
    const fg = importOnnx(m.onnx);
    const inName = fg.inputs[0]!;
    const inShape = fg.ops.find((o) => o.name === inName)?.output.shape ?? [1, size, size, 3];
    const feed = randomInput(inShape, 7);
    const { graph } = await quantize(fg, [{ [inName]: feed }], { method: 'maxmin', cle: false, biasCorrection: false, skipReport: true });
    const { xmodel } = compile(graph, 'B4096');
    const nchw = toNchw(feed);
    const qdq = await ortQdqPeer(m.onnx, m.inputName, m.inputShape, nchw);
    const ortIn = new ort.Tensor('float32', nchw, m.inputShape);
    const t: Record<string, number[]> = {};
    const add = (k: string, v: number) => { (t[k] ??= []).push(v); };
    for (const lanes of [1, 2]) {
      const pool = await RunnerPool.create({ xmodel, mode: 'run', threads: lanes });
      const sessions: Record<string, ort.InferenceSession[]> = { fp: [], q: [], fpN: [] };
      sessions.fp!.push(await ort.InferenceSession.create(m.onnx, { intraOpNumThreads: lanes, interOpNumThreads: 1 }));
      sessions.q!.push(await ort.InferenceSession.create(qdq, { intraOpNumThreads: lanes, interOpNumThreads: 1 }));
      for (let i = 0; i < lanes; i++) sessions.fpN!.push(await ort.InferenceSession.create(m.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 }));
      try {
        for (let r = 0; r < rounds; r++) {
          ctx.progress(`throughput ${tag}: ${lanes} runner(s), round ${r + 1}/${rounds}`);
          const order = r % 2 === 0 ? ['dpu', 'fp', 'q', 'fpN'] : ['fpN', 'q', 'fp', 'dpu'];
          for (const e of order) {
            const fps = e === 'dpu'
              ? await lanesFps(lanes, seconds, () => pool.run({ [inName]: feed.data as Float32Array }))
              : e === 'fpN'
                ? await lanesFps(lanes, seconds, (i) => sessions.fpN![i]!.run({ [m.inputName]: ortIn }))
                : await lanesFps(1, seconds, () => sessions[e]![0]!.run({ [m.inputName]: ortIn }));
            add(`${e}${lanes}`, fps);
            await new Promise((res) => setTimeout(res, 50)); // let ORT's spinning threads settle
          }
        }
      } finally {
        await pool.close();
        for (const s of Object.values(sessions).flat()) await s.release();
      }
    }
    const fps = (k: string): number => median(t[k]!);
    const details = { loadAvg1m: Number(os.loadavg()[0]!.toFixed(2)), rounds, secondsPerRound: seconds, native: nativeStatus().available };
    for (const lanes of [1, 2]) {
      const th = `${lanes} runner${lanes > 1 ? 's' : ''}`;
      results.push(ctx.result({
        group: 'throughput', name: `${tag} INT8 'run', ${th} (xdputil benchmark style) vs ORT FP32`, value: fps(`dpu${lanes}`), unit: 'fps',
        higherIsBetter: true, threads: lanes, peer: { name: `onnxruntime-node FP32, ${lanes} thread(s)`, value: fps(`fp${lanes}`) },
        details: { ...details, ortFp32SessionsX1Thread: Number(fps(`fpN${lanes}`).toFixed(2)) },
      }));
      results.push(ctx.result({
        group: 'throughput', name: `${tag} INT8 'run', ${th} (xdputil benchmark style) vs ORT INT8 (QDQ)`, value: fps(`dpu${lanes}`), unit: 'fps',
        higherIsBetter: true, threads: lanes, peer: { name: `onnxruntime-node INT8 QDQ per-tensor, ${lanes} thread(s)`, value: fps(`q${lanes}`) }, details,
      }));
    }
    results.push(ctx.result({
      group: 'throughput', name: `${tag} throughput scaling 1→2 runners`, value: fps('dpu2') / fps('dpu1'), unit: '×', higherIsBetter: true, threads: 2,
      peer: { name: 'onnxruntime-node FP32, 1→2 threads', value: fps('fp2') / fps('fp1') },
      details: { ...details, ortInt8Scaling: Number((fps('q2') / fps('q1')).toFixed(3)) },
    }));
  }
  return results;
}
