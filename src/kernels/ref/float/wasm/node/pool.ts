/**
 * Node worker_threads pool for the float WASM kernels: `threads − 1` workers and the calling
 * thread share one WebAssembly memory; each conv / depthwise / GEMM call's output-pixel range is
 * split between them. The calling thread blocks in Atomics.wait until the workers are done, so the
 * kernels (and runFloat) stay synchronous. Node-only; browsers use the single-thread path.
 */
import { Worker } from 'node:worker_threads';
import { RuntimeError } from '../../../../../errors.js';
import { FLOAT_WASM_SHARED_BASE64 } from '../float-wasm.js';
import { decodeBase64, installFloatWasm, type FloatKernelName, type FloatParallel, type FloatWasm, type FloatWasmExports, type WasmMemory } from '../instance.js';
import { ARGS, DONE, ERR, FN, FN_NAMES, GEN, MAX_ARGS, MAX_THREADS, NARGS, QUIT, SLOT } from './protocol.js';

export interface FloatThreads {
  readonly threads: number;
  /** Stops the workers and returns the kernels to the single-thread instance. */
  close(): Promise<void>;
}

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}

let active: FloatThreads | undefined;

/**
 * Runs the float WASM kernels on `threads` threads (the caller's included) until close().
 * One pool per process: a second call closes the first.
 */
export async function enableFloatThreads(threads: number): Promise<FloatThreads> {
  if (active) await active.close();
  const n = Math.max(1, Math.min(MAX_THREADS, Math.floor(threads)));
  const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  let memory: WasmMemory, module: object, main: FloatWasm;
  try {
    memory = new WA.Memory({ initial: 16, maximum: 32768, shared: true });
    module = new WA.Module(decodeBase64(FLOAT_WASM_SHARED_BASE64));
    const inst = new WA.Instance(module, { env: { memory, abort: () => { throw new Error('float wasm abort'); } } });
    main = { exports: inst.exports as unknown as FloatWasmExports, memory };
  } catch (e) {
    throw new RuntimeError('E_WASM_SHARED', `cannot create the shared-memory float kernels: ${(e as Error).message}`, { fix: 'use one thread (the default)' });
  }
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 1; i < n; i++) {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData: { module, memory, index: i }, execArgv: [] });
    workers.push(w);
    ready.push(new Promise((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', (e: Error) => reject(new RuntimeError('E_WASM_WORKER', `float kernel worker ${i} failed to start: ${e.message}`, { where: `worker ${i}` })));
    }));
  }
  try {
    await Promise.all(ready);
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  let dead: string | undefined;
  for (const [i, w] of workers.entries()) {
    w.on('error', (e: Error) => { dead = `float kernel worker ${i + 1} died: ${e.message}`; });
    w.on('exit', (code) => { dead ??= `float kernel worker ${i + 1} exited (code ${code})`; });
    w.unref();
  }
  const ctl = new Int32Array(memory.buffer as SharedArrayBuffer, 0, 256);
  let gen = 0;
  const par: FloatParallel = {
    threads: n,
    run(fn: FloatKernelName, args: number[], range: number) {
      if (dead) throw new RuntimeError('E_WASM_WORKER', dead, { fix: 'close the pool (or restart the process) and run single-threaded' });
      if (args.length > MAX_ARGS) throw new RuntimeError('E_WASM_ARGS', `${fn}: ${args.length} args exceed the control slot (${MAX_ARGS})`);
      const lo = args[range]!, hi = args[range + 1]!;
      // shares in multiples of 4 pixels (the conv register tile)
      const chunk = Math.ceil((hi - lo) / n / 4) * 4;
      gen = gen >= 0x3fffffff ? 1 : gen + 1;
      const fnIdx = FN_NAMES.indexOf(fn);
      const posted: number[] = [];
      for (let i = 1; i < n; i++) {
        const a = Math.min(hi, lo + i * chunk), b = Math.min(hi, a + chunk);
        if (a >= b) continue;
        const base = i * SLOT;
        ctl[base + FN] = fnIdx;
        ctl[base + NARGS] = args.length;
        for (let j = 0; j < args.length; j++) ctl[base + ARGS + j] = args[j]!;
        ctl[base + ARGS + range] = a;
        ctl[base + ARGS + range + 1] = b;
        Atomics.store(ctl, base + GEN, gen);
        Atomics.notify(ctl, base + GEN);
        posted.push(i);
      }
      const own = args.slice();
      own[range] = lo;
      own[range + 1] = Math.min(hi, lo + chunk);
      (main.exports[fn] as (...a: number[]) => void)(...own);
      for (const i of posted) {
        const base = i * SLOT;
        for (let d = Atomics.load(ctl, base + DONE); d !== gen; d = Atomics.load(ctl, base + DONE)) {
          if (dead) throw new RuntimeError('E_WASM_WORKER', dead);
          Atomics.wait(ctl, base + DONE, d, 1000);
        }
        if (ctl[base + ERR]) throw new RuntimeError('E_WASM_KERNEL', `float kernel ${fn} failed in worker ${i}`, { where: `worker ${i}` });
      }
    },
  };
  installFloatWasm(main, par);
  const handle: FloatThreads = {
    threads: n,
    async close() {
      if (active !== handle) return;
      active = undefined;
      installFloatWasm(undefined, null);
      for (let i = 1; i < n; i++) { Atomics.store(ctl, i * SLOT + GEN, QUIT); Atomics.notify(ctl, i * SLOT + GEN); }
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
  active = handle;
  return handle;
}
