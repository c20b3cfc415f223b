import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPipeline } from '../../src/compiler/pipeline.js';
import { toCompilerArch } from '../../src/compiler/arch.js';
import { installDpuRules } from '../../src/compiler/support/index.js';
import { CompileError } from '../../src/errors.js';
import { NetBuilder, ppocrRec } from './nets.js';

const B4096 = toCompilerArch('B4096');
installDpuRules();

test('PP-OCR rec: the CNN is one DPU subgraph, the transformer one CPU subgraph, every CPU op with a reason', () => {
  const g = ppocrRec();
  const { state, report } = runPipeline(g, B4096, { until: 'partition' });
  assert.deepEqual(report.counts, { dpu: 1, cpu: 1, user: 1 });
  assert.deepEqual(state.subgraphs.map((s) => s.device), ['USER', 'DPU', 'CPU']);
  const byType = (t: string) => report.cpuOps.filter((c) => c.type === t);
  // every op of the transformer part is on the CPU, each with a reason and a fix
  const compute = g.ops.filter((o) => o.type !== 'const' && o.type !== 'data');
  const cpuNames = new Set(report.cpuOps.map((c) => c.op));
  for (const o of compute) {
    const onDpu = ['conv2d', 'depthwise-conv2d', 'maxpool2d', 'avgpool2d'].includes(o.type);
    assert.equal(cpuNames.has(o.name), !onDpu, `${o.name} (${o.type})`);
  }
  for (const c of report.cpuOps) { assert.ok(c.reason.length > 10, c.op); assert.ok(c.fix.length > 3, c.op); }
  assert.equal(byType('layernorm')[0].reason, 'layernorm: not a DPU op; stays on CPU');
  assert.match(byType('softmax')[0].reason, /softmax: not a DPU op/);
  assert.match(byType('matmul')[0].reason, /inner-product only on a flattened \[1, K\] input/);
  assert.match(byType('matmul').find((m) => /two activations/.test(m.reason))!.reason, /matmul of two activations/);
  assert.match(byType('transpose')[0].reason, /transpose \[0,2,1\] of 1x6x256 moves data: not a DPU op/);
});

test('LeakyReLU with alpha 0.2 stays on the CPU with the exact reason; 26/256 is fused on the DPU', () => {
  for (const [alpha, onCpu] of [[0.2, true], [26 / 256, false]] as const) {
    const b = new NetBuilder('leaky');
    const x = b.conv(b.input([1, 8, 8, 3]), 8, 3, 1, 'NONE');
    const y = b.act('leaky-relu', x, { alpha });
    const z = b.pool('maxpool2d', y, 2, 2);
    const { state, report } = runPipeline(b.graph([z]), B4096, { until: 'partition' });
    if (onCpu) {
      assert.equal(report.cpuOps.length, 1);
      assert.equal(report.cpuOps[0].reason, 'LeakyReLU alpha 0.2 is not 26/256: DPU supports only 0.1015625');
      assert.deepEqual(report.counts, { dpu: 2, cpu: 1, user: 1 });
    } else {
      assert.equal(report.cpuOps.length, 0);
      const conv = state.graph.ops.find((o) => o.type === 'conv2d')!;
      assert.equal(conv.attrs['nonlinear'], 'LEAKYRELU');
      assert.equal(conv.name, y, 'the fused conv takes the activation name');
    }
  }
});

test('limits of the arch: kernel 17, stride 9, grouped conv, broadcast add, bilinear resize go to CPU with the limit named', () => {
  const b = new NetBuilder('limits');
  const x = b.input([1, 40, 40, 8]);
  const k17 = b.conv(x, 8, 17, 1, 'NONE', { pad: 8 });
  const s9 = b.conv(x, 8, 1, 9, 'NONE', { pad: 0 });
  const g2 = b.op('conv2d', [x, b.constant([8, 1, 1, 4], 0.1), b.constant([8], 0.1)], { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], group: 2 }, [1, 40, 40, 8]);
  const pooled = b.op('avgpool2d', [g2], { kernel: [40, 1], stride: [1, 1], pad: [0, 0, 0, 0], global: false, count_include_pad: true }, [1, 40, 1, 8]);
  const bc = b.op('add', [g2, pooled], {}, [1, 40, 40, 8]);
  const bil = b.op('resize', [bc], { size: [80, 80], mode: 'BILINEAR', coordinate: 'half_pixel' }, [1, 80, 80, 8]);
  const { report } = runPipeline(b.graph([k17, s9, bil]), B4096, { until: 'partition' });
  const reason = (n: string) => report.cpuOps.find((c) => c.op === n)?.reason ?? '';
  assert.match(reason(k17), /kernel \[17,17\] is outside the DPU range 1–16/);
  assert.match(reason(s9), /stride \[9,9\] is outside the DPU range 1–8/);
  assert.match(reason(g2), /grouped conv2d \(group 2\)/);
  assert.match(reason(bc), /broadcasting \(1x40x40x8 vs 1x40x1x8\): the eltwise engine takes equal shapes or one \[1,1,1,C\] operand only/);
  assert.match(reason(bil), /NEAREST only/);
});

test('float tensors are "not quantized"; a float model is a CompileError naming an op', () => {
  const b = new NetBuilder('float');
  const x = b.input([1, 8, 8, 3]);
  const y = b.op('relu', [x], {}, [1, 8, 8, 3], true);
  const { report } = runPipeline(b.graph([y]), B4096, { until: 'partition' });
  assert.match(report.cpuOps[0].reason, /output is float \(not quantized\)/);

  const f = new NetBuilder('allfloat');
  const fx = f.op('data', [], { shape: [1, 4, 4, 3] }, [1, 4, 4, 3], true, 'in');
  const fy = f.op('relu', [fx], {}, [1, 4, 4, 3], true);
  assert.throws(() => runPipeline(f.graph([fy]), B4096), (e: unknown) => e instanceof CompileError && e.code === 'E_FLOAT_MODEL' && /float model/.test(e.message) && e.where === fy);
});

test('subgraphs stay acyclic: DPU → CPU → DPU on one path is three subgraphs, independent DPU branches merge', () => {
  const b = new NetBuilder('cycle');
  const x = b.input([1, 8, 8, 8]);
  const a = b.conv(x, 8, 1, 1, 'NONE');
  const s = b.op('sigmoid', [a], {}, [1, 8, 8, 8]);
  const m = b.op('mul', [a, s], {}, [1, 8, 8, 8]);
  const side = b.conv(x, 8, 3, 1); // independent of the CPU op: joins the first DPU group
  const out = b.add(m, side);
  const { state, report } = runPipeline(b.graph([out]), B4096, { until: 'partition' });
  assert.deepEqual(report.counts, { dpu: 2, cpu: 1, user: 1 });
  const dpu = state.subgraphs.filter((g) => g.device === 'DPU');
  assert.ok(dpu[0].ops.includes(a) && !dpu[0].ops.includes(m), 'conv and the mul after the CPU op are in different DPU subgraphs');
  assert.ok(dpu[1].ops.includes(m) && dpu[1].ops.includes(out));
  assert.ok(dpu.some((d) => d.ops.includes(side)), 'the independent branch joins a DPU subgraph instead of making a third');
  assert.deepEqual(state.subgraphs.map((g) => g.device), ['USER', 'DPU', 'CPU', 'DPU']);
});

test('registry: rules attach to registered op types through attachDpuRule', async () => {
  await import('../../src/ops/index.js').catch(() => undefined);
  const { hasOpDef, getOpDef } = await import('../../src/ir/registry.js');
  const attached = installDpuRules();
  if (hasOpDef('conv2d')) {
    assert.ok(attached.includes('conv2d'));
    assert.equal(getOpDef('conv2d').dpu?.engine, 'conv');
    assert.equal(getOpDef('layernorm').dpu?.cpuOnly, true);
  }
});
