/**
 * Issue 8's OCR proof: on ≥ 5 whole real images with text, the INT8 virtual-DPU pipeline (det, cls AND rec
 * quantized and compiled with the demo's recipe — src/apps/demo/ocr-specs.ts — run by the GraphRunner, CPU
 * subgraphs as the compiler partitions them) vs the FP32 pipeline (onnxruntime-node on the original ONNX
 * files, same pre/post code): ≥ 90 % of the reference lines read the same, ≥ 97 % characters.
 * Images: the whole screenshots shipped with @vladmandic/human (menu, results, faceid, facedetect) and
 * scikit-image's page.png (python3-skimage, installed by .ci/run); calibration uses other images only
 * (screenshot-typedoc rectangles for cls, REC_CALIB_LINES of typedoc/samples/facematch for rec, DET_CALIB_FILES for det).
 *
 * Rec is compiled at REC_WIDTHS (320, 640): each line goes to the smallest width that holds it at its aspect
 * (padded right); the FP32 reference runs the free-width ONNX at the same widths, so both see the same crops.
 * DPUFLOW_OCR_REC_WIDTHS=320 gives the single-width build (lines squeezed into 320 px) for comparison.
 *
 * Opt-in (DPUFLOW_OCR_INT8=1): it quantizes det once per image size, rec once per width, and runs ~250 rec calls,
 * several minutes on 2 shared cores. Marked todo while the criterion is not met (measured figures in docs/ocr.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ortExecutor } from '../../src/apps/node/ort-executor.js';
import { readImage } from '../../src/apps/node/image-io.js';
import { readKeys } from '../../src/apps/node/models.js';
import { detResizeSize, runOcr, type OcrModels } from '../../src/apps/ocr/pipeline.js';
import { graphRunnerExecutor, type ModelExecutor } from '../../src/apps/executor.js';
import { buildModel } from '../../src/apps/demo/build.js';
import { lineAgreement } from '../../src/apps/demo/report.js';
import { REC_WIDTHS, detCalibration, ocrBuildSpecs } from '../../src/apps/demo/ocr-specs.js';
import { HUMAN_ASSETS, addAgreement, agreementOn, fmtAgreement, proofCalibration, sameAt, shiftImage, type Agreement } from './ocr-eval-util.js';
import { GraphRunner } from '../../src/runtime/graph-runner.js';
import { fileCache } from '../../src/cli/commands/demo.js';
import { assetPath, readAsset } from '../../src/runtime/node/assets.js';

const SKIMAGE_PAGE = '/usr/lib/python3/dist-packages/skimage/data/page.png';
const enabled = process.env.DPUFLOW_OCR_INT8 === '1';
const recWidths = process.env.DPUFLOW_OCR_REC_WIDTHS ? process.env.DPUFLOW_OCR_REC_WIDTHS.split(',').map(Number) : [...REC_WIDTHS];
// DPUFLOW_OCR_CACHE=<dir>: keep the compiled models there (the demo's file cache) to re-measure without rebuilding.
// The key covers model, calibration and options but not dpuflow's own code: use an empty folder after changing it.
const cache = process.env.DPUFLOW_OCR_CACHE ? fileCache(process.env.DPUFLOW_OCR_CACHE) : undefined;


test('OCR INT8 (det + cls + rec on the virtual DPU) vs onnxruntime FP32 on 5 whole images: ≥ 90 % lines, ≥ 97 % characters', {
  skip: enabled ? false : 'opt-in: DPUFLOW_OCR_INT8=1 (several minutes)',
  todo: 'not met: 106/218 lines (48.6 %), 78.2 % characters with the session-7 recipes (docs/ocr.md "Session 7", "Session 9")',
}, async () => {
  const human = HUMAN_ASSETS;
  const images = [path.join(human, 'screenshot-menu.png'), path.join(human, 'screenshot-results.png'), path.join(human, 'screenshot-faceid.jpg'), path.join(human, 'screenshot-facedetect.jpg'), SKIMAGE_PAGE];
  assert.ok(fs.existsSync(SKIMAGE_PAGE), 'python3-skimage is installed (.ci/run)');
  const alphabet = readKeys(assetPath('ppocr-keys'));
  const onnx = { det: readAsset('ppocr-det'), cls: readAsset('ppocr-cls'), rec: readAsset('ppocr-rec') };
  // calibration as the demo recipe builds it (DPUFLOW_OCR_REC_CALIB=spots: rec on the cls crops, the recipe before session 5)
  const { lineCrops, recLineCrops, detCalibImgs } = await proofCalibration();
  const ref: OcrModels = {
    det: await ortExecutor(onnx.det, { name: 'det' }), cls: await ortExecutor(onnx.cls, { name: 'cls' }), rec: await ortExecutor(onnx.rec, { name: 'rec' }), alphabet,
  };
  const ex = (g: Parameters<typeof GraphRunner.create>[0], name: string): ModelExecutor => graphRunnerExecutor(GraphRunner.create(g, { mode: 'run' }), name);
  let cls: ModelExecutor | undefined, recs: ModelExecutor[] = [];
  let same = 0, n = 0, chars = 0, errs = 0, refLow = 0, int8Low = 0;
  const byWidth: Record<number, { lines: number; same: number }> = {};
  const rows: string[] = [];
  const onStable: Agreement = { lines: 0, same: 0, chars: 0, errs: 0 };
  for (const file of images) {
    const img = await readImage(file);
    const s = detResizeSize(img.width, img.height, 960);
    const calib = detCalibration(detCalibImgs, s.w, s.h);
    const specs = ocrBuildSpecs({ onnx: cls ? { det: onnx.det, cls: onnx.cls } : onnx, det: { h: s.h, w: s.w, calib }, lineCrops, ...(recLineCrops ? { recLineCrops } : {}), target: 'kv260', version: 'test', recWidths });
    const det = ex((await buildModel(specs[0]!, cache)).graph, 'det');
    if (!cls) {
      cls = ex((await buildModel(specs[1]!, cache)).graph, 'cls');
      for (const sp of specs.slice(2)) recs.push(ex((await buildModel(sp, cache)).graph, sp.name));
      assert.deepEqual(recs.map((r) => r.inputs[0]!.shape[2]), recWidths, 'one compiled rec per width');
    }
    const opts = { maxLines: 1000, recWidths };
    const a = await runOcr(img, ref, opts);
    const b = await runOcr(img, { det, cls, rec: recs[0]!, recByWidth: recs.slice(1), alphabet }, opts);
    det.close?.();
    const ag = lineAgreement(a.lines, b.lines);
    // a diagnostic (not the criterion): the count on the FP32 lines FP32 itself reads the same after a 1-px shift
    addAgreement(onStable, agreementOn(a.lines, b.lines, sameAt(a.lines, (await runOcr(shiftImage(img, 1, 1), ref, opts)).lines)));
    refLow += a.lines.filter((l) => l.score < 0.9).length;
    int8Low += b.lines.filter((l) => l.score < 0.9).length;
    // per rec width (the FP32 line's width; INT8 uses the same one when det gives the same box)
    a.lines.forEach((l, i) => {
      const e = (byWidth[l.recWidth ?? 0] ??= { lines: 0, same: 0 });
      e.lines++;
      const p = ag.pairs[i]!; // pairs[i] is reference line i
      if (p.dpu !== null && p.dpu.trim() === l.text.trim()) e.same++;
    });
    // character errors exactly as lineAgreement counts them
    const nChars = ag.pairs.reduce((t, p) => t + (p.reference === null ? 0 : Math.max([...p.reference.trim()].length, [...(p.dpu ?? '').trim()].length)), 0);
    same += ag.sameLines;
    n += ag.reference.length;
    chars += nChars;
    errs += (1 - ag.charAccuracy) * nChars;
    rows.push(`${path.basename(file)} ${ag.sameLines}/${ag.reference.length} lines (${ag.matched} paired), ${(100 * ag.charAccuracy).toFixed(1)} % chars`);
  }
  for (const e of [ref.det, ref.cls, ref.rec, cls, ...recs]) e?.close?.();
  const charAcc = 1 - errs / chars;
  const wRows = Object.entries(byWidth).map(([w, e]) => `${w}: ${e.same}/${e.lines}`).join(', ');
  console.log(`INT8 OCR vs FP32 (rec widths ${recWidths.join('/')}): ${rows.join('; ')}; total ${same}/${n} lines = ${(100 * same / n).toFixed(1)} %, characters ${(100 * charAcc).toFixed(1)} %; ` +
    `equal lines by FP32 rec width ${wRows}; CTC score < 0.9: FP32 ${refLow}/${n} lines, INT8 ${int8Low}; ` +
    `on the FP32 lines FP32 reads the same after a 1-px shift (diagnostic): ${fmtAgreement(onStable)}`);
  assert.ok(images.length >= 5);
  assert.ok(same / n >= 0.9 && charAcc >= 0.97, `${same}/${n} lines, ${(100 * charAcc).toFixed(1)} % characters`);
});
