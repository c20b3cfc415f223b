// One worker thread of the RunnerPool (pool.ts): loads the model once, then runs jobs one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { Graph } from '../../xir/graph.js';
import { GraphRunner } from '../graph-runner.js';
import type { RunnerMode } from '../backend.js';
import { DpuflowError } from '../../errors.js';
import './native-run.js'; // 'run' uses the native kernels when built

interface Init { xmodel: Uint8Array; mode: RunnerMode; target?: string }
interface JobMsg { type: 'job'; id: number; feeds: Record<string, Float32Array> }

const port = parentPort!;
const init = workerData as Init;
let runner: GraphRunner;
try {
  runner = GraphRunner.create(Graph.deserialize(init.xmodel), { mode: init.mode, target: init.target });
  port.postMessage({ type: 'ready' });
} catch (e) {
  port.postMessage({ type: 'init-error', message: (e as Error).message, code: e instanceof DpuflowError ? e.code : 'E_WORKER_INIT' });
}

port.on('message', (m: JobMsg) => {
  if (m.type !== 'job') return;
  runner.run(m.feeds).then(
    (outputs) => {
      const out: Record<string, { shape: number[]; data: Float32Array }> = outputs;
      port.postMessage({ type: 'done', id: m.id, outputs: out, timings: runner.lastTimings() }, Object.values(out).map((v) => v.data.buffer as ArrayBuffer));
    },
    (e: unknown) => port.postMessage({ type: 'fail', id: m.id, message: (e as Error)?.message ?? String(e), code: e instanceof DpuflowError ? e.code : 'E_JOB_FAILED' }),
  );
});
