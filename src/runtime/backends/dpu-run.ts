/**
 * DPU 'run' backend: the fast host kernels — the WebAssembly SIMD executor (src/kernels/wasm,
 * `createFastExecutor`) on the subgraph's ops, prepared once per runner (weights packed, arena planned).
 * Bit-exact with 'ref' and 'sim' (checked in test/runtime/modes.test.ts).
 */
import type { TensorValue } from '../../ir/types.js';
import { RuntimeError } from '../../errors.js';
import { dequantize } from '../../kernels/ref/int8/arith.js';
import { createFastExecutor } from '../../kernels/wasm/executor.js';
import type { Subgraph } from '../../xir/graph.js';
import { registerBackend, type BackendOptions, type SubgraphBackend } from '../backend.js';
import { subgraphTensors, subgraphToIr } from '../subgraph-ir.js';
import { openDpuSubgraph } from './common.js';
import type { NativeKernels } from '../../kernels/native/types.js';

/** Native conv kernels for 'run' (Node: src/runtime/node/native-run.ts installs the addon's loader);
 * stage code itself never loads them, so without a provider 'run' stays on the WASM kernels. */
let nativeProvider: (() => NativeKernels | undefined) | undefined;
export function setRunModeNative(provider: (() => NativeKernels | undefined) | undefined): void {
  nativeProvider = provider;
}

/** True: 'run' is wired to the WASM fast executor. */
export const RUN_MODE_AVAILABLE = true;

export function createDpuRunBackend(sg: Subgraph, opts: BackendOptions): SubgraphBackend {
  openDpuSubgraph(sg, opts); // the fingerprint check comes first, as on a board
  const ir = subgraphToIr(sg);
  const { inputs, outputs } = subgraphTensors(sg);
  for (const t of [...inputs, ...outputs]) {
    if (t.dtype !== 'xint8') throw new RuntimeError('E_DPU_TENSOR', `DPU tensor '${t.name}' is ${t.dtype}, expected xint8`, { where: sg.getName() });
  }
  let exec: ReturnType<typeof createFastExecutor>;
  try {
    const kernels = nativeProvider?.();
    exec = createFastExecutor(ir, kernels ? { native: { kernels, threads: opts.threads ?? 1 } } : {});
  } catch (e) {
    throw new RuntimeError('E_RUN_PREPARE', `the fast executor cannot prepare this subgraph: ${(e as Error).message}`, {
      where: sg.getName(), cause: e, fix: "use mode 'sim' or 'ref'",
    });
  }
  // int8 feeds go in directly when every subgraph input is a fixed-point data op at the tensor's own fix point
  const int8Feeds = inputs.every((t) => ir.ops.find((o) => o.name === t.name && o.type === 'data')?.output.fixPoint === t.fixPoint);
  return {
    inputs,
    outputs,
    execute(ins, outs) {
      if (int8Feeds) {
        // xint8 in, xint8 out: the inputs go into the arena as they are, the outputs straight into `outs`
        const feeds: Record<string, Int8Array> = {};
        inputs.forEach((t, i) => { feeds[t.name] = ins[i] as Int8Array; });
        exec.runInt8(feeds);
      } else {
        const feeds: Record<string, TensorValue> = {};
        inputs.forEach((t, i) => { feeds[t.name] = { shape: [...t.dims], data: dequantize(ins[i]!, t.fixPoint!) }; });
        exec.run(feeds);
      }
      outputs.forEach((t, i) => {
        if (!exec.tensorInto(t.name, outs[i] as Int8Array)) {
          throw new RuntimeError('E_SUBGRAPH_OUTPUT', `the fast executor has no int8 value for output '${t.name}'`, { where: sg.getName() });
        }
      });
    },
  };
}

registerBackend('DPU', 'run', createDpuRunBackend);
