import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError, XmodelError } from '../../errors.js';
import { importOnnx } from '../../importers/onnx/index.js';
import { loadModelFile } from '../../importers/node/load-model.js';
import { graphStats, opMacs, sortKeys } from '../../ir/stats.js';
import type { Attrs, AttrValue, Graph as IrGraph } from '../../ir/types.js';
import { getDpuSubgraphAttrs } from '../../xir/dpu-attrs.js';
import { Graph, type Op, type Subgraph } from '../../xir/graph.js';
import { printJson } from '../output.js';
import { collectList, collectOutputs, parseStartAt } from './model-file.js';

/** One input or output tensor as `inspect` reports it. */
export interface InspectTensor {
  name: string;
  shape: number[];
  /** IR dtype for ONNX ('float32'…); XIR spelling for xmodels ('float32', 'xint8'…). */
  dtype: string;
  fixPoint?: number;
}

export interface InspectSubgraph {
  name: string;
  device: string;
  ops: number;
  /** DPU subgraphs only. */
  fingerprint?: string;
  dpuName?: string;
  /** DPU subgraphs only: bytes per register region (reg_id_to_size). */
  regSizes?: Record<string, number>;
  mcCodeBytes?: number;
}

/** The stable JSON of `dpuflow inspect --json` (docs/cli.md). */
export interface InspectResult {
  format: 'onnx' | 'tfjs' | 'xmodel';
  name: string;
  inputs: InspectTensor[];
  outputs: InspectTensor[];
  opCounts: Record<string, number>;
  macs: number;
  gops: number;
  subgraphs: InspectSubgraph[];
}

export interface InspectOptions {
  /** TF.js: tensors to import up to (--output) and tensors to start at (--start-at name=1xHxWxC). */
  outputs?: string[];
  startAt?: string[];
  /** Fixed input shapes for ONNX models with dynamic dims, ONNX layout: { x: [1,3,48,192] }. */
  inputShapes?: Record<string, number[]>;
}

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Parses `--input-shape` values: `name=1x3x224x224` (or just `1x3x224x224` for a single input). */
export function parseInputShapes(values: string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const v of values) {
    const eq = v.lastIndexOf('=');
    const name = eq >= 0 ? v.slice(0, eq) : '*';
    const dims = (eq >= 0 ? v.slice(eq + 1) : v).split(/[x,]/).map((s) => Number(s.trim()));
    if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0) || name === '') {
      throw new UsageError('E_USAGE_INPUT_SHAPE', `bad --input-shape '${v}'`, { fix: 'write it as name=1x3x224x224 (positive integers)' });
    }
    out[name] = dims;
  }
  return out;
}

function readBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError('E_USAGE_FILE', code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read: ${(err as Error).message}`, {
      file, fix: 'pass a .onnx, .xmodel or TF.js model.json file (or the folder of a model.json)',
    });
  }
}

/** Inspects an IR graph (imported ONNX). */
export function inspectIr(ir: IrGraph, format: 'onnx' | 'tfjs' = 'onnx'): InspectResult {
  const s = graphStats(ir);
  const byName = new Map(ir.ops.map((o) => [o.name, o]));
  const t = (n: string): InspectTensor => {
    const o = byName.get(n)!;
    const r: InspectTensor = { name: n, shape: [...o.output.shape], dtype: o.output.dtype };
    if (o.output.fixPoint !== undefined) r.fixPoint = o.output.fixPoint;
    return r;
  };
  return {
    format, name: ir.name, inputs: ir.inputs.map(t), outputs: ir.outputs.map(t),
    opCounts: s.opCounts, macs: s.macs, gops: round6(s.gops), subgraphs: [],
  };
}

function plainAttrs(op: Op): Attrs {
  const r: Attrs = {};
  for (const [k, a] of op.getAttrs()) {
    if (a.type === 'bool' || a.type === 'int32' || a.type === 'uint32' || a.type === 'float' || a.type === 'double' || a.type === 'string') r[k] = a.value as AttrValue;
  }
  return r;
}

function fixPointAttr(x: { hasAttr(n: string): boolean; getAttr(n: string): unknown }): number | undefined {
  if (!x.hasAttr('fix_point')) return undefined;
  const v = x.getAttr('fix_point');
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
}

/** The tensor consumers see for op `op`: its fix op's, when one follows it. */
function visibleTensor(op: Op, name = op.name): InspectTensor {
  const fan = op.getFanoutOps();
  const fix = fan.length === 1 && fan[0]!.type === 'fix' ? fan[0]! : op.type === 'fix' ? op : undefined;
  const t = (fix ?? op).getOutputTensor();
  const r: InspectTensor = { name, shape: [...t.dims], dtype: t.dtype };
  const fp = fix ? fixPointAttr(fix) ?? fixPointAttr(t) : fixPointAttr(t);
  if (fp !== undefined) r.fixPoint = fp;
  return r;
}

function leavesInOrder(sg: Subgraph): Subgraph[] {
  return sg.isLeaf() ? [sg] : sg.toposortChildSubgraph().flatMap(leavesInOrder);
}

/** Inspects a decoded xmodel. */
export function inspectXmodel(g: Graph, file?: string): InspectResult {
  const strVec = (n: string): string[] | undefined => {
    if (!g.hasAttr(n)) return undefined;
    const a = g.getAttrTyped(n);
    return a.type === 'string_vec' ? a.value : undefined;
  };
  const ops = g.getOps();
  const inNames = strVec('dpuflow_inputs') ?? ops.filter((o) => o.type === 'data' || o.type === 'data-fix').map((o) => o.name);
  const outNames = strVec('dpuflow_outputs');
  const inputs = inNames.map((n) => visibleTensor(g.getOp(n)!));
  const outputs = outNames
    ? outNames.map((n) => visibleTensor(g.getOp(n)!))
    : g.getTailOps().map((o) => visibleTensor(o));
  const counts: Record<string, number> = {};
  let macs = 0;
  for (const op of ops) {
    counts[op.type] = (counts[op.type] ?? 0) + 1;
    macs += opMacs(op.type, plainAttrs(op), op.getInputOpsInOrder().map((s) => s.getOutputTensor().dims), op.getOutputTensor().dims);
  }
  const root = g.getRootSubgraph();
  const subgraphs = leavesInOrder(root).map((sg): InspectSubgraph => {
    const device = sg.hasAttr('device') ? String(sg.getAttr('device')) : 'UNKNOWN';
    const r: InspectSubgraph = { name: sg.getName(), device, ops: sg.getOpNum() };
    if (device === 'DPU') {
      const d = getDpuSubgraphAttrs(sg, file);
      r.fingerprint = `0x${d.fingerprint.toString(16).padStart(16, '0')}`;
      r.dpuName = d.dpuName;
      r.regSizes = sortKeys(d.regIdToSize);
      r.mcCodeBytes = d.mcCode.length;
    }
    return r;
  });
  return { format: 'xmodel', name: g.getName(), inputs, outputs, opCounts: sortKeys(counts), macs, gops: round6((2 * macs) / 1e9), subgraphs };
}

/** `inspect` on a file: .xmodel by extension or content, ONNX otherwise. */
export function inspectFile(file: string, opts: InspectOptions = {}): InspectResult {
  const ext = path.extname(file).toLowerCase();
  // TF.js graph models: a model.json (with its weight shards beside it) or the folder holding it.
  if (ext === '.json' || (fs.existsSync(file) && fs.statSync(file).isDirectory())) {
    const startAt = parseStartAt(opts.startAt);
    return inspectIr(loadModelFile(file, { inputShapes: opts.inputShapes, ...(opts.outputs?.length ? { outputs: opts.outputs } : {}), ...(startAt ? { startAt } : {}) }), 'tfjs');
  }
  if (opts.outputs?.length || opts.startAt?.length) throw new UsageError('E_USAGE_OUTPUT', `--output/--start-at cut TF.js graphs; '${file}' is not a TF.js model`, { file, fix: 'drop --output/--start-at' });
  const bytes = readBytes(file);
  if (ext === '.xmodel') return inspectXmodel(Graph.deserialize(bytes, { file }), file);
  if (ext !== '.onnx') {
    try {
      return inspectXmodel(Graph.deserialize(bytes, { file }), file);
    } catch (err) {
      if (!(err instanceof XmodelError)) throw err;
    }
  }
  let shapes = opts.inputShapes;
  if (shapes && '*' in shapes) {
    const { '*': only, ...rest } = shapes;
    shapes = { ...rest, ...(only ? { [singleInputName(bytes, file)]: only } : {}) };
  }
  return inspectIr(importOnnx(bytes, { fileName: file, inputShapes: shapes }));
}

/** Name of the only graph input (for `--input-shape 1x3x224x224` without a name). */
function singleInputName(bytes: Uint8Array, file: string): string {
  try {
    importOnnx(bytes, { fileName: file });
  } catch (err) {
    const m = /input '([^']+)' has dynamic dims/.exec((err as Error).message);
    if (m) return m[1]!;
  }
  throw new UsageError('E_USAGE_INPUT_SHAPE', '--input-shape without a name needs a model with exactly one dynamic input', {
    file, fix: 'write it as name=1x3x224x224',
  });
}

const fmtCount = (n: number): string =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(2)} K` : `${n} `;
const fmtGop = (g: number): string => (g >= 1 ? g.toFixed(3) : g === 0 ? '0' : g.toPrecision(3));
const fmtBytes = (n: number): string =>
  n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;

/** Human-readable report (what `inspect` prints without --json). */
export function formatInspect(r: InspectResult, file: string): string {
  const tensor = (t: InspectTensor): string =>
    `  ${t.name}  [${t.shape.join('×')}] ${t.dtype}${t.fixPoint !== undefined ? `  fix_point ${t.fixPoint}` : ''}`;
  const total = Object.values(r.opCounts).reduce((a, b) => a + b, 0);
  const lines = [
    `${file} (${r.format})`,
    `name: ${r.name}`,
    `inputs (${r.inputs.length}):`, ...r.inputs.map(tensor),
    `outputs (${r.outputs.length}):`, ...r.outputs.map(tensor),
    `ops: ${total}`,
    ...Object.entries(r.opCounts).map(([k, v]) => `  ${k.padEnd(22)} ${v}`),
    `compute: ${fmtGop((2 * r.macs) / 1e9)} GOP (${fmtCount(r.macs)}MAC, 2 ops per MAC)`,
  ];
  if (r.format === 'xmodel') {
    lines.push(`subgraphs (${r.subgraphs.length}):`);
    for (const s of r.subgraphs) {
      let line = `  ${s.name}  ${s.device}  ${s.ops} ops`;
      if (s.device === 'DPU') {
        const regs = Object.entries(s.regSizes ?? {}).map(([k, v]) => `${k} ${fmtBytes(v)}`).join(', ');
        line += `  fingerprint ${s.fingerprint}  ${s.dpuName}  mc_code ${fmtBytes(s.mcCodeBytes ?? 0)}  registers: ${regs}`;
      }
      lines.push(line);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `dpuflow inspect <model.onnx|model.xmodel> [--json] [--input-shape name=1x3xHxW]…` */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('show a model\'s inputs, outputs, op counts, GOPs and (xmodel) subgraphs, like xdputil xmodel -l')
    .argument('<model>', 'an .onnx, .xmodel or TF.js model.json (or its folder)')
    .option('--json', 'print the stable JSON document (docs/cli.md)')
    .option('--input-shape <name=dims>', 'fix a dynamic ONNX input, e.g. x=1x3x48x192 (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--output <names>', 'TF.js: import up to these tensors (comma-separated or repeated)', collectOutputs, [] as string[])
    .option('--start-at <name=dims>', 'TF.js: start the graph at this tensor, NHWC (repeatable)', collectList, [] as string[])
    .action((model: string, opts: { json?: boolean; inputShape: string[]; output: string[]; startAt: string[] }) => {
      const r = inspectFile(model, { inputShapes: opts.inputShape.length > 0 ? parseInputShapes(opts.inputShape) : undefined, outputs: opts.output, startAt: opts.startAt });
      if (opts.json) printJson(r);
      else process.stdout.write(formatInspect(r, model));
    });
}
