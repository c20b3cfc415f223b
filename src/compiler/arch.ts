/**
 * What the compiler needs to know of one DPU architecture: parallelism, on-chip banks and the
 * limits of each engine. `src/dpu/arch` (the one place that defines presets, boards and
 * fingerprints) resolves a target; `toCompilerArch` reads the fields the compiler uses from it.
 */
import { CompileError } from '../errors.js';

/** One on-chip buffer: `banks` banks of `width` bytes × `depth` lines. */
export interface BankSpec {
  banks: number;
  /** Bytes per line (one line holds `width` channels of one pixel). */
  width: number;
  /** Lines per bank (2048 on DPUCZDX8G). */
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
  /** Feature-map bank groups VB0 (inputs) and VB1 (outputs). */
  fm: BankSpec;
  /** Conv weight banks (one output channel per bank per pass). */
  convWeights: BankSpec;
  /** Depthwise weight bank. */
  dwWeights: BankSpec;
  /** Bias bank. */
  bias: BankSpec;
  /** Conv engine limits. */
  conv: { kernelMax: number; strideMax: number; nonlinear: string[] };
  /** ALU engine (depthwise, pools, leaky-relu, hsigmoid) limits. */
  alu: { kernelMax: number; strideMax: number; padLeftTopMax: number; padRightBottomMax: number; cp: number; pp: number };
  /** Eltwise engine: types and parallelism. */
  eltwise: { types: string[]; nonlinear: string[]; cp: number; pp: number };
}

type Num = Record<string, unknown>;

function num(o: Num | undefined, ...keys: string[]): number | undefined {
  if (!o) return undefined;
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

function sub(o: Num | undefined, ...keys: string[]): Num | undefined {
  if (!o) return undefined;
  for (const k of keys) {
    const v = o[k];
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Num;
  }
  return undefined;
}

/** The ISA1 conv-engine parallelism of each preset (dpu.md). */
const PRESET_PAR: Record<string, [number, number, number]> = {
  B512: [4, 8, 8], B800: [4, 10, 10], B1024: [8, 8, 8], B1152: [4, 12, 12],
  B1600: [8, 10, 10], B2304: [8, 12, 12], B3136: [8, 14, 14], B4096: [8, 16, 16],
};

/**
 * Build the compiler's view of an arch from a resolved target object (src/dpu/arch) or from a
 * preset name. Fields are read by name; missing bank fields default to the DPUCZDX8G ISA1 layout
 * (bank width = ICP bytes rounded up to 8, depth 2048; VB0/VB1 banks = PP; weights = OCP banks).
 */
export function toCompilerArch(target: unknown): CompilerArch {
  if (target && typeof target === 'object' && 'fm' in target && 'convWeights' in target) return target as CompilerArch;
  const t = (typeof target === 'string' ? { preset: target } : (target ?? {})) as Num;
  const arch = sub(t, 'arch') ?? t;
  const preset = String(arch['preset'] ?? arch['name'] ?? t['preset'] ?? t['name'] ?? '');
  const m = /B(\d+)/.exec(preset);
  const base = m ? PRESET_PAR[`B${m[1]}`] : undefined;
  const pp = num(arch, 'pp', 'pixelParallel', 'pixel_parallel') ?? base?.[0];
  const icp = num(arch, 'icp', 'inputChannelParallel', 'input_channel_parallel') ?? base?.[1];
  const ocp = num(arch, 'ocp', 'outputChannelParallel', 'output_channel_parallel') ?? base?.[2];
  if (!pp || !icp || !ocp) {
    throw new CompileError('E_ARCH', `cannot read the conv parallelism of target '${preset || JSON.stringify(target)}'`, {
      fix: `give a preset (${Object.keys(PRESET_PAR).join(', ')}) or a target from src/dpu/arch resolveTarget`,
    });
  }
  const presetName = `B${2 * pp * icp * ocp}`;
  const depth = num(arch, 'bankDepth', 'bank_depth') ?? 2048;
  const width = icp <= 8 ? 8 : 16;
  const fingerprintRaw = t['fingerprint'] ?? arch['fingerprint'];
  const fingerprint = typeof fingerprintRaw === 'bigint' ? fingerprintRaw
    : typeof fingerprintRaw === 'string' || typeof fingerprintRaw === 'number' ? BigInt(fingerprintRaw) : 0n;
  const dpuName = String(t['dpuName'] ?? t['dpu_name'] ?? arch['dpuName'] ??
    `DPUCZDX8G_ISA1_${presetName}_${fingerprint.toString(16).padStart(16, '0')}`);
  const lowPar = pp <= 4 ? 2 : 4;
  return {
    preset: presetName,
    dpuName,
    fingerprint,
    pp, icp, ocp,
    fm: { banks: pp, width, depth },
    convWeights: { banks: ocp, width, depth },
    dwWeights: { banks: 1, width, depth },
    bias: { banks: 1, width, depth },
    conv: { kernelMax: 16, strideMax: 8, nonlinear: ['NONE', 'RELU', 'RELU6', 'LEAKYRELU'] },
    alu: { kernelMax: 256, strideMax: 256, padLeftTopMax: 15, padRightBottomMax: 255, cp: icp, pp: lowPar },
    eltwise: { types: ['ADD', 'MUL'], nonlinear: ['NONE', 'RELU'], cp: icp, pp: lowPar },
  };
}
