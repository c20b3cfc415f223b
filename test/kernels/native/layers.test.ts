// The native AVX-512 VNNI kernels (native/dpu_kernels.cc through FastExecutorOptions.native) vs the
// WASM SIMD kernels vs the INT8 reference executor (runQuantized): byte for byte on odd layers and
// whole seeded models. Skipped with the reason when the addon is not built / the CPU lacks VNNI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Graph, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { loadNativeKernels, nativeStatus } from '../../../src/kernels/native/node.js';
import { quantizedModel } from '../wasm/helpers.js';
import { NLS, convGraph, type ConvCase } from '../helpers.js';

const nk = loadNativeKernels();
const skip = nk ? false : `native kernels unavailable: ${nativeStatus().reason}`;
// every ISA level this CPU has: AVX-512 VNNI (vpdpbusd, +128 offset) and the AVX2 fallback (vpmaddwd)
const ISAS = (['avx512vnni', 'avx2'] as const).map((isa) => loadNativeKernels({ isa })).filter((k) => k !== undefined);
let K = nk;

const same = (a: Int8Array, b: Int8Array): boolean => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

/** native (threads) == WASM == runQuantized on every fixed-point tensor; returns tensors compared. */
function reference(g: Graph, feeds: Record<string, TensorValue>): Map<string, Int8Array> {
  const ref = new Map<string, Int8Array>();
  runQuantized(g, feeds, { onTensor: (op, _v, q) => { if (q) ref.set(op.name, q); } });
  return ref;
}

function compare3(g: Graph, feeds: Record<string, TensorValue>, label: string, threads = 1, ref = reference(g, feeds)): number {
  const wasm = createFastExecutor(g);
  const nat = createFastExecutor(g, { native: { kernels: K!, threads } });
  const convs = g.ops.filter((o) => o.type === 'conv2d' || o.type === 'depthwise-conv2d').length;
  assert.ok((nat.stats.nativeOps ?? 0) >= convs, `${label}: ${nat.stats.nativeOps} native ops < ${convs} convs; fallbacks ${JSON.stringify(nat.stats.fallbacks)}`);
  let compared = 0;
  label += ` [${K!.level}]`;
  for (let rep = 0; rep < 2; rep++) {
    wasm.run(feeds);
    nat.run(feeds);
    for (const [name, want] of ref) {
      const a = nat.tensor(name);
      const b = wasm.tensor(name);
      if (!a || !b) continue;
      if (!same(a, want)) {
        let i = 0;
        while (a[i] === want[i]) i++;
        assert.fail(`${label}: native ${name} differs at ${i}: got ${a[i]}, want ${want[i]} (of ${want.length})`);
      }
      assert.ok(same(b, want), `${label}: wasm ${name} differs from the reference`);
      compared++;
    }
    assert.deepEqual(nat.checkBounds(), [], `${label}: out-of-bounds write`);
  }
  return compared;
}

test('native conv2d: channels 1/3/17/33/64, 1×1 / 3×3 / 7×7 / 3×1, stride 2, dilation, pads, every nonlinear, shift_bias ±', { skip }, () => { for (K of ISAS) {
  let i = 0;
  for (const C of [1, 3, 17, 33, 64]) {
    for (const OC of [1, 5, 17, 33, 64, 72]) {
      const k: [number, number] = ([[1, 1], [3, 3], [7, 7], [3, 1]] as [number, number][])[i % 4];
      const s: [number, number] = i % 3 === 0 ? [2, 2] : i % 5 === 0 ? [1, 2] : [1, 1];
      const d: [number, number] = i % 7 === 3 && k[0] <= 3 ? [2, 2] : i % 11 === 2 ? [1, 2] : [1, 1];
      const pad: [number, number, number, number] = k[0] === 1 ? [0, i % 2, 0, 0] : [Math.floor(k[0] / 2), i % 2, Math.floor(k[1] / 2), 1];
      const c: ConvCase = { C, OC, H: 9 + (i % 4), W: 7 + (i % 9), k, s, d, pad, nl: NLS[i % 6], bias: (['none', 'pos', 'neg'] as const)[i % 3] };
      const { g, feeds } = convGraph(c, 100 + i);
      compare3(g, feeds, `conv case ${i} ${JSON.stringify(c)}`, 1 + (i % 2));
      i++;
    }
  }
}});

test('native depthwise: channels 1/3/17/33/64, 3×3 / 5×5 / 7×7, stride 2, dilation, every nonlinear', { skip }, () => { for (K of ISAS) {
  let j = 0;
  for (const C of [1, 3, 17, 33, 64]) {
    for (const [k, s, d] of [[3, 1, 1], [5, 2, 1], [3, 2, 2], [7, 1, 1]] as [number, number, number][]) {
      const pad: [number, number, number, number] = [Math.floor(k / 2) * d, j % 2, Math.floor(k / 2) * d, 0];
      const { g, feeds } = convGraph({ C, OC: C, H: 11, W: 9, k: [k, k], s: [s, s], d: [d, d], pad, nl: NLS[j % 6], bias: (['pos', 'none', 'neg'] as const)[j % 3], dw: true }, 300 + j);
      compare3(g, feeds, `dw case ${j} C=${C} k=${k} s=${s} d=${d}`, 1 + (j % 2));
      j++;
    }
  }
}});

test('native: every nonlinear × bias sign on a wide layer (64 → 72, 3×3), both output-stage paths', { skip }, () => { for (K of ISAS) {
  let j = 0;
  for (const nl of NLS) {
    for (const bias of ['pos', 'neg', 'none'] as const) {
      const { g, feeds } = convGraph({ C: 64, OC: 72, H: 10, W: 13, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], nl, bias }, 700 + j++);
      compare3(g, feeds, `wide ${nl} ${bias}`);
    }
  }
}});

test('native: all −128 inputs and weights (x·w = 16384 each) on conv 3×3 and depthwise 3×3, hand-checked centre value', { skip }, () => { for (K of ISAS) {
  for (const dw of [false, true]) {
    const C = dw ? 33 : 17;
    const { g, feeds } = convGraph({ C, OC: dw ? C : 20, H: 5, W: 6, k: [3, 3], s: [1, 1], d: [1, 1], pad: [1, 1, 1, 1], nl: 'NONE', bias: 'none', extreme: true }, 5);
    compare3(g, feeds, `extreme dw=${dw}`);
    const ex = createFastExecutor(g, { native: { kernels: K! } });
    ex.run(feeds);
    const y = ex.tensor('y')!;
    // centre pixel: 9 taps (× C channels for conv) of 16384, shift_cut 8 → 16384·9·C/256 saturates to 127
    const OC = dw ? C : 20;
    assert.equal(y[(1 * 6 + 1) * OC], 127);
  }
}});

test('native: whole ResNet-18 / MobileNetV2 / YOLOv5s (leaky, hardswish) at 32², 1 and 2 threads, VNNI and AVX2: native == WASM == runQuantized', { skip }, async () => {
  for (const [name, opts] of [['resnet18', {}], ['mobilenetv2', {}], ['yolov5s', {}], ['yolov5s', { activation: 'hardswish' }]] as [string, Record<string, unknown>][]) {
    const { g, feeds } = await quantizedModel(name, 32, opts);
    const ref = reference(g, feeds);
    for (const [threads, kk] of [[1, ISAS[0]], [2, ISAS[0]], [2, ISAS[ISAS.length - 1]]] as const) {
      K = kk;
      const n = compare3(g, feeds, `${name} ${JSON.stringify(opts)} ${threads}T`, threads, ref);
      assert.ok(n > 10, `${name}: compared ${n} tensors`);
    }
  }
});

test('bad arguments: the addon refuses offsets outside the memory and mismatched shapes (RuntimeError E_NATIVE_KERNEL), never touching memory', { skip }, () => {
  for (K of ISAS) {
    const k = K!;
    const w = new Int8Array(4 * 3 * 3 * 5).fill(1);
    assert.throws(() => k.packConv(w, 4, 3, 3, 6, false), (e: Error & { code?: string }) => e.code === 'E_NATIVE_KERNEL' && /not \[OC\]\[kh\]\[kw\]\[C\]/.test(e.message));
    const pw = k.packConv(w, 4, 3, 3, 5, false);
    const ctx = k.createContext(1);
    const mem = new Int8Array(4096);
    // x 6×6×5 at 0, out 6×6×4 at 256, bias at 512; stage: NONE, cut 0, fast
    const p = new Float64Array([0, 6, 6, 5, 256, 6, 6, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 26, 0, 1, 512, 1]);
    mem.fill(2, 0, 180);
    k.conv(ctx, pw, mem, p);
    // centre pixel: 9 taps × 5 channels × 2 × 1 = 90; corner (0,0): 4 taps × 5 × 2 = 40
    assert.equal(mem[256 + (2 * 6 + 2) * 4], 90);
    assert.equal(mem[256], 40);
    const bad = (i: number, v: number, re: RegExp): void => {
      const q = p.slice();
      q[i] = v;
      const before = mem.slice();
      assert.throws(() => k.conv(ctx, pw, mem, q), (e: Error & { code?: string }) => e.code === 'E_NATIVE_KERNEL' && re.test(e.message));
      assert.deepEqual(mem, before, 'memory untouched');
    };
    bad(4, 4000, /outside the memory/); // output past the end
    bad(0, 3990, /outside the memory/); // input past the end
    bad(23, 4090, /outside the memory/); // bias past the end
    bad(3, 6, /does not match the packed weights/); // C
    bad(5, 7, /output size/); // OH
  }
});

test('DPUFLOW_NATIVE=0: the loader refuses and the run mode stays on WASM (child process)', () => {
  const loader = fileURLToPath(new URL('../../../src/kernels/native/node.js', import.meta.url));
  const exec = fileURLToPath(new URL('../../../src/kernels/wasm/executor.js', import.meta.url));
  const code = `
    const { loadNativeKernels, nativeStatus } = await import(${JSON.stringify(loader)});
    const { createFastExecutor } = await import(${JSON.stringify(exec)});
    const native = loadNativeKernels();
    const ops = [
      { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, 2, 2, 1] }, output: { shape: [1, 2, 2, 1], dtype: 'int8', fixPoint: 0 } },
      { name: 'w', type: 'const', inputs: [], attrs: {}, output: { shape: [1, 1, 1, 1], dtype: 'int8', fixPoint: 0 }, data: new Float32Array([3]) },
      { name: 'y', type: 'conv2d', inputs: ['x', 'w'], attrs: { kernel: [1, 1], group: 1 }, output: { shape: [1, 2, 2, 1], dtype: 'int8', fixPoint: 0 } },
    ];
    const ex = createFastExecutor({ name: 'g', ops, inputs: ['x'], outputs: ['y'], meta: {} }, native ? { native: { kernels: native } } : {});
    const y = ex.run({ x: { shape: [1, 2, 2, 1], data: new Float32Array([1, -2, 40, 50]) } }).y.data;
    console.log(JSON.stringify({ native: !!native, reason: nativeStatus().reason, y: Array.from(y), nativeOps: ex.stats.nativeOps ?? 0 }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, DPUFLOW_NATIVE: '0' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout.trim()) as { native: boolean; reason: string; y: number[]; nativeOps: number };
  assert.equal(o.native, false);
  assert.match(o.reason, /DPUFLOW_NATIVE=0/);
  assert.equal(o.nativeOps, 0);
  assert.deepEqual(o.y, [3, -6, 120, 127]); // 1·3, −2·3, 40·3, 50·3 saturated
});
