/**
 * The cycle model (docs/perf-model.md): per-instruction engine cycles from the real tile shape, engines
 * overlapped as the dependency tokens allow (the same scheduler as the simulator), LOAD/SAVE through the
 * core's share of one board DDR. Every constant is named here and documented in docs/perf-model.md.
 */
import { type PlacedInstr, decodeProgram } from '../../isa/codec.js';
import type { Engine } from '../../isa/spec.js';
import type { Board, DpuArch } from '../arch/presets.js';
import { RuntimeError } from '../../errors.js';
import { type InstrWork, analyzeProgram } from '../work.js';
import { runTokens } from '../schedule.js';

/** Fraction of the DDR's peak bandwidth the DPU cores can sustain together (assumption, docs/perf-model.md). */
export const DDR_EFFICIENCY = 0.7;
/** Fixed latency of one LOAD/SAVE instruction (DDR + interconnect round trip), cycles. */
export const DDR_LATENCY_CYCLES = 100;
/** Cost of starting one DDR burst (one contiguous run of a LOAD/SAVE), cycles. */
export const BURST_OVERHEAD_CYCLES = 4;
/** Pipeline fill/drain of one CONV or DPTWISE instruction, cycles. */
export const CONV_OVERHEAD_CYCLES = 16;
/** Pipeline fill/drain of one POOL/ELEW/ALU instruction, cycles. */
export const MISC_OVERHEAD_CYCLES = 8;
/** Cycles of an *INIT instruction (register writes). */
export const INIT_CYCLES = 1;

export interface CycleOptions {
  arch: DpuArch;
  clockMHz: number;
  /** Bytes per cycle this core can move from/to DDR (its share of the board's DDR at the clock). */
  ddrBytesPerCycle: number;
  /** Optional layer boundaries: instruction index where each named layer starts (ascending). */
  layers?: Array<{ name: string; start: number; fused?: string[] }>;
}

export interface InstrTiming {
  index: number;
  engine: Engine | 'END';
  start: number;
  end: number;
}

export interface LayerPerf {
  name: string;
  /** First and last instruction index of the layer. */
  first: number;
  last: number;
  /** Layers computed inside this one's tiles (an eltwise fused into the conv before it): their time is in this row. */
  fused?: string[];
  /** Cycles the layer adds to the program (its last finish − the previous layer's last finish). */
  cycles: number;
  timeMs: number;
  /** Operations (2·MAC for conv) and workload in GOP. */
  ops: number;
  gop: number;
  /** ops / (cycles · peak ops per cycle), percent. */
  efficiency: number;
  ldWB: number;
  ldFM: number;
  stFM: number;
  /** (ldWB + ldFM + stFM) / time, GB/s. */
  avgBwGBps: number;
}

export interface ProgramPerf {
  cycles: number;
  timeMs: number;
  ops: number;
  efficiency: number;
  /** Busy cycles per engine. */
  engineBusy: Record<Engine, number>;
  layers: LayerPerf[];
  timings: InstrTiming[];
  work: InstrWork[];
}

/** Engine cycles of one instruction on an arch (without waiting). */
export function instrCycles(w: InstrWork, cls: string, arch: DpuArch, ddrBytesPerCycle: number): { busy: number; ddr: number } {
  switch (cls) {
    case 'LOAD':
    case 'SAVE': {
      const rate = Math.min(cls === 'LOAD' ? arch.loadParallel : arch.saveParallel, ddrBytesPerCycle);
      const ddr = w.bytes / rate + w.bursts * BURST_OVERHEAD_CYCLES;
      return { busy: DDR_LATENCY_CYCLES + ddr, ddr };
    }
    case 'CONV':
      // PP output pixels along a row, ICP input and OCP output channels per cycle; remainders waste lanes.
      return { busy: w.oh * Math.ceil(w.ow / arch.pp) * Math.ceil(w.oc / arch.ocp) * Math.ceil(w.ic / arch.icp) * w.kh * w.kw + CONV_OVERHEAD_CYCLES, ddr: 0 };
    case 'DPTWISE':
    case 'POOL':
      return { busy: w.oh * Math.ceil(w.ow / arch.alu.pp) * Math.ceil(w.oc / arch.alu.cp) * w.kh * w.kw + (cls === 'DPTWISE' ? CONV_OVERHEAD_CYCLES : MISC_OVERHEAD_CYCLES), ddr: 0 };
    case 'ELEW':
    case 'ALU':
      return { busy: Math.ceil(w.ow / arch.eltwise.pp) * Math.ceil(w.oc / arch.eltwise.cp) + MISC_OVERHEAD_CYCLES, ddr: 0 };
    case 'END':
      return { busy: 0, ddr: 0 };
    default:
      return { busy: INIT_CYCLES, ddr: 0 };
  }
}

/** Model one run of a program on one core. */
export function modelProgram(code: Uint8Array | readonly PlacedInstr[], opts: CycleOptions): ProgramPerf {
  const prog = code instanceof Uint8Array ? decodeProgram(code) : code;
  if (!(opts.ddrBytesPerCycle > 0) || !(opts.clockMHz > 0)) {
    throw new RuntimeError('E_PERF_ARGS', `clock ${opts.clockMHz} MHz and DDR share ${opts.ddrBytesPerCycle} B/cycle must be positive`, { where: 'cycle model' });
  }
  const work = analyzeProgram(prog);
  const engineFree: Record<string, number> = { LOAD: 0, SAVE: 0, CONV: 0, MISC: 0, END: 0 };
  const busy: Record<Engine, number> = { LOAD: 0, SAVE: 0, CONV: 0, MISC: 0 };
  let ddrFree = 0;
  const timings: InstrTiming[] = new Array(prog.length);
  const total = runTokens(prog, (idx, ready) => {
    const ins = prog[idx];
    const w = work[idx];
    const e = w.engine;
    const { busy: b, ddr } = instrCycles(w, ins.cls, opts.arch, opts.ddrBytesPerCycle);
    let start = Math.max(engineFree[e], ready);
    if (e === 'END') start = Math.max(start, ...Object.values(engineFree));
    if (ddr > 0) {
      // the core's DDR share is one resource: LOAD and SAVE transfers do not overlap each other
      start = Math.max(start, ddrFree - DDR_LATENCY_CYCLES);
      ddrFree = start + DDR_LATENCY_CYCLES + ddr;
    }
    const end = start + b;
    engineFree[e] = end;
    if (e !== 'END') busy[e] += b;
    timings[idx] = { index: idx, engine: e, start, end };
    return end;
  });
  const peak = opts.arch.peakOpsPerCycle;
  const ops = work.reduce((s, w) => s + w.ops, 0);
  const layers = layerTable(prog, work, timings, opts, peak);
  return {
    cycles: total,
    timeMs: total / (opts.clockMHz * 1e3),
    ops,
    efficiency: total > 0 ? (100 * ops) / (total * peak) : 0,
    engineBusy: busy,
    layers,
    timings,
    work,
  };
}

function layerTable(prog: readonly PlacedInstr[], work: InstrWork[], timings: InstrTiming[], opts: CycleOptions, peak: number): LayerPerf[] {
  // default boundaries: each CONVINIT/DWINIT/POOLINIT/ELEWINIT/ALUINIT starts a layer, together with the run of
  // weight/bias LOADs just before it; instructions before the first layer belong to the first layer.
  let bounds = opts.layers;
  if (!bounds) {
    bounds = [];
    prog.forEach((ins, i) => {
      if (!ins.cls.endsWith('INIT')) return;
      // the weight/bias LOADs right before an INIT are that layer's (prefetch)
      let s = i;
      const floor = bounds!.length ? bounds![bounds!.length - 1].start + 1 : 0;
      while (s - 1 >= floor && prog[s - 1].cls === 'LOAD' && prog[s - 1].f.bank_id >= 2) s--;
      bounds!.push({ name: `layer${bounds!.length}_${ins.cls.replace('INIT', '').toLowerCase()}`, start: s });
    });
    if (bounds.length === 0) bounds.push({ name: 'program', start: 0 });
    bounds[0] = { ...bounds[0], start: 0 };
  }
  const out: LayerPerf[] = [];
  let prevEnd = 0;
  for (let k = 0; k < bounds.length; k++) {
    const first = bounds[k].start;
    const last = (k + 1 < bounds.length ? bounds[k + 1].start : prog.length) - 1;
    let end = prevEnd, ops = 0, ldWB = 0, ldFM = 0, stFM = 0;
    for (let i = first; i <= last; i++) {
      const w = work[i];
      if (timings[i] && timings[i].end > end) end = timings[i].end;
      ops += w.ops;
      if (w.kind === 'LdWB') ldWB += w.bytes; else if (w.kind === 'LdFM') ldFM += w.bytes; else if (w.kind === 'StFM') stFM += w.bytes;
    }
    const cycles = end - prevEnd;
    prevEnd = end;
    const timeMs = cycles / (opts.clockMHz * 1e3);
    out.push({
      name: bounds[k].name, first, last, ...(bounds[k].fused ? { fused: bounds[k].fused } : {}), cycles, timeMs, ops, gop: ops / 1e9,
      efficiency: cycles > 0 ? (100 * ops) / (cycles * peak) : 0,
      ldWB, ldFM, stFM,
      avgBwGBps: timeMs > 0 ? (ldWB + ldFM + stFM) / (timeMs * 1e6) : 0,
    });
  }
  return out;
}

/** Bytes per cycle one core gets when `activeCores` cores of `board` share its DDR. */
export function coreDdrBytesPerCycle(board: Board, activeCores: number): number {
  return (board.ddrGBps * 1e9 * DDR_EFFICIENCY) / Math.max(1, activeCores) / (board.clockMHz * 1e6);
}

export interface BoardThroughput {
  board: string;
  cores: number;
  /** Cores actually busy: min(threads, cores). */
  activeCores: number;
  threads: number;
  clockMHz: number;
  /** Frames per second of the whole board. */
  fps: number;
  /** Time of one frame on one core, ms. */
  latencyMs: number;
  /** Model ops/s over the active cores' peak, percent. */
  efficiency: number;
}

/**
 * Modeled throughput of a program on a board with `threads` host threads. One job runs per core at a
 * time, so threads beyond the core count add nothing (1 core saturates); active cores share one DDR.
 * fps(n) = n / latency(n); using fewer cores is always possible, so the reported fps is the best over
 * 1…min(threads, cores) active cores (never lower with more threads).
 */
export function boardThroughput(code: Uint8Array | readonly PlacedInstr[], arch: DpuArch, board: Board, threads: number): BoardThroughput {
  if (!Number.isInteger(threads) || threads < 1) throw new RuntimeError('E_PERF_ARGS', `threads must be a positive integer, got ${threads}`, { where: 'cycle model' });
  const prog = code instanceof Uint8Array ? decodeProgram(code) : code;
  const maxActive = Math.min(threads, board.cores);
  let best: { n: number; perf: ProgramPerf; fps: number } | undefined;
  for (let n = 1; n <= maxActive; n++) {
    const perf = modelProgram(prog, { arch, clockMHz: board.clockMHz, ddrBytesPerCycle: coreDdrBytesPerCycle(board, n) });
    const fps = perf.timeMs > 0 ? (n * 1000) / perf.timeMs : 0;
    if (!best || fps > best.fps) best = { n, perf, fps };
  }
  const b = best!;
  return {
    board: board.name, cores: board.cores, activeCores: b.n, threads, clockMHz: board.clockMHz,
    fps: b.fps, latencyMs: b.perf.timeMs,
    efficiency: b.perf.efficiency,
  };
}
