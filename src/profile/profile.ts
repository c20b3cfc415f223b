/**
 * Profile of a compiled model on a board, from the cycle model (src/dpu/cycle): per DPU layer and per
 * subgraph the columns of vaitrace's DPU summary (WL GOP, cycles, time, efficiency, LdWB, LdFM, StFM,
 * average bandwidth); CPU subgraphs carry host-measured time. Also the modeled board throughput for N
 * threads of a whole model (all its DPU subgraphs in sequence on a core). Pure: no I/O.
 */
import { RuntimeError } from '../errors.js';
import type { Graph, Subgraph } from '../xir/graph.js';
import { decodeProgram, type PlacedInstr } from '../isa/codec.js';
import { getDpuSubgraphAttrs } from '../xir/dpu-attrs.js';
import { decodeFingerprint, findPreset, resolveBoard, type Board, type DpuArch } from '../dpu/arch/index.js';
import { coreDdrBytesPerCycle, modelProgram, type LayerPerf, type ProgramPerf } from '../dpu/cycle/index.js';

export interface DpuProgram {
  subgraph: string;
  arch: DpuArch;
  prog: PlacedInstr[];
  /** Layer boundaries named after the compiler's layers when they can be matched. */
  layers?: Array<{ name: string; start: number; fused?: string[] }>;
}

/** The DPU subgraphs of a compiled graph, in execution order, with their decoded mc_code. */
export function dpuPrograms(g: Graph): DpuProgram[] {
  const kids = g.getRootSubgraph().isLeaf() ? [] : g.getRootSubgraph().toposortChildSubgraph();
  return kids.filter((s) => s.hasAttr('device') && s.getAttr('device') === 'DPU').map((sg) => {
    const a = getDpuSubgraphAttrs(sg);
    let preset: string | undefined;
    try { preset = decodeFingerprint(a.fingerprint).preset; } catch { preset = sg.hasAttr('dpu_arch') ? String(sg.getAttr('dpu_arch')) : undefined; }
    const arch = preset ? findPreset(preset) : undefined;
    if (!arch) throw new RuntimeError('E_DPU_ARCH', 'the DPU fingerprint names no known arch', { where: sg.getName() });
    const prog = decodeProgram(a.mcCode);
    return { subgraph: sg.getName(), arch, prog, layers: layerBounds(sg, prog) };
  });
}

/**
 * Names the cycle model's layers after the compiler's (`dpuflow_layers` attr). Each entry carries the index
 * of its first instruction (`instr_start`); an eltwise computed inside the conv before it (`fused_into`) has
 * no instructions of its own, so its time is the conv's and the conv's row says so. Older xmodels without
 * `instr_start`: each layer starts at an *INIT instruction (with the weight LOADs just before it), used only
 * when the counts agree.
 */
function layerBounds(sg: Subgraph, prog: readonly PlacedInstr[]): Array<{ name: string; start: number; fused?: string[] }> | undefined {
  if (!sg.hasAttr('dpuflow_layers')) return undefined;
  let entries: Array<{ name: string; instr_start?: number; fused_into?: string; fused_eltwise?: string }>;
  try {
    entries = JSON.parse(String(sg.getAttr('dpuflow_layers'))) as typeof entries;
    if (!Array.isArray(entries)) return undefined;
  } catch {
    return undefined;
  }
  const own = entries.filter((e) => !e.fused_into);
  const exact = own.length > 0 && own.every((e, i) => Number.isInteger(e.instr_start) && e.instr_start! >= 0 && e.instr_start! < prog.length
    && (i === 0 || e.instr_start! > own[i - 1]!.instr_start!));
  if (exact) {
    const bounds = own.map((e) => ({ name: e.name, start: e.instr_start!, ...(e.fused_eltwise ? { fused: [e.fused_eltwise] } : {}) }));
    bounds[0]!.start = 0;
    return bounds;
  }
  const bounds: Array<{ name: string; start: number }> = [];
  prog.forEach((ins, i) => {
    if (!ins.cls.endsWith('INIT')) return;
    let s = i;
    const floor = bounds.length ? bounds[bounds.length - 1]!.start + 1 : 0;
    while (s - 1 >= floor && prog[s - 1]!.cls === 'LOAD' && prog[s - 1]!.f['bank_id']! >= 2) s--;
    bounds.push({ name: '', start: s });
  });
  if (bounds.length !== entries.length || bounds.length === 0) return undefined;
  bounds.forEach((b, i) => { b.name = entries[i]!.name; });
  bounds[0]!.start = 0;
  return bounds;
}

export interface SubgraphProfile {
  name: string;
  device: 'DPU' | 'CPU';
  /** DPU: modeled; CPU: host-measured (undefined when not measured). */
  timeMs?: number;
  cycles?: number;
  gop?: number;
  efficiency?: number;
  ldWB?: number;
  ldFM?: number;
  stFM?: number;
  avgBwGBps?: number;
  layers?: LayerPerf[];
}

export interface ModelProfile {
  board: { name: string; cores: number; clockMHz: number; ddrGBps: number; preset: string };
  subgraphs: SubgraphProfile[];
  /** Σ DPU subgraph times on one core (ms) and the fps one core reaches on them. */
  dpuMs: number;
  dpuFps: number;
  /** Σ DPU (modeled) + CPU (host) times, and the fps of one frame through all of them. */
  totalMs: number;
  fps: number;
  /** Per-DPU-subgraph cycle-model results (timings per instruction, for traces). */
  perf: Array<{ subgraph: string; perf: ProgramPerf }>;
}

/** Profiles a compiled graph on a board (one core active). `cpuMs` = host time per CPU subgraph name. */
export function profileModel(g: Graph, boardName: string, cpuMs: Record<string, number> = {}): ModelProfile {
  const { board } = resolveBoard(boardName);
  const progs = new Map(dpuPrograms(g).map((p) => [p.subgraph, p]));
  const kids = g.getRootSubgraph().isLeaf() ? [] : g.getRootSubgraph().toposortChildSubgraph();
  const subgraphs: SubgraphProfile[] = [];
  const perfs: Array<{ subgraph: string; perf: ProgramPerf }> = [];
  let dpuMs = 0, totalMs = 0;
  for (const sg of kids) {
    const device = sg.hasAttr('device') ? String(sg.getAttr('device')) : 'CPU';
    if (device === 'USER') continue;
    if (device === 'DPU') {
      const p = progs.get(sg.getName())!;
      checkBoardArch(board, p);
      const perf = modelProgram(p.prog, { arch: p.arch, clockMHz: board.clockMHz, ddrBytesPerCycle: coreDdrBytesPerCycle(board, 1), layers: p.layers });
      perfs.push({ subgraph: sg.getName(), perf });
      const sum = (k: 'ldWB' | 'ldFM' | 'stFM') => perf.layers.reduce((s, l) => s + l[k], 0);
      const bytes = sum('ldWB') + sum('ldFM') + sum('stFM');
      subgraphs.push({
        name: sg.getName(), device: 'DPU', timeMs: perf.timeMs, cycles: perf.cycles, gop: perf.ops / 1e9, efficiency: perf.efficiency,
        ldWB: sum('ldWB'), ldFM: sum('ldFM'), stFM: sum('stFM'), avgBwGBps: perf.timeMs > 0 ? bytes / (perf.timeMs * 1e6) : 0, layers: perf.layers,
      });
      dpuMs += perf.timeMs;
      totalMs += perf.timeMs;
    } else {
      const ms = cpuMs[sg.getName()];
      subgraphs.push({ name: sg.getName(), device: 'CPU', timeMs: ms });
      totalMs += ms ?? 0;
    }
  }
  return {
    board: { name: board.name, cores: board.cores, clockMHz: board.clockMHz, ddrGBps: board.ddrGBps, preset: board.preset },
    subgraphs, dpuMs, dpuFps: dpuMs > 0 ? 1000 / dpuMs : 0, totalMs, fps: totalMs > 0 ? 1000 / totalMs : 0, perf: perfs,
  };
}

function checkBoardArch(board: Board, p: DpuProgram): void {
  if (p.arch.preset !== board.preset) {
    throw new RuntimeError('E_BOARD_ARCH', `the model is compiled for ${p.arch.preset}; board ${board.name} carries ${board.cores} × ${board.preset}`, {
      where: p.subgraph, fix: `re-compile with dpuflow compile --arch ${board.name}, or pick a board with a ${p.arch.preset}`,
    });
  }
}

export interface ModelThroughput {
  name: string;
  cores: number;
  activeCores: number;
  threads: number;
  clockMHz: number;
  fps: number;
  /** One frame (all DPU subgraphs) on one core with `activeCores` sharing the DDR, ms. */
  latencyMs: number;
  /** Model ops/s over the active cores' peak ops/s, percent. */
  efficiency: number;
}

/**
 * Modeled board throughput of a whole model with N threads: one job per core at a time (threads beyond
 * the core count add nothing), active cores share one DDR; the best of 1…min(threads, cores) active
 * cores, so more threads never lower it. DPU subgraphs only (CPU subgraphs run on the ARM cores).
 */
export function modelThroughput(g: Graph, boardName: string, threads: number): ModelThroughput {
  if (!Number.isInteger(threads) || threads < 1) throw new RuntimeError('E_PERF_ARGS', `threads must be a positive integer, got ${threads}`, { where: 'bench' });
  const { board } = resolveBoard(boardName);
  const progs = dpuPrograms(g);
  if (progs.length === 0) throw new RuntimeError('E_NO_DPU', 'the model has no DPU subgraph', { where: g.getName(), fix: 'compile it with dpuflow compile' });
  for (const p of progs) checkBoardArch(board, p);
  let best: ModelThroughput | undefined;
  for (let n = 1; n <= Math.min(threads, board.cores); n++) {
    let ms = 0, ops = 0;
    for (const p of progs) {
      const perf = modelProgram(p.prog, { arch: p.arch, clockMHz: board.clockMHz, ddrBytesPerCycle: coreDdrBytesPerCycle(board, n) });
      ms += perf.timeMs;
      ops += perf.ops;
    }
    const fps = ms > 0 ? (n * 1000) / ms : 0;
    const peak = n * progs[0]!.arch.peakOpsPerCycle * board.clockMHz * 1e6;
    const cand: ModelThroughput = { name: board.name, cores: board.cores, activeCores: n, threads, clockMHz: board.clockMHz, fps, latencyMs: ms, efficiency: (100 * ops * fps) / peak };
    if (!best || cand.fps > best.fps) best = cand;
  }
  return best!;
}
