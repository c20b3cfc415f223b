// End-to-end test of the playground app (issue 10) in Debian's headless chromium driven by playwright-core:
// builds the app with Vite, serves it with `dpuflow serve`'s server, runs the ResNet-50-shaped example for
// KV260 and checks the page against independent oracles: the ResNet-50 architecture (53 convs, 16 residual
// adds, all on the DPU), `dpuflow bench --json` and `dpuflow profile --html` run by the CLI on the .xmodel the
// page offers for download, and `dpuflow compile` of the page's _int.xmodel giving the same bytes as the page's
// compiled .xmodel. Then bad inputs (not a model, an unknown op, a ≥ 200 MB file) must show a plain message,
// calibration images must give the SQNR chart, and the CLI's HTML report must render with the network off.
// Screenshots go to out/test/playground/ (or $DPUFLOW_TEST_OUT). Skipped with a reason when chromium is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startStaticServer } from '../../src/cli/commands/serve.js';
import { OnnxBuilder } from '../../src/models/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DIST = path.join(ROOT, 'playground', 'dist');
const OUT = process.env.DPUFLOW_TEST_OUT ?? path.join(ROOT, 'out', 'test', 'playground');
const skip = !fs.existsSync(CHROMIUM) ? `${CHROMIUM} absent (apt-get install chromium; .ci/run installs it)` : false;

function cli(args: string[], timeout = 60_000): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'dpuflow.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout });
  assert.equal(r.status, 0, `dpuflow ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function runExample(page: Page, name: string, timeout = 60_000): Promise<string> {
  await page.click(`button[data-example="${name}"]`);
  await page.waitForFunction("document.body.dataset.state === 'done' || document.body.dataset.state === 'error'", null, { timeout });
  return String(await page.evaluate('document.body.dataset.state'));
}

async function pickAndExpectError(page: Page, file: string): Promise<string> {
  await page.evaluate("document.body.dataset.state = 'test-pending'");
  await page.setInputFiles('#model-file', file);
  await page.waitForFunction("document.body.dataset.state === 'error'", null, { timeout: 20_000 });
  assert.ok(await page.isVisible('#error'), 'the error box must be visible');
  return (await page.textContent('#error')) ?? '';
}

async function save(page: Page, file: string, dir: string): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`#downloads button[data-file="${file}"]`)]);
  const p = path.join(dir, file);
  await dl.saveAs(p);
  return p;
}

test('playground app in headless chromium', { skip, timeout: 150_000 }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-pg-'));
  fs.mkdirSync(OUT, { recursive: true });
  const b = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'playground/vite.config.mjs', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(b.status, 0, `vite build failed: ${b.stderr}`);
  const bundle = fs.readdirSync(path.join(DIST, 'assets')).filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(DIST, 'assets', f), 'utf8')).join('\n');
  assert.doesNotMatch(bundle, /["'`]node:[a-z_]+["'`]/, 'a Node-only import leaked into the browser bundle');
  assert.doesNotMatch(fs.readFileSync(path.join(DIST, 'index.html'), 'utf8'), /https?:\/\/(?!www\.w3\.org)/, 'index.html must load nothing from the network');

  let server: Server | undefined;
  let ctx: BrowserContext | undefined;
  try {
    server = await startStaticServer(DIST, 0);
    const addr = server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
    ctx = await chromium.launchPersistentContext(path.join(tmp, 'user-data'), {
      executablePath: CHROMIUM, headless: true, acceptDownloads: true, viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    assert.equal(await page.title(), 'dpuflow playground');

    let fps = NaN;
    let xmodel = '';
    await t.test('ResNet-50-shaped example on KV260: partition, modeled fps, charts', async () => {
      await page.selectOption('#target', 'kv260');
      // the page must stay responsive while the worker computes: the longest gap between 50 ms timer ticks
      await page.evaluate("window.__gap = 0; window.__last = performance.now(); window.__tick = setInterval(() => { const n = performance.now(); window.__gap = Math.max(window.__gap, n - window.__last); window.__last = n; }, 50)");
      const state = await runExample(page, 'resnet50');
      const gap = Number(await page.evaluate('clearInterval(window.__tick), window.__gap'));
      assert.ok(gap < 1500, `main thread blocked for ${gap.toFixed(0)} ms during the run`);
      t.diagnostic(`longest main-thread gap during the ResNet-50 run: ${gap.toFixed(0)} ms`);
      assert.equal(state, 'done', `page error: ${await page.textContent('#error')}`);
      await page.screenshot({ path: path.join(OUT, 'resnet50-kv260.png'), fullPage: true });
      // partition table vs the published ResNet-50 architecture: 53 convs (49 + 4 projection shortcuts),
      // 16 residual adds (3 + 4 + 6 + 3 blocks), one max pool, everything on the DPU
      const rows = await page.$$eval('#ops tr[data-device]', (trs) => trs.map((tr) => ({ device: tr.getAttribute('data-device'), type: tr.children[2]!.textContent })));
      const count = (pred: (r: { device: string | null; type: string | null }) => boolean) => rows.filter(pred).length;
      assert.equal(count((r) => r.type === 'conv2d'), 53);
      assert.equal(count((r) => r.type === 'add'), 16);
      assert.equal(count((r) => r.type === 'maxpool2d'), 1);
      assert.equal(count((r) => r.device === 'CPU'), 0, 'ResNet-50 runs wholly on the DPU');
      assert.equal(count((r) => r.device === 'USER'), 1);
      assert.match((await page.textContent('#card-subgraphs')) ?? '', /1 \/ 0/);
      fps = Number(await page.getAttribute('#summary', 'data-fps'));
      assert.ok(fps > 10 && fps < 1000, `modeled fps ${fps}`);
      assert.match((await page.textContent('#card-fps')) ?? '', new RegExp(fps.toFixed(2).replace('.', '\\.')));
      // charts drawn (uPlot canvases), and the fps-vs-threads table: KV260 flat (one core), ZCU102 scales to 3 cores
      for (const id of ['threads-chart', 'layer-chart']) {
        assert.equal(await page.getAttribute(`#${id}`, 'data-chart'), 'ready', id);
        assert.ok(await page.$(`#${id} canvas`), `${id} has a canvas`);
      }
      const fpsRow = async (bd: string) => (await page.$$eval(`#threads-table tr[data-board="${bd}"] td.num`, (tds) => tds.map((td) => Number(td.textContent))));
      const kv = await fpsRow('kv260'), z2 = await fpsRow('zcu102');
      assert.equal(kv.length, 4);
      assert.ok(kv.every((v) => v === kv[0]), `KV260 flat: ${kv}`);
      assert.ok(z2[2]! > 2 * z2[0]! && z2[3] === z2[2], `ZCU102 scales to 3 cores then saturates: ${z2}`);
      assert.equal(Math.abs(kv[0]! - fps) < 0.051, true);
      assert.match((await page.textContent('#calib-label')) ?? '', /seeded random calibration/);
      xmodel = await save(page, 'resnet50_seed1.xmodel', tmp);
      const intX = await save(page, 'resnet50_seed1_int.xmodel', tmp);
      const qi = JSON.parse(fs.readFileSync(await save(page, 'quant_info.json', tmp), 'utf8')) as Record<string, unknown>;
      assert.ok(Object.keys(qi).length > 0);
      const trace = JSON.parse(fs.readFileSync(await save(page, 'resnet50_seed1.trace.json', tmp), 'utf8')) as { traceEvents: unknown[] };
      assert.ok(trace.traceEvents.length > 100);
      // the CLI compiles the page's _int.xmodel to the same bytes the page compiled
      cli(['compile', intX, '--arch', 'kv260', '--out', path.join(tmp, 'cli')]);
      assert.ok(Buffer.from(fs.readFileSync(path.join(tmp, 'cli', 'resnet50_seed1.xmodel'))).equals(fs.readFileSync(xmodel)), 'CLI compile of the page\'s _int.xmodel == the page\'s .xmodel');
    });

    await t.test('modeled fps equals dpuflow bench --json; the HTML report shows the same and renders offline', async () => {
      assert.ok(xmodel, 'needs the first subtest');
      const bench = JSON.parse(cli(['bench', xmodel, '--board', 'kv260', '--json', '--seconds', '0.01'])) as { board: { fps: number; name: string } };
      assert.equal(bench.board.name, 'kv260');
      assert.ok(Math.abs(bench.board.fps - fps) <= 1e-9 * fps, `page ${fps} vs bench --json ${bench.board.fps}`);
      const html = path.join(tmp, 'report.html');
      cli(['profile', xmodel, '--board', 'kv260', '--html', html]);
      const rp = await ctx!.newPage();
      const requests: string[] = [];
      await ctx!.setOffline(true);
      await rp.route('**/*', (route) => { const u = route.request().url(); if (u.startsWith('file:')) return route.continue(); requests.push(u); return route.abort(); });
      await rp.goto(`file://${html}`);
      assert.deepEqual(requests, [], 'the report requested nothing from the network');
      assert.match((await rp.textContent('#summary')) ?? '', new RegExp(`→ ${fps.toFixed(2).replace('.', '\\.')} fps on one core`));
      assert.ok((await rp.$$('#cycle-chart svg rect')).length >= 50, 'cycle bars');
      const barW = await rp.$$eval('#cycle-chart svg rect', (rs) => rs.map((r) => r.getBoundingClientRect().width));
      assert.ok(barW.some((w) => w > 100), 'bars are drawn with width');
      assert.ok(await rp.$('#fps-chart svg'), 'fps chart');
      assert.ok((await rp.$$('#split-chart rect.seg.compute')).length >= 50, 'compute vs DDR-wait bars');
      assert.equal((await rp.$$('#fps-lines polyline')).length, 3, 'the CLI report: fps vs threads for ZCU102, ZCU104 and KV260');
      await rp.screenshot({ path: path.join(OUT, 'profile-report-offline.png'), fullPage: false });
      await rp.locator('#split-chart').screenshot({ path: path.join(OUT, 'profile-report-split-chart.png') });
      // the page's own report download: same fps, fps-vs-threads lines for the three boards
      const pageReport = await save(page, 'resnet50_seed1.profile.html', tmp);
      await rp.goto(`file://${pageReport}`);
      assert.match((await rp.textContent('#summary')) ?? '', new RegExp(`→ ${fps.toFixed(2).replace('.', '\\.')} fps on one core`));
      assert.equal((await rp.$$('#fps-lines polyline')).length, 3);
      await rp.locator('#fps-lines').screenshot({ path: path.join(OUT, 'page-report-fps-lines.png') });
      assert.deepEqual(requests, [], 'the reports requested nothing from the network');
      await rp.close();
      await ctx!.setOffline(false);
    });

    await t.test('bad input shows a plain message, never a blank page', async () => {
      const text = path.join(tmp, 'notes.onnx');
      fs.writeFileSync(text, 'these are my notes, not a model\n');
      assert.match(await pickAndExpectError(page, text), /ImportError/);
      const b2 = new OnnxBuilder('unknown-op', 1);
      const x = b2.addInput('input', [1, 3, 8, 8]);
      b2.addOutput(b2.node('Einsum', [b2.conv(x, 4, 3, { pad: 1 })], [1, 4, 8, 8], { equation: 'nchw->nchw' }), 'output');
      const unk = path.join(tmp, 'unknown-op.onnx');
      fs.writeFileSync(unk, b2.encode());
      assert.match(await pickAndExpectError(page, unk), /Einsum/);
      const huge = path.join(tmp, 'huge.onnx');
      fs.closeSync(fs.openSync(huge, 'w'));
      fs.truncateSync(huge, 200 * 1024 * 1024); // sparse: costs no disk
      const msg = await pickAndExpectError(page, huge);
      assert.match(msg, /200 MB/);
      await page.screenshot({ path: path.join(OUT, 'bad-input-huge.png') });
      assert.ok((await page.textContent('h1')) === 'dpuflow playground', 'the page is still there');
    });

    await t.test('a dropped ONNX with an op the DPU lacks: CPU row with its reason and fix', async () => {
      // DPUCZDX8G has hard-sigmoid but no sigmoid (docs/dpu.md): the Sigmoid must go to the CPU
      const bs = new OnnxBuilder('conv-sigmoid', 3);
      const x = bs.addInput('input', [1, 3, 32, 32]);
      const c = bs.conv(bs.conv(x, 16, 3, { pad: 1 }), 16, 3, { pad: 1 });
      bs.addOutput(bs.node('Sigmoid', [c], bs.shape(c)), 'output');
      // dropped on the drop zone (a real DataTransfer with the file, as a drag from the desktop delivers it)
      const b64 = Buffer.from(bs.encode()).toString('base64');
      await page.evaluate("document.body.dataset.state = 'test-pending'");
      const dt = await page.evaluateHandle(`(() => { const dt = new DataTransfer(); dt.items.add(new File([Uint8Array.from(atob('${b64}'), (c) => c.charCodeAt(0))], 'conv-sigmoid.onnx')); return dt; })()`);
      await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt });
      await page.waitForFunction("document.body.dataset.state === 'done' || document.body.dataset.state === 'error'", null, { timeout: 30_000 });
      assert.equal(String(await page.evaluate('document.body.dataset.state')), 'done', `page error: ${await page.textContent('#error')}`);
      const cpu = await page.$$eval('#ops tr[data-device="CPU"]', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
      assert.equal(cpu.length, 1, JSON.stringify(cpu));
      assert.equal(cpu[0]![2], 'sigmoid');
      assert.match(cpu[0]![5]!, /sigmoid.*fix: \S/is);
      assert.equal((await page.$$('#cpu-ops li')).length, 1);
      assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('#ops tr[data-device="CPU"] td')).backgroundColor`), 'rgb(253, 226, 226)');
      assert.equal(await page.evaluate(`getComputedStyle(document.querySelector('#ops tr[data-device="DPU"] td')).backgroundColor`), 'rgb(226, 239, 253)');
      await page.screenshot({ path: path.join(OUT, 'conv-sigmoid-partition.png'), fullPage: true });
    });

    await t.test('TF.js model.json + its shard as one multi-file pick', async () => {
      const dir = path.join(ROOT, 'node_modules', '@vladmandic', 'human', 'models');
      if (!fs.existsSync(path.join(dir, 'emotion.json'))) { t.diagnostic('emotion model absent: TF.js pick not checked'); return; }
      await page.evaluate("document.body.dataset.state = 'test-pending'");
      await page.setInputFiles('#model-file', [path.join(dir, 'emotion.json'), path.join(dir, 'emotion.bin')]);
      await page.waitForFunction("document.body.dataset.state === 'done' || document.body.dataset.state === 'error'", null, { timeout: 30_000 });
      assert.equal(String(await page.evaluate('document.body.dataset.state')), 'done', `page error: ${await page.textContent('#error')}`);
      assert.match((await page.textContent('#result-title')) ?? '', /^emotion → DPUCZDX8G_ISA1_B4096/);
      assert.ok((await page.$$('#ops tr[data-device="DPU"]')).length > 5);
    });

    await t.test('calibration images: labelled, per-tensor SQNR chart and worst layers', async () => {
      const sharp = (await import('sharp')).default;
      const files: string[] = [];
      for (let k = 0; k < 2; k++) {
        const px = Buffer.alloc(24 * 24 * 3);
        for (let i = 0; i < px.length; i++) px[i] = (i * (31 + k * 7) + k * 50) % 256;
        const f = path.join(tmp, `calib${k}.png`);
        await sharp(px, { raw: { width: 24, height: 24, channels: 3 } }).png().toFile(f);
        files.push(f);
      }
      await page.setInputFiles('#calib-files', files);
      await ctx!.setOffline(true); // works offline once loaded: the worker and its WASM are in the page already
      assert.equal(await page.isChecked('#report'), true, 'images switch the INT8 report on');
      assert.equal(await runExample(page, 'tiny'), 'done', `page error: ${await page.textContent('#error')}`);
      assert.match((await page.textContent('#calib-label')) ?? '', /2 calibration image\(s\)/);
      assert.equal(await page.getAttribute('#sqnr-chart', 'data-chart'), 'ready');
      assert.ok((await page.$$('#worst li')).length > 0, 'worst layers listed');
      await page.screenshot({ path: path.join(OUT, 'tiny-calibrated.png'), fullPage: true });
      await ctx!.setOffline(false);
    });
    await t.test('the real PP-OCRv4 det, bundled with the app, runs with the network off', async () => {
      await page.setInputFiles('#calib-files', []);
      await page.uncheck('#report');
      await ctx!.setOffline(true);
      try {
        assert.equal(await runExample(page, 'ppocr-det', 60_000), 'done', `page error: ${await page.textContent('#error')}`);
      } finally {
        await ctx!.setOffline(false);
      }
      assert.match((await page.textContent('#result-title')) ?? '', /^ch_PP-OCRv4_det_infer → /);
      assert.equal(await page.inputValue('#input-shape'), '1,3,256,256');
      const dpu = (await page.$$('#ops tr[data-device="DPU"]')).length;
      const cpu = await page.$$eval('#ops tr[data-device="CPU"]', (trs) => trs.map((tr) => [tr.children[2]!.textContent, tr.children[5]!.textContent]));
      assert.ok(dpu > 100, `${dpu} DPU ops`);
      // the head ends in a Sigmoid (the DB probability map): not a DPU op, so it runs on the CPU with a reason
      assert.ok(cpu.some(([type, why]) => type === 'sigmoid' && /fix:/.test(why ?? '')), JSON.stringify(cpu));
      await page.screenshot({ path: path.join(OUT, 'ppocr-det-kv260.png') });
    });
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  } finally {
    await ctx?.close();
    server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
