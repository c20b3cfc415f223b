/**
 * `dpuflow profile <model.xmodel> [--board b] [--trace trace.json] [--json]`, like vaitrace's DPU
 * summary: per DPU layer and per subgraph WL (GOP), cycles, time, efficiency, LdWB/LdFM/StFM (MB) and
 * average bandwidth from the cycle model; CPU subgraphs host-measured; the model's fps. `--trace` writes a
 * Chrome/Perfetto JSON trace (engines as tracks).
 */
import type { Command } from 'commander';
import fs from 'node:fs';
import { UsageError } from '../../errors.js';
import { requireXmodel } from './model-file.js';
import { printJson, writeFileAtomic } from '../output.js';
import { readXmodelFile } from '../../runtime/node/xmodel-file.js';
import { measureCpuSubgraphs } from '../../profile/measure-cpu.js';
import { profileModel, modelThroughput, type ModelProfile } from '../../profile/profile.js';
import { renderProfileHtml } from '../../report/html.js';
import { chromeTrace } from '../../profile/trace.js';
import { BOARDS } from '../../dpu/arch/index.js';

const MB = (b = 0) => (b / 1e6).toFixed(3);

export function profileTable(p: ModelProfile): string {
  const head = `${'Subgraph/Layer'.padEnd(36)} ${'WL(GOP)'.padStart(9)} ${'cycles'.padStart(10)} ${'time(ms)'.padStart(9)} ${'Effic(%)'.padStart(8)} ${'LdWB(MB)'.padStart(9)} ${'LdFM(MB)'.padStart(9)} ${'StFM(MB)'.padStart(9)} ${'AvgBw(GB/s)'.padStart(11)}`;
  const row = (name: string, r: { gop?: number; cycles?: number; timeMs?: number; efficiency?: number; ldWB?: number; ldFM?: number; stFM?: number; avgBwGBps?: number }) =>
    `${name.slice(0, 36).padEnd(36)} ${(r.gop ?? 0).toFixed(4).padStart(9)} ${String(r.cycles ?? '-').padStart(10)} ${(r.timeMs ?? 0).toFixed(3).padStart(9)} ${r.efficiency === undefined ? '-'.padStart(8) : r.efficiency.toFixed(1).padStart(8)} ${MB(r.ldWB).padStart(9)} ${MB(r.ldFM).padStart(9)} ${MB(r.stFM).padStart(9)} ${r.avgBwGBps === undefined ? '-'.padStart(11) : r.avgBwGBps.toFixed(2).padStart(11)}`;
  const lines = [`board ${p.board.name}: ${p.board.cores} × ${p.board.preset} @ ${p.board.clockMHz} MHz, DDR ${p.board.ddrGBps} GB/s (one core active)`, head];
  for (const sg of p.subgraphs) {
    if (sg.device === 'CPU') { lines.push(`${`${sg.name} [CPU, host]`.padEnd(36)} ${'-'.padStart(9)} ${'-'.padStart(10)} ${(sg.timeMs ?? 0).toFixed(3).padStart(9)}`); continue; }
    lines.push(row(`${sg.name} [DPU]`, sg));
    for (const l of sg.layers ?? []) lines.push(row(`  ${l.name}${l.fused ? ` (+${l.fused.join(', ')})` : ''}`, l));
  }
  lines.push(`DPU: ${p.dpuMs.toFixed(3)} ms → ${p.dpuFps.toFixed(2)} fps on one core; with CPU subgraphs: ${p.totalMs.toFixed(3)} ms → ${p.fps.toFixed(2)} fps`);
  return lines.join('\n');
}

export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description("per-layer DPU profile from the cycle model, like vaitrace's DPU summary; --trace writes a Perfetto trace")
    .argument('<model>', 'compiled .xmodel (dpuflow compile)')
    .option('--board <name>', `board (${BOARDS.map((b) => b.name).join(', ')})`, 'kv260')
    .option('--trace <file>', 'write a Chrome/Perfetto trace (JSON)')
    .option('--json', 'print JSON')
    .option('--html <file>', 'write a self-contained HTML report (layer table, cycle bars, fps vs threads)')
    .action(async (model: string, o: { board?: string; trace?: string; json?: boolean; html?: string }) => {
      if (!fs.existsSync(model)) throw new UsageError('E_USAGE_FILE', `'${model}' does not exist`, { file: model });
      requireXmodel(model, 'profile');
      const g = readXmodelFile(model);
      const p = profileModel(g, o.board ?? 'kv260', await measureCpuSubgraphs(g));
      if (o.trace) writeFileAtomic(o.trace, JSON.stringify(chromeTrace(p)));
      if (o.html) writeFileAtomic(o.html, renderProfileHtml(model, p, p.dpuMs > 0 ? BOARDS.flatMap((b) => Array.from({ length: b.cores + 1 }, (_, i) => modelThroughput(g, b.name, i + 1))) : []));
      if (o.json) {
        const { perf: _perf, ...rest } = p;
        printJson({ model, ...rest, trace: o.trace ?? null });
        return;
      }
      process.stdout.write(`${profileTable(p)}\n${o.trace ? `trace: ${o.trace} (open in ui.perfetto.dev)\n` : ''}`);
    });
}
