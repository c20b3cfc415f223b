/**
 * `dpuflow quantize <model.onnx|model.json|tfjs-folder> --calib <dir|.npy|.bin> --out <dir>`: calibrate to power-of-two INT8
 * (vai_q's calib mode), write <net>_int.xmodel, quant_info.json, quant_report.json atomically, print
 * a short per-layer table (or JSON). `--test` also runs the quantized model bit-exactly on the
 * calibration inputs (the report's metrics). `dpuflow eval` (eval.ts) is the test mode alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { decodeOnnx, importOnnx } from '../../importers/onnx/index.js';
import { irToXmodel } from '../../xir/from-ir.js';
import { quantize, type QuantizeResult } from '../../quantizer/quantize.js';
import type { SplitDepthwiseOptions, SplitKey } from '../../quantizer/split-depthwise.js';
import { CALIB_METHODS, type CalibMethod } from '../../quantizer/observers/types.js';
import { parseQuantInfo, stringifyQuantInfo } from '../../quantizer/quant-info.js';
import { formatReportTable } from '../../quantizer/report.js';
import { openCalibSet, calibFeeds } from '../../apps/preprocess/node/calib.js';
import { PREPROCESS_PRESETS, type ChannelOrder, type Layout, type NormalizeOptions } from '../../apps/preprocess/normalize.js';
import { QuantizeError, UsageError } from '../../errors.js';
import { printJson, writeFileAtomic } from '../output.js';
import { renderQuantizeHtml } from '../../report/html.js';
import type { Graph as IrGraph } from '../../ir/types.js';
import { checkOutputsOption, collectList, collectOutputs, loadTfjsModel, modelFileKind, modelNetName } from './model-file.js';

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError('E_USAGE_NUMBER', `${flag} must be an integer 1–64, got '${v}'`, { fix: `e.g. ${flag} 8` });
  return n;
}

function groupCount(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2 || n > 64) throw new UsageError('E_USAGE_NUMBER', `${flag} must be an integer 2–64, got '${v}'`, { fix: `e.g. ${flag} 8` });
  return n;
}

const SPLIT_KEYS = ['depthwise', 'producer', 'input'] as const;
const SHARED_MODES = ['duplicate', 'concat', 'skip'] as const;
function splitDepthwiseOption(groups: string, by: string | undefined, shared?: string): SplitDepthwiseOptions {
  if (shared !== undefined && !(SHARED_MODES as readonly string[]).includes(shared)) {
    throw new UsageError('E_USAGE_VALUE', `--split-depthwise-shared must be one of ${SHARED_MODES.join('|')}, got '${shared}'`, { fix: 'e.g. --split-depthwise-shared concat' });
  }
  const keys = (by ?? 'depthwise').split(',').map((k) => k.trim());
  if (keys.length > 2 || keys.some((k) => !(SPLIT_KEYS as readonly string[]).includes(k))) {
    throw new UsageError('E_USAGE_VALUE', `--split-depthwise-by must be one or two of ${SPLIT_KEYS.join('|')} (comma-separated), got '${by}'`, { fix: 'e.g. --split-depthwise-by depthwise,input' });
  }
  const [first, then] = keys as SplitKey[];
  return {
    groups: groupCount(groups, '--split-depthwise-groups'), by: first, ...(then ? { thenBy: then } : {}),
    ...(shared ? { sharedProducer: shared as (typeof SHARED_MODES)[number] } : {}),
  };
}

export interface QuantizeCliOptions {
  calib: string;
  out?: string;
  calibCount?: string;
  method: string;
  /** --diffs-batches mode|pooled (how the diffs method combines calibration batches). */
  diffsBatches?: string;
  preprocess?: string;
  inputShape?: string;
  cle: boolean;
  biasCorrection: boolean;
  fastFinetune?: boolean;
  /** --fix-point-search [N]: output-aware fix-point search on the first N calibration inputs (true: the default 8). */
  fixPointSearch?: boolean | string;
  /** --split-channel-groups N (conv → depthwise blocks split into N weight fix-point groups). */
  splitChannelGroups?: string;
  /** --split-channel-groups-by weights|output (the channels' sort key). */
  splitChannelGroupsBy?: string;
  /** --split-depthwise-groups N (depthwise channel-group split by the depthwise conv's own max|w|). */
  splitDepthwiseGroups?: string;
  /** --split-depthwise-by key[,key2] (depthwise | producer | input; a second key splits each group in 2 again). */
  splitDepthwiseBy?: string;
  /** --split-depthwise-shared duplicate|concat|skip (a producer conv that also feeds other ops). */
  splitDepthwiseShared?: string;
  /** --no-affine-as-depthwise turns off the default. */
  affineAsDepthwise?: boolean;
  quantInfo?: string;
  seed: string;
  test?: boolean;
  json?: boolean;
  reportBatches?: string;
  /** TF.js: output tensors to import (--output, repeatable / comma-separated). */
  output?: string[];
  /** TF.js: start tensors (--start-at name=1xHxWxC, repeatable). */
  startAt?: string[];
}

interface Preprocess extends NormalizeOptions {
  resize?: [number, number];
  layout?: Layout;
}

/** `--preprocess "resize=320x320,mean=0.485:0.456:0.406,std=0.229:0.224:0.225,order=RGB,layout=NCHW"` or a preset name. */
export function parsePreprocess(s: string | undefined): Preprocess {
  const p: Preprocess = {};
  if (!s) return p;
  for (const part of s.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [k, v = ''] = part.split('=');
    const nums = (): number[] => v.split(':').map(Number);
    switch (k.toLowerCase()) {
      case 'imagenet':
      case 'half':
      case 'none':
        Object.assign(p, PREPROCESS_PRESETS[k.toLowerCase()]);
        break;
      case 'resize': {
        const m = /^(\d+)x(\d+)$/.exec(v);
        if (!m) throw new UsageError('E_USAGE_PREPROCESS', `resize must be WxH, got '${v}'`, { fix: 'e.g. --preprocess resize=320x320' });
        p.resize = [Number(m[1]), Number(m[2])];
        break;
      }
      case 'mean': p.mean = nums(); break;
      case 'std': p.std = nums(); break;
      case 'scale': p.scale = Number(v); break;
      case 'order':
        if (v !== 'RGB' && v !== 'BGR') throw new UsageError('E_USAGE_PREPROCESS', `order must be RGB or BGR, got '${v}'`);
        p.order = v as ChannelOrder;
        break;
      case 'layout':
        if (v !== 'NCHW' && v !== 'NHWC') throw new UsageError('E_USAGE_PREPROCESS', `layout must be NCHW or NHWC, got '${v}'`);
        p.layout = v as Layout;
        break;
      default:
        throw new UsageError('E_USAGE_PREPROCESS', `unknown --preprocess key '${k}'`, { fix: 'keys: resize, mean, std, scale, order, layout; presets: imagenet, half, none' });
    }
    if ([...(p.mean ?? []), ...(p.std ?? []), p.scale ?? 0].some((x) => !Number.isFinite(x))) {
      throw new UsageError('E_USAGE_PREPROCESS', `bad number in '${part}'`, { fix: 'separate channel values with ":", e.g. mean=0.5:0.5:0.5' });
    }
  }
  return p;
}

function parseShape(s: string): number[] {
  const v = s.replace(/^[^=]*=/, '').split(/[x,]/).map(Number);
  if (v.length !== 4 || v.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new UsageError('E_USAGE_SHAPE', `--input-shape must be N,C,H,W (ONNX layout), got '${s}'`, { fix: 'e.g. --input-shape 1,3,320,320 (or x=1x3x320x320)' });
  }
  return v;
}

export interface QuantizeRun {
  result: QuantizeResult;
  netName: string;
  written: string[];
}

/** The command body, shared by `quantize` and `eval`. */
export async function runQuantizeCommand(model: string, o: QuantizeCliOptions, mode: 'quantize' | 'eval'): Promise<QuantizeRun> {
  const method = o.method as CalibMethod;
  if (!CALIB_METHODS.includes(method)) throw new UsageError('E_USAGE_METHOD', `unknown --method '${o.method}'`, { fix: `use ${CALIB_METHODS.join(', ')}` });
  if (o.splitChannelGroupsBy !== undefined && o.splitChannelGroupsBy !== 'weights' && o.splitChannelGroupsBy !== 'output') {
    throw new UsageError('E_USAGE_VALUE', `unknown --split-channel-groups-by '${o.splitChannelGroupsBy}'`, { fix: 'use weights (max|w|, default) or output (the calibrated output range)' });
  }
  if (o.diffsBatches !== undefined && o.diffsBatches !== 'mode' && o.diffsBatches !== 'pooled') {
    throw new UsageError('E_USAGE_VALUE', `unknown --diffs-batches '${o.diffsBatches}'`, { fix: 'use mode (vai_q: the mode of per-batch choices, default) or pooled (least squared error over all batches)' });
  }
  const pre = parsePreprocess(o.preprocess);
  const kind = modelFileKind(model);
  checkOutputsOption(model, kind, [...(o.output ?? []), ...(o.startAt ?? [])]);
  if (kind === 'xmodel') throw new UsageError('E_USAGE_MODEL', `'${model}' is an .xmodel; quantize takes a float ONNX or TF.js model`, { file: model, fix: 'give the float .onnx or model.json' });
  let g: IrGraph;
  if (kind === 'tfjs') {
    // TF.js models are NHWC: --input-shape is name=1xHxWxC; --preprocess resize=WxH fills the free dims of the one input
    g = loadTfjsModel(model, { outputs: o.output, inputShape: o.inputShape, startAt: o.startAt });
    const s0 = g.inputs.length === 1 ? g.ops.find((op) => op.name === g.inputs[0])?.output.shape ?? [] : [];
    if (!o.inputShape && pre.resize && s0.length === 4 && s0.some((d) => !(d > 0))) {
      g = loadTfjsModel(model, { outputs: o.output, startAt: o.startAt, inputShape: `1x${pre.resize[1]}x${pre.resize[0]}x${s0[3]! > 0 ? s0[3] : 3}` });
    }
    if (g.inputs.length !== 1) {
      throw new QuantizeError('E_Q_MULTI_INPUT', `the model has ${g.inputs.length} inputs; calibration from files feeds one`, { file: model, fix: 'use the library API quantize() with per-input feeds' });
    }
  } else {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(fs.readFileSync(model));
    } catch (err) {
      throw new UsageError('E_USAGE_MODEL', `cannot read model: ${(err as Error).message}`, { file: model });
    }
    const nchw = o.inputShape ? parseShape(o.inputShape) : pre.resize ? [1, 3, pre.resize[1], pre.resize[0]] : undefined;
    const decoded = decodeOnnx(bytes, model);
    const inits = new Set((decoded.graph?.initializer ?? []).map((t) => (t as { name?: string }).name));
    const inputNames = (decoded.graph?.input ?? []).map((i) => i.name ?? '').filter((nm) => !inits.has(nm));
    if (inputNames.length !== 1) {
      throw new QuantizeError('E_Q_MULTI_INPUT', `the model has ${inputNames.length} inputs; calibration from files feeds one`, { file: model, fix: 'use the library API quantize() with per-input feeds' });
    }
    g = importOnnx(bytes, { fileName: model, ...(nchw ? { inputShapes: { [inputNames[0]]: nchw } } : {}) });
  }
  const dataOp = g.ops.find((op) => op.name === g.inputs[0]);
  const inputShape = dataOp?.output.shape ?? [];
  if (inputShape.length !== 4 || inputShape.some((d) => !(d > 0))) {
    throw new QuantizeError('E_Q_INPUT_SHAPE', `input '${g.inputs[0]}' has shape [${inputShape}]: needs a fixed NHWC shape`, { file: model, fix: 'pass --input-shape 1,3,H,W or --preprocess resize=WxH' });
  }
  const count = o.calibCount !== undefined ? Number(o.calibCount) : undefined;
  const set = openCalibSet(o.calib, { inputShape, resize: !!pre.resize, layout: pre.layout, mean: pre.mean, std: pre.std, scale: pre.scale, order: pre.order, count: count ?? undefined });
  const n = count ?? Math.min(100, set.items.length);
  set.items = set.items.slice(0, n);
  const tty = process.stderr.isTTY === true && !o.json;
  const bar = tty ? new cliProgress.SingleBar({ format: ' {stage} [{bar}] {value}/{total}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  let stage = '';
  const quantInfo = o.quantInfo ? parseQuantInfo(readText(o.quantInfo), o.quantInfo) : undefined;
  let result: QuantizeResult;
  try {
    result = await quantize(g, calibFeeds(set, g.inputs[0]), {
      method,
      ...(o.diffsBatches ? { diffsBatches: o.diffsBatches as 'mode' | 'pooled' } : {}),
      cle: o.cle,
      biasCorrection: o.biasCorrection,
      fastFinetune: !!o.fastFinetune,
      ...(o.fixPointSearch ? { fixPointSearch: o.fixPointSearch === true ? true : { batches: positiveInt(o.fixPointSearch, '--fix-point-search') } } : {}),
      ...(o.splitChannelGroups ? { splitChannelGroups: positiveInt(o.splitChannelGroups, '--split-channel-groups') } : {}),
      ...(o.splitChannelGroupsBy ? { splitChannelGroupsBy: o.splitChannelGroupsBy as 'weights' | 'output' } : {}),
      ...(o.splitDepthwiseGroups ? { splitDepthwiseGroups: splitDepthwiseOption(o.splitDepthwiseGroups, o.splitDepthwiseBy, o.splitDepthwiseShared) } : {}),
      affineAsDepthwise: o.affineAsDepthwise !== false,
      quantInfo,
      quantInfoFile: o.quantInfo,
      seed: Number(o.seed),
      skipReport: mode === 'quantize' && !o.test,
      reportBatches: o.reportBatches ? Number(o.reportBatches) : mode === 'eval' ? n : undefined,
      onProgress: (s, done, total) => {
        if (!bar) return;
        if (s !== stage) {
          if (stage) bar.stop();
          stage = s;
          bar.start(total, 0, { stage: s.padEnd(16) });
        }
        bar.update(done, { stage: s.padEnd(16) });
      },
    });
  } finally {
    bar?.stop();
  }
  const netName = modelNetName(model);
  const written: string[] = [];
  if (o.out) {
    const xbytes = irToXmodel(result.graph).serialize();
    const files: [string, Uint8Array | string][] = [
      [path.join(o.out, `${netName}_int.xmodel`), xbytes],
      [path.join(o.out, 'quant_info.json'), stringifyQuantInfo(result.quantInfo)],
      [path.join(o.out, 'quant_report.json'), `${JSON.stringify(result.report, null, 2)}\n`],
    ];
    for (const [f, d] of files) {
      writeFileAtomic(f, d);
      written.push(f);
    }
  }
  return { result, netName, written };
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new QuantizeError('E_QINFO_READ', `cannot read quant_info.json: ${(err as Error).message}`, { file });
  }
}

export function addQuantizeOptions(c: Command): Command {
  return c
    .requiredOption('--calib <path>', 'calibration images folder, .npy (float32, N×C×H×W) or raw float32 .bin')
    .option('--calib-count <n>', 'number of calibration inputs (default: min(100, available))')
    .option('--method <m>', `calibration method: ${CALIB_METHODS.join('|')}`, 'diffs')
    .option('--diffs-batches <rule>', "with --method diffs: mode (vai_q: the mode of the per-batch fix points, default) | pooled (the least squared error over all batches together)")
    .option('--preprocess <spec>', 'e.g. "imagenet,resize=320x320" or "resize=48x192,mean=0.5:0.5:0.5,std=0.5:0.5:0.5,order=BGR,layout=NCHW"')
    .option('--input-shape <n,c,h,w>', 'fixed model input shape (ONNX: NCHW 1,3,H,W; TF.js: NHWC name=1xHxWx3)')
    .option('--output <names>', 'TF.js: import up to these tensors (comma-separated or repeated), e.g. cut before TopKV2/NMS', collectOutputs, [] as string[])
    .option('--start-at <name=dims>', 'TF.js: start the graph at this tensor (NHWC shape), e.g. after a pre-processing loop (repeatable)', collectList, [] as string[])
    .option('--cle', 'cross-layer equalization (default on)', true)
    .option('--no-cle', 'disable cross-layer equalization')
    .option('--bias-correction', 'bias correction (default on)', true)
    .option('--no-bias-correction', 'disable bias correction')
    .option('--fast-finetune', 'AdaQuant fast finetune (pointwise convs)')
    .option('--fix-point-search [n]', 'output-aware fix-point search: each activation fix point one step finer or coarser where the INT8 outputs of the fixed-point part get closer to float on the first n calibration inputs (default 8)')
    .option('--split-channel-groups <n>', 'split each conv → depthwise block into n output-channel groups, each with its own weight fix point (DPU-legal; PP-OCRv4 rec: 8)')
    .option('--split-channel-groups-by <key>', 'with --split-channel-groups: group the channels by weights (max|w|, default) or output (their calibrated output range)')
    .option('--split-depthwise-groups <n>', 'split each conv → depthwise block whose depthwise channel ranges differ ≥ 8× into n groups by the depthwise max|w|, consumers permuted (DPU-legal; MobileNetV3 CenterNet: 8)')
    .option('--split-depthwise-by <keys>', 'with --split-depthwise-groups: sort key depthwise (default) | producer | input (calibration range of the depthwise input); a second key (e.g. depthwise,input) splits each group in 2 again')
    .option('--split-depthwise-shared <mode>', 'with --split-depthwise-groups: a producer conv that also feeds other ops is duplicated per group (duplicate, default), split and joined by a concat its other consumers read (concat), or left unsplit (skip)')
    .option('--no-affine-as-depthwise', 'keep scalar mul → add pairs (learnable affine) as two eltwise ops instead of one 1×1 depthwise conv')
    .option('--quant-info <file>', 'reload hand-edited fix points from quant_info.json')
    .option('--seed <n>', 'seed (fast finetune sampling)', '0')
    .option('--report-batches <n>', 'calibration inputs used for the INT8 vs FP32 report')
    .option('--json', 'print the report as JSON');
}

export function registerQuantize(program: Command): void {
  addQuantizeOptions(program.command('quantize <model>').description('calibrate an ONNX or TF.js model to power-of-two INT8 (vai_q calib mode) and export <net>_int.xmodel'))
    .option('--out <dir>', 'output folder', 'quantize_result')
    .option('--test', 'also run the quantized model bit-exactly and report INT8 vs FP32 per layer')
    .option('--html <file>', 'with --test: write a self-contained HTML report (per-tensor SQNR table and bars)')
    .action(async (model: string, o: QuantizeCliOptions & { html?: string }) => {
      const r = await runQuantizeCommand(model, o, 'quantize');
      if (o.html) writeFileAtomic(o.html, renderQuantizeHtml({ ...r.result.report, model }));
      if (o.json) printJson({ files: r.written, quantInfo: r.result.quantInfo, report: r.result.report });
      else {
        for (const w of r.result.report.warnings) process.stderr.write(`warning: ${w}\n`);
        if (o.test) process.stdout.write(formatReportTable(r.result.report));
        process.stdout.write(`wrote ${r.written.join(', ')}\n`);
      }
    });
}
