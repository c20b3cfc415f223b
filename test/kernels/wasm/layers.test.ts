// The WASM SIMD kernels through the fast executor vs the INT8 reference executor (runQuantized,
// i.e. src/kernels/ref/int8), byte for byte, on random quantized layers with odd shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs, Graph, Op, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { NLS, convGraph, dataOp, feed, rng, type ConvCase } from '../helpers.js';

function compare(g: Graph, feeds: Record<string, TensorValue>, label: string, expectWasm = true): void {
  const ref = new Map<string, Int8Array>();
  const refOut = runQuantized(g, feeds, { onTensor: (op, _v, q) => { if (q) ref.set(op.name, q); } });
  const ex = createFastExecutor(g);
  if (expectWasm) assert.equal(ex.stats.fallbacks.length, 0, `${label}: fallbacks ${JSON.stringify(ex.stats.fallbacks)}`);
  for (let rep = 0; rep < 2; rep++) {
    const out = ex.run(feeds);
    for (const op of g.ops) {
      if (op.type === 'const') continue;
      const want = ref.get(op.name);
      const got = ex.tensor(op.name);
      if (want) {
        assert.ok(got, `${label}: no tensor ${op.name}`);
        if (Buffer.compare(Buffer.from(want.buffer, want.byteOffset, want.length), Buffer.from(got.buffer, got.byteOffset, got.length)) !== 0) {
          let i = 0;
          while (want[i] === got[i]) i++;
          assert.fail(`${label}: ${op.name} differs at ${i}: got ${got[i]}, want ${want[i]} (of ${want.length})`);
        }
      }
    }
    for (const name of g.outputs) assert.deepEqual(out[name].data, refOut[name].data, `${label}: output ${name}`);
    assert.deepEqual(ex.checkBounds(), [], `${label}: out-of-bounds write`);
  }
}

test('conv2d: odd channel counts (1, 3, 17, 33), 1×1 / 3×3 / 7×7, stride 2, padding, dilation, every nonlinear', () => {
  const cases: ConvCase[] = [];
  const chans = [1, 3, 17, 33];
  let i = 0;
  for (const C of chans) {
    for (const OC of [1, 5, 17, 33]) {
      const k: [number, number] = ([[1, 1], [3, 3], [7, 7], [3, 1]] as [number, number][])[i % 4];
      const s: [number, number] = i % 3 === 0 ? [2, 2] : i % 5 === 0 ? [1, 2] : [1, 1];
      const d: [number, number] = i % 7 === 3 && k[0] <= 3 ? [2, 2] : [1, 1];
      const pad: [number, number, number, number] = k[0] === 1 ? [0, 0, 0, 0] : [Math.floor(k[0] / 2), i % 2, Math.floor(k[1] / 2), 1];
      cases.push({ C, OC, H: 9 + (i % 4), W: 7 + (i % 5), k, s, d, pad, nl: NLS[i % 6], bias: (['none', 'pos', 'neg'] as const)[i % 3] });
      i++;
    }
  }
  for (const [j, c] of cases.entries()) {
    const { g, feeds } = convGraph(c, 100 + j);
    compare(g, feeds, `conv case ${j} ${JSON.stringify(c)}`);
  }
});

test('conv2d: a wide layer (64 → 72 channels, 3×3) in the fast vector output stage and the i64 stage', () => {
  const cases: [string, 'pos' | 'neg' | 'none'][] = [['RELU', 'pos'], ['LEAKYRELU', 'pos'], ['NONE', 'none'], ['RELU6', 'neg'], ['LEAKYRELU', 'neg'], ['HSWISH', 'pos'], ['HSIGMOID', 'neg']];
  for (const [j, [nl, bias]] of cases.entries()) {
    const { g, feeds } = convGraph({ C: 64, OC: 72, H: 10, W: 11, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], nl, bias }, 7 + j);
    compare(g, feeds, `wide ${nl}`);
  }
});

test('depthwise-conv2d: channels 1, 3, 17, 33, 3×3 / 5×5, stride 2, dilation, every nonlinear', () => {
  let j = 0;
  for (const C of [1, 3, 17, 33]) {
    for (const [k, s, d] of [[3, 1, 1], [5, 2, 1], [3, 2, 2]] as [number, number, number][]) {
      const pad: [number, number, number, number] = [Math.floor(k / 2) * d, j % 2, Math.floor(k / 2) * d, 0];
      const { g, feeds } = convGraph({ C, OC: C, H: 11, W: 9, k: [k, k], s: [s, s], d: [d, d], pad, nl: NLS[j % 6], bias: (['pos', 'none', 'neg'] as const)[j % 3], dw: true }, 300 + j);
      compare(g, feeds, `dw case ${j} C=${C} k=${k} s=${s} d=${d}`);
      j++;
    }
  }
});

test('maxpool / avgpool (3×3 s2 pad, 2×2, 7×7, global, fi ≠ fo) on odd channel counts', () => {
  let j = 0;
  for (const C of [1, 3, 17, 33]) {
    const r = rng(500 + C);
    for (const [type, attrs, dfo] of [
      ['maxpool2d', { kernel: [3, 3], stride: [2, 2], pad: [1, 1, 1, 1], global: false }, 0],
      ['maxpool2d', { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], global: false }, -1],
      ['avgpool2d', { kernel: [3, 3], stride: [1, 1], pad: [1, 1, 1, 1], global: false, count_include_pad: true }, 0],
      ['avgpool2d', { kernel: [2, 2], stride: [2, 2], pad: [0, 0, 0, 0], global: false, count_include_pad: true }, 1],
      ['avgpool2d', { kernel: [7, 7], stride: [1, 1], pad: [0, 0, 0, 0], global: false, count_include_pad: true }, 0],
      ['avgpool2d', { kernel: [1, 1], stride: [1, 1], pad: [0, 0, 0, 0], global: true, count_include_pad: true }, 2],
    ] as [string, Attrs, number][]) {
      const H = 9, W = 8, fi = 4, fo = fi + dfo;
      const x = dataOp('x', [1, H, W, C], fi);
      const glob = attrs.global === true;
      const [kw, kh] = attrs.kernel as number[];
      const [sw, sh] = attrs.stride as number[];
      const p = attrs.pad as number[];
      const OH = glob ? 1 : Math.floor((H + p[2] + p[3] - kh) / sh) + 1;
      const OW = glob ? 1 : Math.floor((W + p[0] + p[1] - kw) / sw) + 1;
      const g: Graph = { name: 'pool', ops: [x, { name: 'y', type, inputs: ['x'], attrs, output: { shape: [1, OH, OW, C], dtype: 'int8', fixPoint: fo } }], inputs: ['x'], outputs: ['y'], meta: {} };
      compare(g, { x: feed([1, H, W, C], fi, r) }, `pool ${j++} ${type} C=${C} ${JSON.stringify(attrs)}`);
    }
  }
});

test('add / sub / mul with different fix points and RELU; concat and reshape; broadcast mul (fast path, no fallback)', () => {
  for (const n of [1, 17, 33, 100]) {
    const r = rng(900 + n);
    const shape = [1, 2, 3, n];
    const ops: Op[] = [
      dataOp('a', shape, 3), dataOp('b', shape, 5),
      { name: 'add', type: 'add', inputs: ['a', 'b'], attrs: {}, output: { shape, dtype: 'int8', fixPoint: 4 } },
      { name: 'addr', type: 'add', inputs: ['a', 'b'], attrs: { nonlinear: 'RELU' }, output: { shape, dtype: 'int8', fixPoint: 2 } },
      { name: 'sub', type: 'sub', inputs: ['b', 'a'], attrs: {}, output: { shape, dtype: 'int8', fixPoint: 5 } },
      { name: 'mul', type: 'mul', inputs: ['a', 'b'], attrs: {}, output: { shape, dtype: 'int8', fixPoint: 3 } },
      { name: 'cat', type: 'concat', inputs: ['add', 'mul', 'a'], attrs: { axis: -1 }, output: { shape: [1, 2, 3, 3 * n], dtype: 'int8', fixPoint: 3 } },
      { name: 'rs', type: 'reshape', inputs: ['cat'], attrs: { shape: [1, 6 * 3 * n] }, output: { shape: [1, 6 * 3 * n], dtype: 'int8', fixPoint: 3 } },
    ];
    const g: Graph = { name: 'elt', ops, inputs: ['a', 'b'], outputs: ['rs', 'sub', 'addr'], meta: {} };
    compare(g, { a: feed(shape, 3, r), b: feed(shape, 5, r) }, `eltwise n=${n}`);
  }
  const r = rng(1);
  const ops: Op[] = [
    dataOp('a', [1, 3, 3, 5], 3), dataOp('b', [1, 1, 1, 5], 6),
    { name: 'm', type: 'mul', inputs: ['a', 'b'], attrs: {}, output: { shape: [1, 3, 3, 5], dtype: 'int8', fixPoint: 4 } },
  ];
  const g: Graph = { name: 'bc', ops, inputs: ['a', 'b'], outputs: ['m'], meta: {} };
  const ex = createFastExecutor(g);
  assert.equal(ex.stats.fallbacks.length, 0); // broadcasts run on the fast path now (plan-extra.ts; more cases in extra-ops.test.ts)
  compare(g, { a: feed([1, 3, 3, 5], 3, r), b: feed([1, 1, 1, 5], 6, r) }, 'broadcast mul');
});

test('bad fix points raise the reference errors (E_Q_SHIFT_CUT) at prepare time', () => {
  const { g } = convGraph({ C: 3, OC: 4, H: 5, W: 5, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], nl: 'NONE', bias: 'none' }, 1);
  const y = g.ops.find((o) => o.name === 'y') as Op;
  y.output.fixPoint = 30;
  assert.throws(() => createFastExecutor(g), /E_Q_SHIFT_CUT|shift_cut/);
});

test('the out-of-bounds detector (canary bytes after every arena block) sees a stray write', () => {
  const { g, feeds } = convGraph({ C: 3, OC: 5, H: 6, W: 6, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], nl: 'RELU', bias: 'pos' }, 2);
  const ex = createFastExecutor(g);
  ex.run(feeds);
  assert.deepEqual(ex.checkBounds(), []);
  const y = ex.tensor('y') as Int8Array;
  // find the output slot by content and poke the byte just after it
  const mem = new Int8Array(ex.memory.buffer);
  let off = -1;
  for (let i = 0; i + y.length <= mem.length && off < 0; i++) {
    let ok = true;
    for (let j = 0; j < y.length && ok; j++) ok = mem[i + j] === y[j];
    if (ok && mem[i + y.length] === 0x5a) off = i;
  }
  assert.ok(off >= 0, 'output slot found');
  mem[off + y.length] = 0;
  assert.equal(ex.checkBounds().length, 1);
});

test('extreme values: x = w = −128 everywhere (3×3 depthwise tap pairs, int8 conv weights) == hand-computed and == reference', () => {
  for (const [dw, C, cut, want] of [[true, 20, 11, 72], [false, 3, 13, 54], [false, 17, 16, 38]] as [boolean, number, number, number][]) {
    // Σ over 3×3 (× C for conv) of (−128)·(−128) = 9·16384 (·C); output (Σ + 2^(cut−1)) >> cut, fi = fw = 0
    const sum = 9 * 16384 * (dw ? 1 : C);
    assert.equal(Math.min(127, Math.floor((sum + 2 ** (cut - 1)) / 2 ** cut)), want);
    const OC = dw ? C : 9;
    const wshape = dw ? [1, 3, 3, C] : [OC, 3, 3, C];
    const w: Op = { name: 'w', type: 'const', inputs: [], attrs: {}, output: { shape: wshape, dtype: 'int8', fixPoint: 0 }, data: new Float32Array(wshape.reduce((a, b) => a * b, 1)).fill(-128) };
    const attrs: Attrs = { kernel: [3, 3], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], nonlinear: 'NONE' };
    if (!dw) attrs.group = 1;
    const g: Graph = {
      name: 'extreme', inputs: ['x'], outputs: ['y'], meta: {},
      ops: [dataOp('x', [1, 5, 6, C], 0), w,
        { name: 'y', type: dw ? 'depthwise-conv2d' : 'conv2d', inputs: ['x', 'w'], attrs, output: { shape: [1, 3, 4, OC], dtype: 'int8', fixPoint: -cut } }],
    };
    const feeds = { x: { shape: [1, 5, 6, C], data: new Float32Array(5 * 6 * C).fill(-128) } };
    compare(g, feeds, `extreme dw=${dw} C=${C}`);
    const ex = createFastExecutor(g);
    ex.run(feeds);
    assert.ok(ex.tensor('y')!.every((v) => v === want), `extreme dw=${dw} C=${C}: every output ${want}`);
  }
});
