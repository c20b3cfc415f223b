/**
 * Chrome / Perfetto trace (JSON trace-event format, opens in ui.perfetto.dev and chrome://tracing) of a
 * model profile: one process per subgraph, one track per DPU engine (LOAD, SAVE, CONV, MISC) with an
 * event per instruction from the cycle model, a 'layers' track, and a 'CPU' track for CPU subgraphs.
 */
import type { ModelProfile } from './profile.js';

interface TraceEvent {
  name: string;
  ph: 'X' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args?: Record<string, unknown>;
}

const ENGINE_TID: Record<string, number> = { LOAD: 1, CONV: 2, MISC: 3, SAVE: 4, END: 5 };

export function chromeTrace(p: ModelProfile): { traceEvents: TraceEvent[]; displayTimeUnit: 'ms'; metadata: Record<string, unknown> } {
  const ev: TraceEvent[] = [];
  const usPerCycle = 1 / p.board.clockMHz;
  let t0 = 0; // µs
  p.subgraphs.forEach((sg, k) => {
    const pid = k + 1;
    ev.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: `${sg.name} (${sg.device})` } });
    if (sg.device === 'CPU') {
      ev.push({ name: 'thread_name', ph: 'M', pid, tid: 1, args: { name: 'CPU (host-measured)' } });
      const dur = (sg.timeMs ?? 0) * 1e3;
      ev.push({ name: sg.name, ph: 'X', pid, tid: 1, ts: t0, dur, cat: 'cpu' });
      t0 += dur;
      return;
    }
    const perf = p.perf.find((x) => x.subgraph === sg.name)!.perf;
    for (const [name, tid] of Object.entries(ENGINE_TID)) ev.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name } });
    ev.push({ name: 'thread_name', ph: 'M', pid, tid: 6, args: { name: 'layers' } });
    for (const t of perf.timings) {
      if (!t) continue;
      const w = perf.work[t.index]!;
      ev.push({
        name: w.engine === 'END' ? 'END' : `${w.engine}#${t.index}`, ph: 'X', pid, tid: ENGINE_TID[t.engine] ?? 5,
        ts: t0 + t.start * usPerCycle, dur: Math.max(0, (t.end - t.start) * usPerCycle), cat: 'dpu',
        args: { cycles: t.end - t.start, ops: w.ops, bytes: w.bytes, kind: w.kind },
      });
    }
    let start = 0;
    for (const l of perf.layers) {
      ev.push({ name: l.name, ph: 'X', pid, tid: 6, ts: t0 + start * usPerCycle, dur: l.cycles * usPerCycle, cat: 'layer',
        args: { gop: l.gop, efficiency: l.efficiency, ldWB: l.ldWB, ldFM: l.ldFM, stFM: l.stFM } });
      start += l.cycles;
    }
    t0 += perf.cycles * usPerCycle;
  });
  return { traceEvents: ev, displayTimeUnit: 'ms', metadata: { board: p.board, fps: p.fps, dpuFps: p.dpuFps } };
}
