/**
 * Choosing the rec INT8 recipe on the development set (issue 8; docs/ocr.md "Rec recipe, session 5"): INT8 rec alone —
 * det and cls FP32 on onnxruntime, so every recipe reads exactly the crops the FP32 pipeline reads — vs the FP32
 * pipeline (onnxruntime on the original ONNX files, runOcr with the proof's options). The FP32 run records each rec
 * feed once (the crop as runOcr prepares it, at the width runOcr chose); each recipe's compiled rec then reads the
 * same feeds, decoded and scored as runOcr does (drop_score 0.5), and its lines are compared with lineAgreement like
 * the proofs (paired by box; the boxes are FP32's).
 *
 * Opt-in: DPUFLOW_OCR_REC_RECIPE=1. DPUFLOW_OCR_REC_RECIPES = JSON array of recipes
 *   { "name": "…", "calib": "spots" | "lines" | "both", "copies": { "invert": true, "grey": true },
 *     "quantize": { …QuantizeOptions merged over REC_QUANTIZE… }, "widths": [320] }
 * ("spots": the demo's 16 recLineSpots rectangles of screenshot-typedoc; "lines": REC_CALIB_LINES cut as the pipeline
 * cuts; default copies invert + grey, default widths [320]: FP32 lines read at other widths are left out of the count).
 * DPUFLOW_OCR_REC_SET = dev (DEV_SET, default) | devall (all 36 devCandidateImages, FP32-unstable) | stable (STABLE_SET).
 * DPUFLOW_OCR_CACHE=<dir> keeps the compiled models (the demo's file cache; same keys as ocrBuildSpecs with version
 * 'test' when the recipe is the demo's). It only measures; the figures go to docs/ocr.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readImage } from '../../src/apps/node/image-io.js';
import { runOcr, type OcrLine } from '../../src/apps/ocr/pipeline.js';
import { ctcGreedyDecode } from '../../src/apps/ocr/ctc.js';
import { graphRunnerExecutor, outputAt, type ModelExecutor } from '../../src/apps/executor.js';
import { buildModel, type BuildSpec } from '../../src/apps/demo/build.js';
import { REC_QUANTIZE, recSpotCrops, recSpecName } from '../../src/apps/demo/ocr-specs.js';
import { REC_CALIB_FILES, recCalibLineCrops, recCalibration } from '../../src/apps/demo/rec-calib.js';
import { GraphRunner } from '../../src/runtime/graph-runner.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { md5Hex, quantize, type QuantizeOptions } from '../../src/quantizer/index.js';
import { cpuSubgraphOps } from '../../src/quantizer/keep-float.js';
import { compile } from '../../src/compiler/index.js';
import { Graph } from '../../src/xir/graph.js';
import { profileModel } from '../../src/profile/index.js';
import { fileCache } from '../../src/cli/commands/demo.js';
import { assetPath, packageDir, readAsset } from '../../src/runtime/node/assets.js';
import { readKeys } from '../../src/apps/node/models.js';
import type { TensorValue } from '../../src/ir/types.js';
import {
  DEV_SET, EVAL_OPTS, GIMP_DIALOGS, STABLE_SET, addAgreement, agreement, devCandidateImages, devImagePath, differing, fmtAgreement, fp32Models, type Agreement,
} from './ocr-eval-util.js';

const enabled = process.env.DPUFLOW_OCR_REC_RECIPE === '1';
const cache = process.env.DPUFLOW_OCR_CACHE ? fileCache(process.env.DPUFLOW_OCR_CACHE) : undefined;

interface Recipe {
  name: string;
  calib?: 'spots' | 'lines' | 'both';
  copies?: { invert?: boolean; grey?: boolean };
  quantize?: Record<string, unknown>;
  widths?: number[];
  /**
   * Mixed precision (vai_q's ignore_nodes): besides floatCpuOps keep float the K DPU ops whose output has the lowest
   * local SQNR in the quantizer's report (the op alone on quantized inputs, 4 calibration batches) — a proxy for the
   * per-layer what-if, which would cost one rec quantization per layer. Not cached.
   */
  floatWorst?: number;
}

/** One FP32 line: its box, text and the rec feed runOcr gave it. */
interface RecordedLine { line: OcrLine; feed: TensorValue; width: number }


function imageSet(which: string): string[] {
  if (which === 'dev') return DEV_SET.map(devImagePath);
  if (which === 'devall') return devCandidateImages();
  if (which === 'stable') return STABLE_SET.map((n) => path.join(GIMP_DIALOGS, n));
  throw new Error(`DPUFLOW_OCR_REC_SET=${which}: give dev, devall or stable`);
}

/** runOcr with onnxruntime det/cls/rec on each file, recording the rec feed of every kept line (cached on disk). */
async function fp32Records(files: string[]): Promise<Array<{ file: string; lines: RecordedLine[] }>> {
  const dir = process.env.DPUFLOW_OCR_CACHE;
  const key = `rec-fp32-${md5Hex(new TextEncoder().encode(JSON.stringify({ v: 1, files, EVAL_OPTS })))}`;
  if (dir && fs.existsSync(path.join(dir, `${key}.json`))) {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, `${key}.json`), 'utf8')) as Array<{ file: string; lines: Array<{ line: OcrLine; shape: number[]; offset: number }> }>;
    const bin = fs.readFileSync(path.join(dir, `${key}.bin`));
    const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    return meta.map((m) => ({
      file: m.file,
      lines: m.lines.map((l) => {
        const n = l.shape.reduce((a, b) => a * b, 1);
        return { line: l.line, width: l.shape[2]!, feed: { shape: l.shape, data: all.slice(l.offset, l.offset + n) } as TensorValue };
      }),
    }));
  }
  const ref = await fp32Models();
  const calls: Array<{ feed: TensorValue; out: TensorValue }> = [];
  const recorder: ModelExecutor = {
    name: ref.rec.name, inputs: ref.rec.inputs, outputs: ref.rec.outputs, backend: ref.rec.backend,
    async run(feeds) {
      const out = await ref.rec.run(feeds);
      calls.push({ feed: Object.values(feeds)[0]!, out: outputAt(ref.rec, out) });
      return out;
    },
  };
  const recorded: Array<{ file: string; lines: RecordedLine[] }> = [];
  for (const f of files) {
    calls.length = 0;
    const r = await runOcr(await readImage(f), { ...ref, rec: recorder }, EVAL_OPTS);
    const kept = calls.filter((c) => ctcGreedyDecode(c.out, ref.alphabet).score >= 0.5);
    assert.equal(kept.length, r.lines.length, `${path.basename(f)}: one recorded rec call per kept line`);
    recorded.push({ file: path.basename(f), lines: r.lines.map((line, i) => ({ line, feed: kept[i]!.feed, width: kept[i]!.feed.shape[2]! })) });
  }
  for (const e of [ref.det, ref.cls, ref.rec]) e?.close?.();
  if (dir) {
    let offset = 0;
    const parts: Buffer[] = [];
    const meta = recorded.map((r) => ({
      file: r.file,
      lines: r.lines.map((l) => {
        const d = l.feed.data as Float32Array;
        parts.push(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
        const m = { line: l.line, shape: l.feed.shape, offset };
        offset += d.length;
        return m;
      }),
    }));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${key}.bin`), Buffer.concat(parts));
    fs.writeFileSync(path.join(dir, `${key}.json`), JSON.stringify(meta));
  }
  return recorded;
}

/** buildModel's floatCpuOps build, with the K worst-local-SQNR DPU ops also float (Recipe.floatWorst). */
async function buildMixed(spec: BuildSpec, k: number): Promise<{ graph: Graph; cached: boolean; quantizeMs: number; compileMs: number; dpuSubgraphs: number; cpuSubgraphs: number; key: string }> {
  const t = performance.now();
  const g = importOnnx(spec.onnx, { fileName: 'rec.onnx', inputShapes: { [spec.input]: spec.shapeNchw } });
  const feeds = spec.calib.map((x) => ({ [g.inputs[0]!]: x }));
  const probe = await quantize(g, feeds.slice(0, 1), { ...spec.quantize, skipReport: true, biasCorrection: false });
  const cpuOps = cpuSubgraphOps(compile(probe.graph, spec.target).state.device);
  const opts = { biasCorrectionBatches: Math.min(2, feeds.length), ...spec.quantize } as QuantizeOptions;
  const first = await quantize(g, feeds, { ...opts, floatOps: cpuOps, reportBatches: 4 });
  const cpu = new Set(cpuOps);
  const worst = first.report.tensors
    // report rows: tensor = the op's name (an op's output tensor has its name), op = its type
    .filter((r) => !cpu.has(r.tensor) && typeof r.localSqnrDb === 'number' && r.op !== 'data')
    .sort((a, b) => (a.localSqnrDb as number) - (b.localSqnrDb as number));
  const pick = worst.slice(0, k);
  console.log(`floatWorst ${k}: ${pick.map((r) => `${r.tensor} ${r.op} (local ${r.localSqnrDb} dB)`).join(', ')}`);
  const q = await quantize(g, feeds, { ...opts, skipReport: true, floatOps: [...cpuOps, ...pick.map((r) => r.tensor)] });
  const quantizeMs = performance.now() - t;
  const tc = performance.now();
  const { xmodel } = compile(q.graph, spec.target);
  const graph = Graph.deserialize(xmodel);
  const kids = graph.getRootSubgraph().toposortChildSubgraph();
  const dev = (d: string): number => kids.filter((x) => (x.hasAttr('device') ? String(x.getAttr('device')) : 'CPU') === d).length;
  return { graph, cached: false, quantizeMs, compileMs: performance.now() - tc, dpuSubgraphs: dev('DPU'), cpuSubgraphs: dev('CPU'), key: `mixed-${k}` };
}

/** What kind of difference an FP32 → INT8 line pair is (as docs/ocr.md counts them). */
function kind(f: string, q: string | null): 'none' | 'space' | 'case' | 'space+case' | 'other' {
  if (q === null) return 'none';
  const ns = (s: string): string => s.replace(/\s+/g, '');
  if (ns(f) === ns(q)) return 'space';
  if (f.toLowerCase().trim() === q.toLowerCase().trim()) return 'case';
  if (ns(f).toLowerCase() === ns(q).toLowerCase()) return 'space+case';
  return 'other';
}

test('rec INT8 recipes: INT8 rec alone vs FP32 on the development set (measurement)', {
  skip: enabled ? false : 'opt-in: DPUFLOW_OCR_REC_RECIPE=1 (minutes per recipe)',
}, async () => {
  const recipes = JSON.parse(process.env.DPUFLOW_OCR_REC_RECIPES ?? '[{"name":"demo recipe"}]') as Recipe[];
  const files = imageSet(process.env.DPUFLOW_OCR_REC_SET ?? 'dev');
  const human = path.join(packageDir('@vladmandic/human'), 'assets');
  const onnxRec = readAsset('ppocr-rec');
  const doc = await readImage(path.join(human, 'screenshot-typedoc.png'));
  const spotCrops = recSpotCrops(doc);
  const calibImgs = Object.fromEntries(await Promise.all(REC_CALIB_FILES.map(async (f) => [f, await readImage(path.join(human, f))] as const)));
  const lineCrops = recCalibLineCrops(calibImgs);

  // FP32 once: record every rec feed (kept in DPUFLOW_OCR_CACHE as rec-fp32-<hash>.json/.bin: the FP32 run takes minutes)
  const recorded = await fp32Records(files);
  const alphabet = readKeys(assetPath('ppocr-keys'));
  const nAll = recorded.reduce((t, r) => t + r.lines.length, 0);
  console.log(`FP32: ${files.length} images, ${nAll} lines (${recorded.map((r) => `${r.file} ${r.lines.length}`).join(', ')})`);

  const summary: string[] = [];
  for (const rc of recipes) {
    const widths = [...(rc.widths ?? [320])].sort((a, b) => a - b);
    const crops = rc.calib === 'lines' ? lineCrops : rc.calib === 'both' ? [...spotCrops, ...lineCrops] : spotCrops;
    const copies = rc.copies ?? { invert: true, grey: true };
    const recs = new Map<number, ModelExecutor>();
    let buildS = 0;
    for (const w of widths) {
      const spec: BuildSpec = {
        name: recSpecName(w, widths.length > 1 ? widths : [320, 640]), onnx: onnxRec, input: 'x', shapeNchw: [1, 3, 48, w], calib: recCalibration(crops, 48, w, copies),
        target: 'kv260', version: 'test', quantize: { ...REC_QUANTIZE, ...(rc.quantize ?? {}) } as BuildSpec['quantize'], floatCpuOps: true,
      };
      const tb = performance.now();
      const b = rc.floatWorst ? await buildMixed(spec, rc.floatWorst) : await buildModel(spec, cache);
      buildS += (performance.now() - tb) / 1000;
      console.log(`${rc.name}: rec@${w} ${b.cached ? 'cached' : `built (quantize ${(b.quantizeMs / 1000).toFixed(0)} s, compile ${(b.compileMs / 1000).toFixed(0)} s)`}, ${spec.calib.length} calibration inputs, ${b.dpuSubgraphs} DPU + ${b.cpuSubgraphs} CPU subgraphs, key ${b.key}`);
      recs.set(w, graphRunnerExecutor(GraphRunner.create(b.graph, { mode: 'run' }), spec.name));
      console.log(`${rc.name}: rec@${w} board DPU ${profileModel(b.graph, 'kv260').dpuMs.toFixed(2)} ms per call (KV260 cycle model)`);
    }
    const total: Agreement = { lines: 0, same: 0, chars: 0, errs: 0 };
    const dev: Agreement = { lines: 0, same: 0, chars: 0, errs: 0 };
    const kinds: Record<string, number> = {};
    const rows: string[] = [];
    const tr = performance.now();
    let cpuMs = 0, calls = 0;
    for (const im of recorded) {
      const refLines: OcrLine[] = [], q: OcrLine[] = [];
      for (const l of im.lines) {
        const ex = recs.get(l.width);
        if (!ex) continue;
        refLines.push(l.line);
        const d = ctcGreedyDecode(outputAt(ex, await ex.run({ [ex.inputs[0]!.name]: l.feed })), alphabet);
        for (const tm of ex.lastTimings?.() ?? []) if (tm.device === 'CPU') { cpuMs += tm.ms; } 
        calls++;
        if (d.score >= 0.5) q.push({ ...l.line, text: d.text, score: d.score });
      }
      const a = agreement(refLines, q);
      addAgreement(total, a);
      if (DEV_SET.includes(im.file)) addAgreement(dev, a);
      const diff = differing(refLines, q);
      for (const [f, s] of diff) { const k = kind(f, s); kinds[k] = (kinds[k] ?? 0) + 1; }
      rows.push(`| ${im.file} | ${fmtAgreement(a)} | ${diff.slice(0, 8).map(([f, s]) => `${JSON.stringify(f)} → ${s === null ? '(none)' : JSON.stringify(s)}`).join(', ')}${diff.length > 8 ? ', …' : ''} |`);
    }
    for (const e of recs.values()) e.close?.();
    const kindStr = Object.entries(kinds).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`\n### ${rc.name} (widths ${widths.join('/')}; ${JSON.stringify(rc)})\n| image | equal lines · characters | FP32 → INT8 |\n|---|---:|---|\n${rows.join('\n')}\n` +
      `| **total** | **${fmtAgreement(total)}** | ${kindStr} |\nDEV_SET images: ${fmtAgreement(dev)}\nrec runs ${((performance.now() - tr) / 1000).toFixed(1)} s, build ${buildS.toFixed(0)} s, CPU subgraphs ${(cpuMs / Math.max(1, calls)).toFixed(2)} host ms per call`);
    summary.push(`| ${rc.name} | ${fmtAgreement(dev)} | ${fmtAgreement(total)} | ${kindStr} |`);
  }
  console.log(`\nSUMMARY (${process.env.DPUFLOW_OCR_REC_SET ?? 'dev'}, INT8 rec alone)\n| recipe | DEV_SET | all images of the set | differing lines by kind |\n|---|---:|---:|---|\n${summary.join('\n')}`);
});
