import type { Op, TensorInfo } from '../../ir/types.js';
import type { CompilerArch } from '../arch.js';

/** Why an op can't run on the DPU (undefined from a rule = it can). */
export interface DpuReason {
  reason: string;
  fix: string;
}

/** The DPU engine an op runs on once placed on the DPU. */
export type DpuEngine = 'conv' | 'alu' | 'eltwise' | 'none';

/** What a support rule sees: the arch and the op's inputs. */
export interface DpuRuleContext {
  arch: CompilerArch;
  /** Output infos of the op's inputs, in argument order. */
  inputs: TensorInfo[];
  /** Producing ops of the inputs, in argument order. */
  inputOps: Op[];
}

/** One op type's DPU support rule (attached to the op registry via `attachDpuRule`). */
export interface DpuRule {
  engine: DpuEngine;
  /** True for op types the DPU never runs (their reason comes before the quantization check). */
  cpuOnly?: boolean;
  /** undefined = the DPU runs it; otherwise the reason and the fix. */
  check: (op: Op, ctx: DpuRuleContext) => DpuReason | undefined;
}
