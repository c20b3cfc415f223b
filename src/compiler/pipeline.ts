/**
 * The compiler: a named list of passes run in order. Each pass is a pure function
 * (state, ctx) → state in its own file under passes/; the context carries the arch and the report.
 */
import type { Graph } from '../ir/types.js';
import type { CompilerArch } from './arch.js';
import type { CompileOptions, CompileReport, CompileState, Pass, PassContext } from './types.js';
import { checkInput } from './passes/check-input.js';
import { foldBn } from './passes/fold-bn.js';
import { foldPads } from './passes/fold-pads.js';
import { fuseActivations } from './passes/fuse-activations.js';
import { partition } from './passes/partition.js';
import { partitionPolicy } from './passes/partition-policy.js';
import { concatInPlace } from './passes/concat-in-place.js';
import { lower } from './passes/lower.js';
import { tiling } from './passes/tiling.js';
import { ddrPlan } from './passes/ddr-plan.js';
import { codegen } from './passes/codegen.js';
import { checkBanks } from './passes/check-banks.js';
import { xmodel } from './passes/xmodel.js';

export interface NamedPass {
  name: string;
  run: Pass;
}

/** THE pass list, in order. */
export const PASSES: readonly NamedPass[] = [
  { name: 'check-input', run: checkInput },
  { name: 'fold-bn', run: foldBn },
  { name: 'fold-pads', run: foldPads },
  { name: 'fuse-activations', run: fuseActivations },
  { name: 'partition', run: partition },
  { name: 'partition-policy', run: partitionPolicy },
  { name: 'concat-in-place', run: concatInPlace },
  { name: 'lower', run: lower },
  { name: 'tiling', run: tiling },
  { name: 'ddr-plan', run: ddrPlan },
  { name: 'codegen', run: codegen },
  { name: 'check-banks', run: checkBanks },
  { name: 'xmodel', run: xmodel },
];

export function emptyReport(arch: CompilerArch): CompileReport {
  return {
    arch: arch.preset,
    dpuName: arch.dpuName,
    fingerprint: `0x${arch.fingerprint.toString(16).padStart(16, '0')}`,
    passes: [],
    subgraphs: [],
    counts: { dpu: 0, cpu: 0, user: 0 },
    cpuOps: [],
    notes: [],
    layers: [],
    instructions: 0,
    ddr: {},
  };
}

/** Run passes (all of them, or up to and including `until`) on a quantized graph. */
export function runPipeline(graph: Graph, arch: CompilerArch, opts: { until?: string; passes?: readonly NamedPass[]; options?: CompileOptions } = {}): { state: CompileState; report: CompileReport } {
  const ctx: PassContext = { arch, report: emptyReport(arch), options: opts.options };
  let state: CompileState = { graph, device: {}, cpu: [], subgraphs: [], dpu: [], concatInPlace: {} };
  for (const p of opts.passes ?? PASSES) {
    const t0 = performance.now();
    state = p.run(state, ctx);
    ctx.report.passes.push({ name: p.name, ms: Math.round((performance.now() - t0) * 100) / 100 });
    if (p.name === opts.until) break;
  }
  return { state, report: ctx.report };
}
