import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, svgBars, renderProfileHtml } from '../../src/report/html.js';
import type { ModelProfile } from '../../src/profile/profile.js';

test('escapeHtml escapes the five HTML specials', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('svgBars: widths proportional to value (hand-computed: 100/400·400=100, 400→400, 0→0)', () => {
  const svg = svgBars([{ label: 'a', value: 100 }, { label: 'b', value: 400 }, { label: 'c', value: 0 }], { width: 400 });
  const widths = [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.deepEqual(widths, [100, 400, 0]);
});

test('renderProfileHtml: standalone page, a row per subgraph and layer, escaped names, no script/network', () => {
  const layer = (name: string, cycles: number) => ({ name, first: 0, last: 1, cycles, timeMs: cycles / 3e5, ops: 2, gop: 2e-9, efficiency: 50, ldWB: 1e6, ldFM: 2e6, stFM: 3e6 });
  const p = {
    board: { name: 'kv260', cores: 1, clockMHz: 300, ddrGBps: 19.2, preset: 'B4096' },
    subgraphs: [
      { name: 'sg<dpu>', device: 'DPU', timeMs: 1, cycles: 300, gop: 4e-9, efficiency: 50, layers: [layer('conv&1', 100), layer('conv2', 200)] },
      { name: 'sg_cpu', device: 'CPU', timeMs: 0.5 },
    ],
    dpuMs: 1, dpuFps: 1000, totalMs: 1.5, fps: 666.67, perf: [],
  } as unknown as ModelProfile;
  const html = renderProfileHtml('m.xmodel', p, [{ name: 'kv260', cores: 1, activeCores: 1, threads: 1, clockMHz: 300, fps: 1000, latencyMs: 1, efficiency: 50 }]);
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  assert.ok(html.includes('sg&lt;dpu&gt;') && html.includes('conv&amp;1') && !html.includes('sg<dpu>'));
  assert.equal((html.match(/<tr class="dpu/g) ?? []).length, 3);
  assert.equal((html.match(/<tr class="cpu/g) ?? []).length, 1);
  assert.ok(html.includes('id="fps-chart"') && html.includes('1000.00'));
  // cycle bars: 100 and 200 of max 200 on a 400 px axis → 200 and 400 px
  const cyc = html.slice(html.indexOf('id="cycle-chart"'), html.indexOf('id="fps"'));
  assert.deepEqual([...cyc.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1])), [200, 400]);
});

test('renderQuantizeHtml: exact SQNR shown as "exact" and left out of the bars; bars proportional', async () => {
  const { renderQuantizeHtml } = await import('../../src/report/html.js');
  const t = (tensor: string, sqnrDb: number | null) => ({ tensor, op: 'conv', dtype: 'int8', fixPoint: 5, sqnrDb, cosine: 0.999, clipRate: 0.001 });
  const html = renderQuantizeHtml({ model: 'm.onnx', method: 'diffs', calibBatches: 4, warnings: ['w<1>'], tensors: [t('a', 10), t('b', 40), t('c', null)] });
  assert.ok(html.includes('<td>exact</td>') && html.includes('w&lt;1&gt;') && html.includes('0.100'));
  const chart = html.slice(html.indexOf('id="sqnr-chart"'));
  assert.deepEqual([...chart.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1])), [100, 400]);
});

test('svgStackedBars: parts laid left to right, scaled by the largest row total (hand-computed)', async () => {
  const { svgStackedBars } = await import('../../src/report/html.js');
  // totals 40 and 100 → a 400 px axis: row 1 = 10·4 + 30·4 = 40 + 120 px, row 2 = 50·4 + 50·4 = 200 + 200 px
  const svg = svgStackedBars([{ label: 'a<b', parts: [10, 30] }, { label: 'c', parts: [50, 50] }], { classes: ['compute', 'ddr'], names: ['compute', 'DDR wait'], width: 400 });
  const segs = [...svg.matchAll(/<rect class="seg (\w+)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
  assert.deepEqual(segs, [['compute', 220, 40], ['ddr', 260, 120], ['compute', 220, 200], ['ddr', 420, 200]]);
  assert.ok(svg.includes('a&lt;b') && svg.includes('DDR wait'));
});

test('renderProfileHtml: compute vs DDR-wait section from the cycle model timings', async () => {
  const { renderProfileHtml } = await import('../../src/report/html.js');
  const layer = (name: string, cycles: number) => ({ name, first: 0, last: 1, cycles, timeMs: cycles / 3e5, ops: 2, gop: 2e-9, efficiency: 50, ldWB: 0, ldFM: 0, stFM: 0 });
  // one layer of 300 cycles at 300 MHz (1 µs): CONV busy 0–150 → 0.5 µs compute, 0.5 µs DDR wait
  const perf = { timings: [{ index: 0, engine: 'LOAD', start: 0, end: 300 }, { index: 1, engine: 'CONV', start: 0, end: 150 }], layers: [layer('conv1', 300)] };
  const p = {
    board: { name: 'kv260', cores: 1, clockMHz: 300, ddrGBps: 19.2, preset: 'B4096' },
    subgraphs: [{ name: 'sg', device: 'DPU', timeMs: 0.001, cycles: 300, layers: perf.layers }],
    dpuMs: 0.001, dpuFps: 1e6, totalMs: 0.001, fps: 1e6, perf: [{ subgraph: 'sg', perf }],
  } as unknown as ModelProfile;
  const html = renderProfileHtml('m.xmodel', p);
  const chart = html.slice(html.indexOf('id="split-chart"'));
  const w = [...chart.matchAll(/<rect class="seg (\w+)" x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => [m[1], Number(m[2])]);
  assert.deepEqual(w, [['compute', 200], ['ddr', 200]]);
  assert.match(chart, />1 µs</);
});

test('svgLines: points placed on 0…max axes (hand-computed), one polyline per series', async () => {
  const { svgLines } = await import('../../src/report/html.js');
  // x max 4 → 480 px: x=1 → 50 + 120 = 170, x=4 → 530; y max 100·1.05 = 105 over 200 px below a 22 px top: y=52.5 → 22 + 100 = 122
  const svg = svgLines([{ name: 'kv260', points: [[1, 52.5], [4, 52.5]] }, { name: 'zcu102', points: [[1, 50], [4, 100]] }], { width: 480, height: 200 });
  const polys = [...svg.matchAll(/<polyline [^>]*points="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(polys.length, 2);
  assert.equal(polys[0], '170.0,122.0 530.0,122.0');
  const [, y4] = polys[1]!.split(' ')[1]!.split(',').map(Number);
  assert.ok(Math.abs(y4! - (22 + 200 - (100 / 105) * 200)) < 0.06);
  assert.ok(svg.includes('>kv260<') && svg.includes('>zcu102<'));
});
