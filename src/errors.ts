/**
 * Every stage has its own error class. Each names *where* (file, node, op, tensor, job…)
 * and *what to do*; the CLI prints `message` on one line and `details` with --verbose.
 */
export interface ErrorContext {
  /** File at fault, if any. */
  file?: string;
  /** Node / op / tensor / job at fault, if any. */
  where?: string;
  /** What the user can do about it. */
  fix?: string;
  /** Extra detail shown with --verbose (e.g. the underlying cause). */
  details?: string;
  cause?: unknown;
}

export class DpuflowError extends Error {
  readonly code: string;
  readonly file?: string;
  readonly where?: string;
  readonly fix?: string;
  readonly details?: string;

  constructor(code: string, message: string, ctx: ErrorContext = {}) {
    const parts = [message];
    if (ctx.file) parts.unshift(`${ctx.file}:`);
    if (ctx.where) parts.splice(ctx.file ? 1 : 0, 0, `[${ctx.where}]`);
    if (ctx.fix) parts.push(`— ${ctx.fix}`);
    super(parts.join(' '), ctx.cause !== undefined ? { cause: ctx.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.file = ctx.file;
    this.where = ctx.where;
    this.fix = ctx.fix;
    this.details = ctx.details;
  }
}

/** Reading a model file (ONNX, TF.js) into the IR. */
export class ImportError extends DpuflowError {}
/** Graph-level problems in the IR itself (shape rules, cycles, unknown ops). */
export class GraphError extends DpuflowError {}
/** Calibration, fix points, quant_info.json. */
export class QuantizeError extends DpuflowError {}
/** Partition, passes, tiling, codegen, arch targets. */
export class CompileError extends DpuflowError {}
/** Architecture presets, arch.json, fingerprints. */
export class ArchError extends DpuflowError {}
/** Instruction encoding/decoding (mc_code). */
export class IsaError extends DpuflowError {}
/** Reading/writing XIR .xmodel files. */
export class XmodelError extends DpuflowError {}
/** VART runtime: runners, jobs, buffers, the virtual DPU. */
export class RuntimeError extends DpuflowError {}
/** Application pre/post-processing and inputs (images, label files). */
export class AppError extends DpuflowError {}
/** Command-line usage errors. */
export class UsageError extends DpuflowError {}
