// The simulator's two tile engines (WASM SIMD kernels and scalar JS) against the INT8 reference kernels
// (independent oracle) and against each other, on single-tile CONV / DPTWISE instructions with odd shapes:
// asymmetric padding, strides 1–2, kernels 1–5, channel counts off the 2/8 packing grain, out_pix_stride > oc,
// every activation kind and negative shift_bias.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Instr, encodeProgram } from '../../src/isa/index.js';
import { simulate } from '../../src/dpu/sim/index.js';
import { wasmTiles } from '../../src/dpu/sim/fast.js';
import { resolveTarget } from '../../src/dpu/arch/index.js';
import { conv2dInt8, depthwiseConv2dInt8, type Nonlinear } from '../../src/kernels/ref/int8/conv.js';
import { ACT_KINDS } from '../../src/isa/spec.js';

const ARCH = resolveTarget('B4096');
const LOAD = 1, SAVE = 2, CONV = 4;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 2 ** 32;
  };
}
const ri = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
function randI8(r: () => number, n: number, lo = -128, hi = 127): Int8Array {
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = ri(r, lo, hi);
  return a;
}
const u8 = (a: Int8Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

interface Case {
  dw: boolean; H: number; W: number; ic: number; oc: number; k: number; s: number;
  pad: [number, number, number, number]; // top, bottom, left, right
  act: number; shiftCut: number; shiftBias: number; fpOut: number; extra: number;
}

/** Runs one tile; returns the output bytes (oh·ow·oc, read back at out_pix_stride) and the shape. */
function runCase(c: Case, x: Int8Array, w: Int8Array, b: Int8Array, engine: 'wasm' | 'js'): { y: Int8Array; oh: number; ow: number } {
  const [pt, pb, pl, pr] = c.pad;
  const oh = Math.floor((c.H + pt + pb - c.k) / c.s) + 1, ow = Math.floor((c.W + pl + pr - c.k) / c.s) + 1;
  const oc = c.dw ? c.ic : c.oc;
  const ops = oc + c.extra;
  const reg0 = new Uint8Array(w.length + b.length);
  reg0.set(u8(w), 0); reg0.set(u8(b), w.length);
  const reg1 = new Uint8Array(x.length + oh * ow * ops + 64);
  reg1.set(u8(x), 0);
  const outDdr = x.length;
  const wRows = c.dw ? 1 : oc;
  const init = { kernel_w: c.k, kernel_h: c.k, stride_w: c.s, stride_h: c.s, has_bias: 1, act: c.act, leaky_num: 26, shift_cut: c.shiftCut, shift_bias: c.shiftBias, fp_out: c.fpOut };
  const pads = { pad_top: pt, pad_bottom: pb, pad_left: pl, pad_right: pr };
  const prog: Instr[] = [
    { cls: 'LOAD', wait: 0, signal: 0, f: { bank_id: 0, reg_id: 1, ddr_addr: 0, bank_addr: 0, channels: c.ic, rows: c.H, cols: c.W, row_stride: c.W * c.ic, pix_stride: c.ic } },
    { cls: 'LOAD', wait: 0, signal: 0, f: { bank_id: c.dw ? 3 : 2, reg_id: 0, ddr_addr: 0, bank_addr: 0, channels: w.length / wRows, rows: wRows, cols: 1, row_stride: w.length / wRows, pix_stride: w.length / wRows } },
    { cls: 'LOAD', wait: 0, signal: CONV, f: { bank_id: 4, reg_id: 0, ddr_addr: w.length, bank_addr: 0, channels: oc, rows: 1, cols: 1, row_stride: oc, pix_stride: oc } },
    c.dw ? { cls: 'DWINIT', wait: 0, signal: 0, f: { ...init, channels: c.ic } } : { cls: 'CONVINIT', wait: 0, signal: 0, f: { ...init, ic: c.ic } },
    c.dw
      ? { cls: 'DPTWISE', wait: LOAD, signal: SAVE, f: { in_bank: 0, out_bank: 1, in_addr: 0, in_rows: c.H, in_cols: c.W, out_addr: 0, wgt_addr: 0, bias_addr: 0, out_pix_stride: ops, ...pads } }
      : { cls: 'CONV', wait: LOAD, signal: SAVE, f: { in_bank: 0, out_bank: 1, in_addr: 0, in_rows: c.H, in_cols: c.W, out_addr: 0, wgt_addr: 0, oc, bias_addr: 0, out_pix_stride: ops, ...pads } },
    { cls: 'SAVE', wait: CONV, signal: 0, f: { bank_id: 1, reg_id: 1, ddr_addr: outDdr, bank_addr: 0, channels: ops, rows: oh, cols: ow, row_stride: ow * ops, pix_stride: ops } },
    { cls: 'END', wait: 0, signal: 0, f: {} },
  ];
  simulate(encodeProgram(prog), { arch: ARCH, regs: { 0: reg0, 1: reg1 }, engine });
  const mem = new Int8Array(reg1.buffer);
  const y = new Int8Array(oh * ow * oc);
  for (let p = 0; p < oh * ow; p++) y.set(mem.subarray(outDdr + p * ops, outDdr + p * ops + oc), p * oc);
  return { y, oh, ow };
}

function reference(c: Case, x: Int8Array, w: Int8Array, b: Int8Array): Int8Array {
  // fp_in 0 → fp_w = fa = shift_cut + fp_out, fp_bias = fa − shift_bias
  const fa = c.shiftCut + c.fpOut;
  const [pt, pb, pl, pr] = c.pad;
  const p = { kernel: [c.k, c.k] as [number, number], stride: [c.s, c.s] as [number, number], dilation: [1, 1] as [number, number], pad: [pl, pr, pt, pb] as [number, number, number, number],
    fpOut: c.fpOut, nonlinear: ACT_KINDS[c.act] as Nonlinear, alpha: 26 / 256, where: 'ref' };
  const oc = c.dw ? c.ic : c.oc;
  const xq = { shape: [1, c.H, c.W, c.ic], data: x, fixPoint: 0 };
  const bq = { shape: [oc], data: b, fixPoint: fa - c.shiftBias };
  return c.dw ? depthwiseConv2dInt8(xq, { shape: [1, c.k, c.k, c.ic], data: w, fixPoint: fa }, bq, p).data
    : conv2dInt8(xq, { shape: [oc, c.k, c.k, c.ic], data: w, fixPoint: fa }, bq, p).data;
}

function randomCase(r: () => number, dw: boolean, act: number): Case {
  const k = [1, 3, 3, 5][ri(r, 0, 3)];
  const s = ri(r, 1, 2);
  const shiftCut = ri(r, 4, 12);
  return {
    dw, k, s, act, shiftCut, fpOut: ri(r, 0, 3), extra: ri(r, 0, 1) * ri(r, 1, 5),
    shiftBias: ri(r, -3, Math.min(16, shiftCut + 2)),
    H: ri(r, k, 13), W: ri(r, k, 17), ic: dw ? ri(r, 1, 40) : ri(r, 1, 37), oc: ri(r, 1, 27),
    pad: [ri(r, 0, k >> 1), ri(r, 0, k >> 1), ri(r, 0, k >> 1), ri(r, 0, k >> 1)],
  };
}

test('the WASM tile engine is available in this runtime (otherwise the simulator silently runs the JS loops)', () => {
  assert.ok(wasmTiles(), 'WebAssembly SIMD kernels did not instantiate');
});

for (const dw of [false, true]) {
  test(`${dw ? 'DPTWISE' : 'CONV'}: wasm and js engines both equal the INT8 reference kernel on 36 random single tiles (every activation)`, () => {
    const r = rng(dw ? 11 : 5);
    for (let i = 0; i < 36; i++) {
      const c = randomCase(r, dw, i % 6);
      const oc = dw ? c.ic : c.oc;
      const x = randI8(r, c.H * c.W * c.ic);
      const w = randI8(r, dw ? c.k * c.k * c.ic : oc * c.k * c.k * c.ic);
      const b = randI8(r, oc);
      const want = reference(c, x, w, b);
      for (const engine of ['wasm', 'js'] as const) {
        const got = runCase(c, x, w, b, engine);
        assert.equal(got.y.length, want.length);
        let diff = 0;
        for (let j = 0; j < want.length; j++) if (got.y[j] !== want[j]) diff++;
        assert.equal(diff, 0, `${engine} case ${i} ${JSON.stringify(c)}: ${diff}/${want.length} bytes differ`);
      }
    }
  });
}

test('packed weights are re-made when a LOAD rewrites the weight bank (same wgt_addr, new values)', () => {
  const r = rng(99);
  const c: Case = { dw: false, H: 5, W: 5, ic: 6, oc: 9, k: 3, s: 1, pad: [1, 1, 1, 1], act: 0, shiftCut: 8, shiftBias: 2, fpOut: 1, extra: 0 };
  const x = randI8(r, 5 * 5 * 6), b = randI8(r, 9);
  for (let rep = 0; rep < 3; rep++) {
    const w = randI8(r, 9 * 9 * 6); // new weights each time, loaded to the same bank address
    const got = runCase(c, x, w, b, 'wasm');
    assert.deepEqual([...got.y], [...reference(c, x, w, b)], `rep ${rep}`);
  }
});
