// 'run' mode (issue 7): the fast INT8 executor (WebAssembly SIMD kernels, src/kernels/wasm) on
// ResNet-50, MobileNetV2 and a YOLOv5s-shaped net, 1 and 2 threads, vs onnxruntime-node FP32 and INT8
// (a per-tensor QDQ model of the same network, bench/util.ts ortQdqPeer) — all six engines timed
// interleaved in rounds, medians — plus 1→2 thread scaling, the peak RSS of running ResNet-50 from an
// .xmodel in a fresh process vs the issue's budget, the machine's int8 MAC peak of the kernels'
// instruction mix and conv kernel micro-benchmarks (GMAC/s vs that peak).
import ort from 'onnxruntime-node';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { irToXmodel, xmodelToIr, Graph as XirGraph } from '../src/xir/index.js';
import { noiseInput, ortQdqPeer, settleSpinners, waitQuiet } from './util.js';
import { buildModel } from '../src/models/index.js';
import { importOnnx } from '../src/importers/onnx/index.js';
import { quantize } from '../src/quantizer/index.js';
import type { Graph, Op, TensorValue } from '../src/ir/types.js';
import { createFastExecutor } from '../src/kernels/wasm/executor.js';
import type { NativeTaskProfile } from '../src/kernels/wasm/plan-native.js';
import { createKernelMemory, instantiateKernels } from '../src/kernels/wasm/loader.js';
import { createThreadedExecutor } from '../src/kernels/wasm/node/pool.js';
import { loadNativeKernels, nativeAmxStatus, nativeStatus } from '../src/kernels/native/node.js';
import type { BenchContext, BenchResult } from './types.js';

/** A seeded uniform [-2, 2) input tensor (bench/util.ts noiseInput). */
export function randomInput(shape: number[], seed: number): TensorValue {
  return { shape, data: noiseInput(shape.reduce((x, y) => x * y, 1), seed) };
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

/** Interleaved rounds per model in a full run (each engine 1 untimed + 3 timed frames per round). */
const RUN_MODE_ROUNDS = 15;

/** pin: a CPU list for `taskset -p -c` while this engine's frames run (the process is unpinned again after). */
interface Engine { key: string; fn: () => unknown; pin?: string }

/** The CPUs this process may run on are pinned with taskset (Linux util-linux); false where it is absent. */
function canPin(): boolean {
  if (os.cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function pinTo(cpus: string): void {
  execFileSync('taskset', ['-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
}

/**
 * 1-thread engines once per vCPU: this VM's two vCPUs run at different speeds in phases (measured: the same
 * 1-thread ResNet-50 frame 1.15–1.43× slower on one vCPU than the other in the same round, once 23.5 vs 15.2 ms), so
 * a 1-thread time depends on where the OS put the thread, and 1T ÷ 2T over- or under-states the scaling. Every
 * 1-thread engine (ours and onnxruntime's) runs pinned to cpu0 and to cpu1 in every round (keys `<key>@0`,
 * `<key>@1`); `<key>` then holds both.
 */
function perCpu(engines: Engine[], oneThread: Set<string>): Engine[] {
  return engines.flatMap((e) => !oneThread.has(e.key) ? [e] : [{ ...e, key: `${e.key}@0`, pin: '0' }, { ...e, key: `${e.key}@1`, pin: '1' }]);
}

/** Scaling two equal cores would show: 2 × the median over rounds of ideal ÷ measured 2T time, where the ideal for two
 * unequal threads is 1 / (1/a + 1/b) from the same round's 1-thread times on each vCPU (parallel efficiency × 2). */
function equalCoreScaling(t: Record<string, number[][]>, one: string, two: string): number | undefined {
  const a = t[`${one}@0`], b = t[`${one}@1`], c = t[two];
  if (!a || !b || !c) return undefined;
  return 2 * median(c.map((cr, r) => 1 / (1 / median(a[r]!) + 1 / median(b[r]!)) / median(cr)));
}

export function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

export function toNchw(t: TensorValue): Float32Array {
  const [n, h, w, c] = t.shape as [number, number, number, number];
  const src = t.data as Float32Array;
  const out = new Float32Array(src.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++)
    out[((b * c + k) * h + y) * w + x] = src[((b * h + y) * w + x) * c + k]!;
  return out;
}

/** Idle cores measured before each round of the last interleave() (the machine is shared), and the longest wait for
 * the previous engine's spinning threads to stop. */
let roundIdle: number[] = [];
let maxSettleMs = 0;

/** One warm-up per engine, then `rounds` rounds in which every engine runs `per` times: ms per run, per round
 * (out[key][round] = that round's times). Before each engine's turn the process waits until its own threads are idle
 * (settleSpinners: ORT's pool spins for tens of ms after a run and would take a core from the next engine), then runs
 * one untimed frame (wakes the engine's sleeping workers, warms its caches).
 * quiet: before every round wait up to quiet.maxWaitMs for quiet.cores idle cores (same for every engine). */
async function interleave(engines: Engine[], rounds: number, per: number, quiet?: { cores: number; maxWaitMs: number }): Promise<Record<string, number[][]>> {
  const out: Record<string, number[][]> = {};
  for (const e of engines) {
    await e.fn();
    out[e.key] = [];
  }
  roundIdle = [];
  maxSettleMs = 0;
  for (let r = 0; r < rounds; r++) {
    if (quiet) {
      const idle = await waitQuiet(quiet.cores, quiet.maxWaitMs);
      if (idle !== undefined) roundIdle.push(Number(idle.toFixed(2)));
    }
    const order = r % 2 ? [...engines].reverse() : engines;
    for (const e of order) {
      maxSettleMs = Math.max(maxSettleMs, await settleSpinners());
      if (e.pin) pinTo(e.pin);
      try {
        // one untimed frame per turn, for every engine: after the settle, a pool's workers are asleep and the caches
        // hold the previous engine's data — steady-state frames (as a stream of frames runs) are what is timed
        await e.fn();
        const times: number[] = [];
        for (let i = 0; i < per; i++) {
          const t0 = performance.now();
          await e.fn();
          times.push(performance.now() - t0);
        }
        out[e.key]!.push(times);
      } finally {
        if (e.pin) pinTo(`0-${os.cpus().length - 1}`);
      }
    }
  }
  return out;
}

/** fn() with process.env[name] = value (restored after; the addon reads its env through getenv). */
function withEnv<T>(name: string, value: string, fn: () => T): T {
  const old = process.env[name];
  process.env[name] = value;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  }
}

/** Scaling of engine a over b from the rounds: the median over rounds of (a's median ÷ b's median in that round).
 * Both run within a second of each other in every round, so slow drifts of a shared host cancel. */
function pairedRatio(t: Record<string, number[][]>, slow: string, fast: string): number {
  const r = t[slow]!.map((s, i) => median(s) / median(t[fast]![i]!));
  return median(r);
}

interface RssReport { native?: boolean; maxRss: number; baseRss: number; arenaBytes: number; weightBytes: number; int8WeightBytes: number; activationBytes: number; xmodelBytes: number }

/** INT8 weight bytes (int8 consts) and activation bytes (every other op's output) of a quantized graph. */
function graphBytes(g: Graph): { int8WeightBytes: number; activationBytes: number } {
  let w = 0, a = 0;
  for (const op of g.ops) {
    const n = op.output.shape.reduce((x, y) => x * y, 1);
    const bytes = op.output.dtype === 'int8' ? n : n * 4;
    if (op.type === 'const') w += bytes;
    else a += bytes;
  }
  return { int8WeightBytes: w, activationBytes: a };
}

/** Serialises the graph to an .xmodel, then runs it in a fresh Node process (this file with --rss-child) and reads its peak RSS. */
async function rssOfRunning(graph: Graph, feed: TensorValue): Promise<RssReport | null> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dpuflow-rss-'));
  try {
    const xm = irToXmodel(graph).serialize();
    writeFileSync(path.join(dir, 'm.xmodel'), xm);
    writeFileSync(path.join(dir, 'in.json'), JSON.stringify({ shape: feed.shape, data: Array.from(feed.data as Float32Array) }));
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--rss-child', dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) return null;
    return { ...(JSON.parse(line) as Omit<RssReport, 'xmodelBytes' | 'int8WeightBytes' | 'activationBytes'>), ...graphBytes(graph), xmodelBytes: xm.byteLength };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Peak resident set of this process: VmHWM (Linux; ru_maxrss would carry the parent's peak across exec), else ru_maxrss. */
function peakRss(field = 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s*(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return field === 'VmHWM' ? process.resourceUsage().maxRSS * 1024 : process.memoryUsage().rss;
}

async function rssChild(dir: string): Promise<void> {
  // Baseline: Node + this module's imports (onnxruntime-node, the quantizer, …) before the model is loaded.
  const baseRss = peakRss('VmRSS');
  const buf = readFileSync(path.join(dir, 'm.xmodel'));
  // int8Consts 'lazy': weights stay int8 views of the file (no float32 copy); see src/xir/to-ir.ts
  const g = xmodelToIr(XirGraph.deserialize(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)), { int8Consts: 'lazy' });
  const inp = JSON.parse(readFileSync(path.join(dir, 'in.json'), 'utf8')) as { shape: number[]; data: number[] };
  const nk = loadNativeKernels();
  const ex = createFastExecutor(g, nk ? { native: { kernels: nk } } : {});
  const feeds = { [g.inputs[0]!]: { shape: inp.shape, data: Float32Array.from(inp.data) } };
  for (let i = 0; i < 3; i++) ex.run(feeds);
  const maxRss = peakRss();
  process.stdout.write(`${JSON.stringify({ maxRss, baseRss, arenaBytes: ex.stats.arenaBytes, weightBytes: ex.stats.weightBytes, native: !!nk })}\n`);
}

/** A quantized model of the bench (build + import + max-min quantize); cached as .xmodel under
 * $DPUFLOW_RUNMODE_CACHE when that is set (the profile loop below is re-run while kernels change). */
async function benchModel(name: string, size: number): Promise<{ graph: Graph; feeds: Record<string, TensorValue> }> {
  const dir = process.env.DPUFLOW_RUNMODE_CACHE;
  const file = dir ? path.join(dir, `${name}-${size}.xmodel`) : undefined;
  const m = buildModel(name, { seed: 1, inputSize: size });
  const fg = importOnnx(m.onnx);
  const inName = fg.inputs[0]!;
  const inShape = fg.ops.find((o) => o.name === inName)?.output.shape ?? [1, size, size, 3];
  const feed = randomInput(inShape, 7);
  let graph: Graph | undefined;
  try {
    if (file) {
      const buf = readFileSync(file);
      graph = xmodelToIr(XirGraph.deserialize(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)), { int8Consts: 'lazy' });
    }
  } catch {
    graph = undefined;
  }
  if (!graph) {
    graph = (await quantize(fg, [{ [inName]: feed }], { method: 'maxmin', cle: false, biasCorrection: false, skipReport: true })).graph;
    if (file) writeFileSync(file, irToXmodel(graph).serialize());
  }
  return { graph, feeds: { [graph.inputs[0]!]: feed } };
}

/** ns this process's threads spent waiting on a CPU run queue (Linux schedstat; undefined elsewhere):
 * a frame during which this grew was not given the cores it asked for (the machine is shared). */
export function runqueueWaitNs(): number | undefined {
  try {
    let w = 0;
    for (const t of readdirSync('/proc/self/task')) {
      try {
        w += Number(readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ')[1]);
      } catch {
        /* thread gone */
      }
    }
    return w;
  } catch {
    return undefined;
  }
}

/**
 * Where the 2-thread time goes (`DPUFLOW_NATIVE_PROFILE=2 node dist/bench/run-mode.js --profile [frames]`; =2 times with
 * the steady clock only, =1 also reads each thread's CPU clock per claim, a system call that inflates the 2T figures):
 * native 1T and 2T executors of each model run interleaved frames; the addon times every task (caller
 * thread wall from the task's start to its last chunk, kernel time per thread); printed per op: 1T ms,
 * 2T ms, scaling, and the 2T time above a perfect split (2T − 1T/2), worst first.
 */
async function profileChild(want: number): Promise<void> {
  const nk = loadNativeKernels();
  if (!nk?.profile || !['1', '2'].includes(process.env.DPUFLOW_NATIVE_PROFILE ?? '')) {
    process.stderr.write('needs the native addon with profile() and DPUFLOW_NATIVE_PROFILE=2 (or 1)\n');
    process.exit(1);
  }
  const only = process.env.DPUFLOW_RUNMODE_MODELS?.split(',');
  const models: [string, string, number][] = [['ResNet-50', 'resnet50', 224], ['MobileNetV2', 'mobilenetv2', 224], ['YOLOv5s-shaped', 'yolov5s', 640]];
  for (const [label, name, size] of models) {
    if (only && !only.includes(name)) continue;
    const { graph, feeds } = await benchModel(name, size);
    let frames = want;
    const ex = [1, 2].map((threads) => createFastExecutor(graph, { native: { kernels: nk, threads } }));
    const frame = [0, 0];
    const frameMs: number[][] = [[], []];
    for (const e of ex) { e.run(feeds); e.run(feeds); e.nativeProfile?.(true); }
    // only quiet frames count: this process's threads waited < 1 % of the frame on a run queue
    // (schedstat), i.e. the frame got the cores it asked for; up to 20 × frames attempts
    const acc = ex.map((e) => e.nativeProfile?.(true) ?? []);
    for (const a of acc) for (const r of a) { r.wallNs = 0; r.busyNs = [0, 0, 0, 0]; r.chunksRun = [0, 0, 0, 0]; r.cpuNs = [0, 0, 0, 0]; }
    const quietFrac = Number(process.env.DPUFLOW_RUNMODE_QUIET ?? 0.01);
    let tries = 0, dropped = 0;
    for (let f = 0; f < frames && tries < 20 * frames; tries++) {
      const pair: number[] = [];
      let quiet = true;
      for (const i of f % 2 ? [1, 0] : [0, 1]) {
        await new Promise((r) => setTimeout(r, 5));
        const w0 = runqueueWaitNs() ?? 0;
        const t = performance.now();
        ex[i]!.run(feeds);
        const d = performance.now() - t;
        const w = (runqueueWaitNs() ?? 0) - w0;
        if (w > d * 1e6 * quietFrac) quiet = false;
        pair[i] = d;
      }
      const p = ex.map((e) => e.nativeProfile?.(true) ?? []);
      if (!quiet) { dropped++; continue; }
      f++;
      for (const i of [0, 1]) {
        frame[i]! += pair[i]!;
        frameMs[i]!.push(pair[i]!);
        p[i]!.forEach((r, j) => {
          const a = acc[i]![j]!;
          a.wallNs += r.wallNs;
          r.busyNs.forEach((b, k) => (a.busyNs[k]! += b));
          r.chunksRun.forEach((b, k) => (a.chunksRun[k]! += b));
          r.cpuNs.forEach((b, k) => (a.cpuNs[k]! += b));
        });
      }
    }
    frames = frameMs[0]!.length;
    console.log(`\n(${label}: ${frames} quiet frame pairs kept, ${dropped} dropped)`);
    if (!frames) continue;
    const p = acc;
    const per = (x: number): number => x / frames / 1e6;
    // 1T and 2T programs may differ (a 1×1 conv gathers its tiles on 2 threads, copies on 1): pair by op and kind
    const zero = (r: NativeTaskProfile): NativeTaskProfile => ({ ...r, wallNs: 0, busyNs: [0, 0, 0, 0], chunksRun: [0, 0, 0, 0], cpuNs: [0, 0, 0, 0], units: 0, chunks: 0 });
    const key = (r: NativeTaskProfile): string => `${r.op}\u0000${r.kind}`;
    const by2 = new Map(p[1]!.map((r) => [key(r), r]));
    const by1 = new Map(p[0]!.map((r) => [key(r), r]));
    const pairs: [NativeTaskProfile, NativeTaskProfile][] = [...p[0]!.map((a) => [a, by2.get(key(a)) ?? zero(a)] as [NativeTaskProfile, NativeTaskProfile]),
      ...p[1]!.filter((b) => !by1.has(key(b))).map((b) => [zero(b), b] as [NativeTaskProfile, NativeTaskProfile])];
    const rows = pairs.map(([a, b]) => {
      const w1 = per(a.wallNs), w2 = per(b.wallNs);
      return { op: a.op, type: a.type, kind: a.kind, units: b.units, chunks: b.chunks, w1, w2, b2: b.busyNs.slice(0, 2).map(per), c2: b.chunksRun.slice(0, 2).map((c) => c / frames),
        cpu1: per(a.cpuNs[0]!), cpu2: b.cpuNs.slice(0, 2).map(per) };
    });
    const nat1 = rows.reduce((s, r) => s + r.w1, 0), nat2 = rows.reduce((s, r) => s + r.w2, 0);
    const med = (a: number[]): number => median(a);
    console.log(`\n## ${label} ${size}²: frame median 1T ${med(frameMs[0]!).toFixed(2)} ms, 2T ${med(frameMs[1]!).toFixed(2)} ms (scaling ${(med(frameMs[0]!) / med(frameMs[1]!)).toFixed(2)}); mean 1T ${(frame[0]! / frames).toFixed(2)} 2T ${(frame[1]! / frames).toFixed(2)}; native tasks 1T ${nat1.toFixed(2)} 2T ${nat2.toFixed(2)} ms (${(nat1 / nat2).toFixed(2)}×); outside the tasks 1T ${(frame[0]! / frames - nat1).toFixed(2)} 2T ${(frame[1]! / frames - nat2).toFixed(2)} ms`);
    // by kind
    const kinds = new Map<string, { w1: number; w2: number; n: number; busy: number; cpu1: number; cpu2: number }>();
    for (const r of rows) {
      const k = kinds.get(r.kind) ?? { w1: 0, w2: 0, n: 0, busy: 0, cpu1: 0, cpu2: 0 };
      k.w1 += r.w1; k.w2 += r.w2; k.n++; k.busy += r.b2[0]! + r.b2[1]!; k.cpu1 += r.cpu1; k.cpu2 += r.cpu2[0]! + r.cpu2[1]!;
      kinds.set(r.kind, k);
    }
    const cpuT1 = rows.reduce((a, r) => a + r.cpu1, 0), cpuT2 = rows.reduce((a, r) => a + r.cpu2[0]! + r.cpu2[1]!, 0);
    console.log(`kernel CPU time 1T ${cpuT1.toFixed(2)} ms, 2T ${cpuT2.toFixed(2)} ms over both threads (work × ${(cpuT2 / cpuT1).toFixed(3)})`);
    console.log('| task kind | tasks | 1T ms | 2T ms | scaling | 2T − 1T/2 ms | kernel CPU 1T ms | kernel CPU 2T (t0 + t1) ms | work × |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const [k, v] of [...kinds].sort((a, b) => (b[1].w2 - b[1].w1 / 2) - (a[1].w2 - a[1].w1 / 2)))
      console.log(`| ${k} | ${v.n} | ${v.w1.toFixed(2)} | ${v.w2.toFixed(2)} | ${(v.w1 / v.w2).toFixed(2)} | ${(v.w2 - v.w1 / 2).toFixed(2)} | ${v.cpu1.toFixed(2)} | ${v.cpu2.toFixed(2)} | ${(v.cpu2 / v.cpu1).toFixed(2)} |`);
    const shapeOf = (op: string): string => {
      const o = graph.ops.find((x) => x.name === op);
      return o ? o.output.shape.slice(1).join('×') : '?';
    };
    console.log('\n| op (task) | out shape | units / chunks | 1T ms | 2T ms | scaling | 2T − 1T/2 | busy t0 / t1 ms | chunks t0 / t1 | CPU 1T / 2T (t0+t1) ms |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of [...rows].sort((a, b) => (b.w2 - b.w1 / 2) - (a.w2 - a.w1 / 2)).slice(0, Number(process.env.DPUFLOW_RUNMODE_TOP ?? 25)))
      console.log(`| ${r.op} (${r.kind}) | ${shapeOf(r.op)} | ${r.units} / ${r.chunks} | ${r.w1.toFixed(3)} | ${r.w2.toFixed(3)} | ${(r.w1 / r.w2).toFixed(2)} | ${(r.w2 - r.w1 / 2).toFixed(3)} | ${r.b2.map((x) => x.toFixed(3)).join(' / ')} | ${r.c2.map((x) => x.toFixed(1)).join(' / ')} | ${r.cpu1.toFixed(3)} / ${(r.cpu2[0]! + r.cpu2[1]!).toFixed(3)} |`);
  }
  console.log(`\n(load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, up to ${want} quiet frames per executor)`);
}

if (process.argv[2] === '--profile') {
  profileChild(Number(process.argv[3] ?? 20)).catch((e: unknown) => {
    process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
    process.exit(1);
  });
}

if (process.argv[2] === '--rss-child' && process.argv[3]) {
  rssChild(process.argv[3]).catch((e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  });
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  ctx.progress('int8 MAC peak');
  const peak = measurePeak();
  results.push(ctx.result({ group: 'dpu-run', name: 'peak int8 MAC/s per core (WASM SIMD i32x4.dot_i16x8_s, 12 chains)', value: peak / 1e9, unit: 'GMAC/s', higherIsBetter: true, threads: 1 }));
  const nk = loadNativeKernels();
  let vnniPeak = 0;
  if (nk) {
    nk.peak(1e5);
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      const macs = nk.peak(5e6);
      vnniPeak = Math.max(vnniPeak, macs / ((performance.now() - t) / 1000));
    }
    results.push(ctx.result({ group: 'dpu-run', name: 'peak int8 MAC/s per core (native AVX-512 VNNI vpdpbusd zmm, 12 chains)', value: vnniPeak / 1e9, unit: 'GMAC/s', higherIsBetter: true, threads: 1 }));
  } else ctx.note(`dpu-run: native kernels not measured: ${nativeStatus().reason}`);

  for (const [label, C, OC, HW, k, dw] of [
    ['conv 3×3 64→64 56²', 64, 64, 56, 3, false], ['conv 1×1 256→64 56²', 256, 64, 56, 1, false],
    ['conv 3×3 512→512 7²', 512, 512, 7, 3, false], ['depthwise 3×3 144ch 56²', 144, 144, 56, 3, true],
    ['depthwise 3×3 32ch 112²', 32, 32, 112, 3, true], ['depthwise 3×3 960ch 7²', 960, 960, 7, 3, true],
  ] as [string, number, number, number, number, boolean][]) {
    ctx.progress(`kernel ${label}`);
    const g = convLayer(C, OC, HW, k, dw);
    const feeds = { x: randomInput([1, HW, HW, C], 5) };
    for (const [kind, ex, pk] of [['WASM', createFastExecutor(g), peak], ...(nk ? [['native', createFastExecutor(g, { native: { kernels: nk } }), vnniPeak]] : [])] as [string, ReturnType<typeof createFastExecutor>, number][]) {
      ex.run(feeds);
      const t = await ctx.time(() => ex.rerun(), { minRuns: 3, minSeconds: ctx.quick ? 0.2 : 1 });
      const gmacs = graphMacs(g) / (t.medianMs / 1000) / 1e9;
      results.push(ctx.result({ group: 'dpu-run', name: `kernel ${label} ${kind} (ops only, 1 thread)`, value: gmacs, unit: 'GMAC/s', higherIsBetter: true, threads: 1,
        details: { peakFraction: Number((gmacs / (pk / 1e9)).toFixed(3)), ms: Number(t.medianMs.toFixed(2)) } }));
    }
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
    // The same input for every engine: the NHWC feed transposed to the ONNX model's NCHW.
    const nchwData = toNchw(feed);
    ctx.progress(`${tag}: ORT INT8 (QDQ) peer`);
    const qdq = await ortQdqPeer(m.onnx, m.inputName, m.inputShape, nchwData);
    const ortIn = new ort.Tensor('float32', nchwData, m.inputShape);
    const engines: Engine[] = [];
    const ex1 = createFastExecutor(graph);
    const ex2 = await createThreadedExecutor(graph, { threads: 2 });
    engines.push({ key: 'run1', fn: () => ex1.run(feeds) }, { key: 'run2', fn: () => ex2.run(feeds) });
    const nx1 = nk ? createFastExecutor(graph, { native: { kernels: nk, threads: 1 } }) : undefined;
    const nx2 = nk ? createFastExecutor(graph, { native: { kernels: nk, threads: 2 } }) : undefined;
    if (nx1 && nx2) engines.push({ key: 'nat1', fn: () => nx1.run(feeds) }, { key: 'nat2', fn: () => nx2.run(feeds) });
    // where the AMX-INT8 conv path is on (the default there), the VNNI-only executors too (DPUFLOW_NATIVE_AMX=0 is
    // read when the weights are packed): the portable AVX-512 figure next to the AMX one
    const amx = nk ? nativeAmxStatus() : undefined;
    const vnni = amx === 'on' ? withEnv('DPUFLOW_NATIVE_AMX', '0', () => [1, 2].map((threads) => createFastExecutor(graph, { native: { kernels: nk!, threads } }))) : undefined;
    if (vnni) engines.push({ key: 'vnni1', fn: () => vnni[0]!.run(feeds) }, { key: 'vnni2', fn: () => vnni[1]!.run(feeds) });
    const sessions: ort.InferenceSession[] = [];
    for (const [key, bytes, threads] of [['fp1', m.onnx, 1], ['fp2', m.onnx, 2], ['q1', qdq, 1], ['q2', qdq, 2]] as [string, Uint8Array, number][]) {
      const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
      sessions.push(s);
      engines.push({ key, fn: () => s.run({ [m.inputName]: ortIn }) });
    }
    ctx.progress(`${tag}: interleaved timing (run WASM 1T/2T, run native 1T/2T, ORT FP32 1T/2T, ORT INT8 1T/2T)`);
    // full runs wait (≤ 20 s) before each round for the shared machine to have ~1.6 of its cores idle
    // (DPUFLOW_BENCH_QUIET_WAIT_MS: the longest wait per round, e.g. 0 when the run has real-time priority
    // (chrt) on a busy machine — the 20 ms gaps between engines stay)
    const quiet = ctx.quick || process.env.DPUFLOW_BENCH_NO_WAIT ? undefined : { cores: Math.min(1.6, os.cpus().length * 0.8), maxWaitMs: Number(process.env.DPUFLOW_BENCH_QUIET_WAIT_MS ?? 20000) };
    const pinned = canPin();
    // 15 rounds (7 until session 7): the scaling figures are medians over rounds, and with 7 rounds the same code
    // read 0.3–0.4 apart in back-to-back runs; more rounds narrow the median's spread
    const rounds = await interleave(pinned ? perCpu(engines, new Set(['nat1', 'vnni1', 'fp1', 'q1'])) : engines, ctx.quick ? 2 : RUN_MODE_ROUNDS, ctx.quick ? 1 : 3, quiet);
    // `<key>` = both vCPUs' rounds of a pinned 1-thread engine
    for (const k of ['nat1', 'vnni1', 'fp1', 'q1']) if (rounds[`${k}@0`] && rounds[`${k}@1`]) rounds[k] = rounds[`${k}@0`]!.map((r, i) => [...r, ...rounds[`${k}@1`]![i]!]);
    const t = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, v.flat()]));
    const fps = (k: string): number => 1000 / median(t[k]!);
    /** 1-thread fps pinned to cpu0 / cpu1 ('n/a' unpinned). */
    const cpuFps = (k: string): string => t[`${k}@0`] && t[`${k}@1`] ? `${fps(`${k}@0`).toFixed(2)} / ${fps(`${k}@1`).toFixed(2)}` : 'n/a';
    const eq = (one: string, two: string): number | string => { const v = equalCoreScaling(rounds, one, two); return v === undefined ? 'n/a' : Number(v.toFixed(2)); };
    const idleInfo = { idleCoresBeforeRounds: roundIdle.join(' '), loadAvg1m: Number(os.loadavg()[0]!.toFixed(2)), maxSpinSettleMs: Number(maxSettleMs.toFixed(1)) };
    for (const s of sessions) await s.release();
    const best = (k: string): number => 1000 / Math.min(...t[k]!);
    for (const threads of [1, 2]) {
      const ex = threads === 1 ? ex1 : ex2;
      const run = fps(`run${threads}`);
      const common = {
        gmac: Number(gmac.toFixed(3)), gmacPerSec: Number((gmac * run).toFixed(2)), runs: t[`run${threads}`]!.length,
        bestFps: Number(best(`run${threads}`).toFixed(2)),
        arenaMB: Number((ex.stats.arenaBytes / 2 ** 20).toFixed(1)), packedWeightMB: Number((ex.stats.weightBytes / 2 ** 20).toFixed(1)),
        refOps: ex.stats.refOps, floatOps: ex.stats.floatOps,
      };
      const th = `${threads} thread${threads > 1 ? 's' : ''}`;
      results.push(ctx.result({
        group: 'dpu-run', name: `${tag} INT8 run mode vs ORT FP32`, value: run, unit: 'fps', higherIsBetter: true, threads,
        peer: { name: `onnxruntime-node FP32, ${th}`, value: fps(`fp${threads}`) },
        details: { ...common, peerBestFps: Number(best(`fp${threads}`).toFixed(2)) },
      }));
      results.push(ctx.result({
        group: 'dpu-run', name: `${tag} INT8 run mode vs ORT INT8 (QDQ)`, value: run, unit: 'fps', higherIsBetter: true, threads,
        peer: { name: `onnxruntime-node INT8 QDQ per-tensor, ${th}`, value: fps(`q${threads}`) },
        details: { ...common, peerBestFps: Number(best(`q${threads}`).toFixed(2)), ortInt8OverFp32: Number((fps(`q${threads}`) / fps(`fp${threads}`)).toFixed(2)) },
      }));
    }
    const variants: [key: string, label: string, ex: [ReturnType<typeof createFastExecutor>, ReturnType<typeof createFastExecutor>]][] = [];
    if (nx1 && nx2) variants.push(['nat', amx === 'on' ? 'native AMX-INT8' : 'native VNNI', [nx1, nx2]]);
    if (vnni) variants.push(['vnni', 'native VNNI (AMX off)', [vnni[0]!, vnni[1]!]]);
    for (const [key, label, exs] of variants) {
      for (const threads of [1, 2]) {
        const run = fps(`${key}${threads}`);
        const th = `${threads} thread${threads > 1 ? 's' : ''}`;
        const common = { gmac: Number(gmac.toFixed(3)), gmacPerSec: Number((gmac * run).toFixed(2)), bestFps: Number(best(`${key}${threads}`).toFixed(2)), wasmFps: Number(fps(`run${threads}`).toFixed(2)), nativeOps: exs[threads - 1]!.stats.nativeOps ?? 0, amx: key === 'nat' ? (amx ?? 'n/a') : 'off', ...idleInfo };
        results.push(ctx.result({
          group: 'dpu-run', name: `${tag} INT8 run mode, ${label}, vs ORT FP32`, value: run, unit: 'fps', higherIsBetter: true, threads,
          peer: { name: `onnxruntime-node FP32, ${th}`, value: fps(`fp${threads}`) }, details: common,
        }));
        results.push(ctx.result({
          group: 'dpu-run', name: `${tag} INT8 run mode, ${label}, vs ORT INT8 (QDQ)`, value: run, unit: 'fps', higherIsBetter: true, threads,
          peer: { name: `onnxruntime-node INT8 QDQ per-tensor, ${th}`, value: fps(`q${threads}`) }, details: common,
        }));
      }
      results.push(ctx.result({
        group: 'dpu-run', name: `${tag} run mode (${label}) scaling 1→2 threads`, value: fps(`${key}2`) / fps(`${key}1`), unit: '×', higherIsBetter: true, threads: 2,
        details: {
          target: 1.8, bestOfScaling: Number((best(`${key}2`) / best(`${key}1`)).toFixed(2)), pairedScaling: Number(pairedRatio(rounds, `${key}1`, `${key}2`).toFixed(2)),
          equalCoreScaling: eq(`${key}1`, `${key}2`), oneThreadFpsCpu0Cpu1: cpuFps(`${key}1`),
          ortFp32Scaling: Number((fps('fp2') / fps('fp1')).toFixed(2)), ortInt8Scaling: Number((fps('q2') / fps('q1')).toFixed(2)),
          ortFp32PairedScaling: Number(pairedRatio(rounds, 'fp1', 'fp2').toFixed(2)), ortInt8PairedScaling: Number(pairedRatio(rounds, 'q1', 'q2').toFixed(2)),
          ortFp32EqualCoreScaling: eq('fp1', 'fp2'), ortInt8EqualCoreScaling: eq('q1', 'q2'), ...idleInfo,
        },
      }));
    }
    results.push(ctx.result({
      group: 'dpu-run', name: `${tag} run mode scaling 1→2 threads`, value: fps('run2') / fps('run1'), unit: '×', higherIsBetter: true, threads: 2,
      details: { target: 1.8, ortFp32Scaling: Number((fps('fp2') / fps('fp1')).toFixed(2)), ortInt8Scaling: Number((fps('q2') / fps('q1')).toFixed(2)), loadAvg1m: Number(os.loadavg()[0]!.toFixed(2)) },
    }));
    await ex2.close();
    if (name === 'resnet50') {
      ctx.progress(`${tag}: peak RSS of running the .xmodel in a fresh process`);
      const r = await rssOfRunning(graph, feed);
      if (r) {
        const budget = 2 * r.int8WeightBytes + r.activationBytes + 150 * 2 ** 20;
        results.push(ctx.result({
          group: 'dpu-run', name: `${tag} peak RSS of run mode (fresh process: load .xmodel, 3 frames, 1 thread)`, value: r.maxRss / 2 ** 20, unit: 'MB', higherIsBetter: false, threads: 1,
          peer: { name: 'issue 7 budget: 2× INT8 weight bytes + activations + 150 MB', value: budget / 2 ** 20 },
          details: {
            int8WeightMB: Number((r.int8WeightBytes / 2 ** 20).toFixed(1)), activationMB: Number((r.activationBytes / 2 ** 20).toFixed(1)),
            arenaMB: Number((r.arenaBytes / 2 ** 20).toFixed(1)), packedWeightMB: Number((r.weightBytes / 2 ** 20).toFixed(1)),
            native: r.native ?? false, rssBeforeLoadMB: Math.round(r.baseRss / 2 ** 20), peakMinusBeforeLoadMB: Math.round((r.maxRss - r.baseRss) / 2 ** 20), xmodelMB: Number((r.xmodelBytes / 2 ** 20).toFixed(1)),
          },
        }));
      }
    }
  }
  ctx.note(`dpu-run: CPU ${os.cpus()[0]?.model ?? '?'}, ${os.cpus().length} cores; every model's engines are timed interleaved in rounds (medians), so the ratios share the machine's load. The machine is shared: figures are noisy.`);
  return results;
}
