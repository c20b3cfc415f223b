/**
 * Output-aware fix-point search. Calibration picks every activation's fix point from that tensor's own error
 * (diffs, max-min, …); what the error costs downstream is invisible to it. A tensor a later op centres (PP-LCNetV3's
 * learnable affines remove 2–20 dB of their input's power: docs/ocr.md) wants a finer step than its own error
 * suggests; a tensor whose rare large values decide an output wants more range. The search walks the activation
 * tensors in graph order, tries each one's fix point one step finer and one step coarser, and keeps a change when
 * the INT8 model's outputs (the bit-exact fast executor: host-executor.ts) get closer to float on the search batches.
 *
 * Each candidate is the fix-point map with one tensor moved, made DPU-legal (legalizeFixPoints: concat groups,
 * shift limits) and applied to the float graph; a candidate whose legal map equals the current one, or a legal
 * change already measured, is skipped. The error is measured where the fixed-point part ends (`measureTensors`:
 * fixed-point tensors that are graph outputs or read by a float op — what the DPU subgraphs hand over), on the graph
 * pruned to them, so a float CPU part after the DPU (PP-OCR rec's SVTR neck: ~0.4 s per line on the float reference
 * kernels) is not run per candidate. Cost: up to 2 × tensors × batches INT8 runs per pass, plus one executor build
 * per candidate.
 *
 * Stage code: no fs.
 */
import type { Graph, TensorValue } from '../ir/types.js';
import { quantizerExecutor } from './host-executor.js';
import { runQuantized } from '../kernels/ref/quant-executor.js';
import type { FixPoints } from './quantize.js';

export interface FixPointSearchOptions {
  /** Calibration batches the outputs are compared on (default 8). */
  batches?: number;
  /** Passes over the tensors (default 1). */
  passes?: number;
  /** A change is kept when it lowers the output error by at least this fraction (default 0.005). */
  minGain?: number;
  /** Only these tensors (default: every activation tensor with a fix point). */
  tensors?: readonly string[];
}

export interface FixPointChange {
  tensor: string;
  from: number;
  to: number;
  /** Output error (noise ÷ signal power over every graph output) before and after the change. */
  errorBefore: number;
  errorAfter: number;
}

export interface FixPointSearchResult {
  /** Output error of the starting and the final fix points (noise ÷ signal power, summed over outputs and batches). */
  before: number;
  after: number;
  changes: FixPointChange[];
  /** INT8 model evaluations (each over every search batch). */
  evaluations: number;
}

/** Fixed-point tensors that are graph outputs or read by an op without a fix point (in graph order). */
export function measureTensors(qg: Graph): string[] {
  const fixed = new Set(qg.ops.filter((o) => o.type !== 'const' && o.output.fixPoint !== undefined).map((o) => o.name));
  const out = new Set(qg.outputs.filter((o) => fixed.has(o)));
  for (const op of qg.ops) if (op.type !== 'const' && op.output.fixPoint === undefined) for (const n of op.inputs) if (fixed.has(n)) out.add(n);
  return qg.ops.filter((o) => out.has(o.name)).map((o) => o.name);
}

/** `g` cut to the ops `outputs` depend on, with them as its outputs (ops shared, not copied). */
export function prunedTo(g: Graph, outputs: readonly string[]): Graph {
  const byName = new Map(g.ops.map((o) => [o.name, o]));
  const keep = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const n = stack.pop() as string;
    if (keep.has(n)) continue;
    keep.add(n);
    for (const i of byName.get(n)?.inputs ?? []) stack.push(i);
  }
  return { ...g, ops: g.ops.filter((o) => keep.has(o.name)), inputs: g.inputs.filter((i) => keep.has(i)), outputs: [...outputs] };
}

function copyFps(f: FixPoints): FixPoints {
  return { act: new Map(f.act), param: new Map(f.param) };
}

/** The entries of `a` that differ from `b`, as a key ('' when none). */
function fpsDiff(a: FixPoints, b: FixPoints): string {
  const d: string[] = [];
  for (const [k, v] of a.act) if (b.act.get(k) !== v) d.push(`a:${k}=${v}`);
  for (const [k, v] of a.param) if (b.param.get(k) !== v) d.push(`p:${k}=${v}`);
  return d.sort().join(';');
}

/**
 * `g`: the float graph the quantized graph is built from (bias-corrected), cut to what is measured (prunedTo: its
 * outputs); `start`: the legal fix points it has now (the starting measure); `base`: the fix points before the
 * legality pass (calibrated activations, the parameters' own), searched and updated in place — each candidate is
 * legalized from it, so a weight fix point a shift limit forced for the old activation fix points does not stick;
 * `reference`: the float values of g's outputs per batch (the pre-correction float graph's), keyed by name;
 * `legalize` / `apply`: the quantizer's legality pass (mutates its argument) and applyFixPoints.
 * Returns the changes; `base` holds the chosen fix points (legalize a copy to use them).
 */
export function searchFixPoints(
  g: Graph,
  start: FixPoints,
  base: FixPoints,
  batches: readonly Record<string, TensorValue>[],
  reference: readonly Record<string, TensorValue>[],
  legalize: (g: Graph, fps: FixPoints) => unknown,
  apply: (g: Graph, fps: FixPoints) => Graph,
  opts: FixPointSearchOptions = {},
  onProgress?: (done: number, total: number) => void,
): FixPointSearchResult {
  const minGain = opts.minGain ?? 0.005;
  const passes = opts.passes ?? 1;
  const power = g.outputs.map((o) => reference.reduce((s, r) => s + sumSq(r[o]!.data), 0));
  let evaluations = 0;
  const error = (fps: FixPoints): number => {
    evaluations++;
    const qg = apply(g, fps);
    let run: (feeds: Record<string, TensorValue>) => Record<string, TensorValue>;
    try {
      const fx = quantizerExecutor(qg);
      run = (feeds) => fx.run(feeds);
    } catch {
      run = (feeds) => runQuantized(qg, feeds);
    }
    const noise = g.outputs.map(() => 0);
    batches.forEach((feeds, bi) => {
      const out = run(feeds);
      g.outputs.forEach((o, k) => {
        const r = reference[bi]![o]!.data, q = out[o]!.data;
        let s = 0;
        for (let i = 0; i < r.length; i++) { const d = q[i]! - r[i]!; s += d * d; }
        noise[k] += s;
      });
    });
    return noise.reduce((s, n, k) => s + (power[k]! > 0 ? n / power[k]! : n), 0);
  };
  const legalOf = (fps: FixPoints): FixPoints => {
    const c = copyFps(fps);
    legalize(g, c);
    return c;
  };
  const inGraph = new Set(g.ops.map((o) => o.name));
  const names = (opts.tensors ?? [...base.act.keys()]).filter((t) => base.act.has(t) && inGraph.has(t));
  let current = start;
  const before = error(current);
  let best = before;
  const changes: FixPointChange[] = [];
  // legal changes already measured against the current fix points (cleared when they change)
  const tried = new Set<string>();
  const total = passes * names.length;
  let done = 0;
  for (let pass = 0; pass < passes; pass++) {
    let moved = false;
    for (const t of names) {
      const from = base.act.get(t) as number;
      let pick: { to: number; err: number; legal: FixPoints } | undefined;
      for (const d of [1, -1]) {
        const cand = copyFps(base);
        cand.act.set(t, from + d);
        const legal = legalOf(cand);
        // no change once legal, or the same change another tensor of its group already tried
        const key = fpsDiff(legal, current);
        if (!key || tried.has(key)) continue;
        const err = error(legal);
        tried.add(key);
        if (err < best * (1 - minGain) && (!pick || err < pick.err)) pick = { to: from + d, err, legal };
      }
      if (pick) {
        tried.clear();
        changes.push({ tensor: t, from, to: pick.to, errorBefore: best, errorAfter: pick.err });
        base.act.set(t, pick.to);
        current = pick.legal;
        best = pick.err;
        moved = true;
      }
      onProgress?.(++done, total);
    }
    if (!moved) break;
  }
  onProgress?.(total, total);
  return { before, after: best, changes, evaluations };
}

function sumSq(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return s;
}
