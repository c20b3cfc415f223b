/**
 * Stated limits (issue 11 item 4): the largest model file, tensor and image dpuflow accepts. Inputs above a
 * limit are refused up front with the stage's error naming the limit and how to raise it, instead of
 * exhausting memory half-way. Browser-safe: the environment variables are read only where `process` exists.
 *
 * Raise a limit with the environment variable named in LIMIT_ENV (DPUFLOW_MAX_…) or with `setLimits({...})` for
 * the whole process; `checkLimit(…, { opts })` lets an entry point take a per-call override as well.
 */
import type { DpuflowError, ErrorContext } from './errors.js';

export interface Limits {
  /** Largest model file (ONNX bytes; TF.js model.json + all shards; .xmodel bytes). */
  maxModelBytes: number;
  /** Largest tensor (elements) of an imported graph: inputs, weights and every op output. */
  maxTensorElements: number;
  /** Largest decoded image (width × height). */
  maxImagePixels: number;
}

/** The defaults (docs/reliability.md). */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  /** protobuf's own message limit (2 GiB − 1); TF.js uses the same bound for model.json + shards. */
  maxModelBytes: 0x7fffffff,
  /** 2^28 elements = 1 GiB as float32 (a 1×3×8192×8192 float tensor is 2^27.6). */
  maxTensorElements: 2 ** 28,
  /** 64 Mi pixels (e.g. 8192 × 8192): 192 MiB as RGB bytes, 768 MiB once converted to float32. */
  maxImagePixels: 64 * 1024 * 1024,
});

/** Environment variable per limit. */
export const LIMIT_ENV: Readonly<Record<keyof Limits, string>> = Object.freeze({
  maxModelBytes: 'DPUFLOW_MAX_MODEL_BYTES',
  maxTensorElements: 'DPUFLOW_MAX_TENSOR_ELEMENTS',
  maxImagePixels: 'DPUFLOW_MAX_IMAGE_PIXELS',
});

let overrides: Partial<Limits> = {};

/** Process-wide overrides (e.g. from the CLI); pass {} to go back to defaults + environment. */
export function setLimits(l: Partial<Limits>): void {
  overrides = { ...l };
}

function fromEnv(k: keyof Limits): number | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const raw = env?.[LIMIT_ENV[k]];
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

/** The limits in force: per-call option > setLimits > environment > default. */
export function limits(opts: Partial<Limits> = {}): Limits {
  const out = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(out) as Array<keyof Limits>) out[k] = opts[k] ?? overrides[k] ?? fromEnv(k) ?? DEFAULT_LIMITS[k];
  return out;
}

const WHAT: Record<keyof Limits, string> = { maxModelBytes: 'model size', maxTensorElements: 'tensor size', maxImagePixels: 'image size' };
const UNIT: Record<keyof Limits, string> = { maxModelBytes: 'bytes', maxTensorElements: 'elements', maxImagePixels: 'pixels' };
const CODE: Record<keyof Limits, string> = { maxModelBytes: 'E_LIMIT_MODEL_BYTES', maxTensorElements: 'E_LIMIT_TENSOR_ELEMENTS', maxImagePixels: 'E_LIMIT_IMAGE_PIXELS' };

type ErrClass = new (code: string, message: string, ctx?: ErrorContext) => DpuflowError;

/**
 * Throws `new Err(E_LIMIT_…)` when `value` is over the limit `k`, naming the limit, the value and how to raise
 * it. `value` may be a non-finite or negative number (a corrupt header): those are refused as well.
 */
export function checkLimit(k: keyof Limits, value: number, Err: ErrClass, ctx: { file?: string; where?: string; opts?: Partial<Limits> } = {}): void {
  const max = limits(ctx.opts)[k];
  if (Number.isFinite(value) && value >= 0 && value <= max) return;
  throw new Err(CODE[k], `${WHAT[k]} ${Number.isFinite(value) ? value : String(value)} ${UNIT[k]} is over the limit of ${max} ${UNIT[k]} (${k})`, {
    file: ctx.file, where: ctx.where,
    fix: `if the input is genuine, raise the limit: environment variable ${LIMIT_ENV[k]}=N, or setLimits({ ${k}: N }) in code`,
  });
}

/** Elements of a shape (a product; NaN for a non-integer or negative dim). */
export function elementsOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) return NaN;
    n *= d;
  }
  return n;
}

/** Checks every tensor of an imported graph (op outputs, which include inputs and constants). */
export function checkGraphLimits(g: { ops: ReadonlyArray<{ name: string; output: { shape: readonly number[] } }> }, Err: ErrClass, ctx: { file?: string; opts?: Partial<Limits> } = {}): void {
  const max = limits(ctx.opts).maxTensorElements;
  for (const op of g.ops) {
    const n = elementsOf(op.output.shape);
    if (!(n <= max)) checkLimit('maxTensorElements', n, Err, { file: ctx.file, where: `tensor '${op.name}' [${op.output.shape.join(',')}]`, opts: ctx.opts });
  }
}
