// Bad input to runners: fingerprint mismatch (VART's message), wrong buffer size/dtype, missing input,
// wait timeout, unknown job, 'run' unavailable — each a RuntimeError naming the tensor/job; the runner
// stays usable afterwards. Oracle for the good runs: runQuantized on the uncompiled graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/compiler/compile.js';
import { Graph } from '../../src/xir/graph.js';
import { Runner } from '../../src/runtime/runner.js';
import { GraphRunner } from '../../src/runtime/graph-runner.js';
import { allocBuffers } from '../../src/runtime/tensor.js';
import { RuntimeError } from '../../src/errors.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { smallConvNet } from '../compiler/nets.js';

const q = smallConvNet();
const xg = Graph.deserialize(compile(q, 'B4096').xmodel);
const dpu = xg.getRootSubgraph().toposortChildSubgraph().find((s) => s.getAttr('device') === 'DPU')!;
const isRt = (code: string, re?: RegExp) => (e: unknown) => e instanceof RuntimeError && e.code === code && (!re || re.test(e.message));
const feed = Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => Math.sin(i * 0.3));

test("fingerprint mismatch: VART's exact message, then what both archs are and the command that fixes it", () => {
  for (const mode of ['ref', 'sim', 'run'] as const) {
    assert.throws(() => Runner.create(dpu, mode, { targetFingerprint: 0x101000016010406n }), (e: unknown) => {
      assert.ok(e instanceof RuntimeError && e.code === 'E_FINGERPRINT');
      assert.ok(e.message.includes(
        'CHECK fingerprint fail! model_fingerprint 0x101000016010407 is un-matched with actual dpu_fingerprint 0x101000016010406. ' +
        'Please re-compile xmodel with dpu_fingerprint 0x101000016010406 and try again.'), e.message);
      assert.match(e.fix ?? '', /B4096.*B3136|dpuflow compile .*--arch B3136/);
      return true;
    });
  }
  // through GraphRunner with a board name: KV260 carries a B4096 (same fingerprint) → accepted
  GraphRunner.create(xg, { mode: 'ref', target: 'kv260' }).close();
  assert.throws(() => GraphRunner.create(xg, { mode: 'sim', target: 'B1024' }), isRt('E_FINGERPRINT', /CHECK fingerprint fail!/));
});


test('bad buffers name the tensor; the runner stays usable', async () => {
  const r = Runner.create(dpu, 'sim');
  const [tin] = r.getInputTensors();
  assert.equal(tin!.dtype, 'xint8');
  const outs = allocBuffers(r.getOutputTensors());
  assert.throws(() => r.executeAsync([{ tensor: tin!, data: new Int8Array(5) }], outs), isRt('E_BUFFER_SIZE', new RegExp(`'${tin!.name}' has 5 elements`)));
  assert.throws(() => r.executeAsync([{ tensor: tin!, data: new Float32Array(192) }], outs), isRt('E_BUFFER_DTYPE', new RegExp(tin!.name)));
  assert.throws(() => r.executeAsync([], outs), isRt('E_BUFFER_MISSING', new RegExp(tin!.name)));
  // still usable: a good job gives runQuantized's bytes
  const x = allocBuffers(r.getInputTensors());
  (x[0]!.data as Int8Array).set(Array.from(feed, (v) => Math.max(-128, Math.min(127, Math.floor(v * 2 ** tin!.fixPoint! + 0.5)))));
  const [id, status] = r.executeAsync(x, outs);
  assert.equal(status, 0);
  assert.equal(await r.wait(id, -1), 0);
  const want = runQuantized(q, { input: { shape: [1, 8, 8, 3], data: feed } })[q.outputs[0]!]!;
  const ot = r.getOutputTensors()[0]!;
  assert.deepEqual(Array.from(outs[0]!.data, (v) => v * 2 ** -ot.fixPoint!), Array.from(want.data));
  r.close();
});

test('wait: poll times out without losing the job; unknown job id is an error', async () => {
  const gr = GraphRunner.create(xg, { mode: 'sim' });
  const outs = allocBuffers(gr.getOutputTensors());
  const ids = [0, 1, 2].map(() => gr.executeAsync([{ tensor: gr.getInputTensors()[0]!, data: feed }], allocBuffers(gr.getOutputTensors()))[0]);
  const [id] = gr.executeAsync([{ tensor: gr.getInputTensors()[0]!, data: feed }], outs);
  assert.equal(new Set([...ids, id]).size, 4, 'job ids are unique');
  await assert.rejects(gr.wait(id, 0), isRt('E_JOB_TIMEOUT', new RegExp(`job ${id} `)));
  assert.equal(await gr.wait(id, -1), 0);
  for (const j of ids) assert.equal(await gr.wait(j, 5000), 0);
  await assert.rejects(gr.wait(id, 0), isRt('E_JOB_UNKNOWN'));
  const want = runQuantized(q, { input: { shape: [1, 8, 8, 3], data: feed } })[q.outputs[0]!]!;
  assert.deepEqual(outs[0]!.data, want.data);
  assert.equal(gr.lastTimings().length, 1);
  gr.close();
});

test('GraphRunner: a missing graph input names it; bad sizes name the tensor; still usable', async () => {
  const gr = GraphRunner.create(xg, { mode: 'ref' });
  await assert.rejects(gr.run({}), isRt('E_BUFFER_MISSING', /missing input 'input'/));
  await assert.rejects(gr.run({ input: new Float32Array(3) }), isRt('E_BUFFER_SIZE', /'input' has 3 elements, expected 192/));
  const out = await gr.run({ input: feed });
  const want = runQuantized(q, { input: { shape: [1, 8, 8, 3], data: feed } });
  assert.deepEqual(out[q.outputs[0]!]!.data, want[q.outputs[0]!]!.data);
  gr.close();
});

test('a corrupt mc_code is rejected when the sim runner is created (offending word named), never run', () => {
  const bytes = compile(q, 'B4096').xmodel;
  const g2 = Graph.deserialize(bytes);
  const sg = g2.getRootSubgraph().toposortChildSubgraph().find((s) => s.getAttr('device') === 'DPU')!;
  const code = (sg.getAttr('mc_code') as Uint8Array).slice();
  new DataView(code.buffer).setUint32(0, 0xf0000000, true); // opcode 0xF is not an ISA1 class
  sg.setAttr('mc_code', code);
  assert.throws(() => Runner.create(sg, 'sim'), (e: unknown) => e instanceof RuntimeError && e.code === 'E_DPU_MC_CODE' && /word 0|offset 0|0xf0000000/i.test(e.message));
});
