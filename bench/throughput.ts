// Frame-level throughput (issue 7), the way `xdputil benchmark <model> N` measures it: N runner instances,
// one frame each in flight. dpuflow: a compiled .xmodel (B4096) on the RunnerPool ('run' mode, one worker
// thread per runner, native kernels single-threaded inside each when built), three ways:
//   float      — pool.run({ input: Float32Array }) with new float outputs per frame (the plain API, what
//                `dpuflow bench` does): the feed is copied into the worker's shared staging memory, the
//                worker quantizes, runs, dequantizes into new arrays and transfers them;
//   float-shm  — float feeds and outputs in SharedArrayBuffers (pool.allocBuffers(), one set per runner):
//                nothing copied or allocated per frame;
//   xint8-shm  — already-quantized int8 feeds and int8 outputs + fix point in shared buffers (VART's xint8
//                tensors): no conversion at all.
// Peer: onnxruntime-node on the same network, FP32 and a per-tensor QDQ INT8 model, with N threads the best
// way it offers — one session with intraOpNumThreads N (onnxruntime-node runs a session's frames one at a
// time on the calling thread, so N sessions in one process do not overlap: measured 0.73–0.92× of one
// session, kept as a detail). Rounds alternate the engines; the figure is the median round. Before every
// timing the bench waits up to 6 s for ~1.6 idle cores (the machine is shared) and records what it saw. Intra-op
// figures (one frame split over 2 threads) are in run-mode.ts.
import ort from 'onnxruntime-node';
import os from 'node:os';
import { RunnerPool, type PoolBuffers } from '../src/runtime/node/pool.js';
import { nativeStatus } from '../src/runtime/node/native-run.js';
import { hostQuantIo } from '../src/runtime/quant-io.js';
import { benchModel, ortQdqPeer, settleSpinners, waitQuiet } from './util.js';
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

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

/** The dpuflow engines, labelled as in the results. */
const DPU_ENGINES = { dpu: 'float', dpuS: 'float-shm', dpuQ: 'xint8-shm' } as const;
type DpuEngine = keyof typeof DPU_ENGINES;

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const seconds = ctx.quick ? 1.5 : 4;
  const rounds = ctx.quick ? 1 : 3;
  const models: [string, string, number][] = ctx.quick
    ? [['ResNet-50', 'resnet50', 224], ['MobileNetV2', 'mobilenetv2', 224]]
    : [['ResNet-50', 'resnet50', 224], ['MobileNetV2', 'mobilenetv2', 224], ['YOLOv5s-shaped', 'yolov5s', 640]];
  ctx.note(`throughput: dpuflow runners ${nativeStatus().available ? 'use the native kernels (1 thread each)' : `use WebAssembly (${nativeStatus().reason})`}; `
    + `engines: float = pool.run(Float32Array) with new outputs, float-shm = float in shared buffers, xint8-shm = int8 in/out in shared buffers`);
  for (const [label, name, size] of models) {
    const tag = `${label} ${size}²`;
    ctx.progress(`throughput ${tag}: build, quantize, compile`);
    const bm = await benchModel(name, size, { compileXmodel: true });
    const feed = bm.feed.data;
    const qdq = await ortQdqPeer(bm.onnx, bm.onnxInput, bm.onnxShape, bm.nchw);
    const ortIn = new ort.Tensor('float32', bm.nchw, bm.onnxShape);
    const t: Record<string, number[]> = {};
    const add = (k: string, v: number) => { (t[k] ??= []).push(v); };
    const load: number[] = [];
    const idle: number[] = [];
    for (const lanes of [1, 2]) {
      const pool = await RunnerPool.create({ xmodel: bm.xmodel!, mode: 'run', threads: lanes });
      // per runner: shared float buffers and shared xint8 buffers holding the same frame
      const io = hostQuantIo();
      const fix = pool.getInputTensors()[0]!.fixPoint!;
      const shm: PoolBuffers[] = [], shq: PoolBuffers[] = [];
      for (let i = 0; i < lanes; i++) {
        const f = pool.allocBuffers('float32');
        (f.inputs[bm.input] as Float32Array).set(feed);
        shm.push(f);
        const q = pool.allocBuffers('xint8');
        io.quantizeInto(feed, q.inputs[bm.input] as Int8Array, fix);
        shq.push(q);
      }
      const dpu: Record<DpuEngine, (lane: number) => Promise<unknown>> = {
        dpu: () => pool.run({ [bm.input]: feed }),
        dpuS: (i) => pool.run(shm[i]!.inputs, shm[i]!.outputs),
        dpuQ: (i) => pool.run(shq[i]!.inputs, shq[i]!.outputs),
      };
      const sessions: Record<string, ort.InferenceSession[]> = { fp: [], q: [], fpN: [] };
      sessions.fp!.push(await ort.InferenceSession.create(bm.onnx, { intraOpNumThreads: lanes, interOpNumThreads: 1 }));
      sessions.q!.push(await ort.InferenceSession.create(qdq, { intraOpNumThreads: lanes, interOpNumThreads: 1 }));
      for (let i = 0; i < lanes; i++) sessions.fpN!.push(await ort.InferenceSession.create(bm.onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 }));
      try {
        for (let r = 0; r < rounds; r++) {
          ctx.progress(`throughput ${tag}: ${lanes} runner(s), round ${r + 1}/${rounds}`);
          load.push(os.loadavg()[0]!);
          const fwd = ['dpu', 'fp', 'dpuS', 'q', 'dpuQ', 'fpN'];
          const order = r % 2 === 0 ? fwd : [...fwd].reverse();
          for (const e of order) {
            // the machine is shared: wait (up to 6 s) until ~1.6 cores are idle, and record what was seen
            const seen = await waitQuiet(1.6, ctx.quick ? 0 : 6000);
            if (seen !== undefined) idle.push(seen);
            const fps = e in DPU_ENGINES
              ? await lanesFps(lanes, seconds, dpu[e as DpuEngine])
              : e === 'fpN'
                ? await lanesFps(lanes, seconds, (i) => sessions.fpN![i]!.run({ [bm.onnxInput]: ortIn }))
                : await lanesFps(1, seconds, () => sessions[e]![0]!.run({ [bm.onnxInput]: ortIn }));
            add(`${e}${lanes}`, fps);
            await settleSpinners(); // ORT's intra-op threads spin for tens of ms after a run
          }
        }
      } finally {
        await pool.close();
        for (const s of Object.values(sessions).flat()) await s.release();
      }
    }
    const fps = (k: string): number => median(t[k]!);
    const details = {
      loadAvg1m: Number(os.loadavg()[0]!.toFixed(2)), loadAvg1mRounds: load.map((x) => x.toFixed(2)).join(' '),
      idleCoresBeforeTimings: idle.length ? `${Math.min(...idle).toFixed(2)}–${Math.max(...idle).toFixed(2)}, median ${median(idle).toFixed(2)}` : 'n/a',
      rounds, secondsPerRound: seconds, native: nativeStatus().available,
    };
    for (const [e, how] of Object.entries(DPU_ENGINES)) {
      // the plain float path keeps the names of earlier runs' results
      const api = e === 'dpu' ? '' : ` [${how}]`;
      for (const lanes of [1, 2]) {
        const th = `${lanes} runner${lanes > 1 ? 's' : ''}`;
        results.push(ctx.result({
          group: 'throughput', name: `${tag} INT8 'run', ${th} (xdputil benchmark style)${api} vs ORT FP32`, value: fps(`${e}${lanes}`), unit: 'fps',
          higherIsBetter: true, threads: lanes, peer: { name: `onnxruntime-node FP32, ${lanes} thread(s)`, value: fps(`fp${lanes}`) },
          details: { ...details, engine: how, ortFp32SessionsX1Thread: Number(fps(`fpN${lanes}`).toFixed(2)) },
        }));
        results.push(ctx.result({
          group: 'throughput', name: `${tag} INT8 'run', ${th} (xdputil benchmark style)${api} vs ORT INT8 (QDQ)`, value: fps(`${e}${lanes}`), unit: 'fps',
          higherIsBetter: true, threads: lanes, peer: { name: `onnxruntime-node INT8 QDQ per-tensor, ${lanes} thread(s)`, value: fps(`q${lanes}`) },
          details: { ...details, engine: how },
        }));
      }
      results.push(ctx.result({
        group: 'throughput', name: `${tag} throughput scaling 1→2 runners${api}`, value: fps(`${e}2`) / fps(`${e}1`), unit: '×', higherIsBetter: true, threads: 2,
        peer: { name: 'onnxruntime-node FP32, 1→2 threads', value: fps('fp2') / fps('fp1') },
        details: { ...details, engine: how, ortInt8Scaling: Number((fps('q2') / fps('q1')).toFixed(3)) },
      }));
    }
  }
  return results;
}
