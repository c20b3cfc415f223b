// The 'run' runner with the native kernels installed (src/runtime/node/native-run.ts): a compiled
// ResNet-18-shaped DPU subgraph's outputs equal runQuantized's bytes (the independent oracle), and
// the native conv kernel was the one that ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../../src/compiler/compile.js';
import { Graph } from '../../../src/xir/graph.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { Runner } from '../../../src/runtime/runner.js';
import '../../../src/runtime/backends/index.js';
import { setRunModeNative } from '../../../src/runtime/backends/dpu-run.js';
import { loadNativeKernels, nativeStatus } from '../../../src/runtime/node/native-run.js';
import type { NativeKernels } from '../../../src/kernels/native/types.js';
import { quantizedModel } from '../wasm/helpers.js';

const nk = loadNativeKernels();
const skip = nk ? false : `native kernels unavailable: ${nativeStatus().reason}`;

test("Runner 'run' with the native kernels == runQuantized on every DPU subgraph output (ResNet-18 64²)", { skip }, async () => {
  const { g, feeds } = await quantizedModel('resnet18', 64);
  const oracle = new Map<string, Int8Array>();
  runQuantized(g, feeds, { onTensor(op, _v, q) { if (q) oracle.set(op.name, q.slice()); } });
  // the executor adds every conv to the native program (addConv) and runs it in batches (run);
  // kernels without the program API get one conv() call per conv
  let calls = 0;
  let runs = 0;
  const counting: NativeKernels = nk!.addConv
    ? { ...nk!, addConv: (...a) => { calls++; return nk!.addConv!(...a); }, run: (...a) => { runs++; nk!.run!(...a); } }
    : { ...nk!, conv: (...a) => { calls++; runs++; nk!.conv(...a); } };
  setRunModeNative(() => counting);
  try {
    const xg = Graph.deserialize(compile(g, 'B4096').xmodel);
    let checked = 0;
    for (const sg of xg.getRootSubgraph().toposortChildSubgraph()) {
      if (sg.getAttr('device') !== 'DPU') continue;
      const r = Runner.create(sg, 'run');
      const ins = r.getInputTensors().map((t) => ({ tensor: t, data: oracle.get(t.name)! }));
      const outs = r.getOutputTensors().map((t) => ({ tensor: t, data: new Int8Array(t.dims.reduce((a, b) => a * b, 1)) }));
      await r.execute(ins, outs);
      r.getOutputTensors().forEach((t, i) => {
        assert.deepEqual(outs[i]!.data, oracle.get(t.name), `output ${t.name}`);
        checked++;
      });
    }
    assert.ok(checked >= 1);
    assert.ok(calls >= 10, `native convs: ${calls}`);
    assert.ok(runs >= 1, `native runs: ${runs}`);
  } finally {
    setRunModeNative(loadNativeKernels);
  }
});
