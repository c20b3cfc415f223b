/**
 * compile(quantizedGraph, target) → { xmodel, report }: pure (no I/O). The target is anything
 * `toCompilerArch` reads: a preset name ('B4096'), a resolved target from src/dpu/arch, or a
 * CompilerArch.
 */
import type { Graph } from '../ir/types.js';
import { toCompilerArch, type CompilerArch } from './arch.js';
import { runPipeline } from './pipeline.js';
import { installDpuRules } from './support/index.js';
import type { CompileOptions, CompileReport, CompileState } from './types.js';

export interface CompileResult {
  xmodel: Uint8Array;
  report: CompileReport;
  /** The compiler's internal result (layers, tiles, DDR plan, instructions) for tools and tests. */
  state: CompileState;
  arch: CompilerArch;
}

export function compile(graph: Graph, target: unknown, options: CompileOptions = {}): CompileResult {
  installDpuRules();
  const arch = toCompilerArch(target);
  const { state, report } = runPipeline(graph, arch, { options });
  return { xmodel: state.xmodel ?? new Uint8Array(0), report, state, arch };
}
