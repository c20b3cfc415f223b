/**
 * DPU 'ref' backend: the INT8 reference kernels (runQuantized, src/kernels/ref) on the subgraph's
 * XIR ops. Slow and obvious: the living definition of the DPU's arithmetic.
 */
import type { TensorValue } from '../../ir/types.js';
import { runQuantized } from '../../kernels/ref/quant-executor.js';
import { dequantize } from '../../kernels/ref/int8/arith.js';
import { RuntimeError } from '../../errors.js';
import type { Subgraph } from '../../xir/graph.js';
import { registerBackend, type BackendOptions, type SubgraphBackend } from '../backend.js';
import { subgraphTensors, subgraphToIr } from '../subgraph-ir.js';
import { openDpuSubgraph } from './common.js';
import type { RunnerTensor } from '../tensor.js';

/**
 * Runs an extracted subgraph IR (DPU or CPU) with the quantizer's test-mode semantics and writes its
 * outputs: int8 bytes for xint8 tensors, floats for float32 ones.
 */
export function makeQuantizedBackend(sg: Subgraph): SubgraphBackend {
  const ir = subgraphToIr(sg);
  const { inputs, outputs } = subgraphTensors(sg);
  const outIndex = new Map(outputs.map((t, i) => [t.name, i]));
  return {
    inputs,
    outputs,
    execute(ins, outs) {
      const feeds: Record<string, TensorValue> = {};
      inputs.forEach((t: RunnerTensor, i) => {
        const d = ins[i]!;
        feeds[t.name] = { shape: [...t.dims], data: t.dtype === 'xint8' ? dequantize(d, t.fixPoint!) : (d as Float32Array) };
      });
      const seen = new Set<string>();
      runQuantized(ir, feeds, {
        onTensor(op, value, q) {
          const k = outIndex.get(op.name);
          if (k === undefined || seen.has(op.name)) return;
          const t = outputs[k]!;
          const dst = outs[k]!;
          if (t.dtype === 'xint8') {
            if (!q || op.output.fixPoint !== t.fixPoint) {
              throw new RuntimeError('E_SUBGRAPH_FIX', `output '${t.name}' has no int8 value at fix point ${t.fixPoint}`, { where: sg.getName() });
            }
            dst.set(q);
          } else dst.set(value.data);
          seen.add(op.name);
        },
      });
      for (const t of outputs) {
        if (!seen.has(t.name) && !inputs.some((x) => x.name === t.name)) {
          throw new RuntimeError('E_SUBGRAPH_OUTPUT', `output '${t.name}' was not computed`, { where: sg.getName() });
        }
      }
      // An output that is also an input (pass-through) is copied as is.
      inputs.forEach((t, i) => { const k = outIndex.get(t.name); if (k !== undefined) outs[k]!.set(ins[i]!); });
    },
  };
}

export function createDpuRefBackend(sg: Subgraph, opts: BackendOptions): SubgraphBackend {
  openDpuSubgraph(sg, opts);
  return makeQuantizedBackend(sg);
}

registerBackend('DPU', 'ref', createDpuRefBackend);
