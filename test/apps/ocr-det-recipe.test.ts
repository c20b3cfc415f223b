/**
 * Issue 8: comparing INT8 det recipes on the DEVELOPMENT set (test/apps/ocr-eval-util.ts DEV_SET: GIMP Preferences
 * pages and menu screenshots, disjoint from STABLE_SET and from the 5-image proof), so that no recipe is picked on an
 * evaluation set. For each recipe: det quantized + compiled for KV260 per det input size (buildModel, exactly as the
 * demo and ocr-int8-stable build it), run on the GraphRunner ('run'), cls + rec FP32 on onnxruntime, against the
 * all-FP32 pipeline (onnxruntime on the original ONNX files, same pre/post code, the proof's rec width set). Prints
 * per image and in total: equal lines and characters, DB boxes (FP32/INT8, missing/extra, IoU, edge moves), p > 0.3
 * flips of the map, quantize/compile seconds and the det's modeled DPU ms on KV260 (cycle model).
 *
 * Opt-in: DPUFLOW_OCR_DET_RECIPE=1. Recipes: DPUFLOW_OCR_DET_RECIPES='<json>' — one object or an array; each object's
 * keys are QuantizeOptions merged over DET_QUANTIZE, plus `name` (a label) and `calib` (file names of
 * @vladmandic/human's assets replacing DET_CALIB_FILES; a suffix ':invert' adds the inverted image, ':grey' its grey
 * copy, ':grey-invert' the inverted grey copy) and `detCrops` (native-scale windows per calibration image,
 * detCalibration; default DET_CALIB_CROPS). Default: the demo recipe alone. DPUFLOW_OCR_DEV=all: all 36
 * devCandidateImages() instead of DEV_SET (FP32-unstable ones included: noisier; 32 det sizes);
 * DPUFLOW_OCR_DEV=all-padded: the same 36, each padded right/bottom to a square of 352/480/640/736/864 (5 det builds per
 * recipe; FP32 and INT8 read the same padded image). DPUFLOW_OCR_CACHE=<dir> keeps the
 * compiled dets (same keys as the demo's and ocr-int8-stable's builds of the same recipe).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readImage } from '../../src/apps/node/image-io.js';
import { DET_MEAN, DET_STD, detResizeSize, runOcr } from '../../src/apps/ocr/pipeline.js';
import { dbPostprocess } from '../../src/apps/ocr/db.js';
import { imageToTensor, resizeBilinear, type RgbImage } from '../../src/apps/image/image.js';
import { firstInput, graphRunnerExecutor, outputAt, type ModelExecutor } from '../../src/apps/executor.js';
import { buildModel, type BuildSpec } from '../../src/apps/demo/build.js';
import { DET_CALIB_FILES, DET_QUANTIZE, detCalibration } from '../../src/apps/demo/ocr-specs.js';
import type { QuantizeOptions } from '../../src/quantizer/quantize.js';
import { GraphRunner } from '../../src/runtime/graph-runner.js';
import { profileModel } from '../../src/profile/index.js';
import { fileCache } from '../../src/cli/commands/demo.js';
import { HOST_TO_A53_FACTOR } from '../../src/apps/timing.js';
import { packageDir, readAsset } from '../../src/runtime/node/assets.js';
import type { OcrLine } from '../../src/apps/ocr/pipeline.js';
import type { TensorValue } from '../../src/ir/types.js';
import { DEV_SET, EVAL_OPTS, addAgreement, agreement, devCandidateImages, devImagePath, fmtAgreement, fp32Models, type Agreement } from './ocr-eval-util.js';
import { compareBoxes, compareMaps, pct } from './ocr-det-util.js';

const enabled = process.env.DPUFLOW_OCR_DET_RECIPE === '1';
const cache = process.env.DPUFLOW_OCR_CACHE ? fileCache(process.env.DPUFLOW_OCR_CACHE) : undefined;

type Recipe = QuantizeOptions & { name?: string; calib?: string[]; detCrops?: number };

/** A calibration image variant: inverted (255 − v), grey (BT.601 luma on R, G, B) or both. */
function variant(img: RgbImage, kind: string): RgbImage {
  const d = new Uint8Array(img.data.length);
  for (let p = 0; p < img.width * img.height; p++) {
    const r = img.data[p * 3]!, g = img.data[p * 3 + 1]!, b = img.data[p * 3 + 2]!;
    const y = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    for (let c = 0; c < 3; c++) {
      const v = kind.startsWith('grey') ? y : img.data[p * 3 + c]!;
      d[p * 3 + c] = kind.endsWith('invert') ? 255 - v : v;
    }
  }
  return { ...img, data: d };
}

/** Square det sizes of DPUFLOW_OCR_DEV=all-padded: each image padded right/bottom to the smallest that holds it. */
const BUCKETS = [352, 480, 640, 736, 864];

/** The image padded right and bottom with its bottom-right pixel's colour to the smallest BUCKETS square holding it (the FP32 and INT8 pipelines both read the padded image). */
function padToBucket(img: RgbImage): RgbImage {
  const side = BUCKETS.find((b) => b >= Math.max(img.width, img.height)) ?? Math.max(img.width, img.height);
  const fill = img.data.subarray((img.width * img.height - 1) * 3, img.width * img.height * 3);
  const d = new Uint8Array(side * side * 3);
  for (let p = 0; p < side * side; p++) d.set(fill, p * 3);
  for (let y = 0; y < img.height; y++) d.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), y * side * 3);
  return { width: side, height: side, channels: 3, data: d };
}

test('OCR det recipes on the development set: INT8 det alone (cls + rec FP32) vs all-FP32 — lines, chars, boxes, map flips', {
  skip: enabled ? false : 'opt-in: DPUFLOW_OCR_DET_RECIPE=1 (minutes per recipe)',
}, async () => {
  const raw = process.env.DPUFLOW_OCR_DET_RECIPES ? JSON.parse(process.env.DPUFLOW_OCR_DET_RECIPES) as Recipe | Recipe[] : [{ name: 'demo' }];
  const recipes = Array.isArray(raw) ? raw : [raw];
  const dev = process.env.DPUFLOW_OCR_DEV ?? 'set';
  const files = dev.startsWith('all') ? devCandidateImages() : DEV_SET.map(devImagePath);
  const padded = dev === 'all-padded';
  const human = path.join(packageDir('@vladmandic/human'), 'assets');
  const onnxDet = readAsset('ppocr-det');
  const ref = await fp32Models();
  const images = (await Promise.all(files.map((f) => readImage(f)))).map((im) => (padded ? padToBucket(im) : im));
  // FP32 reference lines and maps, once per image
  const fp32: Array<{ lines: OcrLine[]; map: Float32Array; feed: TensorValue; s: { w: number; h: number } }> = [];
  for (const img of images) {
    const s = detResizeSize(img.width, img.height, 960);
    const feed = imageToTensor(resizeBilinear(img, s.w, s.h), { mean: DET_MEAN, std: DET_STD, order: 'BGR' });
    const map = outputAt(ref.det, await ref.det.run({ [firstInput(ref.det).name]: feed })).data as Float32Array;
    fp32.push({ lines: (await runOcr(img, ref, EVAL_OPTS)).lines, map, feed, s });
  }
  const summary: string[] = [];
  for (const rc of recipes) {
    const { name, calib: calibNames, detCrops, ...q } = rc;
    const quant = { ...DET_QUANTIZE, ...q };
    const calibList = calibNames ?? [...DET_CALIB_FILES];
    const calibImgs: RgbImage[] = [];
    for (const c of calibList) {
      const [file, kind] = c.split(':') as [string, string | undefined];
      const img = await readImage(path.join(human, file));
      calibImgs.push(kind ? variant(img, kind) : img);
    }
    const dets = new Map<string, { ex: ModelExecutor; qMs: number; cMs: number; dpuMs: number; cpuSg: number; cached: boolean }>();
    const total: Agreement = { lines: 0, same: 0, chars: 0, errs: 0 };
    const ious: number[] = [], edges: number[] = [];
    let missing = 0, extra = 0, boxes = 0, flips = 0, pixels = 0, qMs = 0, cMs = 0, allCached = true;
    const dpuMsBySize: number[] = [], cpuMs: number[] = [];
    const rows: string[] = [];
    for (let i = 0; i < images.length; i++) {
      const img = images[i]!, f = fp32[i]!;
      const key = `${f.s.w}x${f.s.h}`;
      if (!dets.has(key)) {
        const calib = detCalibration(calibImgs, f.s.w, f.s.h, detCrops);
        // the same spec as ocrBuildSpecs' det (name, input, shape, target, version 'test' as ocr-int8-stable): same cache key for the demo recipe
        const spec: BuildSpec = { name: 'det', onnx: onnxDet, input: 'x', shapeNchw: [1, 3, f.s.h, f.s.w], calib, target: 'kv260', version: 'test', quantize: quant as BuildSpec['quantize'] };
        const b = await buildModel(spec, cache);
        const prof = profileModel(b.graph, 'kv260');
        dets.set(key, { ex: graphRunnerExecutor(GraphRunner.create(b.graph, { mode: 'run' }), 'det'), qMs: b.quantizeMs, cMs: b.compileMs, dpuMs: prof.dpuMs, cpuSg: b.cpuSubgraphs, cached: b.cached });
        qMs += b.quantizeMs; cMs += b.compileMs; allCached &&= b.cached;
        dpuMsBySize.push(prof.dpuMs);
      }
      const d = dets.get(key)!;
      const mq = outputAt(d.ex, await d.ex.run({ [firstInput(d.ex).name]: f.feed })).data as Float32Array;
      const cpuHostMs = (d.ex.lastTimings?.() ?? []).filter((t) => t.device !== 'DPU').reduce((a, t) => a + t.ms, 0);
      cpuMs.push(cpuHostMs);
      const ms = compareMaps(f.map, mq);
      const bs = compareBoxes(dbPostprocess(f.map, f.s.w, f.s.h, img.width, img.height), dbPostprocess(mq, f.s.w, f.s.h, img.width, img.height));
      const b = await runOcr(img, { det: d.ex, cls: ref.cls, rec: ref.rec, alphabet: ref.alphabet }, EVAL_OPTS);
      const ag = agreement(f.lines, b.lines);
      addAgreement(total, ag);
      ious.push(...bs.ious); edges.push(...bs.edge);
      missing += bs.missing; extra += bs.extra; boxes += bs.fp32; flips += ms.flips; pixels += ms.pixels;
      rows.push(`| ${path.basename(files[i]!)} | ${key} | ${fmtAgreement(ag)} | ${bs.fp32}/${bs.int8} | ${bs.missing}/${bs.extra} | ${pct(bs.ious, 0.5).toFixed(3)} | ${bs.ious.filter((v) => v < 0.9).length} | ${pct(bs.edge, 0.5)}/${pct(bs.edge, 0.9)} | ${(100 * ms.flips / ms.pixels).toFixed(2)} % | ${d.dpuMs.toFixed(1)} / ${(cpuHostMs * HOST_TO_A53_FACTOR).toFixed(1)} |`);
    }
    for (const d of dets.values()) d.ex.close?.();
    const label = name ?? JSON.stringify(rc);
    const line = `| ${label} | ${fmtAgreement(total)} | ${boxes} | ${missing}/${extra} | ${pct(ious, 0.5).toFixed(3)} (p10 ${pct(ious, 0.1).toFixed(3)}) | ${ious.filter((v) => v < 0.9).length} | ${pct(edges, 0.5)}/${pct(edges, 0.9)} | ${(100 * flips / pixels).toFixed(3)} % | ${allCached ? 'cached' : `${(qMs / 1000).toFixed(1)} / ${(cMs / 1000).toFixed(1)}`} | ${(dpuMsBySize.reduce((a, v) => a + v, 0) / dpuMsBySize.length).toFixed(1)} / ${(pct(cpuMs, 0.5) * HOST_TO_A53_FACTOR).toFixed(1)} |`;
    summary.push(line);
    console.log(`[${new Date().toISOString().slice(11, 19)}] det recipe ${label}: ${JSON.stringify({ ...quant, calib: calibList, detCrops })}\n| image | det input | lines · chars | boxes FP32/INT8 | missing/extra | IoU median | IoU < 0.9 | edge move median/p90 px | p>0.3 flips | det board ms: DPU (cycle model) / CPU subgraphs (A53 estimate) |\n|---|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n${line}`);
    assert.ok(total.lines > 0, 'FP32 read lines on the development images');
  }
  for (const e of [ref.det, ref.cls, ref.rec]) e?.close?.();
  console.log(`det recipes on ${files.length} development images (${dev === 'all' ? 'all candidates' : dev === 'all-padded' ? 'all candidates, padded to squares of ' + BUCKETS.join('/') : 'DEV_SET'}):\n| recipe | lines · chars | FP32 boxes | missing/extra | IoU median | IoU < 0.9 | edge move median/p90 px | p>0.3 flips | quantize / compile s | det board ms: DPU (KV260 cycle model, mean over sizes) / CPU subgraphs (A53 estimate, median image) |\n|---|---|---|---|---|---|---|---|---|---|\n${summary.join('\n')}`);
});
