/**
 * Issue 8's OCR proof on a second, FP32-stable evaluation set (docs/ocr.md "Proof on an FP32-stable set"): the
 * images of STABLE_SET (test/apps/ocr-eval-util.ts) — whole GIMP dialog screenshots from Debian's gimp-help-en that
 * the FP32-only rule kept (≥ 3 lines, ≥ 95 % of lines identical under ±1 grey noise; ocr-stable-select.test.ts),
 * the set fixed before INT8 was run on any of them. The INT8 virtual-DPU pipeline (det, cls, rec quantized and
 * compiled with the demo's recipe, ocrBuildSpecs, GraphRunner 'run') vs the FP32 pipeline (onnxruntime-node on the
 * original ONNX files, same pre/post code, same rec widths): ≥ 90 % of FP32's lines read the same, ≥ 97 % characters.
 * The first proof (ocr-int8-rec.test.ts, 5 images) is unchanged; this is an additional set.
 *
 * Opt-in (DPUFLOW_OCR_INT8=1): det is quantized once per det input size, cls once, rec once per width (minutes on 2
 * shared cores). DPUFLOW_OCR_CACHE=<dir> keeps the compiled models (key covers model, calibration, options, not
 * dpuflow's code: use an empty folder after changing the code).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readImage } from '../../src/apps/node/image-io.js';
import { detResizeSize, runOcr } from '../../src/apps/ocr/pipeline.js';
import { graphRunnerExecutor, type ModelExecutor } from '../../src/apps/executor.js';
import { buildModel } from '../../src/apps/demo/build.js';
import { REC_WIDTHS, detCalibration, ocrBuildSpecs } from '../../src/apps/demo/ocr-specs.js';
import { GraphRunner } from '../../src/runtime/graph-runner.js';
import { fileCache } from '../../src/cli/commands/demo.js';
import { readAsset } from '../../src/runtime/node/assets.js';
import { EVAL_OPTS, GIMP_DIALOGS, STABLE_SET, addAgreement, agreement, agreementOn, differing, fmtAgreement, fp32Models, proofCalibration, sameAt, shiftImage, type Agreement } from './ocr-eval-util.js';

const enabled = process.env.DPUFLOW_OCR_INT8 === '1';
const cache = process.env.DPUFLOW_OCR_CACHE ? fileCache(process.env.DPUFLOW_OCR_CACHE) : undefined;
// DPUFLOW_OCR_INT8_STAGES=det | rec | det,cls …: only these stages INT8, the others onnxruntime FP32 (a diagnostic: where
// the lines are lost). Default: all three; the assertion applies to all three only.
const stages = new Set((process.env.DPUFLOW_OCR_INT8_STAGES ?? 'det,cls,rec').split(','));
const allInt8 = ['det', 'cls', 'rec'].every((s) => stages.has(s));


test('OCR INT8 (det + cls + rec on the virtual DPU) vs onnxruntime FP32 on the FP32-stable set: ≥ 90 % lines, ≥ 97 % characters', {
  skip: enabled ? false : 'opt-in: DPUFLOW_OCR_INT8=1 (minutes)',
  todo: 'not met: 124/150 lines (82.7 %), 96.7 % characters with the session-7 recipes (det alone 135/150, 97.6 %; rec alone 130/150, 97.9 %; docs/ocr.md "Session 9")',
}, async () => {
  assert.ok(fs.existsSync(GIMP_DIALOGS), 'gimp-help-en is installed (.ci/run)');
  assert.ok(STABLE_SET.length >= 5, 'the FP32-stable set has ≥ 5 images');
  const onnx = { det: readAsset('ppocr-det'), cls: readAsset('ppocr-cls'), rec: readAsset('ppocr-rec') };
  // calibration as the demo recipe builds it (DPUFLOW_OCR_REC_CALIB=spots: rec on the cls crops, the recipe before session 5)
  const { lineCrops, recLineCrops, detCalibImgs } = await proofCalibration();
  const ref = await fp32Models();
  const recWidths = [...REC_WIDTHS];
  const ex = (g: Parameters<typeof GraphRunner.create>[0], name: string): ModelExecutor => graphRunnerExecutor(GraphRunner.create(g, { mode: 'run' }), name);
  let cls: ModelExecutor | undefined;
  const recs: ModelExecutor[] = [];
  const dets = new Map<string, ModelExecutor>();
  const total: Agreement = { lines: 0, same: 0, chars: 0, errs: 0 };
  // a diagnostic (not the criterion): the same count on the FP32 lines FP32 itself reads the same when the image moves
  // by one pixel (docs/ocr.md "Session 9": FP32's own floor on this set)
  const stableTotal: Agreement = { lines: 0, same: 0, chars: 0, errs: 0 };
  const rows: string[] = [];
  for (const name of STABLE_SET) {
    const img = await readImage(path.join(GIMP_DIALOGS, name));
    const s = detResizeSize(img.width, img.height, 960);
    const key = `${s.w}x${s.h}`;
    if (!dets.has(key) || !cls) {
      const calib = detCalibration(detCalibImgs, s.w, s.h);
      const specs = ocrBuildSpecs({ onnx: cls ? { det: onnx.det, cls: onnx.cls } : onnx, det: { h: s.h, w: s.w, calib }, lineCrops, ...(recLineCrops ? { recLineCrops } : {}), target: 'kv260', version: 'test', recWidths });
      if (!dets.has(key)) dets.set(key, ex((await buildModel(specs[0]!, cache)).graph, 'det'));
      if (!cls) {
        cls = ex((await buildModel(specs[1]!, cache)).graph, 'cls');
        for (const sp of specs.slice(2)) recs.push(ex((await buildModel(sp, cache)).graph, sp.name));
        assert.deepEqual(recs.map((r) => r.inputs[0]!.shape[2]), recWidths, 'one compiled rec per width');
      }
    }
    const a = await runOcr(img, ref, EVAL_OPTS);
    const b = await runOcr(img, {
      det: stages.has('det') ? dets.get(key)! : ref.det, cls: stages.has('cls') ? cls : ref.cls,
      rec: stages.has('rec') ? recs[0]! : ref.rec, recByWidth: stages.has('rec') ? recs.slice(1) : undefined, alphabet: ref.alphabet,
    }, EVAL_OPTS);
    const r = agreement(a.lines, b.lines);
    addAgreement(total, r);
    const shifted = await runOcr(shiftImage(img, 1, 1), ref, EVAL_OPTS);
    const keep = sameAt(a.lines, shifted.lines);
    const rs = agreementOn(a.lines, b.lines, keep);
    addAgreement(stableTotal, rs);
    const diff = differing(a.lines, b.lines);
    rows.push(`| ${name} | ${img.width}×${img.height} | ${fmtAgreement(r)} | ${fmtAgreement(rs)} | ${diff.map(([f, q]) => `${JSON.stringify(f)} → ${q === null ? '(none)' : JSON.stringify(q)}`).join(', ')} |`);
  }
  for (const e of [ref.det, ref.cls, ref.rec, cls, ...recs, ...dets.values()]) e?.close?.();
  const charAcc = 1 - total.errs / total.chars;
  console.log(`INT8 (${[...stages].join(', ')}) OCR vs FP32 on the FP32-stable set (rec widths ${recWidths.join('/')}):\n| image | size | equal lines · characters | on FP32's 1-px-stable lines (diagnostic) | FP32 lines read differently: FP32 → INT8 |\n|---|---|---:|---:|---|\n` +
    `${rows.join('\n')}\n| **total** | | **${fmtAgreement(total)}** | ${fmtAgreement(stableTotal)} | |`);
  assert.ok(allInt8, `diagnostic run (INT8 stages: ${[...stages].join(', ')}): the criterion applies to all three INT8`);
  assert.ok(total.same / total.lines >= 0.9 && charAcc >= 0.97, `${total.same}/${total.lines} lines, ${(100 * charAcc).toFixed(1)} % characters`);
});
