/**
 * What the compiler needs to know of one DPU architecture: parallelism, on-chip banks and the
 * limits of each engine. `src/dpu/arch` is the one place that defines presets, boards and
 * fingerprints; its `DpuTarget` satisfies `CompilerArch` as is.
 */
import { CompileError, DpuflowError } from '../errors.js';
import { resolveTarget } from '../dpu/arch/index.js';

/** One on-chip buffer: `banks` banks of `width` bytes × `depth` lines. */
export interface BankSpec {
  banks: number;
  width: number;
  depth: number;
}

export interface CompilerArch {
  /** Preset name, e.g. 'B4096'. */
  preset: string;
  /** Full target name, e.g. 'DPUCZDX8G_ISA1_B4096_0101000016010407'. */
  dpuName: string;
  fingerprint: bigint;
  /** Conv engine pixel / input-channel / output-channel parallelism. */
  pp: number;
  icp: number;
  ocp: number;
  /** Feature-map bank groups FM0 (VB0) and FM1 (VB1), each. */
  fm: BankSpec;
  /** Conv weight buffer (WGT). */
  convWeights: BankSpec;
  /** Depthwise weight buffer (DWW). */
  dwWeights: BankSpec;
  /** Bias buffer (BIAS). */
  bias: BankSpec;
  conv: { kernelMax: number; strideMax: number; nonlinear: string[] };
  alu: { kernelMax: number; strideMax: number; padLeftTopMax: number; padRightBottomMax: number; cp: number; pp: number };
  eltwise: { types: string[]; nonlinear: string[]; cp: number; pp: number };
}

/** Bytes of a buffer: banks × width × depth. */
export const bufferBytes = (b: BankSpec): number => b.banks * b.width * b.depth;

/**
 * The compiler's view of a target: a CompilerArch / DpuTarget object as is, or a string that
 * src/dpu/arch `resolveTarget` understands (preset, board, fingerprint, arch.json text, DPU name).
 */
export function toCompilerArch(target: unknown): CompilerArch {
  if (target && typeof target === 'object' && 'fm' in target && 'convWeights' in target && 'fingerprint' in target) return target as CompilerArch;
  if (typeof target === 'string') {
    try {
      return resolveTarget(target);
    } catch (e) {
      if (e instanceof DpuflowError) {
        throw new CompileError('E_ARCH', `cannot compile for '${target}': ${e.message}`, { where: target, fix: e.fix, cause: e });
      }
      throw e;
    }
  }
  throw new CompileError('E_ARCH', `not a compile target: ${JSON.stringify(target)}`, { fix: 'give a preset, a board, an arch.json or a target from src/dpu/arch resolveTarget' });
}
