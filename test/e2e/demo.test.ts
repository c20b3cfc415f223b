// `dpuflow demo`: hand-computed checks of its helpers (det-map components, cache framing, line agreement),
// then the CLI in --json on a small crop of the shipped screenshot: quantize → compile → virtual DPU, with
// onnxruntime-node FP32 through the same pipeline as the oracle and known label texts; a second run must
// hit the cache; a corrupted cache entry must be detected and rebuilt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { binaryIoU, detInputSize, findTextRegions, type DemoResult } from '../../src/cli/commands/demo.js';
import { frameEntry, unframeEntry } from '../../src/apps/demo/build.js';
import { editDistance, lineAgreement, pipelineSummary } from '../../src/apps/demo/report.js';
import { assetPath } from '../../src/runtime/node/assets.js';
import { REC_WIDTHS, recSpecName } from '../../src/apps/demo/ocr-specs.js';

test('det input size: PaddleOCR-style resize to multiples of 32', () => {
  assert.deepEqual(detInputSize(608, 606, 640), { inW: 608, inH: 608 }); // 606/32 = 18.9 → 19·32
  assert.deepEqual(detInputSize(1280, 640, 640), { inW: 640, inH: 320 }); // scaled by 1/2
  assert.deepEqual(detInputSize(20, 10, 640), { inW: 32, inH: 32 }); // never below 32
});

test('connected components of the thresholded map, with DB unclip and scaling', () => {
  // 6×4 map: a 2×2 block at x 0–1, y 0–1 (probs 0.5,0.7,0.9,0.9 → mean 0.75) and a 1×3 bar at
  // x 4, y 1–3 (0.4 each); one isolated 0.35 pixel at (2,3) — 4-connectivity keeps it apart.
  const w = 6;
  const m = new Float32Array([
    0.5, 0.7, 0.0, 0.0, 0.0, 0.0,
    0.9, 0.9, 0.0, 0.0, 0.4, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.4, 0.0,
    0.0, 0.0, 0.35, 0.0, 0.4, 0.0,
  ]);
  const r = findTextRegions(m, w, 4, { threshold: 0.3, minArea: 2, unclip: 0 });
  assert.equal(r.length, 2);
  assert.deepEqual(r[0]!.box, [0, 0, 2, 2]);
  assert.equal(r[0]!.area, 4);
  assert.ok(Math.abs(r[0]!.score - 0.75) < 1e-6);
  assert.deepEqual(r[1]!.box, [4, 1, 5, 4]);
  const u = findTextRegions(m, w, 4, { threshold: 0.3, minArea: 2, unclip: 1.5, scaleX: 2, scaleY: 2 });
  assert.deepEqual(u[0]!.box, [0, 0, 6, 6]);
});

test('IoU of binarised maps', () => {
  const a = new Float32Array([0.9, 0.9, 0.1, 0.1]);
  const b = new Float32Array([0.9, 0.1, 0.9, 0.1]);
  assert.equal(binaryIoU(a, b, 0.3), 1 / 3);
  assert.equal(binaryIoU(new Float32Array(4), new Float32Array(4)), 1);
});

test('cache entries: framed with length + checksum; truncation, a flipped byte and junk are detected', () => {
  const payload = new Uint8Array([1, 2, 3, 4, 5, 250]);
  const e = frameEntry(payload);
  assert.equal(e.length, 40 + 6);
  assert.deepEqual([...unframeEntry(e)!], [...payload]);
  assert.equal(unframeEntry(e.subarray(0, e.length - 1)), undefined);
  const flipped = e.slice();
  flipped[42] ^= 1;
  assert.equal(unframeEntry(flipped), undefined);
  assert.equal(unframeEntry(new TextEncoder().encode('not a cache entry at all, just some text here')), undefined);
});

test('line agreement: pairing by box, edit distance (hand-computed)', () => {
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  const box = (x: number): [number, number][] => [[x, 0], [x + 10, 0], [x + 10, 5], [x, 5]];
  const ref = [{ text: 'ABC', box: box(0) }, { text: 'DEFG', box: box(20) }, { text: 'XY', box: box(40) }];
  // 'ABC' same; 'DEFG' read as 'DEFH' (1 edit of 4); 'XY' not detected at all (2 chars wrong)
  const q = [{ text: 'DEFH', box: box(21) }, { text: 'ABC', box: box(0) }];
  const a = lineAgreement(ref, q);
  assert.equal(a.matched, 2);
  assert.equal(a.sameLines, 1);
  assert.ok(Math.abs(a.charAccuracy - (1 - 3 / 9)) < 1e-12, String(a.charAccuracy));
  assert.equal(a.identical, false);
  assert.deepEqual(a.pairs, [{ reference: 'ABC', dpu: 'ABC' }, { reference: 'DEFG', dpu: 'DEFH' }, { reference: 'XY', dpu: null }]);
  // a trailing space (the INT8 rec sometimes emits one) does not count as a difference
  assert.equal(lineAgreement([{ text: 'ON', box: box(0) }], [{ text: 'ON ', box: box(0) }]).sameLines, 1);
});

test('pipeline summary: DPU rows take the cycle model × calls, CPU rows the A53 estimate; fps and bound', () => {
  const s = pipelineSummary([
    { stage: 'det pre-processing', kind: 'pre', device: 'CPU', hostMs: 2, calls: 1, boardCpuMsEstimate: 12 },
    { stage: 'rec DPU subgraph_dpu_0', kind: 'model', device: 'DPU', hostMs: 100, calls: 4 },
  ], (model, sg) => (model === 'rec' && sg === 'subgraph_dpu_0' ? { timeMs: 5, avgBwGBps: 1 } : undefined), 19.2);
  assert.equal(s.rows[1]!.boardMs, 20);
  assert.equal(s.boardMs, 32);
  assert.equal(s.fps, 1000 / 32);
  assert.equal(s.bound, 'DPU');
  const d = pipelineSummary([{ stage: 'det DPU subgraph_dpu_0', kind: 'model', device: 'DPU', hostMs: 1, calls: 1 }], () => ({ timeMs: 10, avgBwGBps: 18 }), 19.2);
  assert.equal(d.bound, 'DDR');
});

const bin = path.resolve('bin/dpuflow.js');

function demo(args: string[]): { r: DemoResult; ms: number } {
  const t0 = performance.now();
  const p = spawnSync(process.execPath, [bin, 'demo', '--json', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(p.status, 0, p.stderr);
  assert.equal(p.stderr.replace(/npm warn.*\n/g, ''), '', 'quiet with --json');
  return { r: JSON.parse(p.stdout) as DemoResult, ms: performance.now() - t0 };
}

test('demo --json on a crop of the shipped screenshot: INT8 det + cls on the virtual DPU read the known labels like onnxruntime FP32; cache hit, corrupt entry rebuilt', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-demo-'));
  try {
    // the DISPLAY column of screenshot-menu.png (110×84): three labels whose text is known
    const image = path.join(dir, 'labels.png');
    await sharp(assetPath('image-text')).extract({ left: 40, top: 60, width: 110, height: 84 }).png().toFile(image);
    const cache = path.join(dir, 'cache');
    const out = path.join(dir, 'annotated.png');
    // rec runs FP32 on the CPU here: the quantized rec is inaccurate (see the report) and its quantization costs ~30 s
    const args = ['--image', image, '--cache-dir', cache, '--rec-on', 'cpu', '--board', 'kv260'];
    const first = demo([...args, '--out', out]);
    const r = first.r;
    const known = ['RESULTS TREE', 'PERF MONITOR', 'BUFFER OUTPUT'];
    assert.deepEqual(r.reference.lines.map((l) => l.text.trim()), known, 'onnxruntime FP32 reads the known labels');
    assert.ok(r.lines.length > 0);
    assert.deepEqual(r.lines.map((l) => l.text.trim()), known, 'virtual-DPU pipeline = FP32 reference');
    assert.equal(r.agreement.sameLines, 3);
    assert.deepEqual(r.models.map((m) => [m.name, m.cached]), [['det', false], ['cls', false]]);
    assert.ok(r.models.every((m) => m.dpuSubgraphs >= 1 && m.boardDpuMs > 0));
    const stages = r.pipeline.rows.map((x) => x.stage);
    for (const s of ['det pre-processing', 'DB post-processing', 'crop (perspective)', 'cls pre-processing', 'rec pre-processing', 'rec', 'CTC decode']) assert.ok(stages.includes(s), s);
    assert.ok(stages.some((s) => /^det DPU /.test(s)) && stages.some((s) => /^cls DPU /.test(s)), stages.join(', '));
    for (const row of r.pipeline.rows) {
      assert.ok(row.hostMs > 0 && row.boardMs > 0 && row.calls >= 1, JSON.stringify(row));
      assert.equal(row.boardSource, row.device === 'DPU' ? 'cycle model' : 'A53 estimate');
    }
    assert.ok(r.pipeline.fps > 0 && ['DPU', 'CPU', 'DDR'].includes(r.pipeline.bound));
    assert.equal(r.board.name, 'kv260');
    const png = await sharp(out).metadata();
    assert.deepEqual([png.width, png.height], [110, 84]);
    assert.ok(!fs.readdirSync(dir).some((n) => n.endsWith('.tmp')), 'annotated PNG written atomically');

    const second = demo(args);
    assert.deepEqual(second.r.models.map((m) => m.cached), [true, true]);
    assert.equal(second.r.timesMs.build < first.r.timesMs.build / 2, true, `build ${second.r.timesMs.build} ms vs ${first.r.timesMs.build} ms`);
    assert.deepEqual(second.r.lines.map((l) => l.text), r.lines.map((l) => l.text));

    // corrupt the det entry: detected, rebuilt, same result
    const detFile = path.join(cache, `${r.models[0]!.cacheKey}.bin`);
    const bytes = fs.readFileSync(detFile);
    bytes[bytes.length >> 1] ^= 0xff;
    fs.writeFileSync(detFile, bytes);
    const third = demo(args);
    assert.deepEqual(third.r.models.map((m) => [m.cached, m.rebuiltCorruptCache]), [[false, true], [true, false]]);
    assert.deepEqual(third.r.lines.map((l) => l.text), r.lines.map((l) => l.text));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// INT8 rec (quantized PP-OCRv4 rec on the virtual DPU, splitChannelGroups 8): reads these labels almost like FP32
// but drops a space (measured Nov 27 with the session-5 rec calibration REC_CALIB_LINES: "RESULTS TREE", "PERF MONITOR",
// "BUFFEROUTPUT", 97.3 % characters; with the older typedoc-rectangle calibration "PERFMONITOR" too, 94.6 %; before
// the channel split it read blank). A todo (shows the gap without failing), run only with DPUFLOW_DEMO_INT8_REC=1: rec quantization ~20–60 s.
const int8Rec = process.env.DPUFLOW_DEMO_INT8_REC === '1';
test('demo --json with INT8 rec on the virtual DPU reads the known labels like onnxruntime FP32', int8Rec ? { todo: 'INT8 PP-OCRv4 rec is inaccurate (quantizer)' } : { skip: 'set DPUFLOW_DEMO_INT8_REC=1 (slow: quantizes rec)' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-demo-'));
  try {
    const image = path.join(dir, 'labels.png');
    await sharp(assetPath('image-text')).extract({ left: 40, top: 60, width: 110, height: 84 }).png().toFile(image);
    const { r } = demo(['--image', image, '--cache-dir', path.join(dir, 'cache'), '--rec-on', 'dpu']);
    // rec is compiled once per width of the demo's rec width set (rec@320, rec@640, … or 'rec' alone)
    const recNames = REC_WIDTHS.map((w) => recSpecName(w, REC_WIDTHS));
    assert.deepEqual(r.models.map((m) => m.name), ['det', 'cls', ...recNames]);
    for (const n of recNames) assert.ok(r.pipeline.rows.some((x) => x.stage.startsWith(`${n} DPU `)), n);
    console.log(`INT8 rec: ${JSON.stringify(r.lines.map((l) => l.text))} vs FP32 ${JSON.stringify(r.reference.lines.map((l) => l.text))}, char accuracy ${r.agreement.charAccuracy}`);
    assert.deepEqual(r.lines.map((l) => l.text.trim()), r.reference.lines.map((l) => l.text.trim()));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
