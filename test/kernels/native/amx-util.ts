// What the AMX tests share: the addon's AMX status (skip reason where the path is off) and the INT8 reference output.
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import type { Graph, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { type NativeKernels, loadNativeKernels, nativeAddonPath, nativeStatus } from '../../../src/kernels/native/node.js';

/** The addon's amxStatus(): ['on' | why not, AMX units run so far]. */
export type AmxStatus = () => [string, number];

/** The VNNI kernels, the addon's amxStatus, and the tests' skip value (false when the AMX path is on). */
export function amxSetup(): { nk: NativeKernels | undefined; amxStatus: AmxStatus | undefined; skip: false | string } {
  const nk = loadNativeKernels({ isa: 'avx512vnni' });
  const path = nativeAddonPath();
  const amxStatus = nk && path ? (createRequire(import.meta.url)(path) as { amxStatus?: AmxStatus }).amxStatus : undefined;
  const why = !nk ? `native VNNI kernels unavailable: ${nativeStatus().reason}` : !amxStatus ? 'addon without amxStatus() (built before the AMX path)' : amxStatus()[0];
  return { nk, amxStatus, skip: why === 'on' ? false : `AMX path not available: ${why}` };
}

/** runQuantized's INT8 output of tensor `name` (default 'y'): the independent oracle. */
export function refInt8(g: Graph, feeds: Record<string, TensorValue>, name = 'y'): Int8Array {
  let y: Int8Array | undefined;
  runQuantized(g, feeds, { onTensor: (o, _v, q) => { if (q && o.name === name) y = q.slice(); } });
  if (!y) throw new Error(`runQuantized gave no INT8 value for '${name}'`);
  return y;
}

/** At 1 / 2 / 3 threads, two frames each: the native executor's 'y' equals `want` byte for byte (the first difference
 * is named with `label`), and nothing was written outside the arena. */
export function expectRefAtThreads(nk: NativeKernels, g: Graph, feeds: Record<string, TensorValue>, want: Int8Array, label: string): void {
  for (const threads of [1, 2, 3]) {
    const ex = createFastExecutor(g, { native: { kernels: nk, threads } });
    for (let f = 0; f < 2; f++) {
      ex.run(feeds);
      const got = ex.tensor('y')!;
      let j = 0;
      while (j < want.length && got[j] === want[j]) j++;
      if (j < want.length) assert.fail(`${label}, ${threads}T frame ${f}: y differs at ${j} of ${want.length}: got ${got[j]}, want ${want[j]}`);
    }
    assert.deepEqual(ex.checkBounds(), [], `${label} ${threads}T: out-of-bounds write`);
  }
}
