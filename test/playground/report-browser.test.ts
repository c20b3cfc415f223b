// Renders an HTML report in real headless chromium (its --screenshot mode) and checks the PNG is a real,
// non-blank image. Skipped with a message when /usr/bin/chromium is absent (.ci/run installs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { renderProfileHtml } from '../../src/report/html.js';
import type { ModelProfile } from '../../src/profile/profile.js';

const CHROMIUM = '/usr/bin/chromium';

test('profile report renders in headless chromium', { skip: fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} absent (apt-get install chromium)`, timeout: 60_000 }, () => {
  const layer = (name: string, cycles: number) => ({ name, first: 0, last: 1, cycles, timeMs: cycles / 3e5, ops: 2, gop: 2e-9, efficiency: 50, ldWB: 1e6, ldFM: 2e6, stFM: 3e6 });
  const p = {
    board: { name: 'zcu102', cores: 3, clockMHz: 281, ddrGBps: 19.2, preset: 'B4096' },
    subgraphs: [{ name: 'subgraph_conv', device: 'DPU', timeMs: 1, cycles: 600, layers: [layer('conv1', 100), layer('conv2', 500)] }, { name: 'subgraph_softmax', device: 'CPU', timeMs: 0.2 }],
    dpuMs: 1, dpuFps: 1000, totalMs: 1.2, fps: 833.3, perf: [],
  } as unknown as ModelProfile;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-report-'));
  const html = path.join(dir, 'r.html'), png = path.join(dir, 'r.png');
  fs.writeFileSync(html, renderProfileHtml('t.xmodel', p, [1, 2, 3].map((t) => ({ name: 'zcu102', cores: 3, activeCores: t, threads: t, clockMHz: 281, fps: 1000 * t, latencyMs: 1, efficiency: 50 }))));
  const r = spawnSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
    `--user-data-dir=${path.join(dir, 'profile')}`, `--screenshot=${png}`, '--window-size=1000,800', `file://${html}`], { timeout: 50_000, encoding: 'utf8' });
  assert.ok(fs.existsSync(png), `no screenshot: ${r.stderr}`);
  const buf = fs.readFileSync(png);
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(buf.readUInt32BE(16), 1000);
  assert.ok(buf.length > 10_000, `screenshot suspiciously small (${buf.length} B): blank page?`);
  if (process.env.DPUFLOW_KEEP_SCREENSHOT) fs.copyFileSync(png, process.env.DPUFLOW_KEEP_SCREENSHOT);
  fs.rmSync(dir, { recursive: true, force: true });
});
