// What the AMX tests share: the addon's AMX status (skip reason where the path is off) and the INT8 reference output.
import { createRequire } from 'node:module';
import type { Graph, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
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
