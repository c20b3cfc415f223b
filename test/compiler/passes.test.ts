import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPipeline } from '../../src/compiler/pipeline.js';
import { toCompilerArch } from '../../src/compiler/arch.js';
import { installDpuRules } from '../../src/compiler/support/index.js';
import { NetBuilder } from './nets.js';

const arch = toCompilerArch('B4096');
installDpuRules();

test('fold-bn: a batchnorm left after a conv is folded into it, weights re-quantized (hand-computed element)', () => {
  const b = new NetBuilder('bn');
  const x = b.conv(b.input([1, 4, 4, 2]), 2, 1, 1, 'NONE');
  const conv = b.ops.find((o) => o.name === x)!;
  const cst = (name: string, v: number[]) => { b.ops.push({ name, type: 'const', inputs: [], attrs: {}, output: { shape: [2], dtype: 'float32' }, data: Float32Array.from(v) }); return name; };
  const bn = b.op('batchnorm', [x, cst('g', [2, 0.5]), cst('be', [0.25, 0]), cst('m', [0, 1]), cst('v', [1, 4])], { epsilon: 0, axis: -1 }, [1, 4, 4, 2]);
  const { state, report } = runPipeline(b.graph([bn]), arch, { until: 'fold-bn' });
  const folded = state.graph.ops.find((o) => o.name === bn)!;
  assert.equal(folded.type, 'conv2d');
  const w0 = b.ops.find((o) => o.name === conv.inputs[1])!.data!;
  const nw = state.graph.ops.find((o) => o.name === folded.inputs[1])!;
  // channel 0 scale 2/√1 = 2; channel 1 scale 0.5/√4 = 0.25; weights [oc=2, 1, 1, ic=2]
  const want = [w0[0] * 2, w0[1] * 2, w0[2] * 0.25, w0[3] * 0.25];
  const fp = nw.output.fixPoint!;
  const m = Math.max(...want.map(Math.abs));
  assert.equal(fp, Math.floor(Math.log2(127 / m)));
  want.forEach((w, i) => assert.equal(nw.data![i], Math.sign(w * 2 ** fp) * Math.round(Math.abs(w * 2 ** fp)) / 2 ** fp));
  assert.match(report.notes.join('\n'), /fold-bn: batchnorm .* folded into/);
  assert.ok(!state.graph.ops.some((o) => o.type === 'batchnorm'));
});

test('fold-pads: a zero pad before a conv goes into its pad attr; a reflect pad stays (CPU, with a reason)', () => {
  const b = new NetBuilder('pads');
  const x = b.input([1, 6, 6, 4]);
  const p = b.op('pad', [x], { paddings: [0, 0, 1, 2, 3, 0, 0, 0], mode: 'CONSTANT', constant_value: 0 }, [1, 9, 9, 4]);
  const c = b.op('conv2d', [p, b.constant([4, 3, 3, 4], 0.1), b.constant([4], 0.1)], { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [1, 1, 0, 0], group: 1, nonlinear: 'NONE' }, [1, 7, 9, 4]);
  const r = b.op('pad', [c], { paddings: [0, 0, 1, 1, 1, 1, 0, 0], mode: 'REFLECT', constant_value: 0 }, [1, 9, 11, 4]);
  const { state, report } = runPipeline(b.graph([r]), arch, { until: 'partition' });
  const conv = state.graph.ops.find((o) => o.name === c)!;
  assert.deepEqual(conv.attrs['pad'], [4, 1, 1, 2]);
  assert.equal(conv.inputs[0], x);
  assert.ok(!state.graph.ops.some((o) => o.name === p));
  assert.match(report.cpuOps.find((o) => o.op === r)!.reason, /pad not folded/);
});
