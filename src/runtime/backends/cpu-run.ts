/**
 * CPU 'run' backend: the CPU subgraph's ops planned once (src/kernels/float-run: planned float kernels,
 * WebAssembly fast executors for the fixed-point runs, aliases for float reshapes) — byte-equal outputs
 * to the 'ref' CPU backend (runQuantized, the quantizer's test mode), checked in test/runtime/cpu-run.
 * 'ref' and 'sim' keep the reference CPU backend.
 */
import { RuntimeError } from '../../errors.js';
import { createCpuRunExecutor, type CpuRunExecutor } from '../../kernels/float-run/executor.js';
import type { Subgraph } from '../../xir/graph.js';
import { registerBackend, type BackendOptions, type SubgraphBackend } from '../backend.js';
import { subgraphTensors, subgraphToIr } from '../subgraph-ir.js';

export function createCpuRunBackend(sg: Subgraph, _opts: BackendOptions): SubgraphBackend {
  const ir = subgraphToIr(sg);
  const { inputs, outputs } = subgraphTensors(sg);
  let exec: CpuRunExecutor;
  try {
    exec = createCpuRunExecutor(ir);
  } catch (e) {
    throw new RuntimeError('E_RUN_PREPARE', `the CPU 'run' executor cannot prepare this subgraph: ${(e as Error).message}`, {
      where: sg.getName(), cause: e, fix: "use mode 'ref'",
    });
  }
  const inNames = new Set(inputs.map((t) => t.name));
  const feeds: Record<string, Int8Array | Float32Array> = {};
  return {
    inputs,
    outputs,
    execute(ins, outs) {
      inputs.forEach((t, i) => { feeds[t.name] = ins[i]!; });
      exec.run(feeds);
      outputs.forEach((t, k) => {
        const dst = outs[k]!;
        if (inNames.has(t.name)) { dst.set(ins[inputs.findIndex((x) => x.name === t.name)]!); return; }
        if (t.dtype === 'xint8') {
          const q = exec.int8(t.name);
          if (!q || exec.fixPoint(t.name) !== t.fixPoint) {
            throw new RuntimeError('E_SUBGRAPH_FIX', `output '${t.name}' has no int8 value at fix point ${t.fixPoint}`, { where: sg.getName() });
          }
          dst.set(q);
        } else {
          const f = exec.float(t.name);
          if (!f) throw new RuntimeError('E_SUBGRAPH_OUTPUT', `output '${t.name}' was not computed`, { where: sg.getName() });
          dst.set(f);
        }
      });
    },
  };
}

registerBackend('CPU', 'run', createCpuRunBackend);
