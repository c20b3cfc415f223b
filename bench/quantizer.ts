// Quantizer benchmarks (issue 4): (1) `diffs` vs `maxmin` INT8-vs-FP32 SQNR on real models
// (PP-OCR cls 48×192, PP-OCRv4 det 256²), measured with the bit-exact INT8 executor on the same
// calibration crops in the same run; (2) calibration time of PP-OCRv4 det on N images vs
// onnxruntime-node running the same N float inferences (1 thread), ratio (wall and CPU time), for
// calibration alone and for the default quantize (CLE, bias correction, report), with the phase
// breakdown of quantize()'s timings per image. N = 100 (10 with --quick). docs/perf.md "Calibration".
import fs from 'node:fs';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { importOnnx } from '../src/importers/onnx/index.js';
import { quantize } from '../src/quantizer/quantize.js';
import type { CalibMethod } from '../src/quantizer/observers/types.js';
import type { QuantizeOptions, QuantizeTimings } from '../src/quantizer/quantize.js';
import { normalizePixels, type NormalizeOptions } from '../src/apps/preprocess/normalize.js';
import { assetPath } from '../src/runtime/node/assets.js';
import { packageDir } from '../src/runtime/node/assets.js';
import type { TensorValue } from '../src/ir/types.js';
import type { BenchContext, BenchResult } from './types.js';

const IMAGES = ['screenshot-typedoc.png', 'screenshot-menu.png', 'screenshot-results.png', 'screenshot-faceid.jpg', 'screenshot-facematch.jpg',
  'screenshot-facedetect.jpg', 'screenshot-vrm.jpg', 'samples.jpg'];

/** Deterministic crops (and 180° rotations every other one) of the @vladmandic/human sample images. */
async function crops(n: number, w: number, h: number, norm: NormalizeOptions): Promise<TensorValue[]> {
  const dir = `${packageDir('@vladmandic/human')}/assets/`;
  const out: TensorValue[] = [];
  for (let i = 0; out.length < n; i++) {
    const f = dir + IMAGES[i % IMAGES.length];
    const meta = await sharp(f).metadata();
    const cw = Math.min(meta.width ?? w, w * (1 + (i % 3)));
    const ch = Math.min(meta.height ?? h, h * (1 + (i % 3)));
    const left = Math.floor((((i * 7919) % 1000) / 1000) * ((meta.width ?? cw) - cw));
    const top = Math.floor((((i * 104729) % 1000) / 1000) * ((meta.height ?? ch) - ch));
    let s = sharp(f).extract({ left, top, width: cw, height: ch });
    if (i % 2 === 1) s = sharp(await s.png().toBuffer()).rotate(180);
    const { data, info } = await s.resize(w, h, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    out.push(normalizePixels(new Uint8Array(data), info.width, info.height, info.channels, norm));
  }
  return out;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const models = [
    { label: 'PP-OCR cls 48×192', asset: 'ppocr-cls' as const, nchw: [1, 3, 48, 192], norm: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } },
    { label: 'PP-OCRv4 det 256²', asset: 'ppocr-det' as const, nchw: [1, 3, 256, 256], norm: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } },
  ];
  for (const m of models) {
    const [, c, h, w] = m.nchw as [number, number, number, number];
    const g = importOnnx(new Uint8Array(fs.readFileSync(assetPath(m.asset))), { inputShapes: { x: m.nchw } });
    const data = await crops(ctx.quick ? 4 : 12, w, h, m.norm);
    const feeds = data.map((d) => ({ [g.inputs[0]]: d }));
    const sq: Record<string, { out: number; mean: number }> = {};
    for (const method of ['diffs', 'maxmin'] as CalibMethod[]) {
      ctx.progress(`${m.label}: quantize ${method}`);
      const r = await quantize(g, feeds, { method, reportBatches: ctx.quick ? 2 : 4, biasCorrectionBatches: 4 });
      const fin = r.report.tensors.filter((t) => t.sqnrDb !== null && t.dtype === 'int8');
      sq[method] = { out: r.report.outputs[0]?.sqnrDb ?? NaN, mean: fin.reduce((a, t) => a + (t.sqnrDb as number), 0) / Math.max(1, fin.length) };
    }
    for (const what of ['out', 'mean'] as const) {
      results.push(ctx.result({
        group: 'quantizer',
        name: `${m.label} ${what === 'out' ? 'final output' : 'mean per-tensor'} SQNR INT8 vs FP32, diffs (maxmin in details)`,
        value: sq.diffs[what],
        unit: 'dB',
        higherIsBetter: true,
        details: { maxminDb: sq.maxmin[what], diffsMinusMaxminDb: sq.diffs[what] - sq.maxmin[what], calibCrops: feeds.length, channels: c },
      }));
    }
  }
  // Calibration speed vs onnxruntime float inference on the same images (issue 4 "Speed"). ORT runs
  // its 100 inferences before and after quantize() and the mean is the peer, so both share the
  // machine's load; process CPU time is reported next to wall time (this machine is shared).
  const n = ctx.quick ? 10 : 100;
  const nchw = [1, 3, 256, 256];
  const onnx = new Uint8Array(fs.readFileSync(assetPath('ppocr-det')));
  const g = importOnnx(onnx, { inputShapes: { x: nchw } });
  const data = await crops(n, 256, 256, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
  const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const nchwData = data.map((d) => {
    const o = new Float32Array(d.data.length);
    for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) for (let ch = 0; ch < 3; ch++) o[(ch * 256 + y) * 256 + x] = d.data[(y * 256 + x) * 3 + ch];
    return new ort.Tensor('float32', o, nchw);
  });
  await session.run({ x: nchwData[0] });
  const measure = async (fn: () => Promise<unknown>): Promise<{ wallMs: number; cpuMs: number }> => {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    const d = process.cpuUsage(c);
    return { wallMs: performance.now() - t, cpuMs: (d.user + d.system) / 1000 };
  };
  const ortRun = (): Promise<{ wallMs: number; cpuMs: number }> => measure(async () => { for (const t of nchwData) await session.run({ x: t }); });
  const feeds = data.map((d) => ({ [g.inputs[0]]: d }));
  /** quantize()'s phase timings as ms per image (keys msPerImage_<phase>). */
  const perImage = (t: QuantizeTimings): Record<string, number> => Object.fromEntries(Object.entries(t).map(([k, v]) => [`msPerImage_${k}`, Math.round((v / n) * 10) / 10]));
  const cases: { label: string; opts: QuantizeOptions }[] = [
    { label: 'calibration only (diffs, no CLE/bias correction/report)', opts: { skipReport: true, biasCorrection: false, cle: false } },
    { label: 'default quantize (diffs, CLE, bias correction on 16, report on 8)', opts: {} },
  ];
  for (const c of cases) {
    ctx.progress(`PP-OCRv4 det: onnxruntime ${n} float inferences`);
    const o1 = await ortRun();
    ctx.progress(`PP-OCRv4 det: quantize on ${n} images, ${c.label}`);
    let timings: QuantizeTimings | undefined;
    const q = await measure(async () => { timings = (await quantize(g, feeds, c.opts)).timings; });
    ctx.progress(`PP-OCRv4 det: onnxruntime ${n} float inferences`);
    const o2 = await ortRun();
    const ortWall = (o1.wallMs + o2.wallMs) / 2;
    const ortCpu = (o1.cpuMs + o2.cpuMs) / 2;
    results.push(ctx.result({
      group: 'quantizer',
      name: `PP-OCRv4 det 256² ${c.label} on ${n} images`,
      value: q.wallMs / 1000,
      unit: 's',
      higherIsBetter: false,
      peer: { name: `ORT FP32 1T, ${n} float inferences`, value: ortWall / 1000 },
      details: {
        calibOverOrt: q.wallMs / ortWall,
        calibOverOrtCpuTime: q.cpuMs / ortCpu,
        cpuMs: q.cpuMs,
        ortCpuMs: ortCpu,
        ...(timings ? perImage(timings) : {}),
      },
    }));
  }
  await session.release();
  return results;
}
