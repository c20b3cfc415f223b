/**
 * The FP32-only selection of the OCR evaluation set (issue 8; docs/ocr.md "Proof on an FP32-stable set"): runs the
 * rule of test/apps/ocr-eval-util.ts (STABLE_RULE) on every candidate (candidateImages: gimp-help-en's dialog
 * screenshots ≥ 250×250 px), prints one row per candidate (kept or rejected, and why) and checks that the kept images
 * are exactly STABLE_SET, the list the INT8 test (ocr-int8-stable.test.ts) evaluates. Only onnxruntime FP32 runs here.
 *
 * Opt-in (DPUFLOW_OCR_STABLE=1): 3 FP32 OCR passes per candidate, a minute or two on 2 shared cores.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readImage } from '../../src/apps/node/image-io.js';
import { runOcr } from '../../src/apps/ocr/pipeline.js';
import { DEV_SET, EVAL_OPTS, GIMP_DIALOGS, STABLE_RULE, STABLE_SET, agreement, candidateImages, devCandidateImages, fmtAgreement, fp32Models, greyNoise } from './ocr-eval-util.js';

const enabled = process.env.DPUFLOW_OCR_STABLE === '1';

/** The rule over `files`: prints one row per candidate and returns the kept names. */
async function select(files: string[]): Promise<string[]> {
  const m = await fp32Models();
  const kept: string[] = [];
  const rows = ['| candidate | size | FP32 lines | noise seed 1 | noise seed 2 | kept? |', '|---|---|---:|---:|---:|---|'];
  for (const file of files) {
    const img = await readImage(file);
    const ref = (await runOcr(img, m, EVAL_OPTS)).lines;
    const noisy = [];
    for (const seed of STABLE_RULE.noiseSeeds) noisy.push(agreement(ref, (await runOcr(greyNoise(img, seed), m, EVAL_OPTS)).lines));
    const why = ref.length < STABLE_RULE.minLines ? `no: ${ref.length} < ${STABLE_RULE.minLines} lines`
      : noisy.some((r) => r.same < STABLE_RULE.minSame * r.lines) ? `no: < ${100 * STABLE_RULE.minSame} % lines stable` : 'yes';
    if (why === 'yes') kept.push(path.basename(file));
    rows.push(`| ${path.basename(file)} | ${img.width}×${img.height} | ${ref.length} | ${noisy.map(fmtAgreement).join(' | ')} | ${why} |`);
  }
  for (const e of [m.det, m.cls, m.rec]) e?.close?.();
  console.log(`FP32 selection rule (≥ ${STABLE_RULE.minLines} lines, ≥ ${100 * STABLE_RULE.minSame} % of lines identical under ±1 grey noise, seeds ${STABLE_RULE.noiseSeeds.join(', ')}); ` +
    `${files.length} candidates, ${kept.length} kept:\n${rows.join('\n')}\nkept: ${JSON.stringify(kept)}`);
  return kept;
}

test('OCR evaluation set: the FP32 noise rule over the gimp-help-en dialog screenshots keeps exactly STABLE_SET', {
  skip: enabled ? false : 'opt-in: DPUFLOW_OCR_STABLE=1 (a minute or two)',
}, async () => {
  assert.ok(fs.existsSync(GIMP_DIALOGS), 'gimp-help-en is installed (.ci/run)');
  const kept = await select(candidateImages());
  assert.ok(kept.length >= 5, `only ${kept.length} candidates qualify`);
  assert.deepEqual(kept, [...STABLE_SET], 'the rule keeps exactly the recorded STABLE_SET');
});

test('OCR development set: the same rule over the Preferences and menu screenshots keeps exactly DEV_SET', {
  skip: process.env.DPUFLOW_OCR_STABLE_DEV === '1' ? false : 'opt-in: DPUFLOW_OCR_STABLE_DEV=1 (a minute or two)',
}, async () => {
  const files = devCandidateImages();
  assert.ok(files.length > 0, 'gimp-help-en is installed (.ci/run)');
  const kept = await select(files);
  assert.deepEqual(kept, [...DEV_SET], 'the rule keeps exactly the recorded DEV_SET');
});
