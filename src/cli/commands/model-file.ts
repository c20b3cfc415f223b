/**
 * Model-file handling shared by the commands: which kind of file a path is (ONNX, TF.js model.json or
 * its folder, .xmodel), loading a float model of either format through `loadModelFile` (with
 * `--output` to cut a TF.js graph and `--input-shape`), a float ModelExecutor over the loaded IR for
 * `run`, and the message for commands that need a compiled .xmodel but were given a float model.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { loadModelFile } from '../../importers/node/load-model.js';
import type { Graph } from '../../ir/types.js';
import { optimizeForInference } from '../../ir/passes/optimize/index.js';
import { runFloat } from '../../kernels/ref/float-executor.js';
import type { ExecutorTiming, ModelExecutor } from '../../apps/executor.js';

export type ModelFileKind = 'onnx' | 'tfjs' | 'xmodel';

/** By content: a folder (its model.json) or a file starting with '{' is TF.js; `.xmodel` is XIR; else ONNX. */
export function modelFileKind(file: string): ModelFileKind {
  let st: fs.Stats | undefined;
  try { st = fs.statSync(file); } catch { /* reported by the loader */ }
  if (st?.isDirectory()) return 'tfjs';
  if (/\.json$/i.test(file)) return 'tfjs';
  if (/\.xmodel$/i.test(file)) return 'xmodel';
  if (st?.isFile()) {
    const fd = fs.openSync(file, 'r');
    try {
      const b = Buffer.alloc(64);
      const n = fs.readSync(fd, b, 0, 64, 0);
      if (b.subarray(0, n).toString('utf8').trimStart().startsWith('{')) return 'tfjs';
    } finally { fs.closeSync(fd); }
  }
  return 'onnx';
}

/** The net name of a model path: `x.onnx` → x, `x.json` → x, `dir/model.json` and `dir/` → dir. */
export function modelNetName(file: string): string {
  const base = path.basename(file.replace(/[/\\]+$/, ''));
  if (/^model\.json$/i.test(base)) return path.basename(path.dirname(path.resolve(file)));
  return base.replace(/\.(onnx|json|xmodel)$/i, '');
}

/** `--output a,b --output c` → ['a', 'b', 'c'] (commander collects the repeats). */
export function collectOutputs(v: string, acc: string[] = []): string[] {
  return [...acc, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** `--input-shape name=1x512x512x3` (or without name) for a TF.js model: NHWC as the model declares it. */
export function parseTfjsInputShape(s: string): { name?: string; shape: number[] } {
  const m = /^(?:(.+)=)?([\dx,]+)$/.exec(s.trim());
  const shape = m ? m[2]!.split(/[x,]/).map(Number) : [];
  if (!m || !shape.length || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new UsageError('E_USAGE_SHAPE', `bad --input-shape '${s}' for a TF.js model`, { fix: 'write it NHWC as the model declares it: name=1x224x224x3 (or 1x224x224x3 for the only input)' });
  }
  return { ...(m[1] ? { name: m[1] } : {}), shape };
}

export interface LoadFloatOptions {
  /** TF.js: tensors to import (cut the graph before post-processing the IR has no op for). */
  outputs?: string[];
  /** TF.js: `--input-shape` value (NHWC), for a model with free dims. */
  inputShape?: string;
  /** TF.js: `--start-at name=1x320x320x3` values: start the graph at these tensors (float inputs). */
  startAt?: string[];
}

/** `--start-at name=1x320x320x3` (repeatable) → { name: [1, 320, 320, 3] }. */
export function parseStartAt(values: string[] | undefined): Record<string, number[]> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, number[]> = {};
  for (const v of values) {
    const s = parseTfjsInputShape(v);
    if (!s.name) throw new UsageError('E_USAGE_START_AT', `--start-at '${v}' has no tensor name`, { fix: 'write it as name=1x320x320x3 (NHWC)' });
    out[s.name] = s.shape;
  }
  return out;
}

/** commander collector for repeatable options. */
export function collectList(v: string, acc: string[] = []): string[] {
  return [...acc, v];
}

/** The first Placeholder of a TF.js model.json (for `--input-shape` without a name). */
function firstTfjsInput(file: string): string | undefined {
  const p = fs.statSync(file).isDirectory() ? path.join(file, 'model.json') : file;
  try {
    const j = JSON.parse(fs.readFileSync(p, 'utf8')) as { modelTopology?: { node?: { name: string; op: string }[] } };
    return j.modelTopology?.node?.find((n) => n.op === 'Placeholder')?.name;
  } catch { return undefined; }
}

/** Loads a TF.js model (model.json or its folder) with `--output` / `--input-shape` applied. */
export function loadTfjsModel(file: string, o: LoadFloatOptions = {}): Graph {
  let inputShapes: Record<string, number[]> | undefined;
  if (o.inputShape) {
    const s = parseTfjsInputShape(o.inputShape);
    const name = s.name ?? (fs.existsSync(file) ? firstTfjsInput(file) : undefined);
    if (name) inputShapes = { [name]: s.shape };
  }
  const startAt = parseStartAt(o.startAt);
  return loadModelFile(file, { ...(o.outputs?.length ? { outputs: o.outputs } : {}), ...(inputShapes ? { inputShapes } : {}), ...(startAt ? { startAt } : {}) });
}

/** Refuses `--output` for a model kind that has no use for it. */
export function checkOutputsOption(file: string, kind: ModelFileKind, outputs: string[] | undefined): void {
  if (outputs?.length && kind !== 'tfjs') {
    throw new UsageError('E_USAGE_OUTPUT', `--output/--start-at cut TF.js graphs; '${file}' is ${kind === 'onnx' ? 'an ONNX model' : 'a compiled xmodel'}`, { file, fix: 'drop --output/--start-at' });
  }
}

/**
 * For commands that run a compiled model (bench, profile): a float ONNX/TF.js model is refused with the
 * two commands that make the .xmodel from it.
 */
export function requireXmodel(file: string, command: string): void {
  const kind = modelFileKind(file);
  if (kind === 'xmodel') return;
  const net = modelNetName(file);
  throw new UsageError('E_USAGE_FLOAT_MODEL', `'${file}' is a float ${kind === 'tfjs' ? 'TF.js' : 'ONNX'} model; ${command} runs a compiled .xmodel`, {
    file,
    fix: `dpuflow quantize ${file} --calib <images> --out q/ && dpuflow compile q/${net}_int.xmodel --arch B4096 --out c/ (or dpuflow compile ${file} --calib <images> --arch B4096 --out c/), then dpuflow ${command} c/${net}.xmodel`,
  });
}

/** dpuflow's float IR executor over an imported graph (fixed shapes), as a ModelExecutor for `run`. */
export function floatGraphExecutor(graph: Graph, name: string): ModelExecutor {
  const g = optimizeForInference(graph);
  const inputs = g.inputs.map((n) => ({ name: n, shape: [...(g.ops.find((o) => o.name === n)?.output.shape ?? [])] }));
  let last: ExecutorTiming[] = [];
  return {
    name,
    inputs,
    outputs: [...g.outputs],
    backend: 'float',
    async run(feeds) {
      const t0 = performance.now();
      const out = runFloat(g, feeds);
      last = [{ name, device: 'HOST', ms: performance.now() - t0 }];
      return out;
    },
    lastTimings: () => last,
  };
}
