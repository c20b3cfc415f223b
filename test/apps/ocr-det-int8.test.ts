/**
 * Issue 8, det part of the OCR proof: INT8 PP-OCRv4 det ALONE (cls + rec FP32 on onnxruntime) vs the all-FP32
 * pipeline (onnxruntime-node on the original ONNX files, same pre/post code) on the proof's 5 whole images
 * (test/apps/ocr-int8-rec.test.ts). The criterion is the proof's: ≥ 90 % of the FP32 lines read the same. Det is
 * quantized with the demo's recipe (src/apps/demo/ocr-specs.ts: DET_QUANTIZE, calibrated on DET_CALIB_FILES,
 * none of them evaluated) and run on the WASM fast executor, bit-exact with the compiled DPU + CPU subgraphs
 * (test/kernels/wasm, test/runtime/cpu-run).
 *
 * Besides the lines it prints how the INT8 boxes differ from FP32's (boxes found by DB post-processing on each
 * map: missing / extra, IoU of paired boxes, edge moves in image pixels) and how the maps differ (pixels whose
 * p > 0.3 binarization flips; the fix point of the logits the sigmoid reads). DPUFLOW_OCR_DET_REPORT=1 adds the
 * quantizer's per-tensor report on each test image (worst accumulated SQNR).
 *
 * Opt-in: DPUFLOW_OCR_PART=det (one det quantization per image size: ~1–3 min on 2 shared cores; with fast
 * finetune several minutes). DPUFLOW_OCR_DET_RECIPE='{"fastFinetune":true}' merges quantizer options over
 * DET_QUANTIZE (for measuring recipes; docs/ocr.md "Det"). Marked todo while the criterion is not met.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Graph, TensorValue } from '../../src/ir/types.js';
import { ortExecutor } from '../../src/apps/node/ort-executor.js';
import { readImage } from '../../src/apps/node/image-io.js';
import { readKeys } from '../../src/apps/node/models.js';
import { DET_MEAN, DET_STD, detResizeSize, runOcr, type OcrModels } from '../../src/apps/ocr/pipeline.js';
import { dbPostprocess } from '../../src/apps/ocr/db.js';
import { imageToTensor, resizeBilinear } from '../../src/apps/image/image.js';
import type { ModelExecutor } from '../../src/apps/executor.js';
import { lineAgreement } from '../../src/apps/demo/report.js';
import { DET_CALIB_FILES, DET_QUANTIZE, detCalibration } from '../../src/apps/demo/ocr-specs.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { quantize, type QuantizeOptions } from '../../src/quantizer/quantize.js';
import { reportPass } from '../../src/quantizer/report-pass.js';
import { createFastExecutor } from '../../src/kernels/wasm/executor.js';
import { assetPath, packageDir, readAsset } from '../../src/runtime/node/assets.js';
import { compareBoxes, pct } from './ocr-det-util.js';

const SKIMAGE_PAGE = '/usr/lib/python3/dist-packages/skimage/data/page.png';
const enabled = process.env.DPUFLOW_OCR_PART === 'det';

/** The quantized IR on the WASM fast executor (bit-exact DPU arithmetic) as a pipeline executor. */
function fastExecutor(q: Graph, name: string): ModelExecutor {
  const fx = createFastExecutor(q);
  const input = q.inputs[0]!;
  const shape = q.ops.find((o) => o.name === input)!.output.shape.slice();
  return {
    name, inputs: [{ name: input, shape }], outputs: q.outputs.slice(), backend: 'dpu-fast',
    run: async (feeds) => fx.run(feeds),
  };
}

test('OCR: INT8 det alone (cls + rec FP32) vs all-FP32 on 5 whole images: ≥ 90 % lines equal', {
  skip: enabled ? false : 'opt-in: DPUFLOW_OCR_PART=det (minutes)',
  todo: 'not met yet: see docs/ocr.md ("Det") for the measured figures',
}, async () => {
  const human = path.join(packageDir('@vladmandic/human'), 'assets');
  const images = [path.join(human, 'screenshot-menu.png'), path.join(human, 'screenshot-results.png'), path.join(human, 'screenshot-faceid.jpg'), path.join(human, 'screenshot-facedetect.jpg'), SKIMAGE_PAGE];
  assert.ok(fs.existsSync(SKIMAGE_PAGE), 'python3-skimage is installed (.ci/run)');
  const recipe: QuantizeOptions = { ...DET_QUANTIZE, ...(process.env.DPUFLOW_OCR_DET_RECIPE ? JSON.parse(process.env.DPUFLOW_OCR_DET_RECIPE) as QuantizeOptions : {}) };
  const alphabet = readKeys(assetPath('ppocr-keys'));
  const onnx = { det: readAsset('ppocr-det'), cls: readAsset('ppocr-cls'), rec: readAsset('ppocr-rec') };
  const detCalibImgs = await Promise.all(DET_CALIB_FILES.map((f) => readImage(path.join(human, f))));
  const ref: OcrModels = {
    det: await ortExecutor(onnx.det, { name: 'det' }), cls: await ortExecutor(onnx.cls, { name: 'cls' }), rec: await ortExecutor(onnx.rec, { name: 'rec' }), alphabet,
  };
  let same = 0, n = 0, qMs = 0;
  const rows: string[] = [];
  const allIous: number[] = [], allEdge: number[] = [];
  for (const file of images) {
    const img = await readImage(file);
    const s = detResizeSize(img.width, img.height, 960);
    const calib = detCalibration(detCalibImgs, s.w, s.h).map((x) => ({ x }));
    const g = importOnnx(onnx.det, { fileName: 'det.onnx', inputShapes: { x: [1, 3, s.h, s.w] } });
    const t0 = performance.now();
    const r = await quantize(g, calib, { skipReport: true, ...recipe });
    qMs += performance.now() - t0;
    const det = fastExecutor(r.graph, 'det');
    // maps and boxes
    const feed: TensorValue = imageToTensor(resizeBilinear(img, s.w, s.h), { mean: DET_MEAN, std: DET_STD, order: 'BGR' });
    const mf = Object.values(await ref.det.run({ x: feed }))[0]!.data;
    const mq = Object.values(await det.run({ x: feed }))[0]!.data;
    let flips = 0, near = 0, nearSq = 0;
    const logit = (p: number): number => Math.log(Math.min(Math.max(p, 1e-6), 1 - 1e-6) / (1 - Math.min(Math.max(p, 1e-6), 1 - 1e-6)));
    for (let i = 0; i < mf.length; i++) {
      if ((mf[i]! > 0.3) !== (mq[i]! > 0.3)) flips++;
      // logit error where FP32's map is near the 0.3 threshold (logit −0.85 ± 1)
      if (mf[i]! > 0.12 && mf[i]! < 0.54) { near++; nearSq += (logit(mf[i]!) - logit(mq[i]!)) ** 2; }
    }
    const bs = compareBoxes(dbPostprocess(mf, s.w, s.h, img.width, img.height), dbPostprocess(mq, s.w, s.h, img.width, img.height));
    allIous.push(...bs.ious);
    allEdge.push(...bs.edge);
    const sig = r.graph.ops.find((o) => o.type === 'sigmoid');
    const logitFp = sig ? r.graph.ops.find((o) => o.name === sig.inputs[0])?.output.fixPoint : undefined;
    // lines
    const opts = { maxLines: 1000 };
    const a = await runOcr(img, ref, opts);
    const b = await runOcr(img, { det, cls: ref.cls, rec: ref.rec, alphabet }, opts);
    const ag = lineAgreement(a.lines, b.lines);
    same += ag.sameLines;
    n += ag.reference.length;
    rows.push(`${path.basename(file)} ${ag.sameLines}/${ag.reference.length} lines (${ag.matched} paired); boxes FP32 ${bs.fp32} INT8 ${bs.int8}, missing ${bs.missing}, extra ${bs.extra}, `
      + `IoU median ${pct(bs.ious, 0.5).toFixed(3)} min ${Math.min(...bs.ious).toFixed(3)}, <0.9: ${bs.ious.filter((v) => v < 0.9).length}, edge move median ${pct(bs.edge, 0.5).toFixed(1)} px p90 ${pct(bs.edge, 0.9).toFixed(1)}; `
      + `p>0.3 flips ${flips} px (${(100 * flips / mf.length).toFixed(2)} %), logit RMS error near the threshold ${Math.sqrt(nearSq / Math.max(1, near)).toFixed(3)} (${near} px), logit fix point ${logitFp}; finetuned layers ${r.report.fastFinetune.layers}`);
    console.log(`[${new Date().toISOString().slice(11, 19)}] ${rows[rows.length - 1]}`);
    if (process.env.DPUFLOW_OCR_DET_REPORT === '1') {
      const rp = reportPass(r.floatGraph, r.graph, [{ x: feed }], 'fast');
      const worst = [...rp.stats.entries()].map(([k, v]) => [k, v.sqnrDb()] as const).filter(([, d]) => Number.isFinite(d));
      const outName = r.graph.outputs[0]!;
      const sigIn = sig?.inputs[0];
      rows.push(`  report: output ${outName} ${rp.stats.get(outName)?.sqnrDb().toFixed(1)} dB, logits ${sigIn} ${sigIn ? rp.stats.get(sigIn)?.sqnrDb().toFixed(1) : '-'} dB; `
        + `first tensors under 20 dB: ${worst.filter(([, d]) => d < 20).slice(0, 4).map(([k, d]) => `${k} ${d.toFixed(1)}`).join(', ')}; `
        + `worst local: ${[...rp.local.entries()].map(([k, v]) => [k, v.sqnrDb()] as const).sort((x, y) => x[1] - y[1]).slice(0, 3).map(([k, d]) => `${k} ${d.toFixed(1)}`).join(', ')}`);
    }
  }
  for (const e of [ref.det, ref.cls, ref.rec]) e?.close?.();
  console.log(`INT8 det alone (recipe ${JSON.stringify(recipe)}, quantize ${(qMs / 1000).toFixed(1)} s for ${images.length} sizes):\n  ${rows.join('\n  ')}\n`
    + `  total ${same}/${n} lines = ${(100 * same / n).toFixed(1)} %; paired boxes ${allIous.length}, IoU median ${pct(allIous, 0.5).toFixed(3)}, p10 ${pct(allIous, 0.1).toFixed(3)}, edge move median ${pct(allEdge, 0.5).toFixed(1)} px, p90 ${pct(allEdge, 0.9).toFixed(1)} px`);
  assert.ok(same / n >= 0.9, `${same}/${n} lines`);
});
