/**
 * Graph building shared by the importers: a fresh op name, and an op appended with its output shape from the
 * op registry's shape rule. A shape-rule failure goes to the caller's `shapeError`, which names the model
 * file and node in the importer's own error.
 */
import { getOpDef } from './registry.js';
import type { Attrs, Op, TensorInfo } from './types.js';

export interface GraphUnderConstruction {
  readonly ops: Op[];
  readonly byName: Map<string, Op>;
}

/** `base`, or `base_1`, `base_2`, … — the first name no op has yet. */
export function uniqueOpName(byName: ReadonlyMap<string, unknown>, base: string): string {
  let name = base || 'op';
  let i = 1;
  while (byName.has(name)) name = `${base}_${i++}`;
  return name;
}

/** Appends a float32 op named after `base`; its shape comes from the registry (or `shape` for source ops). */
export function appendOp(
  g: GraphUnderConstruction, type: string, inputs: string[], attrs: Attrs, base: string,
  shapeError: (e: unknown, op: Op, inputs: TensorInfo[]) => never, data?: Float32Array, shape?: number[],
): Op {
  const op: Op = { name: uniqueOpName(g.byName, base), type, inputs, attrs, output: { shape: shape ?? [], dtype: 'float32' } };
  if (data) op.data = data;
  const infos: TensorInfo[] = inputs.map((i) => g.byName.get(i)!.output);
  try {
    op.output.shape = getOpDef(type).shape({ op, inputs: infos });
  } catch (e) {
    shapeError(e, op, infos);
  }
  g.ops.push(op);
  g.byName.set(op.name, op);
  return op;
}
