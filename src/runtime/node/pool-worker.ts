// One worker thread of the RunnerPool (pool.ts): loads the model once, then runs jobs one at a time.
// Feeds come from the slot's staging memory or the caller's shared buffers; outputs go into shared
// buffers, or into new ones that are transferred (never copied) back.
import { parentPort, workerData } from 'node:worker_threads';
import { Graph } from '../../xir/graph.js';
import { GraphRunner } from '../graph-runner.js';
import type { RunnerMode } from '../backend.js';
import { DpuflowError } from '../../errors.js';
import { elementCount, type TensorBuffer } from '../tensor.js';
import type { WorkerJob, WorkerMsg } from './pool-protocol.js';
import './native-run.js'; // 'run' uses the native kernels when built

interface Init { xmodel: Uint8Array; mode: RunnerMode; target?: string }

const port = parentPort!;
const init = workerData as Init;
const post = (m: WorkerMsg, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
let runner: GraphRunner;
let stageIn: SharedArrayBuffer[] = [];
let stageOut: SharedArrayBuffer[] = [];
try {
  runner = GraphRunner.create(Graph.deserialize(init.xmodel), { mode: init.mode, target: init.target });
  const inputs = runner.getInputTensors();
  const outputs = runner.getOutputTensors();
  stageIn = inputs.map((t) => new SharedArrayBuffer(4 * elementCount(t.dims)));
  stageOut = outputs.map((t) => new SharedArrayBuffer(4 * elementCount(t.dims)));
  post({ type: 'ready', inputs, outputs, stageIn, stageOut });
} catch (e) {
  post({ type: 'init-error', message: (e as Error).message, code: e instanceof DpuflowError ? e.code : 'E_WORKER_INIT' });
}
const f32 = (b: SharedArrayBuffer) => new Float32Array(b);
const i8 = (b: SharedArrayBuffer) => new Int8Array(b, 0, b.byteLength >> 2);
const inF = stageIn.map(f32), inI = stageIn.map(i8), outF = stageOut.map(f32), outI = stageOut.map(i8);

async function runJob(m: WorkerJob): Promise<void> {
  const inTensors = runner.getInputTensors();
  const outTensors = runner.getOutputTensors();
  const ins: TensorBuffer[] = [];
  inTensors.forEach((t, i) => {
    const f = m.feeds[t.name];
    if (f === undefined) return; // the GraphRunner reports the missing input by name
    ins.push({ tensor: t, data: f === 'f32' ? inF[i]! : f === 'i8' ? inI[i]! : f });
  });
  const fresh: Record<string, Float32Array | Int8Array> = {};
  const outs: TensorBuffer[] = outTensors.map((t, k) => {
    const o = m.outs[k]!;
    const n = elementCount(t.dims);
    let data: Float32Array | Int8Array;
    if (o === 'f32') data = outF[k]!;
    else if (o === 'i8') data = outI[k]!;
    else if (o === 'new-f32') data = fresh[t.name] = new Float32Array(n);
    else if (o === 'new-i8') data = fresh[t.name] = new Int8Array(n);
    else data = o;
    return { tensor: t, data };
  });
  const [id] = runner.executeAsync(ins, outs);
  await runner.wait(id, -1);
  const timings = runner.takeTimings(id) ?? [];
  post({ type: 'done', id: m.id, fresh, timings }, Object.values(fresh).map((v) => v.buffer as ArrayBuffer));
}

port.on('message', (m: WorkerJob) => {
  if (m.type !== 'job') return;
  runJob(m).catch((e: unknown) => post({ type: 'fail', id: m.id, message: (e as Error)?.message ?? String(e), code: e instanceof DpuflowError ? e.code : 'E_JOB_FAILED' }));
});
