/**
 * The emotion classifier of @vladmandic/human (TF.js graph model, 64×64 grey face → 7 emotions) through
 * the whole flow: import → quantize (calibration: face crops) → compile for B4096 → run on the virtual
 * DPU (GraphRunner 'run'), INT8 top-1 vs FP32 top-1 where FP32 = the TF.js model run by @tensorflow/tfjs
 * (CPU backend) on the same inputs. Target: ≥ 90% agreement on ≥ 20 real face crops.
 *
 * Face crops: the "Extracted Faces" grid of @vladmandic/human's assets/screenshot-facematch.jpg
 * (1920×954, real photos cropped by Human). The cell boxes were measured once from the image's dark
 * separator rows/columns: rows start at y = 283, 395, 508, 620, 733, 845 (cells ≈ 107 px), 18 columns at
 * x = round(k·1920/18); each crop is the cell's inner 76×76 at (+12, +14) — below the score label, above the
 * age/gender line. Rows 0–3 (72 faces) are the test set, rows 4–5 (every other column, 18 faces) calibrate.
 * Pre-processing as Human's emotion module: RGB → grey (0.2989, 0.587, 0.114), resize 64×64, (g − 0.5)·2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import sharp from 'sharp';
import { loadModelFile } from '../../src/importers/node/load-model.js';
import { quantize } from '../../src/quantizer/index.js';
import { compile } from '../../src/compiler/index.js';
import { Graph } from '../../src/xir/graph.js';
import { GraphRunner } from '../../src/runtime/graph-runner.js';
import { packageDir } from '../../src/runtime/node/assets.js';
import type { TensorValue } from '../../src/ir/types.js';
import { runTfjs } from '../importers/tfjs/oracle.js';

const HUMAN = packageDir('@vladmandic/human');
const MODEL = path.join(HUMAN, 'models', 'emotion.json');
const SHEET = path.join(HUMAN, 'assets', 'screenshot-facematch.jpg');
export const FACE_ROWS = [283, 395, 508, 620, 733, 845];
const S = 64;

/** The grey, normalized 64×64 crop of grid cell (row, col). */
async function faceCrop(row: number, col: number): Promise<TensorValue> {
  const x0 = Math.round((col * 1920) / 18);
  const { data } = await sharp(SHEET).extract({ left: x0 + 12, top: FACE_ROWS[row]! + 14, width: 76, height: 76 })
    .resize(S, S, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const d = new Float32Array(S * S);
  for (let i = 0; i < S * S; i++) d[i] = ((0.2989 * data[i * 3]! + 0.587 * data[i * 3 + 1]! + 0.114 * data[i * 3 + 2]!) / 255 - 0.5) * 2;
  return { shape: [1, S, S, 1], data: d };
}

const argmax = (a: ArrayLike<number>, off: number, n: number): number => {
  let b = 0;
  for (let i = 1; i < n; i++) if (a[off + i]! > a[off + b]!) b = i;
  return b;
};

test('emotion: INT8 on the virtual DPU (B4096, run mode) agrees with TF.js FP32 top-1 on ≥ 90% of 72 real face crops', async () => {
  const g = loadModelFile(MODEL);
  const input = g.inputs[0]!;
  const calib: Record<string, TensorValue>[] = [];
  for (const r of [4, 5]) for (let c = 0; c < 18; c += 2) calib.push({ [input]: await faceCrop(r, c) });
  const q = await quantize(g, calib, { skipReport: true, biasCorrectionBatches: 2 });
  const { xmodel, report } = compile(q.graph, 'B4096');
  assert.equal(report.counts.dpu, 1, 'the conv body is one DPU subgraph');
  const gr = GraphRunner.create(Graph.deserialize(xmodel), { mode: 'run' });
  const out = gr.getOutputTensors()[0]!.name;
  const tests: TensorValue[] = [];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 18; c++) tests.push(await faceCrop(r, c));
  // FP32: tfjs on the whole batch at once (the model's batch dim is free)
  const batch = new Float32Array(tests.length * S * S);
  tests.forEach((t, i) => batch.set(t.data, i * S * S));
  const ref = (await runTfjs(MODEL, { [input]: { shape: [tests.length, S, S, 1], data: batch } }, ['Identity']))['Identity']!;
  const C = ref.shape[1]!;
  assert.equal(C, 7);
  let agree = 0;
  const classes = new Set<number>();
  try {
    for (let i = 0; i < tests.length; i++) {
      const y = (await gr.run({ [input]: tests[i]! }))[out]!;
      const a = argmax(ref.data, i * C, C);
      classes.add(a);
      if (argmax(y.data, 0, C) === a) agree++;
    }
  } finally { gr.close(); }
  const rate = agree / tests.length;
  console.log(`emotion INT8 vs TF.js FP32 top-1: ${agree}/${tests.length} = ${(rate * 100).toFixed(1)}% (FP32 classes seen: ${[...classes].sort().join(',')}); CPU ops: ${report.cpuOps.map((c) => c.type).join(', ')}`);
  assert.ok(classes.size >= 2, 'the crops are not all one class (the comparison means something)');
  assert.ok(rate >= 0.9, `top-1 agreement ${rate}`);
});
