/**
 * The hand detector of @vladmandic/human (handtrack.json: SSD MobileNetV2-FPN). Its input goes through a TF
 * map/while TensorList loop and its outputs through NonMaxSuppressionV5, so the conv part is imported with
 * a start/stop cut: startAt the loop's output [1,320,320,3], outputs = box encodings [1,12804,4] and class
 * logits [1,12804,8] before the post-processing. Quantized with 4 photos (not the test photos), compiled for
 * B4096, run on the virtual DPU (GraphRunner 'run'); compared with FP32 = the float IR of the same cut
 * (= @tensorflow/tfjs within 1.2e-6, test/importers/tfjs/real-models.test.ts). No SSD anchor decode in
 * src/apps yet, so the check is on the raw head: cosine of the class logits, and the strongest anchors of
 * the astronaut photo (FP32 scores its top anchors 0.92–0.96) found again by INT8. Input scaling (x/127.5 − 1) is MobileNetV2's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelFile } from '../../src/importers/node/load-model.js';
import { optimizeForInference } from '../../src/ir/passes/optimize/index.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { quantize } from '../../src/quantizer/index.js';
import { compile } from '../../src/compiler/index.js';
import { Graph } from '../../src/xir/graph.js';
import { GraphRunner } from '../../src/runtime/graph-runner.js';
import { packageDir } from '../../src/runtime/node/assets.js';
import { readImage } from '../../src/apps/node/image-io.js';
import { imageToTensor, letterbox } from '../../src/apps/image/image.js';
import type { TensorValue } from '../../src/ir/types.js';

const HUMAN = packageDir('@vladmandic/human');
const MODEL = path.join(HUMAN, 'models', 'handtrack.json');
const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const START = 'StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack';
const OUTPUTS = ['StatefulPartitionedCall/concat', 'StatefulPartitionedCall/concat_1'];
const haveSkimage = fs.existsSync(path.join(SKIMAGE, 'astronaut.png'));

const feed = async (file: string): Promise<TensorValue> => imageToTensor(letterbox(await readImage(file), 320, 320).image, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });

/** Anchors ordered by their best non-background class logit. */
function topAnchors(d: Float32Array, k: number): number[] {
  const C = 8;
  const best: [number, number][] = [];
  for (let i = 0; i < d.length / C; i++) {
    let m = -Infinity;
    for (let c = 1; c < C; c++) m = Math.max(m, d[i * C + c]!);
    best.push([i, m]);
  }
  return best.sort((a, b) => b[1] - a[1]).slice(0, k).map((x) => x[0]);
}

test('handtrack conv part (startAt/outputs cut): INT8 on the virtual DPU (B4096) vs FP32 class logits — cosine ≥ 0.99, strongest astronaut anchors kept', { skip: haveSkimage ? false : 'python3-skimage data not installed' }, async () => {
  const g = loadModelFile(MODEL, { startAt: { [START]: [1, 320, 320, 3] }, outputs: OUTPUTS });
  const gf = optimizeForInference(g);
  const calib: Record<string, TensorValue>[] = [];
  for (const f of [path.join(HUMAN, 'assets', 'screenshot-vrm.jpg'), path.join(HUMAN, 'assets', 'screenshot-facedetect.jpg'), path.join(HUMAN, 'assets', 'screenshot-faceid.jpg'), path.join(SKIMAGE, 'horse.png')]) calib.push({ [START]: await feed(f) });
  const q = await quantize(g, calib, { skipReport: true, biasCorrectionBatches: 2 });
  const { xmodel, report } = compile(q.graph, 'B4096');
  const gr = GraphRunner.create(Graph.deserialize(xmodel), { mode: 'run' });
  const outs = gr.getOutputTensors().map((t) => t.name);
  const lines: string[] = [];
  try {
    for (const name of ['astronaut.png', 'coffee.png']) {
      const x = await feed(path.join(SKIMAGE, name));
      const a = runFloat(gf, { [START]: x })[gf.outputs[1]!]!.data;
      const b = (await gr.run({ [START]: x }))[outs[1]!]!.data;
      let dot = 0, na = 0, nb = 0;
      for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! * a[i]!; nb += b[i]! * b[i]!; }
      const cos = dot / Math.sqrt(na * nb);
      const ta = topAnchors(a, 4), tb = topAnchors(b, 8);
      const kept = ta.filter((i) => tb.includes(i)).length;
      lines.push(`${name}: cosine ${cos.toFixed(4)}, FP32 top-4 anchors in INT8 top-8: ${kept}/4`);
      assert.ok(cos >= 0.99, `${name}: cosine ${cos}`);
      if (name === 'astronaut.png') assert.ok(kept >= 3, `${name}: ${kept}/4 strongest anchors kept`);
    }
  } finally { gr.close(); }
  console.log(`handtrack INT8 vs FP32: ${lines.join('; ')}; partition ${report.counts.dpu} DPU / ${report.counts.cpu} CPU subgraphs (CPU: ${[...new Set(report.cpuOps.map((c) => c.type))].join(', ')})`);
});
