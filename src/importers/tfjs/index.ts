/**
 * TF.js graph-model importer: `importTfjs(modelJsonText, shards)` → IR Graph (NHWC, XIR op names,
 * canonicalized). Stage code: no file system; the caller reads model.json and the weight shards
 * (see src/importers/node/load-model.ts) and passes `shards` keyed by the paths in weightsManifest.
 */
import { DpuflowError, ImportError } from '../../errors.js';
import { checkLimit } from '../../limits.js';
import type { Graph } from '../../ir/types.js';
import { CANONICAL_PASSES, fuseTfHardSwish } from '../../ir/passes/index.js';
import '../../ops/index.js';
import { canonicalizeImported } from '../common/graph.js';
import type { NodeDefJson } from './attrs.js';
import { TfjsConverter, parseRef, supportedTfjsOps, type TfjsImportOptions } from './importer.js';
import { decodeWeights, type WeightGroup } from './weights.js';

export type { TfjsImportOptions } from './importer.js';
export { supportedTfjsOps };
export { decodeWeights, halfToFloat, type Weight, type WeightGroup, type WeightSpec } from './weights.js';

/** The parts of a TF.js model.json this importer reads. */
export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology?: { node?: NodeDefJson[] } & Record<string, unknown>;
  weightsManifest?: WeightGroup[];
  signature?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  userDefinedMetadata?: { signature?: { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> } } & Record<string, unknown>;
}

/** True if `text` (or bytes) looks like a TF.js model.json (a JSON object with modelTopology or weightsManifest). */
export function isTfjsModelJson(data: string | Uint8Array): boolean {
  const head = (typeof data === 'string' ? data.slice(0, 4096) : new TextDecoder().decode(data.subarray(0, 4096))).trimStart();
  if (!head.startsWith('{')) return false;
  return /"(modelTopology|weightsManifest|format)"\s*:/.test(head) || (typeof data === 'string' ? data : '').includes('"modelTopology"');
}

/** Parse and validate a model.json text; ImportError when it is not a TF.js graph model. */
export function parseTfjsModel(text: string, fileName?: string): TfjsModelJson {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ImportError('E_TFJS_JSON', `not valid JSON (${e instanceof Error ? e.message : String(e)})`, { file: fileName, fix: 'is this a TF.js model.json? re-download it (the file may be truncated)' });
  }
  const m = j as TfjsModelJson;
  if (!m || typeof m !== 'object' || Array.isArray(m)) {
    throw new ImportError('E_TFJS_NOT_MODEL', 'the JSON is not an object with modelTopology', { file: fileName, fix: 'pass a TF.js model.json' });
  }
  if (m.format === 'layers-model' || (m.modelTopology && !Array.isArray(m.modelTopology.node) && 'model_config' in m.modelTopology) || (m.modelTopology && 'class_name' in m.modelTopology)) {
    throw new ImportError('E_TFJS_LAYERS_MODEL', 'this is a TF.js layers model (Keras topology); only graph models are supported', {
      file: fileName, fix: 'convert it to a graph model: tensorflowjs_converter --input_format=tfjs_layers_model --output_format=tfjs_graph_model model.json out/',
    });
  }
  if (!m.modelTopology || !Array.isArray(m.modelTopology.node)) {
    throw new ImportError('E_TFJS_NOT_MODEL', `no modelTopology.node[] (format '${m.format ?? '?'}')`, { file: fileName, fix: 'pass a TF.js graph model (model.json with format "graph-model")' });
  }
  if (m.format !== undefined && m.format !== 'graph-model') {
    throw new ImportError('E_TFJS_FORMAT', `format '${m.format}' is not supported (graph-model)`, { file: fileName, fix: 'convert the model to a TF.js graph model' });
  }
  return m;
}

/** Output names of the model: signature outputs, else the nodes no other node consumes. */
export function tfjsModelOutputs(m: TfjsModelJson): string[] {
  const sig = m.signature ?? m.userDefinedMetadata?.signature;
  const nodes = m.modelTopology?.node ?? [];
  const names = new Set(nodes.map((n) => n.name));
  if (sig?.outputs && Object.keys(sig.outputs).length) {
    const outs = Object.entries(sig.outputs).map(([k, v]) => {
      const nm = (v as { name?: string } | undefined)?.name ?? k;
      const r = parseRef(nm);
      return names.has(nm) ? nm : r.index === 0 ? r.node : `${r.node}:${r.index}`;
    });
    if (outs.every((o) => names.has(parseRef(o).node))) return outs;
  }
  const used = new Set<string>();
  for (const n of nodes) for (const r of n.input ?? []) used.add(parseRef(r).node);
  return nodes.filter((n) => !used.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp').map((n) => n.name);
}

/** Nodes the outputs depend on, topologically sorted; ImportError listing every unsupported op type. */
function reachableSorted(nodes: NodeDefJson[], outputs: string[], file: string | undefined): NodeDefJson[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const o of outputs) {
    if (!byName.has(parseRef(o).node)) {
      throw new ImportError('E_TFJS_OUTPUT', `output '${o}' is not a node of the model`, { file, where: `output '${o}'`, fix: `node names include: ${nodes.filter((n) => n.op !== 'Const').slice(-5).map((n) => n.name).join(', ')}` });
    }
  }
  const supported = new Set(supportedTfjsOps());
  const order: NodeDefJson[] = [];
  const state = new Map<string, 1 | 2>();
  const unsupported = new Map<string, string[]>();
  let cyclic: string | undefined;
  for (const o of outputs) {
    const stack: [string, number][] = [[parseRef(o).node, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const n = byName.get(top[0]);
      if (!n) {
        throw new ImportError('E_TFJS_UNDEFINED', `node input '${top[0]}' is not a node of the model`, { file, where: `node '${stack[stack.length - 2]?.[0] ?? '?'}'`, fix: 'the model.json is incomplete; re-convert the model' });
      }
      if (top[1] === 0) {
        if (state.get(n.name) === 2) { stack.pop(); continue; }
        state.set(n.name, 1);
        if (!supported.has(n.op)) {
          const l = unsupported.get(n.op) ?? [];
          l.push(n.name);
          unsupported.set(n.op, l);
        }
      }
      const ins = (n.input ?? []).filter((r) => !r.startsWith('^')).map((r) => parseRef(r).node);
      if (top[1] < ins.length) {
        const next = ins[top[1]++]!;
        const s = state.get(next);
        if (s === 1) { cyclic ??= n.name; continue; }
        if (s !== 2) stack.push([next, 0]);
        continue;
      }
      state.set(n.name, 2);
      order.push(n);
      stack.pop();
    }
  }
  if (unsupported.size) {
    const list = [...unsupported.entries()].map(([t, ns]) => `${t} (${ns.length}×, e.g. '${ns[0]}')`).join(', ');
    // the tensors just before the unsupported part: what the user can import instead
    const bad = new Set([...unsupported.values()].flat());
    const taint = new Map<string, boolean>();
    const tainted = (name: string): boolean => {
      const hit = taint.get(name);
      if (hit !== undefined) return hit;
      taint.set(name, true); // cycles count as tainted
      const n = byName.get(name)!;
      const r = bad.has(name) || (n.input ?? []).some((ref) => !ref.startsWith('^') && tainted(parseRef(ref).node));
      taint.set(name, r);
      return r;
    };
    const frontier = new Set<string>(outputs.filter((o) => !tainted(parseRef(o).node)));
    for (const b of bad) {
      for (const ref of byName.get(b)!.input ?? []) {
        if (ref.startsWith('^')) continue;
        const p = byName.get(parseRef(ref).node)!;
        if (p.op !== 'Const' && p.op !== 'Placeholder' && !tainted(p.name)) frontier.add(ref);
      }
    }
    const fr = [...frontier].slice(0, 8);
    throw new ImportError('E_TFJS_UNSUPPORTED', `unsupported TF ops: ${list}`, {
      file, where: 'graph',
      fix: fr.length
        ? `these ops have no IR equivalent (post-processing such as NMS/TopK runs on the host): import the network up to the tensors before them with outputs: [${fr.map((f) => `'${f}'`).join(', ')}] (--output); supported ops: ${supportedTfjsOps().join(', ')}`
        : `supported ops: ${supportedTfjsOps().join(', ')}`,
    });
  }
  if (cyclic) throw new ImportError('E_TFJS_CYCLE', 'the graph has a cycle (TF control flow loops are not supported)', { file, where: `node '${cyclic}'`, fix: 'cut the graph before the loop (outputs option)' });
  return order;
}

/**
 * Import a TF.js graph model into the IR. `modelJson` is the text of model.json, `shards` the weight
 * files keyed by their path as written in weightsManifest (e.g. `group1-shard1of2.bin`).
 */
export function importTfjs(modelJson: string, shards: Record<string, Uint8Array>, opts: TfjsImportOptions = {}): Graph {
  try {
    return importTfjsChecked(modelJson, shards, opts);
  } catch (e) {
    if (e instanceof DpuflowError) throw e;
    // A parseable model.json whose fields have the wrong type (e.g. a node's `input` not a list of strings,
    // a null weight spec, a non-base64 attr) surfaces as a TypeError deep in the converter: name it (issue 11 fuzz).
    const msg = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
    throw new ImportError('E_TFJS_MALFORMED', `malformed TF.js model (${msg})`, {
      file: opts.fileName, fix: 'a field of model.json is missing or has the wrong type: re-convert the model with tensorflowjs_converter', cause: e,
    });
  }
}

function importTfjsChecked(modelJson: string, shards: Record<string, Uint8Array>, opts: TfjsImportOptions): Graph {
  const file = opts.fileName;
  checkLimit('maxModelBytes', String(modelJson).length + Object.values(shards ?? {}).reduce((n, b) => n + (b?.length ?? 0), 0), ImportError, { file });
  const m = parseTfjsModel(modelJson, file);
  const weights = decodeWeights(m.weightsManifest, shards, file, opts.shardFileName);
  const nodes = startAtNodes(m.modelTopology!.node!, opts.startAt, file);
  const outputs = opts.outputs?.length ? opts.outputs : tfjsModelOutputs(m);
  if (!outputs.length) throw new ImportError('E_TFJS_OUTPUT', 'the model has no outputs', { file, fix: 'name the outputs (outputs option)' });
  const order = reachableSorted(nodes, outputs, file);
  const meta: Record<string, string> = { format: 'tfjs', layout: 'NHWC (as the TF.js model)' };
  if (file) meta['source'] = file;
  const producer = [m.generatedBy, m.convertedBy].filter(Boolean).join(' / ');
  if (producer) meta['producer'] = producer;
  if (opts.outputs?.length) meta['outputs'] = opts.outputs.join(',');
  if (opts.startAt && Object.keys(opts.startAt).length) meta['startAt'] = Object.keys(opts.startAt).join(',');
  const conv = new TfjsConverter(weights, opts);
  const g = conv.run(order, outputs, meta);
  const passes = opts.exactFloat
    ? CANONICAL_PASSES.map((p) => (p.name === 'fuse-tf-hard-swish' ? { name: p.name, run: (x: Graph) => fuseTfHardSwish(x, 1e-7) } : p))
    : CANONICAL_PASSES;
  return canonicalizeImported(g, { file, code: 'E_TFJS_CANON', passes });
}

/** `startAt`: the named nodes replaced by float Placeholders of the given shape (their producers become unreachable). */
function startAtNodes(nodes: NodeDefJson[], startAt: Record<string, number[]> | undefined, file: string | undefined): NodeDefJson[] {
  if (!startAt || !Object.keys(startAt).length) return nodes;
  const want = new Map(Object.entries(startAt).map(([k, v]) => [parseRef(k).node, { ref: k, shape: v }]));
  const names = new Set(nodes.map((n) => n.name));
  for (const [node, { ref, shape }] of want) {
    if (!names.has(node)) throw new ImportError('E_TFJS_START', `start tensor '${ref}' is not a node of the model`, { file, where: `start '${ref}'`, fix: 'name a node of modelTopology.node (e.g. the tensor right after the pre-processing)' });
    if (parseRef(ref).index !== 0) throw new ImportError('E_TFJS_START', `start tensor '${ref}' is output ${parseRef(ref).index} of its node; only output 0 can be a start`, { file, where: `start '${ref}'`, fix: 'start at a single-output node' });
    if (!shape.length || shape.some((d) => !Number.isInteger(d) || d <= 0)) throw new ImportError('E_TFJS_START', `start tensor '${ref}' needs a positive shape, got [${shape}]`, { file, where: `start '${ref}'`, fix: 'give its NHWC shape, e.g. [1, 320, 320, 3]' });
  }
  return nodes.map((n) => {
    const s = want.get(n.name);
    if (!s) return n;
    return { name: n.name, op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: s.shape.map((d) => ({ size: String(d) })) } } } } as NodeDefJson;
  });
}

/** Weight shard paths a model.json refers to, in manifest order (for loaders). */
export function tfjsShardPaths(modelJson: string, fileName?: string): string[] {
  const m = parseTfjsModel(modelJson, fileName);
  return (m.weightsManifest ?? []).flatMap((g) => (Array.isArray(g.paths) ? g.paths : []));
}
