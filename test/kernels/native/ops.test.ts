// The native program's non-conv ops (add/sub/mul, relu, max/avg pool, concat: native/dpu_kernels.cc
// through src/kernels/wasm/plan-native.ts) vs the WASM kernels vs the INT8 reference executor
// (runQuantized, the independent oracle): byte for byte on odd shapes, fix-point shifts of both
// signs, 1/2/3 threads, both ISA levels, with tiny chunks forced so every op is split many ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs, Graph, Op, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { loadNativeKernels, nativeStatus } from '../../../src/kernels/native/node.js';
import type { NativeKernels } from '../../../src/kernels/native/types.js';
import { mulberry32 } from '../../../src/models/prng.js';

const nk = loadNativeKernels();
const skip = nk?.run ? false : `native program API unavailable: ${nk ? 'old addon' : nativeStatus().reason}`;
const ISAS = (['avx512vnni', 'avx2'] as const).map((isa) => loadNativeKernels({ isa })).filter((k): k is NativeKernels => k !== undefined);

const data = (name: string, shape: number[], fp: number): Op => ({ name, type: 'data', inputs: [], attrs: { shape }, output: { shape, dtype: 'int8', fixPoint: fp } });
const op = (name: string, type: string, inputs: string[], attrs: Attrs, shape: number[], fp: number): Op => ({ name, type, inputs, attrs, output: { shape, dtype: 'int8', fixPoint: fp } });

function feedsFor(g: Graph, seed: number): Record<string, TensorValue> {
  const r = mulberry32(seed);
  const feeds: Record<string, TensorValue> = {};
  for (const name of g.inputs) {
    const d = g.ops.find((o) => o.name === name)!;
    const n = d.output.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    // the whole int8 range and beyond (saturation), incl. exact −128 and 127
    for (let i = 0; i < n; i++) v[i] = (i % 97 === 0 ? -128 : i % 89 === 0 ? 127 : Math.round(r() * 300 - 150)) * 2 ** -(d.output.fixPoint as number);
    feeds[name] = { shape: d.output.shape, data: v };
  }
  return feeds;
}

const same = (a: Int8Array, b: Int8Array): boolean => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

/** native (each ISA, 1/2/3 threads) == WASM == runQuantized on every op output; the ops ran natively. */
function check(g: Graph, label: string, minNative: number): void {
  const feeds = feedsFor(g, 7);
  const ref = new Map<string, Int8Array>();
  runQuantized(g, feeds, { onTensor: (o, _v, q) => { if (q) ref.set(o.name, q.slice()); } });
  const wasm = createFastExecutor(g);
  wasm.run(feeds);
  for (const [name, want] of ref) {
    const b = wasm.tensor(name);
    if (b) assert.ok(same(b, want), `${label}: wasm ${name} differs from runQuantized`);
  }
  for (const K of ISAS) {
    for (const threads of [1, 2, 3]) {
      const ex = createFastExecutor(g, { native: { kernels: K, threads } });
      assert.ok((ex.stats.nativeOps ?? 0) >= minNative, `${label}: ${ex.stats.nativeOps} native ops < ${minNative}`);
      for (let rep = 0; rep < 2; rep++) {
        ex.run(feeds);
        for (const [name, want] of ref) {
          const a = ex.tensor(name);
          if (!a) continue;
          if (!same(a, want)) {
            let i = 0;
            while (a[i] === want[i]) i++;
            assert.fail(`${label} [${K.level} ${threads}T]: ${name} differs at ${i} of ${want.length}: got ${a[i]}, want ${want[i]}`);
          }
        }
        assert.deepEqual(ex.checkBounds(), [], `${label}: out-of-bounds write`);
      }
    }
  }
}

// every op split into as many chunks as the threads allow (native: DPUFLOW_NATIVE_CHUNK_NS, read per context)
process.env.DPUFLOW_NATIVE_CHUNK_NS = '1';

test('native add / sub / mul (same shape): channels 1/3/17/33/65, odd sizes, both shifts, NONE and RELU', { skip }, () => {
  let i = 0;
  for (const C of [1, 3, 17, 33, 65]) {
    const H = 3 + (i % 5) * 4, W = 5 + (i % 3) * 6;
    const shape = [1, H, W, C];
    const [fa, fb] = [[3, 5], [6, 2], [4, 4], [0, 7], [5, 1]][i % 5]!;
    const ops: Op[] = [data('a', shape, fa), data('b', shape, fb)];
    const F = Math.max(fa, fb);
    ops.push(op('add', 'add', ['a', 'b'], { nonlinear: 'NONE' }, shape, F - 1 - (i % 3)));
    ops.push(op('addr', 'add', ['a', 'b'], { nonlinear: 'RELU' }, shape, F - (i % 4)));
    ops.push(op('sub', 'sub', ['a', 'b'], { nonlinear: i % 2 ? 'RELU' : 'NONE' }, shape, F - 2));
    ops.push(op('mul', 'mul', ['a', 'b'], { nonlinear: 'NONE' }, shape, fa + fb - 5 - (i % 3)));
    ops.push(op('mulr', 'mul', ['a', 'add'], { nonlinear: 'RELU' }, shape, fa + F - 1 - (i % 3) - 6));
    const g: Graph = { name: 'elt', ops, inputs: ['a', 'b'], outputs: ['add', 'addr', 'sub', 'mul', 'mulr'], meta: {} };
    check(g, `eltwise C=${C} ${H}×${W}`, 5);
    i++;
  }
});

test('native relu with fix-point shifts −3..+3 and a big tensor', { skip }, () => {
  for (const [C, H, W] of [[1, 5, 7], [17, 9, 3], [65, 37, 41]] as [number, number, number][]) {
    const shape = [1, H, W, C];
    const ops: Op[] = [data('x', shape, 4)];
    const outs: string[] = [];
    for (const s of [-3, -1, 0, 1, 3]) {
      ops.push(op(`r${s}`, 'relu', ['x'], {}, shape, 4 - s));
      outs.push(`r${s}`);
    }
    check({ name: 'relu', ops, inputs: ['x'], outputs: outs, meta: {} }, `relu C=${C}`, 5);
  }
});

test('native maxpool / avgpool: 3×3 s2 pad 1, 2×2 s2, 3×3 s1 pad 1, 5×3 windows, global; channels 1/3/17/33/65/130, shifts', { skip }, () => {
  let i = 0;
  for (const C of [1, 3, 17, 33, 65, 130]) {
    const H = 7 + (i % 3) * 6, W = 9 + (i % 2) * 10;
    const x = [1, H, W, C];
    const ops: Op[] = [data('x', x, 5)];
    const outs: string[] = [];
    const pool = (name: string, type: string, k: [number, number], s: [number, number], pad: [number, number, number, number], fo: number, global = false): void => {
      const OH = global ? 1 : Math.floor((H + pad[2] + pad[3] - k[1]) / s[1]) + 1;
      const OW = global ? 1 : Math.floor((W + pad[0] + pad[1] - k[0]) / s[0]) + 1;
      ops.push(op(name, type, ['x'], { kernel: k, stride: s, pad, global, count_include_pad: true }, [1, OH, OW, C], fo));
      outs.push(name);
    };
    pool('mp3', 'maxpool2d', [3, 3], [2, 2], [1, 1, 1, 1], 5);
    pool('mp2', 'maxpool2d', [2, 2], [2, 2], [0, 1, 0, 1], 5 - (i % 3));
    pool('mps', 'maxpool2d', [5, 3], [1, 2], [2, 2, 1, 1], 7);
    pool('ap3', 'avgpool2d', [3, 3], [1, 1], [1, 1, 1, 1], 5 + (i % 2));
    pool('ap2', 'avgpool2d', [2, 2], [2, 2], [0, 0, 0, 0], 4);
    pool('apg', 'avgpool2d', [W, H], [1, 1], [0, 0, 0, 0], 6, true);
    pool('mpg', 'maxpool2d', [W, H], [1, 1], [0, 0, 0, 0], 5, true);
    check({ name: 'pool', ops, inputs: ['x'], outputs: outs, meta: {} }, `pools C=${C} ${H}×${W}`, 7);
    i++;
  }
});

test('native concat along channels: 2 and 3 inputs of widths 1/3/17/33/65, equal and different fix points (requant both ways)', { skip }, () => {
  const cases: [number[], number[], number][] = [[[17, 33], [4, 4], 4], [[1, 3, 65], [2, 5, 3], 3], [[33, 17, 3], [6, 6, 7], 7], [[65, 65], [3, 5], 4]];
  for (const [k, [widths, fps, fo]] of cases.entries()) {
    const H = 5 + k * 9, W = 7 + k * 5;
    const ops: Op[] = widths.map((c, j) => data(`x${j}`, [1, H, W, c], fps[j]!));
    const total = widths.reduce((a, b) => a + b, 0);
    ops.push(op('cat', 'concat', widths.map((_, j) => `x${j}`), { axis: 3 }, [1, H, W, total], fo));
    check({ name: 'cat', ops, inputs: widths.map((_, j) => `x${j}`), outputs: ['cat'], meta: {} }, `concat ${widths} fps ${fps} → ${fo}`, 1);
  }
});

test('native program: bad op arguments are refused (RuntimeError E_NATIVE_KERNEL), memory untouched', { skip }, () => {
  for (const K of ISAS) {
    const ctx = K.createContext(2);
    const mem = new Int8Array(4096).fill(3);
    const before = mem.slice();
    const bad = (kind: number, p: number[], re: RegExp): void => {
      assert.throws(() => K.addOp!(ctx, kind, Float64Array.from(p)), (e: Error & { code?: string }) => e.code === 'E_NATIVE_KERNEL' && re.test(e.message), `${kind} ${p}`);
    };
    bad(1, [0, 100, 200, 0, 10, 21, 0, 0, 3, 0], /shifts/); // add sa > 20
    bad(2, [0, 100, 200, 0, 10, 31, 0], /shift/); // mul cut > 30
    bad(4, [0, 4, 4, 8, 3, 3, 2, 2, 1, 1, 512, 2, 0, 0, 0], /geometry/); // maxpool oy1 ≤ oy0
    bad(6, [0, 10, 20, 2, 100, 7, 0, 200, 7, 0], /add up/); // concat widths 7 + 7 ≠ 20
    bad(9, [0], /unknown/);
    // an op whose tensors end past the memory: accepted into the program, refused by run (before any write)
    const end = K.addOp!(ctx, 1, Float64Array.from([0, 1000, 4000, 0, 200, 0, 0, 0, 0, 0]));
    assert.throws(() => K.run!(ctx, mem, end - 1, end), (e: Error & { code?: string }) => e.code === 'E_NATIVE_KERNEL' && /outside the memory/.test(e.message));
    assert.throws(() => K.run!(ctx, mem, 0, end + 1), /outside the program/);
    assert.deepEqual(mem, before, 'memory untouched');
  }
});

test('native feed quantization and output dequantization == the executor JS loops and runQuantized (NaN, ±Inf, ties, huge, tiny; fix points −3..9)', { skip: nk?.quantize ? false : 'native quantize unavailable' }, () => {
  const n = 1000;
  const special = [NaN, Infinity, -Infinity, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 127.5, -128.5, 126.49999, 1e30, -1e30, 1e-30, -1e-30, 0, -0, 3.4e38, 0.49999997];
  for (const fp of [-3, 0, 1, 4, 9]) {
    const x = new Float32Array(n);
    const r = mulberry32(fp + 100);
    for (let i = 0; i < n; i++) x[i] = i < special.length ? special[i]! * 2 ** -fp : (r() * 400 - 200) * 2 ** -fp * (i % 7 === 0 ? 1 / 3 : 1);
    const shape = [1, 1, n, 1];
    const g: Graph = { name: 'q', ops: [data('x', shape, fp), op('y', 'relu', ['x'], {}, shape, fp - 1)], inputs: ['x'], outputs: ['y'], meta: {} };
    const feeds = { x: { shape, data: x } };
    const ref = new Map<string, Int8Array>();
    runQuantized(g, feeds, { onTensor: (o, _v, q) => { if (q) ref.set(o.name, q.slice()); } });
    const js = createFastExecutor(g);
    const yjs = js.run(feeds).y!.data;
    for (const K of ISAS) {
      const ex = createFastExecutor(g, { native: { kernels: K } });
      const y = ex.run(feeds).y!.data;
      assert.ok(same(ex.tensor('x')!, js.tensor('x')!), `fp ${fp} [${K.level}]: quantized feed differs from the JS loop`);
      assert.ok(same(ex.tensor('x')!, ref.get('x')!), `fp ${fp} [${K.level}]: quantized feed differs from runQuantized`);
      assert.deepEqual(Array.from(y), Array.from(yjs), `fp ${fp} [${K.level}]: dequantized output`);
    }
  }
});

test('native feed quantization / output dequantization split over 2 and 3 threads (large tensors) == the JS loops and runQuantized', { skip: nk?.quantizeIn ? false : 'native quantizeIn unavailable' }, () => {
  // > 2^16 values: the executor's native plan splits the conversion in 16384-value blocks over its threads
  const n = 150_001;
  const special = [NaN, Infinity, -Infinity, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 127.5, -128.5, 126.49999, 1e30, -1e30, 1e-30, -0, 0.49999997];
  for (const fp of [-2, 3, 7]) {
    const x = new Float32Array(n);
    const r = mulberry32(fp + 300);
    for (let i = 0; i < n; i++) {
      // special values everywhere, incl. around the 16384-value block edges and the tail
      const s = i % 16384 < 3 || i % 16384 > 16381 || i > n - 20 || i % 61 === 0;
      x[i] = (s ? special[i % special.length]! : r() * 400 - 200) * 2 ** -fp;
    }
    const shape = [1, 1, n, 1];
    const g: Graph = { name: 'q', ops: [data('x', shape, fp), op('y', 'relu', ['x'], {}, shape, fp - 1)], inputs: ['x'], outputs: ['y'], meta: {} };
    const feeds = { x: { shape, data: x } };
    const ref = new Map<string, Int8Array>();
    runQuantized(g, feeds, { onTensor: (o, _v, q) => { if (q) ref.set(o.name, q.slice()); } });
    const js = createFastExecutor(g);
    const yjs = js.run(feeds).y!.data as Float32Array;
    for (const K of ISAS) {
      for (const threads of [2, 3]) {
        const ex = createFastExecutor(g, { native: { kernels: K, threads } });
        for (let rep = 0; rep < 2; rep++) {
          const y = ex.run(feeds).y!.data as Float32Array;
          assert.ok(same(ex.tensor('x')!, ref.get('x')!), `fp ${fp} [${K.level} ${threads}T]: quantized feed differs from runQuantized`);
          assert.ok(same(ex.tensor('x')!, js.tensor('x')!), `fp ${fp} [${K.level} ${threads}T]: quantized feed differs from the JS loop`);
          assert.ok(Buffer.from(y.buffer, y.byteOffset, y.byteLength).equals(Buffer.from(yjs.buffer, yjs.byteOffset, yjs.byteLength)), `fp ${fp} [${K.level} ${threads}T]: dequantized output`);
        }
        assert.deepEqual(ex.checkBounds(), [], 'out-of-bounds write');
      }
    }
  }
});

test('native nearest resize: ×2 up (YOLO), odd up/down sizes, every coordinate × nearest mode, fo ≠ fi, channels 1/3/17/65 == runQuantized', { skip }, () => {
  const r = mulberry32(4242);
  const ri = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  let i = 0;
  for (const C of [1, 3, 17, 65]) {
    for (const coordinate of ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel']) {
      const nearest_mode = (['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'] as const)[i % 4];
      const [H, W] = [ri(1, 7), ri(1, 9)];
      const [OH, OW] = i % 2 ? [2 * H, 2 * W] : [ri(1, 13), ri(1, 11)];
      const fi = ri(2, 6);
      const fo = i % 3 === 0 ? fi : fi + ri(-2, 2);
      const g: Graph = {
        name: 'rs', inputs: ['x'], outputs: ['y'], meta: {},
        ops: [data('x', [1, H, W, C], fi), op('y', 'resize', ['x'], { size: [OW, OH], mode: 'NEAREST', coordinate, nearest_mode }, [1, OH, OW, C], fo)],
      };
      check(g, `resize C ${C} ${H}×${W}→${OH}×${OW} ${coordinate} ${nearest_mode} fi ${fi} fo ${fo}`, 1);
      i++;
    }
  }
});

test('native add/sub followed by relu (ResNet): the relu fused into the add pass (shift 0) or kept (shift ≠ 0, not right after), every tensor == runQuantized', { skip }, () => {
  let i = 0;
  for (const C of [1, 17, 64, 65]) {
    const H = 5 + (i % 3) * 7, W = 3 + (i % 2) * 9;
    const shape = [1, H, W, C];
    const [fa, fb] = [[3, 5], [6, 2], [4, 4], [5, 1]][i]!;
    const F = Math.max(fa, fb) - 1;
    const ops: Op[] = [data('a', shape, fa), data('b', shape, fb)];
    ops.push(op('add', 'add', ['a', 'b'], { nonlinear: 'NONE' }, shape, F));
    ops.push(op('relu', 'relu', ['add'], {}, shape, F)); // shift 0, right after the add: fused
    ops.push(op('sub', 'sub', ['relu', 'b'], { nonlinear: 'NONE' }, shape, F - 1));
    ops.push(op('relu2', 'relu', ['sub'], {}, shape, F - 2)); // shift 1: a task of its own
    ops.push(op('add3', 'add', ['relu2', 'a'], { nonlinear: 'RELU' }, shape, F - 1));
    ops.push(op('relu3', 'relu', ['add'], {}, shape, F)); // shift 0 but not right after its add
    ops.push(op('add4', 'add', ['relu3', 'add3'], { nonlinear: 'NONE' }, shape, F - 1));
    ops.push(op('relu4', 'relu', ['add4'], {}, shape, F - 1)); // the last op: fused
    const g: Graph = { name: 'addrelu', ops, inputs: ['a', 'b'], outputs: ['relu4'], meta: {} };
    check(g, `add→relu C=${C} ${H}×${W}`, 8);
    i++;
  }
});
