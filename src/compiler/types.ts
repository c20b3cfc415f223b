/** Data the compiler passes hand to each other. Every pass returns a new CompileState. */
import type { Graph } from '../ir/types.js';
import type { CompilerArch } from './arch.js';
import type { ClassName } from '../isa/spec.js';
import type { PolicyOptions } from './passes/partition-policy.js';

export type Device = 'USER' | 'DPU' | 'CPU';

/** A CPU op and why: one entry per op the DPU does not run. */
export interface CpuOpReason {
  op: string;
  type: string;
  reason: string;
  fix: string;
}

export interface SubgraphPlan {
  name: string;
  device: Device;
  /** Non-const ops in topological order (fused ops keep the name of their output). */
  ops: string[];
  /** Const ops (weights, bias) used by this subgraph's ops. */
  consts: string[];
  /** Tensors read from other subgraphs, in first-use order. */
  inputs: string[];
  /** Tensors read by other subgraphs or graph outputs. */
  outputs: string[];
}

export type LayerKind = 'conv' | 'fc' | 'dwconv' | 'maxpool' | 'avgpool' | 'eltwise' | 'act' | 'upsample' | 'copy';

/** One DPU layer after fusion: what one engine computes, with all its integer parameters. */
export interface Layer {
  /** Name of the op (= output tensor). */
  name: string;
  kind: LayerKind;
  engine: 'conv' | 'alu' | 'eltwise' | 'load';
  /** Input feature-map tensors. */
  inputs: string[];
  output: string;
  weights?: string;
  bias?: string;
  /** NHWC shapes (batch 1) of input 0 and the output. */
  inShape: [number, number, number];
  outShape: [number, number, number];
  kernel: [number, number];
  stride: [number, number];
  dilation: [number, number];
  /** [left, right, top, bottom] */
  pad: [number, number, number, number];
  /** NONE | RELU | RELU6 | LEAKYRELU | HSIGMOID */
  nonlinear: string;
  /** eltwise: ADD | MUL */
  eltType?: string;
  /** eltwise: input 1 is a per-channel [1,1,1,C] vector broadcast over every pixel. */
  broadcast?: boolean;
  fpIn: number[];
  fpOut: number;
  fpW?: number;
  fpBias?: number;
  /**
   * Transposed conv (kernel = stride) as one 1×1 conv per kernel tap: this layer computes tap
   * (dy, dx) of a [sh, sw] kernel and writes every sh-th row / sw-th column from (dy, dx).
   */
  tap?: { dy: number; dx: number; sh: number; sw: number };
  /** Integer upsample factors [w, h] (upsample). */
  scale?: [number, number];
}

/** A tile schedule of one layer: output rows per tile and output channels per tile. */
export interface LayerTiling {
  layer: string;
  /** Output rows per tile. */
  rows: number;
  /** Output columns per tile (the full width unless one row doesn't fit). */
  cols: number;
  /** Output channels per tile. */
  channels: number;
  tilesH: number;
  tilesW: number;
  tilesC: number;
  /** Bytes used in each buffer by the largest tile (each must fit half of its buffer). */
  bytes: { input: number; output: number; weights: number; bias: number };
  /**
   * Conv layer whose output only feeds the next (eltwise) layer: each tile also LOADs the other eltwise
   * operand, runs the ELEW on-chip (FM1 conv result + FM0 operand → FM1) and SAVEs only the eltwise result.
   */
  fusedEltwise?: string;
  /** Eltwise layer computed inside the tiles of this conv layer (emits nothing itself). */
  fusedInto?: string;
}

/** Where a tensor lives in DDR. */
export interface Placement {
  reg: string;
  /** Byte offset of channel 0 of pixel 0 inside the register region. */
  offset: number;
  /** Bytes between two pixels (≥ channels: concat in place writes into a wider buffer). */
  pixelStride: number;
  size: number;
}

export interface DdrPlan {
  /** REG_0 const bytes: weights+bias of every layer, packed as the engines read them. */
  constBytes: Uint8Array;
  regSizes: Record<string, number>;
  regTypes: Record<string, 'CONST' | 'DATA_LOCAL' | 'DATA_LOCAL_INPUT' | 'DATA_LOCAL_OUTPUT'>;
  tensors: Record<string, Placement>;
  /** REG_0 offsets of each layer's weights and bias. */
  params: Record<string, { weights: number; weightsSize: number; bias: number; biasSize: number }>;
}

/** One instruction before encoding (src/isa Instr: class, dependency masks, fields by name). */
export interface Instr {
  cls: ClassName;
  wait: number;
  signal: number;
  f: Record<string, number>;
  /** Layer the instruction belongs to (not encoded). */
  layer?: string;
}

export interface DpuSubgraphCode {
  subgraph: string;
  layers: Layer[];
  tiling: LayerTiling[];
  ddr?: DdrPlan;
  instrs?: Instr[];
  mcCode?: Uint8Array;
}

export interface CompileReport {
  arch: string;
  dpuName: string;
  fingerprint: string;
  passes: { name: string; ms: number }[];
  subgraphs: { name: string; device: Device; ops: number }[];
  counts: { dpu: number; cpu: number; user: number };
  cpuOps: CpuOpReason[];
  notes: string[];
  layers: { name: string; kind: string; subgraph: string; tiles: number; rows: number; cols: number; channels: number; ops: number }[];
  instructions: number;
  ddr: Record<string, number>;
}

export interface CompileState {
  graph: Graph;
  /** Device of every non-const op (data ops are USER). */
  device: Record<string, Device>;
  cpu: CpuOpReason[];
  subgraphs: SubgraphPlan[];
  dpu: DpuSubgraphCode[];
  /** Concat op → its inputs' channel offsets (concat in place). */
  concatInPlace: Record<string, { input: string; channelOffset: number }[]>;
  xmodel?: Uint8Array;
}

/** Options of compile() / runPipeline(). */
export interface CompileOptions {
  /**
   * Partition policy (pass `partition-policy`): cost constants overriding DEFAULT_POLICY, or false to keep
   * every DPU-supported op on the DPU however small its subgraph.
   */
  partitionPolicy?: false | Partial<PolicyOptions>;
}

export interface PassContext {
  arch: CompilerArch;
  report: CompileReport;
  options?: CompileOptions;
}

export type Pass = (state: CompileState, ctx: PassContext) => CompileState;
