/**
 * Float-kernel worker: instantiates the shared-memory build on the pool's memory and runs the
 * share of each kernel call the main thread posts in its control slot (see protocol.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ARGS, DONE, ERR, FN, FN_NAMES, GEN, NARGS, QUIT, SLOT } from './protocol.js';

interface Data { module: object; memory: { buffer: SharedArrayBuffer }; index: number }
const { module, memory, index } = workerData as Data;
const WA = (globalThis as unknown as { WebAssembly: { Instance: new (m: object, i: object) => { exports: Record<string, unknown> } } }).WebAssembly;
const inst = new WA.Instance(module, { env: { memory, abort: () => { throw new Error('float wasm abort'); } } });
const ctl = new Int32Array(memory.buffer, 0, 256);
const base = index * SLOT;
// read the generation before saying ready: the main thread may post the first job right after
let seen = Atomics.load(ctl, base + GEN);
parentPort!.postMessage('ready');
for (;;) {
  Atomics.wait(ctl, base + GEN, seen);
  const gen = Atomics.load(ctl, base + GEN);
  if (gen === seen) continue;
  seen = gen;
  if (gen === QUIT) break;
  const n = ctl[base + NARGS]!;
  const args: number[] = [];
  for (let i = 0; i < n; i++) args.push(ctl[base + ARGS + i]!);
  try {
    (inst.exports[FN_NAMES[ctl[base + FN]!]!] as (...a: number[]) => void)(...args);
    ctl[base + ERR] = 0;
  } catch {
    ctl[base + ERR] = 1;
  }
  Atomics.store(ctl, base + DONE, gen);
  Atomics.notify(ctl, base + DONE);
}
