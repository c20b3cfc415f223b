/**
 * `dpuflow bench <model.xmodel> [--threads N] [--seconds S] [--board b] [--mode run|sim|ref] [--json]`,
 * like `xdputil benchmark <model> N`: N host threads run the whole model (GraphRunner; worker threads
 * when N > 1) for S seconds and print `FPS= <fps> number_of_frames= <n> time= <s> seconds.`, then the
 * board throughput and latency the cycle model gives for N threads on the board.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { requireXmodel } from './model-file.js';
import { printJson } from '../output.js';
import { readXmodelFile } from '../../runtime/node/xmodel-file.js';
import { GraphRunner } from '../../runtime/graph-runner.js';
import { RunnerPool } from '../../runtime/node/pool.js';
import { RUN_MODE_AVAILABLE } from '../../runtime/backends/index.js';
import { RUNNER_MODES, type RunnerMode } from '../../runtime/backend.js';
import { modelThroughput } from '../../profile/profile.js';
import { BOARDS } from '../../dpu/arch/index.js';
import type { RunnerTensor } from '../../runtime/tensor.js';
import fs from 'node:fs';

interface BenchOptions { threads?: string; seconds?: string; board?: string; mode?: string; json?: boolean }

/** Deterministic inputs inside each input's representable range. */
export function benchFeeds(inputs: readonly RunnerTensor[]): Record<string, Float32Array> {
  const feeds: Record<string, Float32Array> = {};
  for (const t of inputs) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    const amp = t.fixPoint !== undefined ? 100 * 2 ** -t.fixPoint : 1;
    feeds[t.name] = Float32Array.from({ length: n }, (_, i) => amp * Math.sin(i * 0.618));
  }
  return feeds;
}

export interface BenchResult {
  host: { fps: number; frames: number; seconds: number; threads: number; mode: RunnerMode };
  board: { name: string; cores: number; clockMHz: number; fps: number; latencyMs: number; efficiency: number };
}

/** Runs the host benchmark: `threads` jobs kept in flight for `seconds` (at least one frame per thread). */
export async function runBench(file: string, opts: { threads: number; seconds: number; board: string; mode: RunnerMode }): Promise<BenchResult> {
  const graph = readXmodelFile(file);
  const board = modelThroughput(graph, opts.board, opts.threads);
  let frames = 0;
  // the clock starts once the runners are ready (weights packed, workers loaded), as xdputil's does
  let t0 = 0;
  let deadline = 0;
  const startClock = () => { t0 = performance.now(); deadline = t0 + opts.seconds * 1000; };
  if (opts.threads === 1) {
    const gr = GraphRunner.create(graph, { mode: opts.mode });
    const feeds = benchFeeds(gr.getInputTensors());
    startClock();
    try {
      do { await gr.run(feeds); frames++; } while (performance.now() < deadline);
    } finally { gr.close(); }
  } else {
    const pool = await RunnerPool.create({ xmodel: new Uint8Array(fs.readFileSync(file)), mode: opts.mode, threads: opts.threads });
    const probe = GraphRunner.create(graph, { mode: 'ref' });
    const feeds = benchFeeds(probe.getInputTensors());
    probe.close();
    startClock();
    try {
      // each runner thread gets its own shared input/output buffers, filled once and reused every frame (as xdputil
      // benchmark allocates its tensor buffers once): no structured clone, no new output arrays per frame
      const lane = async () => {
        const io = pool.allocBuffers('float32');
        for (const [name, data] of Object.entries(feeds)) (io.inputs[name] as Float32Array).set(data);
        do { await pool.run(io.inputs, io.outputs); frames++; } while (performance.now() < deadline);
      };
      await Promise.all(Array.from({ length: opts.threads }, lane));
    } finally { await pool.close(); }
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    host: { fps: frames / seconds, frames, seconds, threads: opts.threads, mode: opts.mode },
    board: { name: board.name, cores: board.cores, clockMHz: board.clockMHz, fps: board.fps, latencyMs: board.latencyMs, efficiency: board.efficiency },
  };
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('benchmark a compiled model like xdputil benchmark: host fps with N threads, and the modeled board fps/latency')
    .argument('<model>', 'compiled .xmodel (dpuflow compile)')
    .option('--threads <n>', 'host threads (runner instances)', '1')
    .option('--seconds <s>', 'how long to run', '5')
    .option('--board <name>', `board for the modeled figures (${BOARDS.map((b) => b.name).join(', ')})`, 'kv260')
    .option('--mode <mode>', `DPU implementation: run, sim or ref (default: run when available, else ref)`)
    .option('--json', 'print JSON')
    .action(async (model: string, o: BenchOptions) => {
      const threads = Number(o.threads ?? 1);
      const seconds = Number(o.seconds ?? 5);
      if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError('E_USAGE', `--threads must be an integer in 1..64, got '${o.threads}'`);
      if (!(seconds > 0) || seconds > 3600) throw new UsageError('E_USAGE', `--seconds must be in (0, 3600], got '${o.seconds}'`);
      const mode = (o.mode ?? (RUN_MODE_AVAILABLE ? 'run' : 'ref')) as RunnerMode;
      if (!RUNNER_MODES.includes(mode)) throw new UsageError('E_USAGE', `--mode must be one of ${RUNNER_MODES.join(', ')}, got '${o.mode}'`);
      if (!fs.existsSync(model)) throw new UsageError('E_USAGE_FILE', `'${model}' does not exist`, { file: model });
      requireXmodel(model, 'bench');
      const r = await runBench(model, { threads, seconds, board: o.board ?? 'kv260', mode });
      if (o.json) { printJson(r); return; }
      const lines = [
        `FPS= ${r.host.fps.toFixed(2)} number_of_frames= ${r.host.frames} time= ${r.host.seconds.toFixed(2)} seconds.`,
        `host: ${r.host.threads} thread(s), mode ${r.host.mode}${o.mode === undefined && !RUN_MODE_AVAILABLE ? " ('run' is not available in this build)" : ''}`,
        `board ${r.board.name} (${r.board.cores} core(s) @ ${r.board.clockMHz} MHz, modeled): FPS= ${r.board.fps.toFixed(2)} latency= ${r.board.latencyMs.toFixed(3)} ms efficiency= ${r.board.efficiency.toFixed(1)} %`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
