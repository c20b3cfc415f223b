// The cycle model: hand-computed instruction cycles, overlap, never above peak, threads/cores behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Instr, decodeProgram, encodeProgram } from '../../src/isa/index.js';
import { findBoard, resolveTarget } from '../../src/dpu/arch/index.js';
import { BURST_OVERHEAD_CYCLES, CONV_OVERHEAD_CYCLES, DDR_LATENCY_CYCLES, boardThroughput, coreDdrBytesPerCycle, modelProgram } from '../../src/dpu/cycle/index.js';
import { simulate } from '../../src/dpu/sim/index.js';

const B4096 = resolveTarget('B4096');
const LOAD = 1, SAVE = 2, CONV = 4;

/** A conv layer of `tiles` row tiles: H×W×ic → H×W×oc, k×k, ping-pong buffers, LOAD/CONV/SAVE overlapped. */
function layerProgram(tiles: number, rows: number, W: number, ic: number, oc: number, k: number): Instr[] {
  const p: Instr[] = [
    { cls: 'LOAD', wait: 0, signal: 0, f: { bank_id: 2, reg_id: 0, ddr_addr: 0, bank_addr: 0, channels: ic, rows: oc, cols: k * k, row_stride: k * k * ic, pix_stride: ic } },
    { cls: 'CONVINIT', wait: 0, signal: 0, f: { kernel_w: k, kernel_h: k, stride_w: 1, stride_h: 1, act: 1, shift_cut: 8, fp_out: 0, ic } },
  ];
  const inBytes = rows * W * ic, outBytes = rows * W * oc;
  for (let t = 0; t < tiles; t++) {
    const buf = t % 2;
    p.push({ cls: 'LOAD', wait: t >= 2 ? SAVE : 0, signal: CONV, f: { bank_id: 0, reg_id: 1, ddr_addr: t * inBytes, bank_addr: buf * inBytes, channels: ic, rows, cols: W, row_stride: W * ic, pix_stride: ic } });
    p.push({ cls: 'CONV', wait: LOAD, signal: SAVE, f: { in_bank: 0, out_bank: 1, in_addr: buf * inBytes, in_rows: rows, in_cols: W, out_addr: buf * outBytes, wgt_addr: 0, oc, out_pix_stride: oc, pad_left: (k - 1) / 2, pad_right: (k - 1) / 2, pad_top: (k - 1) / 2, pad_bottom: (k - 1) / 2 } });
    p.push({ cls: 'SAVE', wait: CONV, signal: LOAD, f: { bank_id: 1, reg_id: 1, ddr_addr: 1 << 22 | t * outBytes, bank_addr: buf * outBytes, channels: oc, rows, cols: W, row_stride: W * oc, pix_stride: oc } });
  }
  p.push({ cls: 'END', wait: SAVE, signal: 0, f: {} });
  return p;
}

test('hand-computed cycles of one LOAD and one CONV on B4096', () => {
  const prog = decodeProgram(encodeProgram([
    { cls: 'LOAD', wait: 0, signal: CONV, f: { bank_id: 0, reg_id: 1, ddr_addr: 0, bank_addr: 0, channels: 16, rows: 8, cols: 8, row_stride: 128, pix_stride: 16 } },
    { cls: 'CONVINIT', wait: 0, signal: 0, f: { kernel_w: 3, kernel_h: 3, stride_w: 1, stride_h: 1, shift_cut: 8, ic: 16 } },
    { cls: 'CONV', wait: LOAD, signal: 0, f: { in_bank: 0, out_bank: 1, in_rows: 8, in_cols: 8, oc: 20, out_pix_stride: 20, pad_left: 1, pad_right: 1, pad_top: 1, pad_bottom: 1 } },
    { cls: 'END', wait: 0, signal: 0, f: {} },
  ]));
  const perf = modelProgram(prog, { arch: B4096, clockMHz: 300, ddrBytesPerCycle: 8 });
  // LOAD: 1024 contiguous bytes at min(16 B/cycle load parallel, 8 B/cycle DDR share) = 128 cycles + 1 burst + latency
  const load = DDR_LATENCY_CYCLES + 1024 / 8 + BURST_OVERHEAD_CYCLES;
  assert.equal(perf.timings[0].end, load);
  // CONV: 8 rows × ⌈8/PP 8⌉ × ⌈20/OCP 16⌉ = 2 × ⌈16/ICP 16⌉ × 9 taps = 144 + overhead; starts after the LOAD token
  assert.equal(perf.timings[2].start, load);
  assert.equal(perf.timings[2].end - perf.timings[2].start, 8 * 1 * 2 * 1 * 9 + CONV_OVERHEAD_CYCLES);
  assert.equal(perf.ops, 2 * 8 * 8 * 20 * 9 * 16);
  assert.equal(perf.cycles, perf.timings[2].end);
});

test('LOAD of the next tile overlaps CONV of this one (ping-pong tokens)', () => {
  const prog = decodeProgram(encodeProgram(layerProgram(6, 4, 28, 64, 64, 3)));
  const perf = modelProgram(prog, { arch: B4096, clockMHz: 300, ddrBytesPerCycle: 16 });
  const serial = perf.timings.reduce((s, t) => s + (t.end - t.start), 0);
  assert.ok(perf.cycles < serial, `overlapped ${perf.cycles} vs serial ${serial}`);
  assert.ok(perf.cycles >= Math.max(...Object.values(perf.engineBusy)));
  // tile 1's LOAD (instruction 5) starts before tile 0's CONV (instruction 3) ends
  assert.ok(perf.timings[5].start < perf.timings[3].end, 'LOAD t+1 overlaps CONV t');
  // the functional simulator accepts the same token protocol (no deadlock) and counts the same bytes
  const sim = simulate(prog, { arch: B4096, regs: { 0: new Uint8Array(64 * 9 * 64), 1: new Uint8Array((1 << 22) + 6 * 4 * 28 * 64) } });
  assert.equal(sim.totals.ldFM, perf.layers.reduce((s, l) => s + l.ldFM, 0));
  assert.equal(sim.totals.ops, perf.ops);
});

test('never above peak; more threads never lower throughput; KV260 saturates at 1 core, ZCU102 scales', () => {
  const programs = [
    layerProgram(8, 2, 56, 64, 64, 3), // compute-heavy
    layerProgram(8, 4, 56, 256, 64, 1), // 1×1, memory-heavy
    layerProgram(4, 7, 7, 512, 512, 3),
  ].map((p) => decodeProgram(encodeProgram(p)));
  for (const prog of programs) {
    for (const name of ['kv260', 'zcu104', 'zcu102']) {
      const board = findBoard(name)!;
      let prev = 0;
      for (let threads = 1; threads <= 6; threads++) {
        const t = boardThroughput(prog, B4096, board, threads);
        const perf = modelProgram(prog, { arch: B4096, clockMHz: board.clockMHz, ddrBytesPerCycle: coreDdrBytesPerCycle(board, t.activeCores) });
        const peakOpsPerSec = t.activeCores * B4096.peakOpsPerCycle * board.clockMHz * 1e6;
        assert.ok(t.fps * perf.ops <= peakOpsPerSec * (1 + 1e-12), `${name} ${threads}: above peak`);
        assert.ok(perf.efficiency <= 100);
        assert.ok(t.fps >= prev, `${name}: ${threads} threads ${t.fps} < ${prev}`);
        prev = t.fps;
        assert.ok(t.activeCores <= board.cores);
      }
    }
  }
  const prog = programs[0];
  const kv = [1, 2, 4].map((n) => boardThroughput(prog, B4096, findBoard('kv260')!, n).fps);
  assert.equal(kv[1], kv[0]);
  assert.equal(kv[2], kv[0]); // "4 threads = 4× on KV260" cannot happen on one core
  const zcu = [1, 2, 3].map((n) => boardThroughput(prog, B4096, findBoard('zcu102')!, n).fps);
  assert.ok(zcu[1] > 1.5 * zcu[0] && zcu[2] > 2.2 * zcu[0], `zcu102 scales: ${zcu.map((x) => x.toFixed(0)).join(' ')}`);
  // a DDR-bound program scales less on ZCU102 than a compute-bound one (one DDR shared by 3 cores)
  const mem = programs[1];
  const zm = [1, 3].map((n) => boardThroughput(mem, B4096, findBoard('zcu102')!, n).fps);
  assert.ok(zm[1] / zm[0] < zcu[2] / zcu[0]);
});

test('per-layer table: cycles add up to the program, bytes by kind', () => {
  const p = [...layerProgram(3, 4, 14, 32, 32, 3)];
  p.pop();
  const second = layerProgram(2, 2, 14, 32, 16, 1);
  const prog = decodeProgram(encodeProgram([...p, ...second]));
  const perf = modelProgram(prog, { arch: B4096, clockMHz: 300, ddrBytesPerCycle: 16 });
  assert.equal(perf.layers.length, 2);
  assert.equal(perf.layers.reduce((s, l) => s + l.cycles, 0), perf.cycles);
  assert.equal(perf.layers[0].ldWB, 32 * 9 * 32);
  assert.equal(perf.layers[0].ldFM, 3 * 4 * 14 * 32);
  assert.equal(perf.layers[1].stFM, 2 * 2 * 14 * 16);
});
