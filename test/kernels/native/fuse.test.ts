// The opt-in fused depthwise → 1×1 projection (→ residual add) task of the native program
// (DPUFLOW_NATIVE_DWFUSE=1, native/dpu_kernels.cc K_DW_PROJ: each thread computes a band of depthwise rows,
// then the projection of the same rows, then the add of the same pixels) vs the INT8 reference executor
// (runQuantized, the independent oracle): every tensor byte for byte on 2 and 3 threads, 1-ns chunks and
// default chunks, two different feeds through one executor (a stale depthwise row ring would show), odd
// channel counts 1/3/17/33 and several 64-channel groups, stride 2 depthwise, projections with 1 to 5
// output blocks, residual add (either input order, sub), and a projection with no add after it.
// The profile (DPUFLOW_NATIVE_PROFILE=1) proves the fused task ran (task kind 'dw+proj', no add task).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Op, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { loadNativeKernels, nativeStatus } from '../../../src/kernels/native/node.js';
import { NLS, dataOp, feed, qconst, randInt, rng } from '../helpers.js';

const nk = loadNativeKernels({ isa: 'avx512vnni' });
const skip = nk?.run && nk.profile ? false : `native VNNI program API unavailable: ${nk ? 'old addon' : nativeStatus().reason}`;

const same = (a: Int8Array, b: Int8Array): boolean => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

interface Block { C: number; OC: number; H: number; W: number; s: number; k: number; residual: 'none' | 'add' | 'add-swapped' | 'sub' }

/** x [1,H,W,C] → depthwise k×k stride s (pad k/2) → 1×1 conv C→OC → (add / sub with a second input r) → y. */
function blockGraph(b: Block, seed: number): { g: Graph; feeds: Record<string, TensorValue>[] } {
  const r = rng(seed);
  const fi = randInt(r, 2, 6), fw = randInt(r, 5, 8), fw2 = randInt(r, 5, 8);
  const nl1 = NLS[randInt(r, 0, 2)]!, nl2 = NLS[seed % 2 ? 0 : 3]!;
  const cut1 = randInt(r, 3, 10), f1 = fi + fw - cut1;
  const cut2 = randInt(r, 4, 10), f2 = f1 + fw2 - cut2;
  const p = b.k >> 1;
  const OH = Math.floor((b.H + 2 * p - b.k) / b.s) + 1, OW = Math.floor((b.W + 2 * p - b.k) / b.s) + 1;
  const ops: Op[] = [dataOp('x', [1, b.H, b.W, b.C], fi), qconst('wd', [1, b.k, b.k, b.C], fw, r), qconst('bd', [b.C], fi + fw - randInt(r, 0, 4), r)];
  ops.push({ name: 'dw', type: 'depthwise-conv2d', inputs: ['x', 'wd', 'bd'], attrs: { kernel: [b.k, b.k], stride: [b.s, b.s], dilation: [1, 1], pad: [p, p, p, p], nonlinear: nl1 }, output: { shape: [1, OH, OW, b.C], dtype: 'int8', fixPoint: f1 } });
  ops.push(qconst('wp', [b.OC, 1, 1, b.C], fw2, r), qconst('bp', [b.OC], f1 + fw2 - randInt(r, 0, 4), r));
  const pattrs: Op['attrs'] = { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], nonlinear: nl2, group: 1 };
  if (nl2 === 'LEAKYRELU') pattrs.alpha = 26 / 256;
  ops.push({ name: 'proj', type: 'conv2d', inputs: ['dw', 'wp', 'bp'], attrs: pattrs, output: { shape: [1, OH, OW, b.OC], dtype: 'int8', fixPoint: f2 } });
  const inputs = ['x'];
  let out = 'proj';
  const fr = f2 + randInt(r, -2, 2);
  if (b.residual !== 'none') {
    ops.push(dataOp('res', [1, OH, OW, b.OC], fr));
    inputs.push('res');
    const type = b.residual === 'sub' ? 'sub' : 'add';
    const ins = b.residual === 'add-swapped' ? ['res', 'proj'] : ['proj', 'res'];
    ops.push({ name: 'y', type, inputs: ins, attrs: { nonlinear: 'NONE' }, output: { shape: [1, OH, OW, b.OC], dtype: 'int8', fixPoint: Math.min(f2, fr) - 1 } });
    out = 'y';
  }
  const g: Graph = { name: 'block', ops, inputs, outputs: [out], meta: {} };
  const feeds = [0, 1].map((i) => {
    const fr2 = rng(seed * 7 + i);
    const f: Record<string, TensorValue> = { x: feed([1, b.H, b.W, b.C], fi, fr2) };
    if (b.residual !== 'none') f.res = feed([1, OH, OW, b.OC], fr, fr2);
    return f;
  });
  return { g, feeds };
}

function reference(g: Graph, feeds: Record<string, TensorValue>): Map<string, Int8Array> {
  const ref = new Map<string, Int8Array>();
  runQuantized(g, feeds, { onTensor: (o, _v, q) => { if (q && o.type !== 'const') ref.set(o.name, q.slice()); } });
  return ref;
}

/** A native executor created with the given env (the addon reads it when the context is made). */
function withEnv<T>(env: Record<string, string>, f: () => T): T {
  const old = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return f();
  } finally {
    for (const [k, v] of Object.entries(old)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

function check(b: Block, seed: number): void {
  const label = `dw ${b.C} ch ${b.H}×${b.W} k${b.k} s${b.s} → 1×1 ${b.OC} (${b.residual})`;
  const { g, feeds } = blockGraph(b, seed);
  const want = feeds.map((f) => reference(g, f));
  assert.ok(!same(want[0]!.get('dw')!, want[1]!.get('dw')!), `${label}: the two feeds give the same depthwise output`);
  for (const chunk of ['1', '']) {
    for (const threads of [2, 3]) {
      const env: Record<string, string> = { DPUFLOW_NATIVE_DWFUSE: '1', DPUFLOW_NATIVE_PROFILE: '1' };
      if (chunk) env.DPUFLOW_NATIVE_CHUNK_NS = chunk;
      const ex = withEnv(env, () => createFastExecutor(g, { native: { kernels: nk!, threads } }));
      const kinds = (ex.nativeProfile?.() ?? []).filter((t) => t.units > 0 || t.kind !== 'pad-u8').map((t) => t.kind);
      assert.deepEqual(kinds, ['dw+proj'], `${label} ${threads}T: the program is not one fused task: ${kinds.join(', ')}`);
      for (const [i, f] of [0, 1, 1, 0].entries()) {
        ex.run(feeds[f]!);
        for (const [name, w] of want[f]!) {
          const got = ex.tensor(name);
          if (!got) continue;
          if (!same(got, w)) {
            let j = 0;
            while (got[j] === w[j]) j++;
            assert.fail(`${label} [${threads}T chunk ${chunk || 'default'} frame ${i}]: ${name} differs at ${j} of ${w.length}: got ${got[j]}, want ${w[j]}`);
          }
        }
      }
      assert.deepEqual(ex.checkBounds(), [], `${label}: out-of-bounds write`);
    }
  }
}

test('fused depthwise → 1×1 projection (→ residual add) on 2/3 threads: channels 1/3/17/33/65/144, stride 1/2, 3×3/5×5, 1–5 output blocks == runQuantized', { skip }, () => {
  let seed = 7100;
  const cases: Block[] = [
    { C: 1, OC: 1, H: 9, W: 7, s: 1, k: 3, residual: 'add' },
    { C: 3, OC: 17, H: 11, W: 5, s: 2, k: 3, residual: 'none' },
    { C: 17, OC: 33, H: 13, W: 9, s: 1, k: 3, residual: 'add-swapped' },
    { C: 33, OC: 17, H: 8, W: 15, s: 2, k: 5, residual: 'none' },
    { C: 33, OC: 65, H: 10, W: 10, s: 1, k: 3, residual: 'sub' },
    { C: 65, OC: 24, H: 14, W: 14, s: 1, k: 3, residual: 'add' },
    { C: 144, OC: 72, H: 15, W: 11, s: 2, k: 3, residual: 'add-swapped' },
    { C: 96, OC: 160, H: 7, W: 7, s: 1, k: 3, residual: 'add' },
  ];
  for (const b of cases) check(b, seed++);
});

test('fusion stays off by default and with DPUFLOW_NATIVE_DWFUSE=1 on 1 thread (three tasks); same bytes', { skip }, () => {
  const b: Block = { C: 17, OC: 33, H: 9, W: 9, s: 1, k: 3, residual: 'add' };
  const { g, feeds } = blockGraph(b, 7200);
  const want = reference(g, feeds[0]!);
  for (const [env, threads] of [[{ DPUFLOW_NATIVE_PROFILE: '1' }, 2], [{ DPUFLOW_NATIVE_PROFILE: '1', DPUFLOW_NATIVE_DWFUSE: '1' }, 1], [{ DPUFLOW_NATIVE_PROFILE: '1', DPUFLOW_NATIVE_DWFUSE: '0' }, 2]] as [Record<string, string>, number][]) {
    const ex = withEnv(env, () => createFastExecutor(g, { native: { kernels: nk!, threads } }));
    const kinds = (ex.nativeProfile?.() ?? []).map((t) => t.kind);
    assert.ok(!kinds.includes('dw+proj') && kinds.includes('depthwise') && (kinds.includes('conv') || kinds.includes('conv-amx')) && kinds.includes('add'), `${JSON.stringify(env)} ${threads}T: ${kinds.join(', ')}`);
    ex.run(feeds[0]!);
    for (const [name, w] of want) {
      const got = ex.tensor(name);
      if (got) assert.ok(same(got, w), `${JSON.stringify(env)} ${threads}T: ${name} differs from runQuantized`);
    }
  }
});
