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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
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

/** Cell (row, col) of the grid as a 64×64 grey (1-channel) PNG file, made by sharp's own greyscale conversion. */
async function greyCropFile(row: number, col: number, file: string): Promise<void> {
  const x0 = Math.round((col * 1920) / 18);
  await sharp(SHEET).extract({ left: x0 + 12, top: FACE_ROWS[row]! + 14, width: 76, height: 76 })
    .resize(S, S, { fit: 'fill' }).greyscale().toColourspace('b-w').png().toFile(file);
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

test('emotion (1-channel input) calibrated from a folder of grey face crops with `dpuflow quantize --calib <dir>`, compiled, `dpuflow run --task classify` on grey PNGs: top-1 = TF.js FP32 on ≥ 90%', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-grey-'));
  const bin = path.resolve('bin/dpuflow.js');
  const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  try {
    const calib = path.join(dir, 'calib');
    const faces = path.join(dir, 'faces');
    fs.mkdirSync(calib);
    fs.mkdirSync(faces);
    for (const r of [4, 5]) for (let c = 0; c < 18; c += 2) await greyCropFile(r, c, path.join(calib, `r${r}c${String(c).padStart(2, '0')}.png`));
    for (let r = 0; r < 4; r++) for (let c = 0; c < 18; c++) await greyCropFile(r, c, path.join(faces, `r${r}c${String(c).padStart(2, '0')}.png`));
    const meta = await sharp(path.join(faces, 'r0c00.png')).metadata();
    assert.equal(meta.channels, 1, 'the face crops are 1-channel grey images');
    const q = cli('quantize', MODEL, '--calib', calib, '--preprocess', 'half', '--out', path.join(dir, 'q'));
    assert.equal(q.status, 0, q.stderr);
    const c = cli('compile', path.join(dir, 'q', 'emotion_int.xmodel'), '--arch', 'B4096', '--out', path.join(dir, 'c'), '--json');
    assert.equal(c.status, 0, c.stderr);
    const xmodel = (JSON.parse(c.stdout) as { output: string }).output;
    const r = cli('run', xmodel, '--task', 'classify', '--input', faces, '--preprocess', 'half', '--mode', 'run', '--top-k', '1', '--json');
    assert.equal(r.status, 0, r.stderr);
    const res = (JSON.parse(r.stdout) as { results: { input: string; ok: boolean; classify: { top: { index: number }[] } }[] }).results;
    assert.equal(res.length, 72);
    // FP32: TF.js on the same grey files, (g/255 − 0.5)·2 as Human's emotion module
    const batch = new Float32Array(res.length * S * S);
    for (let i = 0; i < res.length; i++) {
      // sharp's raw output of a grey PNG is sRGB (3 equal channels): take the first, the stored grey value
      const { data, info } = await sharp(res[i]!.input).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.channels, 1);
      for (let k = 0; k < S * S; k++) batch[i * S * S + k] = (data[k]! / 255 - 0.5) * 2;
    }
    const ref = (await runTfjs(MODEL, { input_1: { shape: [res.length, S, S, 1], data: batch } }, ['Identity']))['Identity']!;
    let agree = 0;
    const classes = new Set<number>();
    res.forEach((it, i) => {
      assert.ok(it.ok);
      const a = argmax(ref.data, i * 7, 7);
      classes.add(a);
      if (it.classify.top[0]!.index === a) agree++;
    });
    console.log(`emotion via the CLI, grey PNG folder (calibration 18 grey crops): INT8 top-1 = TF.js FP32 on ${agree}/${res.length} = ${((agree / res.length) * 100).toFixed(1)}% (FP32 classes seen: ${[...classes].sort().join(',')})`);
    assert.ok(classes.size >= 2);
    assert.ok(agree / res.length >= 0.9, `${agree}/${res.length}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
