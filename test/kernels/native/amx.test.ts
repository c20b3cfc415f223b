// The AMX-INT8 conv path of the native addon (native/amx_conv.cc, hooked into dpu_kernels.cc's conv tasks)
// vs the VNNI path of the same addon (DPUFLOW_NATIVE_AMX=0 when the weights are packed) vs the WASM kernels
// vs the INT8 reference executor (runQuantized, the independent oracle): byte for byte on odd layers (1×1 /
// 3×3 / 7×7, stride 1 / 2, channels 1…200, pixel counts not a multiple of 16, 1 / 2 / 3 threads with the
// finest chunks) and on whole seeded models. The addon's AMX unit counter proves that the AMX executor took
// the AMX path and the VNNI one did not. Skipped, with the reason, where the CPU / kernel has no AMX-INT8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Graph, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor, type FastExecutor } from '../../../src/kernels/wasm/executor.js';
import { quantizedModel } from '../wasm/helpers.js';
import { NLS, convGraph, type ConvCase } from '../helpers.js';
import { amxSetup } from './amx-util.js';

// chunks as small as they go (read when a context is created): thread boundaries inside every conv
process.env.DPUFLOW_NATIVE_CHUNK_NS = '1';

const { nk, amxStatus, skip } = amxSetup();
if (skip) console.log(`# amx.test: skipped — ${skip}`);
const units = (): number => amxStatus!()[1];

/** native/amx_conv.cc pack(): a k×k kernel whose kernel row (kw × channels rounded to 4) fills less than half of
 * its 64-byte K blocks stays on VNNI (3-channel stems); every other conv with dilation 1 in x takes AMX */
const amxTakes = (k: [number, number], C: number): boolean => {
  const run = k[0] * Math.ceil(C / 4) * 4;
  return k[0] * k[1] === 1 || 2 * run >= Math.ceil(run / 64) * 64;
};

const same = (a: Int8Array, b: Int8Array): boolean =>
  a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;

function reference(g: Graph, feeds: Record<string, TensorValue>): Map<string, Int8Array> {
  const ref = new Map<string, Int8Array>();
  runQuantized(g, feeds, { onTensor: (op, _v, q) => { if (q) ref.set(op.name, q.slice()); } });
  return ref;
}

/** executor whose conv weights were packed with the AMX path on (amx) or off (DPUFLOW_NATIVE_AMX=0) */
function executor(g: Graph, threads: number, amx: boolean): FastExecutor {
  const prev = process.env.DPUFLOW_NATIVE_AMX;
  if (amx) delete process.env.DPUFLOW_NATIVE_AMX;
  else process.env.DPUFLOW_NATIVE_AMX = '0';
  try {
    return createFastExecutor(g, { native: { kernels: nk!, threads } });
  } finally {
    if (prev === undefined) delete process.env.DPUFLOW_NATIVE_AMX;
    else process.env.DPUFLOW_NATIVE_AMX = prev;
  }
}

/** AMX == VNNI == WASM == runQuantized on every fixed-point tensor; returns [tensors compared, AMX units run] */
function compare4(g: Graph, feeds: Record<string, TensorValue>, label: string, threads: number, ref = reference(g, feeds)): [number, number] {
  const wasm = createFastExecutor(g);
  const vnni = executor(g, threads, false);
  const amx = executor(g, threads, true);
  wasm.run(feeds);
  let u0 = units();
  vnni.run(feeds);
  assert.equal(units() - u0, 0, `${label}: the VNNI executor ran AMX units`);
  let amxUnits = 0;
  let compared = 0;
  for (let rep = 0; rep < 2; rep++) {
    u0 = units();
    amx.run(feeds);
    amxUnits += units() - u0;
    for (const [name, want] of ref) {
      const got = [['AMX', amx.tensor(name)], ['VNNI', vnni.tensor(name)], ['WASM', wasm.tensor(name)]] as const;
      if (got.some(([, t]) => !t)) continue;
      for (const [which, t] of got) {
        if (!same(t!, want)) {
          let i = 0;
          while (t![i] === want[i]) i++;
          assert.fail(`${label} ${threads}T: ${which} ${name} differs at ${i} of ${want.length}: got ${t![i]}, want ${want[i]}`);
        }
      }
      compared++;
    }
    assert.deepEqual(amx.checkBounds(), [], `${label}: AMX out-of-bounds write`);
  }
  return [compared, amxUnits];
}

test('AMX conv: channels 1/3/17/33/64/65/200, 1×1 (s1, s2, padded) / 3×3 (s1, s2) / 7×7 s2 / 3×3 dilation-y 2, odd pixel counts, 1/2/3 threads == VNNI == WASM == runQuantized', { skip }, () => {
  const shapes: [string, [number, number], [number, number], [number, number], number][] = [
    // label, kernel, stride, dilation [x, y], pad
    ['1x1', [1, 1], [1, 1], [1, 1], 0],
    ['1x1 s2', [1, 1], [2, 2], [1, 1], 0],
    ['3x3', [3, 3], [1, 1], [1, 1], 1],
    ['3x3 s2', [3, 3], [2, 2], [1, 1], 1],
    ['1x1 pad', [1, 1], [1, 1], [1, 1], 1],
    ['7x7 s2', [7, 7], [2, 2], [1, 1], 3],
    ['3x3 dy2', [3, 3], [1, 1], [1, 2], 2],
  ];
  let i = 0;
  for (const C of [1, 3, 17, 33, 64, 65, 200]) {
    for (const [label, k, s, d, p] of shapes) {
      if (label === '7x7 s2' && C > 17) continue;
      const OC = [1, 17, 33, 64, 65, 72, 130][i % 7]!;
      // pixel counts: 9..13 × 7..17 (never all multiples of 16), one 32-pixel-exact map
      const H = i === 4 ? 8 : 9 + (i % 5), W = i === 4 ? 4 : 7 + (i % 11);
      const c: ConvCase = { C, OC, H, W, k, s, d, pad: [p, p, p, p], nl: NLS[i % 6]!, bias: (['none', 'pos', 'neg'] as const)[i % 3]! };
      const { g, feeds } = convGraph(c, 900 + i);
      const threads = 1 + (i % 3);
      const [, u] = compare4(g, feeds, `amx case ${i} ${JSON.stringify(c)}`, threads);
      assert.equal(u > 0, amxTakes(k, C), `case ${i} ${JSON.stringify(c)}: ${u} AMX units`);
      i++;
    }
  }
});

test('AMX conv: every position tiling — stride 1 over the padded grid, strided rows ≤ 8 (dense gather), 9–16 (two rows per tile), > 16 (row tiles, partial) — tile- and group-major', { skip }, () => {
  let j = 0;
  for (const [C, OC, H, W, k, s] of [
    [24, 40, 9, 70, 3, 2], [24, 40, 5, 40, 1, 2], [40, 24, 6, 33, 3, 2], [64, 33, 23, 29, 3, 1], [130, 96, 4, 16, 1, 2], [96, 200, 15, 15, 3, 2], [3, 64, 30, 30, 7, 2], [9, 20, 19, 21, 7, 2],
  ] as [number, number, number, number, number, number][]) {
    const p = k >> 1;
    const c: ConvCase = { C, OC, H, W, k: [k, k], s: [s, s], d: [1, 1], pad: [p, p, p, p], nl: NLS[j % 6]!, bias: (['pos', 'neg', 'none'] as const)[j % 3]! };
    const { g, feeds } = convGraph(c, 990 + j);
    const [, u] = compare4(g, feeds, `tiling ${JSON.stringify(c)}`, 1 + (j % 3));
    assert.equal(u > 0, amxTakes([k, k], C), `tiling case ${j}: ${u} AMX units`);
    j++;
  }
});

test('AMX conv: dilation 2 in x stays on the VNNI path (no AMX unit), still == runQuantized', { skip }, () => {
  const { g, feeds } = convGraph({ C: 33, OC: 20, H: 11, W: 12, k: [3, 3], s: [1, 1], d: [2, 1], pad: [2, 2, 1, 1], nl: 'RELU', bias: 'pos' }, 77);
  const [n, u] = compare4(g, feeds, 'dilation x 2', 2);
  assert.ok(n >= 1);
  assert.equal(u, 0);
});

test('AMX conv: all −128 inputs and weights (largest accumulators, 3×3 × 200 channels) and every nonlinear × bias sign on 200 → 130', { skip }, () => {
  for (const [k, pad] of [[1, 0], [3, 1]] as const) {
    const { g, feeds } = convGraph({ C: 200, OC: 40, H: 5, W: 7, k: [k, k], s: [1, 1], d: [1, 1], pad: [pad, pad, pad, pad], nl: 'NONE', bias: 'none', extreme: true }, 5);
    compare4(g, feeds, `extreme ${k}x${k}`, 2);
  }
  let j = 0;
  for (const nl of NLS) {
    for (const bias of ['pos', 'neg', 'none'] as const) {
      const { g, feeds } = convGraph({ C: 200, OC: 130, H: 6, W: 9, k: [j % 2 ? 3 : 1, j % 2 ? 3 : 1], s: [1, 1], d: [1, 1], pad: j % 2 ? [1, 1, 1, 1] : [0, 0, 0, 0], nl, bias }, 950 + j);
      compare4(g, feeds, `wide ${nl} ${bias}`, 1 + (j % 3));
      j++;
    }
  }
});

test('AMX: whole ResNet-18 / MobileNetV2 / YOLOv5s (leaky) at 32², 1/2/3 threads: AMX == VNNI == WASM == runQuantized', { skip }, async () => {
  for (const [name, opts] of [['resnet18', {}], ['mobilenetv2', {}], ['yolov5s', {}]] as [string, Record<string, unknown>][]) {
    const { g, feeds } = await quantizedModel(name, 32, opts);
    const ref = reference(g, feeds);
    for (const threads of [1, 2, 3]) {
      const [n, u] = compare4(g, feeds, name, threads, ref);
      assert.ok(n > 10, `${name}: compared ${n} tensors`);
      assert.ok(u > 0, `${name}: no AMX unit ran`);
    }
  }
});

test('DPUFLOW_NATIVE_AMX=0 in the environment: amxStatus says so and a conv runs no AMX unit (child process)', { skip }, () => {
  const loader = fileURLToPath(new URL('../../../src/kernels/native/node.js', import.meta.url));
  const code = `
    const { createRequire } = await import('node:module');
    const { loadNativeKernels, nativeAddonPath } = await import(${JSON.stringify(loader)});
    const k = loadNativeKernels();
    const raw = createRequire(import.meta.url)(nativeAddonPath());
    const w = new Int8Array(64 * 64).fill(1);
    const pw = k.packConv(w, 64, 1, 1, 64, false);
    const ctx = k.createContext(1);
    const mem = new Int8Array(64 * 64 * 2 + 512);
    mem.fill(1, 0, 64 * 64);
    // x 8×8×64 at 0, out 8×8×64 at 4096, bias (zeros) at 8192; NONE, cut 0, fast
    k.conv(ctx, pw, mem, new Float64Array([0, 8, 8, 64, 4096, 8, 8, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 26, 0, 1, 8192, 1]));
    console.log(JSON.stringify({ status: raw.amxStatus(), y: mem[4096 + 77] }));`;
  for (const [env, want] of [['0', /^off: DPUFLOW_NATIVE_AMX=0/], ['1', /^on$/]] as const) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, DPUFLOW_NATIVE_AMX: env }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout.trim()) as { status: [string, number]; y: number };
    assert.match(o.status[0], want);
    assert.equal(o.status[1] > 0, env === '1', `AMX units ${o.status[1]} with DPUFLOW_NATIVE_AMX=${env}`);
    assert.equal(o.y, 64); // 64 channels × 1 × 1, hand-computed
  }
});
