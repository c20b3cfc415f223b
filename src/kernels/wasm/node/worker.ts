/** A kernel worker: instantiates the kernels on the shared memory and runs its share of each job. */
import { parentPort, workerData } from 'node:worker_threads';
import { instantiateKernels } from '../loader.js';
import type { WasmMemory } from '../wasm-api.js';
import { DONE, GEN, QUIT, ctrlViews, runShare } from './protocol.js';

const { memory, index } = workerData as { memory: WasmMemory; index: number };
const k = instantiateKernels(memory).exports;
const v = ctrlViews(memory.buffer as SharedArrayBuffer);
const scratch: number[] = [];
let gen = Atomics.load(v.i32, GEN);
parentPort?.postMessage('ready');
for (;;) {
  Atomics.wait(v.i32, GEN, gen);
  gen = Atomics.load(v.i32, GEN);
  if (Atomics.load(v.i32, QUIT)) break;
  try {
    runShare(k, v, index, scratch);
  } finally {
    Atomics.add(v.i32, DONE, 1);
    Atomics.notify(v.i32, DONE);
  }
}
