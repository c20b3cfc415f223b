/**
 * THE table of DPUCZDX8G ISA1 architectures and boards (facts: ../shared/design/dpu.md).
 * Everything about an arch that other stages need is derived here, once.
 */

/** One on-chip buffer: `banks` banks of `width` bytes × `depth` lines. */
export interface BankSpec {
  banks: number;
  /** Bytes per line (one line holds `width` channels of one pixel). */
  width: number;
  /** Lines per bank (2048 on DPUCZDX8G). */
  depth: number;
}

/** A resolved DPU architecture (one core). Field names match the compiler's `CompilerArch`. */
export interface DpuArch {
  /** Preset name, e.g. 'B4096'. */
  preset: string;
  /** ISA generation (1 for everything we compile for). */
  isa: number;
  /** Index of the preset in ARCH_PRESETS (0 = B512 … 7 = B4096); low byte of the feature code. */
  index: number;
  /** Conv engine pixel / input-channel / output-channel parallelism. */
  pp: number;
  icp: number;
  ocp: number;
  /** Peak ops per cycle = 2·PP·ICP·OCP (a MAC is 2 ops). */
  peakOpsPerCycle: number;
  /** Feature-map bank groups VB0 and VB1 (each `banks × width × depth`). */
  fm: BankSpec;
  /** Conv weight banks (one output channel per bank per pass). */
  convWeights: BankSpec;
  /** Depthwise weight bank. */
  dwWeights: BankSpec;
  /** Bias bank. */
  bias: BankSpec;
  /** Load / save channel parallelism (bytes per cycle moved between DDR port and banks). */
  loadParallel: number;
  saveParallel: number;
  /** Conv channel augmentation (first-layer trick for small ic): 2·ICP. */
  channelAugmentation: number;
  /** Conv engine limits. */
  conv: { kernelMax: number; strideMax: number; strideOutHMax: number; nonlinear: string[] };
  /** ALU engine (depthwise, pools, leaky-relu, hsigmoid) limits and parallelism. */
  alu: { kernelMax: number; strideMax: number; padLeftTopMax: number; padRightBottomMax: number; cp: number; pp: number };
  /** Eltwise engine: types and parallelism. */
  eltwise: { types: string[]; nonlinear: string[]; cp: number; pp: number };
}

/** Bank depth of every DPUCZDX8G on-chip buffer (dpu.md). */
export const BANK_DEPTH = 2048;

/** [preset, PP, ICP, OCP] of the eight ISA1 presets, in feature-code index order (dpu.md table). */
export const PRESET_TABLE: ReadonlyArray<readonly [string, number, number, number]> = [
  ['B512', 4, 8, 8],
  ['B800', 4, 10, 10],
  ['B1024', 8, 8, 8],
  ['B1152', 4, 12, 12],
  ['B1600', 8, 10, 10],
  ['B2304', 8, 12, 12],
  ['B3136', 8, 14, 14],
  ['B4096', 8, 16, 16],
];

/**
 * Build one preset from its parallelism. Rules (from the B512 and B4096 target prototxts quoted in
 * dpu.md, applied uniformly): feature-map bank groups have PP banks of ICP bytes; conv weights OCP
 * banks of ICP bytes; depthwise weights and bias one bank of ICP bytes; load/save parallel = ICP;
 * ALU and eltwise engines ICP channels × PP/2 pixels; channel augmentation 2·ICP.
 */
function makeArch(index: number, preset: string, pp: number, icp: number, ocp: number): DpuArch {
  const half = pp / 2;
  return {
    preset,
    isa: 1,
    index,
    pp, icp, ocp,
    peakOpsPerCycle: 2 * pp * icp * ocp,
    fm: { banks: pp, width: icp, depth: BANK_DEPTH },
    convWeights: { banks: ocp, width: icp, depth: BANK_DEPTH },
    dwWeights: { banks: 1, width: icp, depth: BANK_DEPTH },
    bias: { banks: 1, width: icp, depth: BANK_DEPTH },
    loadParallel: icp,
    saveParallel: icp,
    channelAugmentation: 2 * icp,
    conv: { kernelMax: 16, strideMax: 8, strideOutHMax: 4, nonlinear: ['NONE', 'RELU', 'RELU6', 'LEAKYRELU'] },
    alu: { kernelMax: 256, strideMax: 256, padLeftTopMax: 15, padRightBottomMax: 255, cp: icp, pp: half },
    eltwise: { types: ['ADD', 'MUL'], nonlinear: ['NONE', 'RELU'], cp: icp, pp: half },
  };
}

export const ARCH_PRESETS: readonly DpuArch[] = PRESET_TABLE.map(([n, pp, icp, ocp], i) => makeArch(i, n, pp, icp, ocp));

export function presetNames(): string[] {
  return ARCH_PRESETS.map((a) => a.preset);
}

export function findPreset(name: string): DpuArch | undefined {
  const n = name.trim().toUpperCase();
  return ARCH_PRESETS.find((a) => a.preset === n);
}

/** A board preset: DPU cores sharing one DDR. */
export interface Board {
  name: string;
  /** Human name, e.g. 'Zynq UltraScale+ MPSoC ZCU102'. */
  title: string;
  cores: number;
  /** Arch of every core. */
  preset: string;
  clockMHz: number;
  /** Peak DDR bandwidth shared by all cores, GB/s (10^9 bytes/s). */
  ddrGBps: number;
}

/** Boards of dpu.md (DDR4 64-bit PS DDR, 19.2 GB/s peak on all three). */
export const BOARDS: readonly Board[] = [
  { name: 'zcu102', title: 'Zynq UltraScale+ MPSoC ZCU102', cores: 3, preset: 'B4096', clockMHz: 281, ddrGBps: 19.2 },
  { name: 'zcu104', title: 'Zynq UltraScale+ MPSoC ZCU104', cores: 2, preset: 'B4096', clockMHz: 300, ddrGBps: 19.2 },
  { name: 'kv260', title: 'Kria KV260 Vision AI Starter Kit', cores: 1, preset: 'B4096', clockMHz: 300, ddrGBps: 19.2 },
];

export function findBoard(name: string): Board | undefined {
  const n = name.trim().toLowerCase();
  return BOARDS.find((b) => b.name === n);
}
