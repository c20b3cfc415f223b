// `dpuflow run <model> --input <image|dir> [--task classify|detect|ocr] [--out annotated.png] [--json]`:
// the application pipelines on one image or a folder. .xmodel files run on the virtual DPU (GraphRunner),
// .onnx files on dpuflow's float IR executor (or onnxruntime with --engine ort). A bad file in a folder
// is reported and skipped; the batch carries on.
import path from 'node:path';
import type { Command } from 'commander';
import { AppError, DpuflowError, UsageError } from '../../errors.js';
import { printJson } from '../output.js';
import { recWidthSet, runOcr, type OcrResult } from '../../apps/ocr/pipeline.js';
import { runClassify, parseLabels, type ClassifyResult } from '../../apps/classify.js';
import { runDetect, type DetectResult } from '../../apps/detect/pipeline.js';
import { formatTimings, HOST_TO_A53_FACTOR, type StageTiming } from '../../apps/timing.js';
import { imageInputs, readImage, writeAnnotatedPng, type Annotation } from '../../apps/node/image-io.js';
import { closeOcrModels, loadOcrModels, openModel, type OpenModelOptions } from '../../apps/node/models.js';
import { firstInput, type ModelExecutor } from '../../apps/executor.js';
import { channelsProblem, imageWithChannels, valuesForChannels } from '../../apps/preprocess/channels.js';
import type { RunnerMode } from '../../runtime/backend.js';
import fs from 'node:fs';
import { checkOutputsOption, collectList, collectOutputs, floatGraphExecutor, loadTfjsModel, modelFileKind, modelNetName } from './model-file.js';
import { parsePreprocess } from './quantize.js';
import { loadOcrModelsWithRecs, type RecFile } from './run-rec.js';
import { assetPath } from '../../runtime/node/assets.js';

type Task = 'classify' | 'detect' | 'ocr';

interface RunOpts {
  input: string;
  task?: string;
  out?: string;
  json?: boolean;
  det?: string;
  cls?: string | false;
  rec: string[];
  keys?: string;
  labels?: string;
  engine: string;
  mode: string;
  target?: string;
  topK: string;
  head: string;
  limitSide: string;
  a53Factor: string;
  output?: string[];
  startAt?: string[];
  inputShape?: string;
  preprocess?: string;
}

interface ItemResult {
  input: string;
  ok: boolean;
  error?: { code: string; message: string };
  ocr?: Omit<OcrResult, 'timings'>;
  classify?: Omit<ClassifyResult, 'timings'>;
  detect?: Omit<DetectResult, 'timings'>;
  timings?: StageTiming[];
  annotated?: string;
}

const num = (v: string, name: string, min: number): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError('E_USAGE', `--${name} must be a number ≥ ${min}, got '${v}'`);
  return n;
};

/** Output file for image i of a batch: a.png → a-<image>.png when there is more than one image. */
function outFor(out: string, image: string, batch: boolean): string {
  if (!batch) return out;
  const ext = path.extname(out) || '.png';
  return path.join(path.dirname(out), `${path.basename(out, path.extname(out))}-${path.basename(image, path.extname(image))}${ext}`);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a model on images: OCR (PP-OCR det→cls→rec), classification or detection, with a per-stage timing table')
    .argument('[model]', '.xmodel (virtual DPU), .onnx or TF.js model.json/folder (float executor); for --task ocr this is the det model (default: shipped PP-OCRv4)')
    .requiredOption('--input <image|dir>', 'an image or a folder of images')
    .option('--task <task>', 'classify | detect | ocr (default: ocr without a model, else classify)')
    .option('--out <png>', 'write the image annotated with the results (PNG, atomic)')
    .option('--json', 'print the results as JSON')
    .option('--det <file>', 'OCR text detection model (.onnx/.xmodel)')
    .option('--cls <file>', 'OCR direction classifier model')
    .option('--no-cls', 'skip the direction classifier')
    .option('--rec <file>', 'OCR recognition model; repeat for a width set (compiled .xmodel files, each at its own input width: a line goes to the smallest that holds it)', collectList, [] as string[])
    .option('--keys <file>', 'OCR key file (default: shipped ppocr_keys_v1.txt)')
    .option('--labels <file>', 'label file for classify/detect (one per line)')
    .option('--engine <e>', '.onnx engine: float (dpuflow IR executor) | ort (onnxruntime-node)', 'float')
    .option('--mode <m>', '.xmodel virtual DPU mode: ref | sim | run', 'ref')
    .option('--target <board>', '.xmodel: board/arch of the virtual DPU (default: the model\'s own)')
    .option('--top-k <k>', 'classify: how many classes to print', '5')
    .option('--head <h>', 'detect: yolov5 | centernet | handtrack (TF OD API SSD: box encodings + class logits, e.g. Human\'s handtrack cut before its NMS)', 'yolov5')
    .option('--limit-side <px>', 'OCR det: longest side limit (PaddleOCR det_limit_side_len)', '960')
    .option('--output <names>', 'TF.js: run the graph up to these tensors (comma-separated or repeated), e.g. tower_0/keypoints,tower_0/wh', collectOutputs, [] as string[])
    .option('--start-at <name=dims>', 'TF.js: start the graph at this tensor (NHWC shape; repeatable)', collectList, [] as string[])
    .option('--input-shape <name=dims>', 'TF.js: fix a free input dim, NHWC (name=1x224x224x3)')
    .option('--preprocess <spec>', 'classify/detect input scaling: "scale=1" (0..255 pixels), "mean=…,std=…", preset imagenet|half|none')
    .option('--a53-factor <x>', 'host ms × x = board Cortex-A53 ms estimate (docs/apps.md)', String(HOST_TO_A53_FACTOR))
    .action(async (model: string | undefined, o: RunOpts) => {
      const task = (o.task ?? (model ? 'classify' : 'ocr')) as Task;
      if (!['classify', 'detect', 'ocr'].includes(task)) throw new UsageError('E_USAGE', `--task must be classify, detect or ocr, got '${o.task}'`);
      if (!['float', 'ort'].includes(o.engine)) throw new UsageError('E_USAGE', `--engine must be float or ort, got '${o.engine}'`);
      if (!['ref', 'sim', 'run'].includes(o.mode)) throw new UsageError('E_USAGE', `--mode must be ref, sim or run, got '${o.mode}'`);
      if (task === 'detect' && !['yolov5', 'centernet', 'handtrack'].includes(o.head)) throw new UsageError('E_USAGE', `--head must be yolov5, centernet or handtrack, got '${o.head}'`);
      if (task !== 'ocr' && !model) throw new UsageError('E_USAGE', `--task ${task} needs a model file`, { fix: `dpuflow run model.xmodel --input img.png --task ${task}` });
      const a53Factor = num(o.a53Factor, 'a53-factor', 0);
      const files = imageInputs(o.input);
      const batch = files.length > 1;
      const mo: OpenModelOptions = { engine: o.engine as 'float' | 'ort', mode: o.mode as RunnerMode, ...(o.target ? { target: o.target } : {}) };
      const labels = o.labels ? (() => {
        try { return parseLabels(fs.readFileSync(o.labels!, 'utf8'), o.labels); } catch (e) {
          if (e instanceof DpuflowError) throw e;
          throw new AppError('E_APP_LABELS', `cannot read the label file: ${(e as Error).message}`, { file: o.labels, fix: 'check the --labels path' });
        }
      })() : undefined;
      let recFiles: RecFile[] = [];
      const ocrFiles = { ...mo, det: o.det ?? model, keys: o.keys, cls: o.cls === false ? false as const : o.cls };
      const ocrModels = task !== 'ocr' ? undefined : o.rec.length === 0 ? await loadOcrModels(ocrFiles)
        : await loadOcrModelsWithRecs(o.rec, ocrFiles).then((r) => { recFiles = r.recs; return r.models; });
      // the recognizer width set as runOcr routes lines over it (a free-width model runs at 320)
      const recSet = ocrModels ? recWidthSet(ocrModels).map((s) => ({ file: recFiles.find((r) => r.ex === s.ex)?.file ?? assetPath('ppocr-rec'), width: s.width, height: s.height, stage: s.stage })) : undefined;
      let single: ModelExecutor | undefined;
      const kind = model ? modelFileKind(model) : undefined;
      if (model && kind) checkOutputsOption(model, kind, [...(o.output ?? []), ...(o.startAt ?? [])]);
      if (task !== 'ocr') {
        single = kind === 'tfjs'
          ? floatGraphExecutor(loadTfjsModel(model!, { outputs: o.output, inputShape: o.inputShape, startAt: o.startAt }), modelNetName(model!))
          : await openModel(model!, mo);
      }
      // handtrack's own pre-processing (in the map/while loop cut off at import) is x·2/255 − 1 = preset half
      const pre = parsePreprocess(o.preprocess ?? (task === 'detect' && o.head === 'handtrack' ? 'half' : task === 'detect' && o.head === 'centernet' ? 'scale=1' : undefined));
      const norm = { ...(pre.mean ? { mean: pre.mean } : {}), ...(pre.std ? { std: pre.std } : {}), ...(pre.scale !== undefined ? { scale: pre.scale } : {}), ...(pre.order ? { order: pre.order } : {}) };
      // classify follows the model input's channel count: 1 → BT.601 grey, 3 → RGB, anything else → error
      const channels = task === 'classify' ? classifyChannels(single!) : 3;
      const results: ItemResult[] = [];
      try {
        for (const file of files) {
          const item: ItemResult = { input: file, ok: false };
          results.push(item);
          try {
            const img = await readImage(file);
            let ann: Annotation[] = [];
            if (task === 'ocr') {
              const { timings, ...r } = await runOcr(img, ocrModels!, { limitSideLen: num(o.limitSide, 'limit-side', 32), a53Factor });
              item.ocr = r;
              item.timings = timings;
              ann = r.lines.map((l) => ({ points: l.box, label: l.text }));
            } else if (task === 'classify') {
              const nc = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], ...norm };
              const { timings, ...r } = await runClassify(imageWithChannels(img, channels)!, single!, { topK: num(o.topK, 'top-k', 1), labels, a53Factor, ...nc, mean: valuesForChannels(nc.mean, channels), std: valuesForChannels(nc.std, channels) });
              item.classify = r;
              item.timings = timings;
            } else {
              const { timings, ...r } = await runDetect(img, single!, { head: o.head as 'yolov5' | 'centernet' | 'handtrack', labels, a53Factor, ...norm });
              item.detect = r;
              item.timings = timings;
              ann = r.detections.map((d) => ({ points: [[d.box[0], d.box[1]], [d.box[2], d.box[1]], [d.box[2], d.box[3]], [d.box[0], d.box[3]]], label: `${d.label ?? d.classId} ${d.score.toFixed(2)}` }));
            }
            if (o.out) {
              item.annotated = outFor(o.out, file, batch);
              await writeAnnotatedPng(item.annotated, img, ann);
            }
            item.ok = true;
          } catch (e) {
            if (!(e instanceof DpuflowError) || !batch) throw e;
            item.error = { code: e.code, message: e.message };
            process.stderr.write(`dpuflow run: skipped ${file}: ${e.message}\n`);
          }
          if (!o.json) process.stdout.write(formatItem(item, task, a53Factor, (recSet?.length ?? 0) > 1));
        }
      } finally {
        if (ocrModels) {
          closeOcrModels(ocrModels);
          for (const ex of ocrModels.recByWidth ?? []) ex.close?.();
        }
        single?.close?.();
      }
      if (o.json) printJson({ task, model: model ?? null, a53Factor, ...(recSet ? { rec: recSet } : {}), results });
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });
}

/** The channel count a classify model takes from images (1 or 3; a free dim means RGB); AppError otherwise. */
function classifyChannels(model: ModelExecutor): number {
  const inp = firstInput(model);
  const c = inp.shape[inp.shape.length - 1]!;
  if (inp.shape.length !== 4 || !(c > 0)) return 3;
  const p = channelsProblem(inp.name, inp.shape);
  if (p) throw new AppError('E_APP_CHANNELS', p.message, { where: inp.name, fix: p.fix });
  return c;
}

function formatItem(r: ItemResult, task: Task, factor: number, recWidths: boolean): string {
  const lines = [`${r.input}${r.ok ? '' : `: SKIPPED (${r.error?.message})`}`];
  if (r.ocr) {
    lines.push(`  ${r.ocr.lines.length} text line(s) from ${r.ocr.boxes} box(es), det input ${r.ocr.detInput[0]}×${r.ocr.detInput[1]}`);
    for (const l of r.ocr.lines) lines.push(`  ${l.score.toFixed(3)}  ${l.text}${l.angle ? '  (rotated 180°)' : ''}${recWidths ? `  [rec@${l.recWidth}]` : ''}`);
  }
  if (r.classify) for (const t of r.classify.top) lines.push(`  ${(t.probability * 100).toFixed(2)}%  #${t.index} ${t.label ?? ''}`);
  if (r.detect) {
    lines.push(`  ${r.detect.detections.length} detection(s)`);
    for (const d of r.detect.detections) lines.push(`  ${d.score.toFixed(3)}  ${d.label ?? `class ${d.classId}`}  [${d.box.map((v) => v.toFixed(0)).join(', ')}]`);
  }
  if (r.timings) {
    lines.push('', formatTimings(r.timings, factor).split('\n').map((l) => `  ${l}`).join('\n'));
    const cpu = r.timings.filter((t) => t.device === 'CPU').reduce((s, t) => s + t.hostMs, 0);
    lines.push(`  CPU work: ${cpu.toFixed(1)} ms host, ≈ ${(cpu * factor).toFixed(0)} ms on the board's Cortex-A53 (estimate)`);
  }
  if (r.annotated) lines.push(`  annotated: ${r.annotated}`);
  void task;
  return `${lines.join('\n')}\n\n`;
}
