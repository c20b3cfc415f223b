// `dpuflow run --task ocr --rec a.xmodel --rec b.xmodel …`: a recognizer width set from the command line, end to end
// (child process, as the user runs it). The recognizers are tiny conv nets compiled at 48×96, 48×160 and 48×320
// (same weights; output [1, 1, W/16 − 2, 10] = blank + 8 keys + space of a small key file), det is the shipped
// PP-OCRv4 det on onnxruntime. Oracle: runOcr through the API with the same files opened by openModel — the CLI's
// lines (text, score, box, the width each was read at) must be the same; the widths must come from each file's
// input shape. Bad sets: two files at one width, a model that is not a recognizer, a free-width model in a set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { assetPath, readAsset } from '../../src/runtime/node/assets.js';
import { compile } from '../../src/compiler/compile.js';
import { NetBuilder } from '../compiler/nets.js';
import type { Graph } from '../../src/ir/types.js';
import { openModel, readKeys } from '../../src/apps/node/models.js';
import { ortExecutor } from '../../src/apps/node/ort-executor.js';
import { readImage } from '../../src/apps/node/image-io.js';
import { runOcr, type OcrLine } from '../../src/apps/ocr/pipeline.js';
import type { ModelExecutor } from '../../src/apps/executor.js';

const bin = path.resolve('bin/dpuflow.js');
const KEYS = 'abcdefgh';
const CLASSES = KEYS.length + 2;

/** A tiny recognizer at 48×W: three stride-2 3×3 convs, a 2×2 max pool, a 3×3 valid conv to the classes. Seeded: same weights at every W. */
function tinyRec(W: number): Graph {
  const b = new NetBuilder(`tiny_rec_${W}`, 7);
  let x = b.conv(b.input([1, 48, W, 3]), 8, 3, 2);
  x = b.conv(x, 8, 3, 2);
  x = b.conv(x, 16, 3, 2);
  x = b.pool('maxpool2d', x, 2, 2);
  const g = b.graph([b.conv(x, CLASSES, 3, 1, 'NONE', { pad: 0 })]);
  // the head's bias (fix point 4, as the activations): blank unlikely, the keys ahead of it, so lines are kept (score ≥ 0.5)
  const head = g.ops.find((o) => o.name === g.outputs[0])!;
  const bias = g.ops.find((o) => o.name === head.inputs[2])!;
  bias.data = Float32Array.from({ length: CLASSES }, (_, k) => (k === 0 ? -3 : 1 + (k % 4) * 0.5));
  bias.output = { ...bias.output, fixPoint: 4 };
  return g;
}

/** Not a recognizer: a det-like map [1, 24, 48, 1]. */
function tinyMap(): Graph {
  const b = new NetBuilder('tiny_map', 3);
  return b.graph([b.conv(b.conv(b.input([1, 48, 96, 3]), 8, 3, 2), 1, 3, 1, 'NONE')]);
}

interface CliJson {
  task: string;
  rec: { file: string; width: number; height: number; stage: string }[];
  results: { input: string; ok: boolean; ocr?: { boxes: number; lines: OcrLine[] }; timings?: { stage: string; calls: number }[] }[];
}

test('dpuflow run --task ocr with --rec repeated: lines routed as runOcr routes them, each line\'s width in --json; bad sets named', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-run-rec-'));
  const opened: ModelExecutor[] = [];
  try {
    // screenshot-menu.png's lower middle: NEGATIVE / SEPIA / VINTAGE / KODACHROME / TECHNICOLOR (short and long lines)
    const img = path.join(dir, 'menu.png');
    await sharp(assetPath('image-text')).extract({ left: 195, top: 410, width: 130, height: 150 }).png().toFile(img);
    const keys = path.join(dir, 'keys.txt');
    fs.writeFileSync(keys, [...KEYS].join('\n') + '\n');
    const recFile = (w: number): string => path.join(dir, `rec${w}.xmodel`);
    for (const w of [96, 160, 320]) fs.writeFileSync(recFile(w), compile(tinyRec(w), 'B4096').xmodel);
    const order = [160, 320, 96]; // the set is given unsorted
    const recArgs = order.flatMap((w) => ['--rec', recFile(w)]);
    const cli = (...args: string[]) => spawnSync(process.execPath, [bin, 'run', assetPath('ppocr-det'), '--task', 'ocr', '--engine', 'ort', '--no-cls', '--keys', keys, '--input', img, ...args], { encoding: 'utf8' });

    const r = cli(...recArgs, '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as CliJson;
    assert.deepEqual(j.rec.map((s) => [s.file, s.width, s.height, s.stage]), [96, 160, 320].map((w) => [recFile(w), w, 48, `rec@${w}`]), 'widths read from each file\'s input, sorted');
    const got = j.results[0]!;
    assert.ok(got.ok);

    // oracle: the API with the same files
    const det = await ortExecutor(readAsset('ppocr-det'), { name: 'det' });
    opened.push(det);
    const recs = await Promise.all(order.map((w) => openModel(recFile(w), { mode: 'ref' })));
    opened.push(...recs);
    const api = await runOcr(await readImage(img), { det, rec: recs[0]!, recByWidth: recs.slice(1), alphabet: readKeys(keys) }, { limitSideLen: 960 });
    assert.equal(got.ocr!.boxes, api.boxes);
    assert.deepEqual(got.ocr!.lines, JSON.parse(JSON.stringify(api.lines)), 'CLI lines = runOcr lines (text, score, box, recWidth)');
    assert.ok(api.lines.length >= 4, `lines: ${api.lines.length} of ${api.boxes} boxes`);
    const used = new Set(api.lines.map((l) => l.recWidth));
    assert.ok(used.size >= 2, `more than one width used: ${[...used]}`);
    // each line's width by hand: the crop is trunc(longer of the opposite sides) as PaddleOCR's get_rotate_crop_image
    // cuts it, its width at height 48 is ceil(48·w/h), read at the smallest width of the set that holds that
    for (const l of got.ocr!.lines) {
      const [p0, p1, p2, p3] = l.box as [number, number][];
      const d = (a: [number, number], b: [number, number]): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
      const w = Math.trunc(Math.max(d(p0, p1), d(p2, p3))), h = Math.trunc(Math.max(d(p0, p3), d(p1, p2)));
      const nat = Math.ceil(48 * (w / h));
      assert.equal(l.recWidth, [96, 160, 320].find((x) => nat <= x) ?? 320, `${l.text}: crop ${w}×${h}, ${nat} px at height 48`);
    }
    // the timing table has one row per width used, with its calls
    for (const w of used) {
      const row = got.timings!.find((t) => t.stage === `rec@${w}` || t.stage.startsWith(`rec@${w} `));
      assert.ok(row, `a rec@${w} row in ${got.timings!.map((t) => t.stage).join(', ')}`);
    }
    // the readable report names the width per line
    const txt = cli(...recArgs);
    assert.equal(txt.status, 0, txt.stderr);
    for (const l of api.lines) assert.ok(txt.stdout.includes(`${l.text}  [rec@${l.recWidth}]`), `${l.text} [rec@${l.recWidth}] in\n${txt.stdout}`);

    // two files at one width: a UsageError naming both
    const twin = path.join(dir, 'rec160-copy.xmodel');
    fs.copyFileSync(recFile(160), twin);
    const dup = cli('--rec', recFile(160), '--rec', recFile(96), '--rec', twin);
    assert.equal(dup.status, 1);
    assert.equal(dup.stderr.trim().split('\n').length, 1, dup.stderr);
    assert.ok(dup.stderr.includes(`UsageError: ${twin}: --rec: ${recFile(160)} and ${twin} both have input width 160 — give one rec model per width`), dup.stderr);
    // a model that is not a recognizer (its output is a map, not [1, T, classes])
    const map = path.join(dir, 'map.xmodel');
    fs.writeFileSync(map, compile(tinyMap(), 'B4096').xmodel);
    const notRec = cli('--rec', recFile(96), '--rec', map);
    assert.equal(notRec.status, 1);
    assert.ok(notRec.stderr.includes(`UsageError: ${map}: --rec: not a text recognizer for this key file: its output is [1, 24, 48, 1], expected [1, T, ${CLASSES}] — give a PP-OCR rec model`), notRec.stderr);
    // a free-width model (the shipped PP-OCRv4 rec ONNX) cannot join a set of fixed widths
    const free = cli('--rec', recFile(96), '--rec', assetPath('ppocr-rec'));
    assert.equal(free.status, 1);
    assert.match(free.stderr, /UsageError: .*\.onnx: --rec: this recognizer has a free input width; a width set needs one fixed width per file — give compiled \.xmodel files/);
  } finally {
    for (const ex of opened) ex.close?.();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
