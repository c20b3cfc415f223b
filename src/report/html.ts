/**
 * Self-contained HTML reports (no scripts, no network: inline CSS + inline SVG). Browser-safe: takes
 * plain objects, returns a string. Used by `dpuflow profile --html` and meant for the playground.
 */
import type { ModelProfile, ModelThroughput } from '../profile/profile.js';
import { layerTimeSplit } from './layer-split.js';

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface Bar { label: string; value: number; cls?: string }

/** Horizontal bar chart as inline SVG; bar width = value / max · `width` (px). */
export function svgBars(bars: Bar[], opts: { width?: number; unit?: string; title?: string } = {}): string {
  const width = opts.width ?? 400, rowH = 16, labelW = 220, valW = 110;
  const max = Math.max(0, ...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
  const h = bars.length * rowH + 4;
  const rows = bars.map((b, i) => {
    const w = max > 0 && Number.isFinite(b.value) && b.value > 0 ? (b.value / max) * width : 0;
    const y = i * rowH + 2;
    return `<g class="bar ${escapeHtml(b.cls ?? '')}"><text x="0" y="${y + 12}">${escapeHtml(b.label.slice(0, 34))}</text>`
      + `<rect x="${labelW}" y="${y}" width="${w.toFixed(2)}" height="${rowH - 3}"/>`
      + `<text x="${labelW + width + 6}" y="${y + 12}">${escapeHtml(fmt(b.value))}${escapeHtml(opts.unit ?? '')}</text></g>`;
  }).join('');
  const title = opts.title ? `<title>${escapeHtml(opts.title)}</title>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${labelW + width + valW}" height="${h}" font-size="11" font-family="monospace">${title}${rows}</svg>`;
}

export interface StackedBar { label: string; parts: number[] }

/**
 * Horizontal stacked bars as inline SVG: each part's width = part / (largest row total) · `width` px, parts laid
 * left to right with class `seg <classes[i]>`; a legend names the parts.
 */
export function svgStackedBars(rows: StackedBar[], opts: { classes: string[]; names: string[]; width?: number; unit?: string; title?: string }): string {
  const width = opts.width ?? 400, rowH = 16, labelW = 220, valW = 110, legendH = 18;
  const tot = (r: StackedBar) => r.parts.reduce((a, v) => a + (Number.isFinite(v) && v > 0 ? v : 0), 0);
  const max = Math.max(0, ...rows.map(tot));
  const legend = opts.names.map((n, i) => `<g class="seg ${escapeHtml(opts.classes[i] ?? '')}"><rect x="${labelW + i * 230}" y="3" width="12" height="12"/><text x="${labelW + i * 230 + 16}" y="13">${escapeHtml(n)}</text></g>`).join('');
  const body = rows.map((r, k) => {
    const y = legendH + k * rowH + 2;
    let x = labelW;
    const segs = r.parts.map((v, i) => {
      const w = max > 0 && Number.isFinite(v) && v > 0 ? (v / max) * width : 0;
      const seg = `<rect class="seg ${escapeHtml(opts.classes[i] ?? '')}" x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowH - 3}"/>`;
      x += w;
      return seg;
    }).join('');
    return `<g class="stack"><text x="0" y="${y + 12}">${escapeHtml(r.label.slice(0, 34))}</text>${segs}<text x="${labelW + width + 6}" y="${y + 12}">${escapeHtml(fmt(tot(r)))}${escapeHtml(opts.unit ?? '')}</text></g>`;
  }).join('');
  const title = opts.title ? `<title>${escapeHtml(opts.title)}</title>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${labelW + width + valW}" height="${legendH + rows.length * rowH + 4}" font-size="11" font-family="monospace">${title}${legend}${body}</svg>`;
}

const LINE_COLORS = ['#2a9d8f', '#e9c46a', '#d84b3b', '#3b7dd8', '#6a4c93'];

/**
 * Line chart as inline SVG: x and y both from 0 to their maximum (x ticks at every integer x present), one
 * polyline with dots per series, a legend. Plot area `width` × `height` px after a 50 px left margin.
 */
export function svgLines(series: Array<{ name: string; points: Array<[number, number]> }>, opts: { width?: number; height?: number; xLabel?: string; yLabel?: string; title?: string } = {}): string {
  const W = opts.width ?? 480, H = opts.height ?? 200, left = 50, top = 22, bottom = 34;
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xMax = Math.max(1, ...pts.map(([x]) => x)), yMax = Math.max(1e-9, ...pts.map(([, y]) => y)) * 1.05;
  const px = (x: number) => left + (x / xMax) * W, py = (y: number) => top + H - (y / yMax) * H;
  const xs = [...new Set(pts.map(([x]) => x))].sort((a, b) => a - b);
  const axes = `<line x1="${left}" y1="${top + H}" x2="${left + W}" y2="${top + H}" stroke="#888"/><line x1="${left}" y1="${top}" x2="${left}" y2="${top + H}" stroke="#888"/>`
    + xs.map((x) => `<text x="${px(x).toFixed(1)}" y="${top + H + 14}" text-anchor="middle">${escapeHtml(fmt(x))}</text>`).join('')
    + [0, 0.5, 1].map((f) => `<text x="${left - 4}" y="${(py(f * yMax / 1.05) + 4).toFixed(1)}" text-anchor="end">${escapeHtml((f * yMax / 1.05).toFixed(f === 0 ? 0 : 1))}</text>`).join('')
    + (opts.xLabel ? `<text x="${left + W / 2}" y="${top + H + 30}" text-anchor="middle">${escapeHtml(opts.xLabel)}</text>` : '')
    + (opts.yLabel ? `<text x="${left}" y="12" text-anchor="middle">${escapeHtml(opts.yLabel)}</text>` : '');
  const lines = series.map((s, i) => {
    const c = LINE_COLORS[i % LINE_COLORS.length];
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    return `<g class="series"><polyline fill="none" stroke="${c}" stroke-width="2" points="${p.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`
      + p.map(([x, y]) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${c}"/>`).join('')
      + `<rect x="${left + W + 10}" y="${top + i * 16}" width="10" height="10" fill="${c}"/><text x="${left + W + 24}" y="${top + i * 16 + 9}">${escapeHtml(s.name)}</text></g>`;
  }).join('');
  const title = opts.title ? `<title>${escapeHtml(opts.title)}</title>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${left + W + 130}" height="${top + H + bottom + 4}" font-size="11" font-family="monospace">${title}${axes}${lines}</svg>`;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '-';
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

const CSS = `body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child,#sqnr td:nth-child(2){text-align:left}
tr.cpu td{background:#fde2e2}tr.dpu td{background:#e2effd}.bar rect{fill:#3b7dd8}.bar.cpu rect{fill:#d84b3b}h2{margin-top:1.5em}
.seg.compute,.seg.compute rect{fill:#3b7dd8}.seg.ddr,.seg.ddr rect{fill:#d84b3b}`;

/** Wraps body HTML into a complete standalone document. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${CSS}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>\n`;
}

/** Per-subgraph/per-layer table + per-layer cycle bars + optional fps-vs-threads table/chart. */
export function renderProfileHtml(model: string, p: ModelProfile, throughput: ModelThroughput[] = []): string {
  const n = (v: number | undefined, d = 3) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
  const rows: string[] = [];
  const bars: Bar[] = [];
  for (const sg of p.subgraphs) {
    const cls = sg.device === 'CPU' ? 'cpu' : 'dpu';
    rows.push(`<tr class="${cls}"><td><b>${escapeHtml(sg.name)}</b> [${sg.device}]</td><td>${n(sg.gop, 4)}</td><td>${sg.cycles ?? '-'}</td><td>${n(sg.timeMs)}</td><td>${n(sg.efficiency, 1)}</td><td>${n(sg.ldWB && sg.ldWB / 1e6)}</td><td>${n(sg.ldFM && sg.ldFM / 1e6)}</td><td>${n(sg.stFM && sg.stFM / 1e6)}</td></tr>`);
    for (const l of sg.layers ?? []) {
      rows.push(`<tr class="${cls} layer"><td>&nbsp;&nbsp;${escapeHtml(l.name)}</td><td>${n(l.gop, 4)}</td><td>${l.cycles}</td><td>${n(l.timeMs)}</td><td>${n(l.efficiency, 1)}</td><td>${n(l.ldWB / 1e6)}</td><td>${n(l.ldFM / 1e6)}</td><td>${n(l.stFM / 1e6)}</td></tr>`);
      bars.push({ label: l.name, value: l.cycles, cls });
    }
  }
  const b = p.board;
  let body = `<p>model <code>${escapeHtml(model)}</code>; board ${escapeHtml(b.name)}: ${b.cores} × ${escapeHtml(b.preset)} @ ${b.clockMHz} MHz, DDR ${b.ddrGBps} GB/s (one core active)</p>`
    + `<p id="summary">DPU: ${n(p.dpuMs)} ms → ${n(p.dpuFps, 2)} fps on one core; with CPU subgraphs: ${n(p.totalMs)} ms → ${n(p.fps, 2)} fps</p>`
    + `<h2>Subgraphs and layers</h2><table id="layers"><tr><th>Subgraph/Layer</th><th>WL(GOP)</th><th>cycles</th><th>time(ms)</th><th>Effic(%)</th><th>LdWB(MB)</th><th>LdFM(MB)</th><th>StFM(MB)</th></tr>${rows.join('')}</table>`
    + `<h2>Cycles per DPU layer</h2><div id="cycle-chart">${svgBars(bars, { title: 'cycles per layer' })}</div>`;
  const split = p.perf.flatMap(({ perf }) => layerTimeSplit(perf, b.clockMHz));
  if (split.length > 0) {
    const us = (c: number) => c / b.clockMHz;
    body += `<h2>Time per DPU layer: compute vs DDR wait (µs)</h2><div id="split-chart">${svgStackedBars(split.map((l) => ({ label: l.name, parts: [us(l.computeCycles), us(l.ddrWaitCycles)] })),
      { classes: ['compute', 'ddr'], names: ['compute (CONV/MISC busy)', 'DDR wait (compute idle)'], unit: ' µs', title: 'compute vs DDR wait per layer' })}</div>`;
  }
  if (throughput.length > 0) {
    const t = throughput.map((x) => `<tr><td>${escapeHtml(x.name)}</td><td>${x.threads}</td><td>${x.activeCores}/${x.cores}</td><td>${n(x.fps, 2)}</td><td>${n(x.latencyMs)}</td><td>${n(x.efficiency, 1)}</td></tr>`).join('');
    body += `<h2>fps vs threads</h2><table id="fps"><tr><th>board</th><th>threads</th><th>active cores</th><th>fps</th><th>latency(ms)</th><th>Effic(%)</th></tr>${t}</table>`
      + `<div id="fps-chart">${svgBars(throughput.map((x) => ({ label: `${x.name} ×${x.threads}`, value: x.fps })), { unit: ' fps', title: 'fps vs threads' })}</div>`;
    const boards = [...new Set(throughput.map((x) => x.name))];
    if (boards.length > 1 || throughput.length > 1) {
      body += `<div id="fps-lines">${svgLines(boards.map((name) => ({ name, points: throughput.filter((x) => x.name === name).map((x) => [x.threads, x.fps] as [number, number]) })), { xLabel: 'threads', yLabel: 'fps', title: 'fps vs threads per board' })}</div>`;
    }
  }
  return htmlPage(`dpuflow profile: ${model}`, body);
}

/** Structural subset of the quantizer's QuantReport that the SQNR report needs. */
export interface SqnrReportInput {
  model: string;
  method: string;
  calibBatches: number;
  warnings: string[];
  tensors: Array<{ tensor: string; op: string; dtype: string; fixPoint?: number; sqnrDb: number | null; cosine: number; clipRate: number; localSqnrDb?: number | null }>;
}

/** Per-tensor INT8-vs-FP32 table (worst first, as given) + SQNR bars; null SQNR (exact) shown as "exact". */
export function renderQuantizeHtml(r: SqnrReportInput): string {
  const db = (v: number | null | undefined) => (v === null ? 'exact' : v === undefined ? '-' : v.toFixed(2));
  const rows = r.tensors.map((t) => `<tr><td>${escapeHtml(t.tensor)}</td><td>${escapeHtml(t.op)}</td><td>${escapeHtml(t.dtype)}</td><td>${t.fixPoint ?? '-'}</td><td>${db(t.sqnrDb)}</td><td>${db(t.localSqnrDb)}</td><td>${t.cosine.toFixed(5)}</td><td>${(100 * t.clipRate).toFixed(3)}</td></tr>`).join('');
  const bars = r.tensors.filter((t) => t.sqnrDb !== null).map((t) => ({ label: t.tensor, value: t.sqnrDb as number }));
  const warn = r.warnings.length ? `<ul>${r.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>` : '';
  const body = `<p>method ${escapeHtml(r.method)}, ${r.calibBatches} calibration inputs</p>${warn}`
    + `<h2>INT8 vs FP32 per tensor</h2><table id="sqnr"><tr><th>tensor</th><th>op</th><th>dtype</th><th>fix point</th><th>SQNR(dB)</th><th>local SQNR(dB)</th><th>cosine</th><th>clip(%)</th></tr>${rows}</table>`
    + `<h2>SQNR per tensor (dB)</h2><div id="sqnr-chart">${svgBars(bars, { unit: ' dB', title: 'SQNR per tensor' })}</div>`;
  return htmlPage(`dpuflow quantize: ${r.model}`, body);
}
