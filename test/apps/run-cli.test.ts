// `dpuflow run` end to end (onnxruntime engine for speed): a folder with a good image and a broken one —
// the broken one is reported and skipped, the good one is read, the annotated PNG is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { assetPath } from '../../src/runtime/node/assets.js';

const bin = path.resolve('bin/dpuflow.js');

test('dpuflow run --task ocr on a folder: skips the bad file, reads the good one, --json, --out', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-run-'));
  await sharp(assetPath('image-text')).extract({ left: 40, top: 60, width: 110, height: 84 }).png().toFile(path.join(dir, 'a.png'));
  fs.writeFileSync(path.join(dir, 'b.png'), 'not an image');
  const out = path.join(dir, 'out', 'ann.png');
  const r = spawnSync(process.execPath, [bin, 'run', '--input', dir, '--engine', 'ort', '--json', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /skipped .*b\.png/);
  const j = JSON.parse(r.stdout) as { results: { input: string; ok: boolean; ocr?: { lines: { text: string }[] }; annotated?: string; timings?: { boardCpuMsEstimate?: number }[] }[] };
  assert.equal(j.results.length, 2);
  const good = j.results[0]!;
  assert.ok(good.ok);
  assert.deepEqual(good.ocr!.lines.map((l) => l.text.trim()), ['RESULTS TREE', 'PERF MONITOR', 'BUFFER OUTPUT']);
  assert.ok(fs.existsSync(good.annotated!) && good.annotated!.endsWith('ann-a.png'));
  assert.ok(good.timings!.every((t) => t.boardCpuMsEstimate !== undefined));
  assert.equal(j.results[1]!.ok, false);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('dpuflow run: unreadable single image and missing key file → exit 1 with the file named', () => {
  const r = spawnSync(process.execPath, [bin, 'run', '--input', '/nonexistent/x.png', '--engine', 'ort'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /AppError: \/nonexistent\/x\.png/);
  const k = spawnSync(process.execPath, [bin, 'run', '--input', assetPath('image-text'), '--engine', 'ort', '--keys', '/nonexistent/keys.txt'], { encoding: 'utf8' });
  assert.equal(k.status, 1);
  assert.match(k.stderr, /\/nonexistent\/keys\.txt.*no such key file/);
});
