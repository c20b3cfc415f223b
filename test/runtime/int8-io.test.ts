// GraphRunner's xint8 path and the per-frame float ↔ xint8 conversions (src/runtime/quant-io.ts):
// - the conversions equal the formula written out here (floor(x·2^fp + ½), clamp, NaN → 0; q·2^-fp),
//   JS and native alike, on ties, ±0, ±Inf, NaN, huge values and odd lengths;
// - on an odd-shaped two-input model (channels 3/5/17/33, 13×11 and 7×6 maps, one DPU output with a fix
//   point, one float CPU output): runInt8 / executeAsync with Int8Array buffers give exactly the bytes of
//   the INT8 reference (runQuantized: the independent oracle) and of GraphRunner.run on the same feeds;
//   frames reuse the runner's buffers (interleaved feeds, two jobs in flight) without mixing them up;
// - bad buffers give a RuntimeError naming the tensor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph as IrGraph } from '../../src/ir/types.js';
import { compile } from '../../src/compiler/compile.js';
import { Graph } from '../../src/xir/graph.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { GraphRunner } from '../../src/runtime/graph-runner.js';
import { dequantizeIntoJs, hostQuantIo, quantizeIntoJs, setHostQuantKernels } from '../../src/runtime/quant-io.js';
import { loadNativeKernels } from '../../src/runtime/node/native-run.js';
import { RuntimeError } from '../../src/errors.js';
import { NetBuilder } from '../compiler/nets.js';

/** The DPU's input rounding, written out: round half up, saturate, NaN → 0. */
const qRef = (x: number, fp: number): number => {
  if (Number.isNaN(x)) return 0;
  const r = Math.floor(x * 2 ** fp + 0.5);
  return Math.max(-128, Math.min(127, r));
};

const EDGE = [0, -0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 127.49, 127.5, -128.5, -128.49, -129, 1e30, -1e30, Infinity, -Infinity, NaN, 1e-30, -1e-30, 0.49999997, -0.50000006];

function edgeFloats(n: number, fp: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = i < EDGE.length * 3 ? EDGE[i % EDGE.length]! * 2 ** -(fp * ((i / EDGE.length) | 0) / 2) : Math.sin(i * 0.37) * 300 * 2 ** -fp;
  return a;
}

test('quantizeInto / dequantizeInto equal the formula (JS and native; ties, NaN, ±Inf, odd lengths)', () => {
  const native = loadNativeKernels();
  for (const fp of [-3, 0, 4, 7, 12]) {
    for (const n of [1, 31, 255, 257, 1001]) {
      const x = edgeFloats(n, fp);
      const want = Int8Array.from(x, (v) => qRef(v, fp));
      const js = new Int8Array(n);
      quantizeIntoJs(x, js, fp);
      assert.deepEqual(js, want, `JS quantize fp ${fp} n ${n}`);
      const io = hostQuantIo();
      const got = new Int8Array(n);
      io.quantizeInto(x, got, fp);
      assert.deepEqual(got, want, `${io.impl} quantize fp ${fp} n ${n}`);
      const wantF = Float32Array.from(want, (q) => q * 2 ** -fp);
      const f1 = new Float32Array(n), f2 = new Float32Array(n);
      dequantizeIntoJs(want, f1, fp);
      io.dequantizeInto(want, f2, fp);
      assert.deepEqual(f1, wantF, `JS dequantize fp ${fp}`);
      assert.deepEqual(f2, wantF, `${io.impl} dequantize fp ${fp}`);
    }
  }
  if (native?.quantize) assert.equal(hostQuantIo().impl, 'native', 'native-run.ts installs the addon loops');
  setHostQuantKernels(undefined);
  try {
    assert.equal(hostQuantIo().impl, 'js');
  } finally {
    setHostQuantKernels(loadNativeKernels);
  }
  assert.throws(() => hostQuantIo().quantizeInto(new Float32Array(1), new Int8Array(1), 99), (e: unknown) => e instanceof RuntimeError && e.code === 'E_FIX_POINT');
});

/** Two inputs, odd channel counts and map sizes; one DPU output (fix point) and one float CPU output. */
function oddNet(): IrGraph {
  const b = new NetBuilder('odd_io', 3);
  const a = b.input([1, 13, 11, 3], 'img');
  let x = b.conv(a, 17, 3, 1);
  x = b.conv(x, 0, 3, 1, 'RELU6', { dw: true });
  x = b.conv(x, 33, 3, 2, 'NONE'); // [1, 7, 6, 33]
  const aux = b.input([1, 7, 6, 5], 'aux');
  let y = b.conv(aux, 33, 1, 1, 'NONE');
  y = b.add(x, y);
  const [, h, w, c] = b.shape(y);
  const s = b.op('sigmoid', [y], {}, [1, h, w, c], true); // float: a CPU subgraph
  const o = b.conv(x, 9, 1, 1, 'NONE'); // [1, 7, 6, 9], xint8 (graph outputs are the sinks)
  return b.graph([o, s]);
}

const q = oddNet();
const xg = Graph.deserialize(compile(q, 'B4096').xmodel);
const feedsOf = (k: number): Record<string, Float32Array> => ({
  img: Float32Array.from({ length: 13 * 11 * 3 }, (_, i) => 2.2 * Math.sin(i * 0.31 + k) + (i % 7 === 0 ? 0.03125 : 0)),
  aux: Float32Array.from({ length: 7 * 6 * 5 }, (_, i) => 1.7 * Math.cos(i * 0.13 + 2 * k)),
});
const oracle = (k: number) => {
  const f = feedsOf(k);
  return runQuantized(q, { img: { shape: [1, 13, 11, 3], data: f.img }, aux: { shape: [1, 7, 6, 5], data: f.aux } });
};

test('runInt8: xint8 outputs are the INT8 reference\'s bytes, float outputs equal; == GraphRunner.run', async () => {
  const gr = GraphRunner.create(xg, { mode: 'run' });
  try {
    const outT = gr.getOutputTensors();
    const [dpuOut, cpuOut] = q.outputs as [string, string];
    const fpOut = outT.find((t) => t.name === dpuOut)!.fixPoint!;
    assert.equal(outT.find((t) => t.name === cpuOut)!.fixPoint, undefined, 'the sigmoid output is float');
    for (const k of [0, 1]) {
      const want = oracle(k);
      const r = await gr.runInt8(feedsOf(k));
      assert.deepEqual(Object.keys(r.xint8), [dpuOut]);
      assert.deepEqual(Object.keys(r.outputs), [cpuOut]);
      const qv = r.xint8[dpuOut]!;
      assert.equal(qv.fixPoint, fpOut);
      assert.deepEqual(qv.shape, [1, 7, 6, 9]);
      assert.deepEqual(Float32Array.from(qv.data, (v) => v * 2 ** -fpOut), want[dpuOut]!.data, 'int8 · 2^-fp == runQuantized');
      assert.deepEqual(r.outputs[cpuOut]!.data, want[cpuOut]!.data);
      const f = await gr.run(feedsOf(k));
      assert.deepEqual(f[dpuOut]!.data, want[dpuOut]!.data);
      assert.deepEqual(f[cpuOut]!.data, want[cpuOut]!.data);
    }
  } finally {
    gr.close();
  }
});

test('int8 feeds (quantized here by the formula) give the float feeds\' outputs; mixed int8/float feeds too', async () => {
  const gr = GraphRunner.create(xg, { mode: 'run' });
  try {
    const fps = Object.fromEntries(gr.getInputTensors().map((t) => [t.name, t.fixPoint!]));
    const f = feedsOf(2);
    const q8 = Object.fromEntries(Object.entries(f).map(([n, d]) => [n, Int8Array.from(d, (v) => qRef(v, fps[n]!))]));
    const want = oracle(2);
    const all = await gr.runInt8(q8);
    const mixed = await gr.runInt8({ img: q8.img!, aux: f.aux! });
    for (const r of [all, mixed]) {
      const [dpuOut, cpuOut] = q.outputs as [string, string];
      const v = r.xint8[dpuOut]!;
      assert.deepEqual(Float32Array.from(v.data, (x) => x * 2 ** -v.fixPoint), want[dpuOut]!.data);
      assert.deepEqual(r.outputs[cpuOut]!.data, want[cpuOut]!.data);
    }
  } finally {
    gr.close();
  }
});

test('executeAsync with the caller\'s buffers: reused frames keep feeds apart (interleaved and two jobs in flight)', async () => {
  const gr = GraphRunner.create(xg, { mode: 'run' });
  try {
    const [dpuOut, cpuOut] = q.outputs as [string, string];
    const inT = gr.getInputTensors();
    const outT = gr.getOutputTensors();
    const bufs = (dpuInt8: boolean) => outT.map((t) => ({ tensor: t, data: t.name === dpuOut && dpuInt8 ? new Int8Array(7 * 6 * 9) : new Float32Array(t.dims.reduce((a, b) => a * b, 1)) }));
    const check = (outs: ReturnType<typeof bufs>, k: number) => {
      const want = oracle(k);
      const d = outs.find((b) => b.tensor.name === dpuOut)!.data;
      const fp = outT.find((t) => t.name === dpuOut)!.fixPoint!;
      assert.deepEqual(d instanceof Int8Array ? Float32Array.from(d, (v) => v * 2 ** -fp) : d, want[dpuOut]!.data, `frame ${k} ${dpuOut}`);
      assert.deepEqual(outs.find((b) => b.tensor.name === cpuOut)!.data, want[cpuOut]!.data, `frame ${k} ${cpuOut}`);
    };
    for (const k of [0, 1, 0, 3]) {
      const outs = bufs(k % 2 === 1);
      const [id] = gr.executeAsync(inT.map((t) => ({ tensor: t, data: feedsOf(k)[t.name]! })), outs);
      await gr.wait(id);
      check(outs, k);
    }
    const o1 = bufs(true), o2 = bufs(false);
    const [a] = gr.executeAsync(inT.map((t) => ({ tensor: t, data: feedsOf(1)[t.name]! })), o1);
    const [b] = gr.executeAsync(inT.map((t) => ({ tensor: t, data: feedsOf(4)[t.name]! })), o2);
    await Promise.all([gr.wait(a), gr.wait(b)]);
    check(o1, 1);
    check(o2, 4);
  } finally {
    gr.close();
  }
});

test('bad xint8 buffers: RuntimeError naming the tensor', async () => {
  const gr = GraphRunner.create(xg, { mode: 'run' });
  try {
    const [, cpuOut] = q.outputs as [string, string];
    const inT = gr.getInputTensors();
    const outT = gr.getOutputTensors();
    const good = () => outT.map((t) => ({ tensor: t, data: new Float32Array(t.dims.reduce((a, b) => a * b, 1)) as Float32Array | Int8Array }));
    const feeds = feedsOf(0);
    // an int8 feed of the wrong length
    await assert.rejects(gr.runInt8({ img: new Int8Array(13 * 11 * 3 - 1), aux: feeds.aux! }),
      (e: unknown) => e instanceof RuntimeError && e.code === 'E_BUFFER_SIZE' && e.message.includes("'img'"));
    // an int8 output for the float (no fix point) output
    const outs = good();
    outs.find((b) => b.tensor.name === cpuOut)!.data = new Int8Array(outs.find((b) => b.tensor.name === cpuOut)!.data.length);
    assert.throws(() => gr.executeAsync(inT.map((t) => ({ tensor: t, data: feeds[t.name]! })), outs),
      (e: unknown) => e instanceof RuntimeError && e.code === 'E_BUFFER_DTYPE' && e.message.includes(`'${cpuOut}'`) && e.message.includes('no fix point'));
    // a Uint8Array feed
    assert.throws(() => gr.executeAsync([{ tensor: inT[0]!, data: new Uint8Array(13 * 11 * 3) as unknown as Int8Array }, { tensor: inT[1]!, data: feeds.aux! }], good()),
      (e: unknown) => e instanceof RuntimeError && e.code === 'E_BUFFER_DTYPE' && e.message.includes("'img'"));
    // a missing feed
    await assert.rejects(gr.runInt8({ img: feeds.img! }), (e: unknown) => e instanceof RuntimeError && e.code === 'E_BUFFER_MISSING' && e.message.includes("'aux'"));
    // the runner still works after refusing them
    const r = await gr.runInt8(feeds);
    assert.ok(Object.keys(r.xint8).length === 1);
  } finally {
    gr.close();
  }
});
