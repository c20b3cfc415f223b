/**
 * CenterNet (@vladmandic/human models/centernet.json: MobileNetV3 backbone, COCO 80 classes, 512×512,
 * float16 weights) end to end: import cut at tower_0/keypoints + tower_0/wh (the model's own decode uses
 * TopKV2), quantize with real calibration photos, compile for B4096, run on the virtual DPU (GraphRunner
 * 'run'), decode with src/apps (peaks = 3×3 max, l/t/r/b distances, class-aware NMS); compare with FP32.
 *
 * FP32 = dpuflow's float IR of the same model imported with `exactFloat` (no value-changing fusion),
 * which matches @tensorflow/tfjs within 1.5e-5 / 3.1e-5 (test/importers/tfjs/real-models.test.ts).
 * Input: letterboxed RGB pixels 0..255 (the model normalizes inside; Human feeds 0..255 too).
 * Test photos: python3-skimage's astronaut, chelsea, coffee, motorcycle_left and the crowd photo of
 * Human's assets/samples.jpg; calibration: Human's screenshot-vrm/-facedetect/-faceid and skimage horse
 * (none of them a test photo).
 * Target: ≥ 90% of FP32 detections with score ≥ 0.3 matched by an INT8 detection of the same class at
 * IoU ≥ 0.5. With default options 0/8 (per-tensor power-of-two INT8 weights of the depthwise convs — BN-folded
 * channel ranges differ 30–490× — and the stem's per-tensor output fix point: its small channels feed the
 * largest depthwise weights). Quantized with the depthwise channel-group split (src/quantizer/split-depthwise.ts:
 * 4 groups by the depthwise conv's own max|w|, each split again by its input channels' range on the calibration
 * photos; the stem, shared with a residual add, duplicated for the branches): 8/8 measured; see docs/tfjs.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { loadModelFile } from '../../src/importers/node/load-model.js';
import { optimizeForInference } from '../../src/ir/passes/optimize/index.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import { quantize } from '../../src/quantizer/index.js';
import { compile } from '../../src/compiler/index.js';
import { Graph } from '../../src/xir/graph.js';
import { GraphRunner } from '../../src/runtime/graph-runner.js';
import { packageDir } from '../../src/runtime/node/assets.js';
import { readImage } from '../../src/apps/node/image-io.js';
import { imageToTensor, letterbox, type RgbImage } from '../../src/apps/image/image.js';
import { decodeCenterNet } from '../../src/apps/detect/decode.js';
import { iou, nmsPerClass, type Detection } from '../../src/apps/detect/nms.js';
import type { TensorValue } from '../../src/ir/types.js';

const HUMAN = packageDir('@vladmandic/human');
const MODEL = path.join(HUMAN, 'models', 'centernet.json');
const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const OUTPUTS = ['tower_0/keypoints', 'tower_0/wh'];
const S = 512;
const haveSkimage = fs.existsSync(path.join(SKIMAGE, 'astronaut.png'));

async function feed(img: RgbImage): Promise<TensorValue> {
  return imageToTensor(letterbox(img, S, S).image, { scale: 1 });
}

/** The crowd photo of samples.jpg (1280×1158; the photo starts below the thumbnail strip at y = 200). */
async function crowd(): Promise<RgbImage> {
  const { data, info } = await sharp(path.join(HUMAN, 'assets', 'samples.jpg')).extract({ left: 0, top: 200, width: 1280, height: 958 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

const decode = (heat: TensorValue, wh: TensorValue): Detection[] => nmsPerClass(decodeCenterNet(heat, wh, undefined, { stride: 4, scoreThresh: 0.1, topK: 100 }), 0.45, 100);

test('CenterNet INT8 (B4096, virtual DPU run mode) vs FP32 detections on 5 real photos: ≥ 90% matched (IoU ≥ 0.5, same class)', { skip: haveSkimage ? false : 'python3-skimage data not installed (apt-get install python3-skimage)' }, async () => {
  const g = loadModelFile(MODEL, { outputs: OUTPUTS });
  assert.equal(g.ops.filter((o) => o.type === 'hard-swish').length, 20, 'the 20 float16 hard-swish blocks are fused');
  const gFp = optimizeForInference(loadModelFile(MODEL, { outputs: OUTPUTS, exactFloat: true }));
  const input = g.inputs[0]!;
  const calibFiles = [path.join(HUMAN, 'assets', 'screenshot-vrm.jpg'), path.join(HUMAN, 'assets', 'screenshot-facedetect.jpg'), path.join(HUMAN, 'assets', 'screenshot-faceid.jpg'), path.join(SKIMAGE, 'horse.png')];
  const calib: Record<string, TensorValue>[] = [];
  for (const f of calibFiles) calib.push({ [input]: await feed(await readImage(f)) });
  const q = await quantize(g, calib, { skipReport: true, biasCorrectionBatches: 2, splitDepthwiseGroups: { groups: 4, by: 'depthwise', thenBy: 'input' } });
  assert.ok(q.graph.ops.filter((o) => o.type === 'depthwise-conv2d').length >= 100, 'the depthwise convs are split into channel groups');
  const { xmodel, report } = compile(q.graph, 'B4096');
  const cpuTypes = new Set(report.cpuOps.map((c) => c.type));
  assert.ok(!cpuTypes.has('hard-swish'), 'no hard-swish left on the CPU');
  const gr = GraphRunner.create(Graph.deserialize(xmodel), { mode: 'run' });
  const outs = gr.getOutputTensors().map((t) => t.name);
  const photos: [string, RgbImage][] = [];
  for (const n of ['astronaut.png', 'chelsea.png', 'coffee.png', 'motorcycle_left.png']) photos.push([n, await readImage(path.join(SKIMAGE, n))]);
  photos.push(['samples.jpg (crowd)', await crowd()]);
  let total = 0;
  let matched = 0;
  const lines: string[] = [];
  try {
    for (const [name, img] of photos) {
      const x = await feed(img);
      const f = runFloat(gFp, { [input]: x });
      const fp = decode(f[gFp.outputs[0]!]!, f[gFp.outputs[1]!]!).filter((d) => d.score >= 0.3);
      const r = await gr.run({ [input]: x });
      const i8 = decode(r[outs[0]!]!, r[outs[1]!]!);
      const m = fp.filter((d) => i8.some((e) => e.classId === d.classId && iou(d.box, e.box) >= 0.5)).length;
      total += fp.length;
      matched += m;
      const best = fp.map((d) => Math.max(0, ...i8.filter((e) => e.classId === d.classId && iou(d.box, e.box) >= 0.5).map((e) => e.score)).toFixed(2));
      lines.push(`${name}: FP32 ${fp.length} (class:score ${fp.map((d) => `${d.classId}:${d.score.toFixed(2)}`).join(' ')}), best matching INT8 score ${best.join(' ')}, INT8 ≥0.3: ${i8.filter((d) => d.score >= 0.3).length}, matched ${m}`);
    }
  } finally { gr.close(); }
  console.log(`CenterNet INT8 (split depthwise) vs FP32: ${matched}/${total} FP32 detections (score ≥ 0.3) matched\n  ${lines.join('\n  ')}\n  partition: ${report.counts.dpu} DPU / ${report.counts.cpu} CPU subgraphs; CPU op types: ${[...cpuTypes].join(', ')}`);
  assert.ok(total >= 5, `FP32 finds ${total} detections with score ≥ 0.3 on the 5 photos`);
  assert.ok(matched / total >= 0.9, `${matched}/${total} matched`);
});

test('dpuflow run --task detect --head centernet (float model.json, default pre-processing): the astronaut found where she is', { skip: haveSkimage ? false : 'python3-skimage data not installed' }, async () => {
  const { spawnSync } = await import('node:child_process');
  const bin = path.resolve('bin', 'dpuflow.js');
  const r = spawnSync(process.execPath, [bin, 'run', MODEL, '--output', OUTPUTS.join(','), '--task', 'detect', '--head', 'centernet', '--input', path.join(SKIMAGE, 'astronaut.png'), '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const dets = (JSON.parse(r.stdout) as { results: { detect: { detections: Detection[] } }[] }).results[0]!.detect.detections;
  // hand-measured on the 512×512 photo: the astronaut (COCO class 0, person) spans x 0–380, y 0–512
  const person = dets.filter((d) => d.classId === 0 && d.score >= 0.3 && iou(d.box, [0, 0, 380, 512]) >= 0.7);
  assert.equal(person.length, 1, `person detections: ${JSON.stringify(dets.slice(0, 3))}`);
});
