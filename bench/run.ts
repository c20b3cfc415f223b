// `npm run bench [-- [--quick] [--json] [module-name-fragment…]]`
// Runs every benchmark module in bench/ (each exports `run(ctx)`, see bench/types.ts), prints a
// table with units and ratios vs onnxruntime-node, and writes bench/results.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from '../src/cli/output.js';
import type { BenchContext, BenchModule, BenchReport, BenchResult, TimeOptions, Timing } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repo root: this file runs as dist/bench/run.js (or bench/run.ts under tsx). */
const root = path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '../..') : path.resolve(here, '..');
const NOT_MODULES = new Set(['run', 'types', 'util', 'helpers']);

const tty = process.stderr.isTTY === true;
let status = '';
function showStatus(s: string): void {
  status = s;
  if (tty) process.stderr.write(`\r\x1b[K${s.slice(0, (process.stderr.columns ?? 100) - 1)}`);
}
function clearStatus(): void {
  if (tty && status) process.stderr.write('\r\x1b[K');
  status = '';
}

export function makeContext(quick: boolean, notes: string[], label: () => string): BenchContext {
  const ctx: BenchContext = {
    quick,
    progress: (s) => showStatus(`${label()} ${s}`),
    note: (msg) => {
      notes.push(msg);
    },
    async time(fn: () => unknown, opts: TimeOptions = {}): Promise<Timing> {
      const warmup = opts.warmup ?? 1;
      const minRuns = opts.minRuns ?? (quick ? 1 : 3);
      const minMs = (opts.minSeconds ?? (quick ? 0.3 : 2)) * 1000;
      const maxRuns = opts.maxRuns ?? 50;
      const base = status;
      for (let i = 0; i < warmup; i++) await fn();
      const times: number[] = [];
      const t0 = performance.now();
      while (times.length < maxRuns && (times.length < minRuns || performance.now() - t0 < minMs)) {
        const s = performance.now();
        await fn();
        times.push(performance.now() - s);
        if (tty) showStatus(`${base} · run ${times.length} (${times[times.length - 1]!.toFixed(0)} ms)`);
      }
      const sorted = [...times].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return {
        runs: times.length,
        medianMs: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
        meanMs: times.reduce((a, b) => a + b, 0) / times.length,
        minMs: sorted[0]!,
        maxMs: sorted[sorted.length - 1]!,
      };
    },
    result(r: BenchResult): BenchResult {
      if (!Number.isFinite(r.value)) throw new Error(`bench result '${r.name}' has no finite value`);
      if (r.peer && r.ratio === undefined && r.peer.value > 0 && r.value > 0) {
        r.ratio = r.higherIsBetter ? r.value / r.peer.value : r.peer.value / r.value;
      }
      return r;
    },
  };
  return ctx;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function formatTable(results: BenchResult[]): string {
  const rows = [['group', 'benchmark', 'dpuflow', 'peer', 'peer value', 'ratio']];
  for (const r of results) {
    rows.push([
      r.group,
      r.name,
      `${fmt(r.value)} ${r.unit}`,
      r.peer?.name ?? '',
      r.peer ? `${fmt(r.peer.value)} ${r.unit}` : '',
      r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : '',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]): string => row.map((c, i) => (i >= 2 && i !== 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** SIMD features that matter for the kernels (from /proc/cpuinfo where there is one). */
function cpuFeatures(): string[] {
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/));
    return ['sse4_1', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni', 'amx_int8'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

function ortVersion(): string {
  try {
    const req = createRequire(import.meta.url);
    const pj = JSON.parse(fs.readFileSync(req.resolve('onnxruntime-node/package.json'), 'utf8')) as { version: string };
    return pj.version;
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const json = argv.includes('--json');
  const filters = argv.filter((a) => !a.startsWith('--'));
  const files = fs
    .readdirSync(here)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !NOT_MODULES.has(f.replace(/\.(js|ts)$/, '')))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  const notes: string[] = [];
  const load0 = os.loadavg()[0]!;
  if (load0 > 1) notes.push(`load average ${load0.toFixed(2)} on ${os.cpus().length} cores when the run started: other processes compete, figures are noisy`);
  const results: BenchResult[] = [];
  const errors: BenchReport['errors'] = [];
  for (const [i, f] of files.entries()) {
    const label = `[${i + 1}/${files.length}] ${f.replace(/\.(js|ts)$/, '')}`;
    showStatus(label);
    let mod: Partial<BenchModule>;
    try {
      mod = (await import(pathToFileURL(path.join(here, f)).href)) as Partial<BenchModule>;
    } catch (err) {
      errors.push({ module: f, message: `import failed: ${(err as Error).message}` });
      continue;
    }
    if (typeof mod.run !== 'function') continue; // a helper file, not a benchmark
    const ctx = makeContext(quick, notes, () => label);
    try {
      const rs = await mod.run(ctx);
      results.push(...rs.map((r) => ctx.result(r)));
    } catch (err) {
      errors.push({ module: f, message: (err as Error).message });
    }
    clearStatus();
    if (!json && tty) process.stderr.write(`${label}: ${errors.some((e) => e.module === f) ? 'FAILED' : 'done'}\n`);
  }
  clearStatus();
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGB: Math.round(os.totalmem() / 2 ** 30),
      platform: os.platform(),
      arch: os.arch(),
      features: cpuFeatures(),
      loadAvg1m: Number(os.loadavg()[0]!.toFixed(2)),
    },
    modules: files.map((f) => f.replace(/\.(js|ts)$/, '')),
    node: process.version,
    onnxruntime: ortVersion(),
    quick,
    notes,
    results,
    errors,
  };
  // A filtered or quick run must not replace the full results of every module: it goes to its own file.
  const partial = filters.length > 0 || quick;
  const out = path.join(root, 'bench', partial ? 'results-partial.json' : 'results.json');
  writeFileAtomic(out, `${JSON.stringify(report, null, 2)}\n`);
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(`dpuflow bench — ${report.machine.cpu}, ${report.machine.cores} cores, node ${report.node}, onnxruntime-node ${report.onnxruntime}${quick ? ' (quick)' : ''}\n`);
    for (const n of notes) process.stdout.write(`note: ${n}\n`);
    process.stdout.write(`${formatTable(results)}\n`);
    process.stdout.write('ratio = dpuflow ÷ peer for rates (fps), peer ÷ dpuflow for times: > 1× means dpuflow is faster.\n');
    for (const e of errors) process.stdout.write(`error in ${e.module}: ${e.message}\n`);
    process.stdout.write(`wrote ${path.relative(process.cwd(), out) || out}\n`);
  }
  return errors.length ? 1 : 0;
}

const invoked = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      clearStatus();
      process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(70);
    },
  );
}
