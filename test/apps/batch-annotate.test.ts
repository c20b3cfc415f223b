// `dpuflow run --task ocr` on a folder (onnxruntime engine for speed) with every kind of bad and odd
// input of issue 8: not-an-image, zero-size file, grey, CMYK and alpha images. Bad files are reported and
// skipped, the batch carries on, odd-but-valid images are converted and read. The annotated PNG is checked
// against text positions measured by hand on the shipped image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { assetPath } from '../../src/runtime/node/assets.js';

const bin = path.resolve('bin/dpuflow.js');

/**
 * The crop left 40, top 60, 110×84 of screenshot-menu.png (@vladmandic/human): three menu lines.
 * Ink boxes [x0, y0, x1, y1] (inclusive, crop pixels), measured once by hand on a 4× enlargement
 * and confirmed by the bright-pixel extent of each line's band: see docs/apps.md.
 */
const LINES: Array<{ text: string; ink: [number, number, number, number] }> = [
  { text: 'RESULTS TREE', ink: [14, 12, 72, 18] },
  { text: 'PERF MONITOR', ink: [14, 40, 78, 46] },
  { text: 'BUFFER OUTPUT', ink: [14, 68, 84, 74] },
];
const MARGIN = 10; // DB's unclip grows the box around the ink by a few pixels; no side may be further out than this

interface RunJson {
  results: Array<{ input: string; ok: boolean; error?: { code: string; message: string }; ocr?: { boxes: number; lines: Array<{ text: string; box: [number, number][] }> }; annotated?: string; timings?: Array<{ stage: string; device: string; hostMs: number }> }>;
}

test('batch: not-an-image and zero-size files are skipped and reported; grey, CMYK and alpha images are read; annotated boxes sit on the hand-measured text', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-batch-'));
  const crop = () => sharp(assetPath('image-text')).extract({ left: 40, top: 60, width: 110, height: 84 });
  await crop().png().toFile(path.join(dir, 'a-rgb.png'));
  await crop().toColourspace('b-w').png().toFile(path.join(dir, 'b-grey.png'));
  await crop().greyscale().png().toFile(path.join(dir, 'b2-grey-as-rgb.png')); // the same grey pixels stored as RGB: the oracle for b-grey
  await crop().toColourspace('cmyk').jpeg({ quality: 95 }).toFile(path.join(dir, 'c-cmyk.jpg'));
  await crop().ensureAlpha(0.9).png().toFile(path.join(dir, 'd-alpha.png'));
  fs.writeFileSync(path.join(dir, 'e-text.png'), 'this is text, not a PNG');
  fs.writeFileSync(path.join(dir, 'f-empty.jpg'), '');
  await crop().png().toFile(path.join(dir, 'g-rgb-again.png')); // the batch carries on after the bad files
  assert.equal((await sharp(path.join(dir, 'b-grey.png')).metadata()).channels, 1);
  assert.equal((await sharp(path.join(dir, 'c-cmyk.jpg')).metadata()).space, 'cmyk');
  assert.equal((await sharp(path.join(dir, 'd-alpha.png')).metadata()).channels, 4);

  const out = path.join(dir, 'out', 'ann.png');
  const r = spawnSync(process.execPath, [bin, 'run', '--input', dir, '--engine', 'ort', '--json', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr); // some files were bad
  assert.match(r.stderr, /skipped .*e-text\.png/);
  assert.match(r.stderr, /skipped .*f-empty\.jpg/);
  const j = JSON.parse(r.stdout) as RunJson;
  const by = new Map(j.results.map((x) => [path.basename(x.input), x]));
  assert.deepEqual([...by.keys()], ['a-rgb.png', 'b-grey.png', 'b2-grey-as-rgb.png', 'c-cmyk.jpg', 'd-alpha.png', 'e-text.png', 'f-empty.jpg', 'g-rgb-again.png']);
  for (const bad of ['e-text.png', 'f-empty.jpg']) {
    const b = by.get(bad)!;
    assert.equal(b.ok, false);
    assert.ok(b.error && b.error.message.length > 0, bad);
  }
  const want = LINES.map((l) => l.text);
  for (const good of ['a-rgb.png', 'b-grey.png', 'b2-grey-as-rgb.png', 'c-cmyk.jpg', 'd-alpha.png', 'g-rgb-again.png']) {
    const g = by.get(good)!;
    assert.ok(g.ok, `${good}: ${JSON.stringify(g.error)}`);
    const texts = g.ocr!.lines.map((l) => l.text.trim());
    // grey: the bottom line's CTC score drops below 0.5 (onnxruntime FP32 reads it so on both files); the
    // 1-channel file must read exactly like the same grey pixels stored as RGB (the 1→3 channel conversion)
    if (good.startsWith('b')) assert.deepEqual(texts, by.get('b2-grey-as-rgb.png')!.ocr!.lines.map((l) => l.text.trim()), good);
    else assert.deepEqual(texts, want, good);
    assert.ok(texts.length >= 2 && texts.every((t) => want.includes(t)), `${good}: ${JSON.stringify(texts)}`);
    // every pre/post step is timed
    const stages = new Set(g.timings!.map((t) => t.stage));
    for (const s of ['det pre-processing', 'DB post-processing', 'CTC decode']) assert.ok(stages.has(s), `${good}: no ${s} timing`);
    assert.ok(g.timings!.every((t) => t.hostMs >= 0 && Number.isFinite(t.hostMs)));
  }

  // box positions (JSON) against the hand-measured ink boxes
  const a = by.get('a-rgb.png')!;
  assert.equal(a.ocr!.boxes, 3, 'three text boxes detected');
  a.ocr!.lines.forEach((l, i) => {
    const [x0, y0, x1, y1] = LINES[i]!.ink;
    const xs = l.box.map((p) => p[0]), ys = l.box.map((p) => p[1]);
    const bx0 = Math.min(...xs), bx1 = Math.max(...xs), by0 = Math.min(...ys), by1 = Math.max(...ys);
    assert.ok(bx0 <= x0 && by0 <= y0 && bx1 >= x1 && by1 >= y1, `${l.text}: box [${bx0},${by0},${bx1},${by1}] does not cover the ink [${LINES[i]!.ink}]`);
    assert.ok(x0 - bx0 <= MARGIN && y0 - by0 <= MARGIN && bx1 - x1 <= MARGIN && by1 - y1 <= MARGIN, `${l.text}: box [${bx0},${by0},${bx1},${by1}] too far out of the ink [${LINES[i]!.ink}]`);
  });

  // the annotated PNG itself: an outline drawn on all four sides of each measured line, the ink inside untouched
  const annotated = a.annotated!;
  assert.ok(annotated.endsWith('ann-a-rgb.png') && fs.existsSync(annotated));
  const orig = await crop().removeAlpha().raw().toBuffer();
  const { data, info } = await sharp(annotated).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [110, 84]);
  const changed = (x: number, y: number): boolean => {
    const i = (y * info.width + x) * 3;
    return Math.abs(data[i]! - orig[i]!) + Math.abs(data[i + 1]! - orig[i + 1]!) + Math.abs(data[i + 2]! - orig[i + 2]!) > 60;
  };
  const anyChanged = (xa: number, xb: number, ya: number, yb: number): boolean => {
    for (let y = Math.max(0, ya); y <= Math.min(info.height - 1, yb); y++) for (let x = Math.max(0, xa); x <= Math.min(info.width - 1, xb); x++) if (changed(x, y)) return true;
    return false;
  };
  for (const { text, ink: [x0, y0, x1, y1] } of LINES) {
    const xm = (x0 + x1) >> 1, ym = (y0 + y1) >> 1;
    assert.ok(anyChanged(x0 - MARGIN, x0 - 1, ym, ym), `${text}: no left edge drawn`);
    assert.ok(anyChanged(x1 + 1, x1 + MARGIN, ym, ym), `${text}: no right edge drawn`);
    assert.ok(anyChanged(xm, xm, y0 - MARGIN, y0 - 1), `${text}: no top edge drawn`);
    assert.ok(anyChanged(xm, xm, y1 + 1, y1 + MARGIN), `${text}: no bottom edge drawn`);
    assert.ok(!anyChanged(x0 + 2, x1 - 2, y0 + 1, y1 - 1), `${text}: the drawing covers the text`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});
