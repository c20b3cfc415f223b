import type { Attrs, Op, TensorInfo, TensorValue } from './types.js';
import { GraphError } from '../errors.js';
import type { DpuRule } from '../compiler/support/types.js';

/** Context handed to a shape rule: the op and the infos of its inputs. */
export interface ShapeContext {
  op: Op;
  inputs: TensorInfo[];
}

/** Float reference kernel: NHWC float32 in, float32 out. Pure, allocates its output. */
export type FloatKernel = (inputs: TensorValue[], attrs: Attrs, op: Op) => TensorValue;

/** Why an op may not run on a given DPU arch (undefined = it can). Filled by the compiler issue. */
export interface DpuSupport {
  reason: string;
  fix: string;
}

/** One entry per op type: the single source of truth for importer, partitioner and kernels. */
export interface OpDef {
  type: string;
  /** Output shape from input shapes and attrs; throws GraphError on a mismatch. */
  shape: (ctx: ShapeContext) => number[];
  /** Float reference kernel (kernels/ref/float). */
  float: FloatKernel;
  /** True for element-wise ops that commute with layout (used by the importer's layout pass). */
  elementwise?: boolean;
  /** DPU support rule, attached by the compiler (src/compiler/support/) via attachDpuRule. */
  dpu?: DpuRule;
  // Later stages add their typed slots here (INT8 kernel).
}

const registry = new Map<string, OpDef>();

export function registerOp(def: OpDef): void {
  if (registry.has(def.type)) throw new GraphError('E_OP_DUP', `op type '${def.type}' registered twice`);
  registry.set(def.type, def);
}

export function getOpDef(type: string): OpDef {
  const def = registry.get(type);
  if (!def) {
    throw new GraphError('E_OP_UNKNOWN', `unknown op type '${type}'`, {
      fix: `known types: ${[...registry.keys()].sort().join(', ')}`,
    });
  }
  return def;
}

export function hasOpDef(type: string): boolean {
  return registry.has(type);
}

export function registeredOpTypes(): string[] {
  return [...registry.keys()].sort();
}

/** Attach the compiler's DPU support rule to a registered op type; false if the type is not registered. */
export function attachDpuRule(type: string, rule: DpuRule): boolean {
  const def = registry.get(type);
  if (!def) return false;
  def.dpu = rule;
  return true;
}
