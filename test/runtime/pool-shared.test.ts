// RunnerPool's zero-copy paths: feeds staged in the worker slot's shared memory or passed in the caller's
// SharedArrayBuffers (allocBuffers), xint8 feeds and outputs (Int8Array at the tensor's fix point), output
// buffers of the caller (shared: written by the worker; plain: copied in) and new xint8 outputs. Every
// output is compared with the INT8 reference (runQuantized, the independent oracle) and is byte-equal to
// an in-process GraphRunner.run / runInt8 on the same feeds. Bad buffers name their tensor; a worker killed
// mid-job with shared buffers fails that job only and its replacement serves from its own staging memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph as IrGraph } from '../../src/ir/types.js';
import { compile } from '../../src/compiler/compile.js';
import { Graph } from '../../src/xir/graph.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { GraphRunner } from '../../src/runtime/graph-runner.js';
import { RunnerPool } from '../../src/runtime/node/pool.js';
import { RuntimeError } from '../../src/errors.js';
import { NetBuilder } from '../compiler/nets.js';
import { killOneMidJob } from './pool-util.js';

/** One input (odd map, 3 channels), two xint8 outputs (odd channel counts 17 and 5). */
function net(): IrGraph {
  const b = new NetBuilder('pool_io', 11);
  let x = b.conv(b.input([1, 19, 17, 3], 'img'), 17, 3, 1);
  x = b.conv(x, 0, 3, 2, 'RELU', { dw: true }); // [1, 10, 9, 17]
  const a = b.conv(x, 17, 1, 1, 'NONE');
  const c = b.conv(x, 5, 3, 1, 'LEAKYRELU');
  return b.graph([a, c]);
}

const q = net();
const xmodel = compile(q, 'B4096').xmodel;
const N_IN = 19 * 17 * 3;
const feedOf = (k: number) => Float32Array.from({ length: N_IN }, (_, i) => 2.3 * Math.sin(i * 0.29 + k) + (k === 3 && i % 5 === 0 ? 1000 : 0));
/** The DPU's input rounding, written out: round half up, saturate, NaN → 0. */
const qRef = (x: number, fp: number) => (Number.isNaN(x) ? 0 : Math.max(-128, Math.min(127, Math.floor(x * 2 ** fp + 0.5))));
const oracle = (k: number) => runQuantized(q, { img: { shape: [1, 19, 17, 3], data: feedOf(k) } });

test('shared float and xint8 buffers, staged plain feeds, caller output buffers: == runQuantized == GraphRunner', async () => {
  const gr = GraphRunner.create(Graph.deserialize(xmodel), { mode: 'run' });
  const pool = await RunnerPool.create({ xmodel, mode: 'run', threads: 2 });
  try {
    const outT = pool.getOutputTensors();
    assert.deepEqual(outT.map((t) => t.name).sort(), [...q.outputs].sort());
    assert.deepEqual(pool.getInputTensors(), gr.getInputTensors());
    const fpIn = pool.getInputTensors()[0]!.fixPoint!;
    const lanes = [pool.allocBuffers('float32'), pool.allocBuffers('float32'), pool.allocBuffers('xint8'), pool.allocBuffers('xint8')];
    for (const l of lanes) {
      assert.ok(Object.values(l.inputs).concat(Object.values(l.outputs)).every((a) => a.buffer instanceof SharedArrayBuffer));
    }
    for (let round = 0; round < 2; round++) {
      const ks = [0, 1, 2, 3].map((i) => (i + round) % 4);
      lanes.forEach((l, i) => {
        const f = feedOf(ks[i]!);
        const inp = l.inputs.img!;
        if (inp instanceof Int8Array) inp.set(Int8Array.from(f, (v) => qRef(v, fpIn)));
        else inp.set(f);
      });
      const ids = lanes.map((l) => pool.executeAsync(l.inputs, l.outputs)[0]);
      for (const [i, id] of ids.entries()) {
        await pool.wait(id);
        const r = pool.takeResult(id)!;
        const want = oracle(ks[i]!);
        const viaGr = await gr.runInt8({ img: feedOf(ks[i]!) });
        for (const t of outT) {
          const buf = lanes[i]!.outputs[t.name]!;
          if (buf instanceof Int8Array) {
            assert.equal(r.xint8[t.name]!.data, buf, 'the result is the caller\'s shared buffer');
            assert.deepEqual(buf, viaGr.xint8[t.name]!.data, `lane ${i} ${t.name} == GraphRunner.runInt8`);
            assert.deepEqual(Float32Array.from(buf, (v) => v * 2 ** -t.fixPoint!), want[t.name]!.data, `lane ${i} ${t.name} == runQuantized`);
          } else {
            assert.equal(r.outputs[t.name]!.data, buf);
            assert.deepEqual(buf, want[t.name]!.data, `lane ${i} ${t.name} float == runQuantized`);
          }
        }
      }
    }
    // plain (not shared) feeds and output buffers: staged and copied; plain Int8Array feed; new xint8 outputs
    const plainOut = Object.fromEntries(outT.map((t) => [t.name, new Int8Array(t.dims.reduce((a, b) => a * b, 1))]));
    const r1 = await pool.run({ img: Int8Array.from(feedOf(2), (v) => qRef(v, fpIn)) }, plainOut);
    const r2 = await pool.run({ img: feedOf(2) }, 'xint8');
    const r3 = await pool.run({ img: feedOf(2) });
    const g2 = await gr.runInt8({ img: feedOf(2) });
    const f2 = await gr.run({ img: feedOf(2) });
    for (const t of outT) {
      assert.equal(r1.xint8[t.name]!.data, plainOut[t.name], 'copied into the caller\'s plain buffer');
      assert.deepEqual(plainOut[t.name], g2.xint8[t.name]!.data);
      assert.deepEqual(r2.xint8[t.name]!.data, g2.xint8[t.name]!.data);
      assert.equal(r2.xint8[t.name]!.fixPoint, t.fixPoint);
      assert.deepEqual(r3.outputs[t.name]!.data, f2[t.name]!.data, 'float path == GraphRunner.run');
      assert.deepEqual(r3.xint8, {});
    }
  } finally {
    await pool.close();
    gr.close();
  }
});

test('bad buffers: RuntimeError naming the tensor (outputs at submit, feeds in the worker); the pool keeps serving', async () => {
  const pool = await RunnerPool.create({ xmodel, mode: 'run', threads: 1 });
  try {
    const [a, c] = pool.getOutputTensors().map((t) => t.name) as [string, string];
    const n = (name: string) => pool.getOutputTensors().find((t) => t.name === name)!.dims.reduce((x, y) => x * y, 1);
    assert.throws(() => pool.executeAsync({ img: feedOf(0) }, { [a]: new Int8Array(n(a) + 1) }),
      (e: unknown) => e instanceof RuntimeError && e.code === 'E_BUFFER_SIZE' && e.message.includes(`'${a}'`));
    assert.throws(() => pool.executeAsync({ img: feedOf(0) }, { [c]: new Uint8Array(n(c)) as unknown as Int8Array }),
      (e: unknown) => e instanceof RuntimeError && e.code === 'E_BUFFER_DTYPE' && e.message.includes(`'${c}'`));
    const [bad] = pool.executeAsync({ img: new Int8Array(N_IN - 3) });
    await assert.rejects(pool.wait(bad), (e: unknown) => e instanceof RuntimeError && /failed in worker 0: .*'img' has 966 elements/.test(e.message));
    const [bad2] = pool.executeAsync({ img: new Int8Array(new SharedArrayBuffer(7)) });
    await assert.rejects(pool.wait(bad2), (e: unknown) => e instanceof RuntimeError && e.message.includes("'img' has 7 elements"));
    const [bad3] = pool.executeAsync({ image: feedOf(0) });
    await assert.rejects(pool.wait(bad3), (e: unknown) => e instanceof RuntimeError && e.message.includes("'img'"));
    const r = await pool.run({ img: feedOf(1) });
    assert.deepEqual(r.outputs[a]!.data, oracle(1)[a]!.data);
    assert.equal(pool.spawned, 1);
  } finally {
    await pool.close();
  }
});

test('a worker killed mid-job with shared buffers: that job fails alone; the replacement stages its own feeds', async () => {
  const pool = await RunnerPool.create({ xmodel, mode: 'sim', threads: 2 }); // sim: frames long enough to be hit
  try {
    const bufs = [0, 1, 2, 3, 4, 5].map(() => pool.allocBuffers('xint8'));
    const fpIn = pool.getInputTensors()[0]!.fixPoint!;
    bufs.forEach((b, k) => (b.inputs.img as Int8Array).set(Int8Array.from(feedOf(k % 4), (v) => qRef(v, fpIn))));
    const ids = bufs.map((b) => pool.executeAsync(b.inputs, b.outputs)[0]);
    const victim = await killOneMidJob(pool, ids, 60000);
    ids.forEach((id, k) => {
      if (id === victim.job) return;
      const r = pool.takeResult(id)!;
      for (const [name, v] of Object.entries(r.xint8)) {
        assert.equal(v.data, bufs[k]!.outputs[name]);
        assert.deepEqual(Float32Array.from(v.data, (x) => x * 2 ** -v.fixPoint), oracle(k % 4)[name]!.data, `frame ${k} ${name}`);
      }
    });
    // plain feeds go through the replacement's staging memory
    const r = await Promise.all([pool.run({ img: feedOf(3) }), pool.run({ img: feedOf(2) })]);
    assert.deepEqual(r.map((x) => x.outputs[q.outputs[1]!]!.data), [oracle(3)[q.outputs[1]!]!.data, oracle(2)[q.outputs[1]!]!.data]);
    assert.equal(pool.spawned, 3);
  } finally {
    await pool.close();
  }
});
