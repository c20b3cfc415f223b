// The compiler's public surface (re-exported by src/index.ts).
export { compile, type CompileResult } from './compile.js';
export { runPipeline, PASSES, emptyReport, type NamedPass } from './pipeline.js';
export { toCompilerArch, bufferBytes, type CompilerArch, type BankSpec } from './arch.js';
export { installDpuRules, checkDpuSupport, dpuRuleFor, DPU_RULES, DPU_LEAKY_ALPHA } from './support/index.js';
export type { DpuRule, DpuReason, DpuRuleContext, DpuEngine } from './support/index.js';
export { checkInstructions, checkTokens } from './passes/check-banks.js';
export { tileLayer } from './passes/tiling.js';
export type { CompileReport, CompileState, CpuOpReason, SubgraphPlan, Layer, LayerTiling, DdrPlan, Placement, Instr, Pass, PassContext } from './types.js';
