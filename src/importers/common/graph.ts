/**
 * The graph-level steps both importers (ONNX, TF.js) share: the ImportError for an op whose shape rule
 * fails, giving each graph output its model name, and canonicalizing the imported graph with its failures
 * reported as the importer's ImportError.
 */
import { DpuflowError, GraphError, ImportError } from '../../errors.js';
import { uniqueOpName, type GraphUnderConstruction } from '../../ir/builder.js';
import { canonicalize, type Pass } from '../../ir/passes/index.js';
import type { Graph, Op, TensorInfo } from '../../ir/types.js';
import { checkGraphLimits } from '../../limits.js';

/**
 * The ImportError for IR op `op` (of `type`) whose registry shape rule threw `e` on inputs `infos`: `code`
 * and `fix` are the importer's; an op type the registry doesn't know stays E_OP_UNKNOWN (with `unknownOpFix`
 * when given).
 */
export function shapeInferenceError(
  e: unknown, type: string, op: Op, infos: TensorInfo[],
  ctx: { file: string | undefined; where: string | undefined; code: string; fix: string; unknownOpFix?: string },
): ImportError {
  const msg = e instanceof Error ? e.message : String(e);
  const unknown = (e instanceof GraphError ? e.code : 'E_SHAPE') === 'E_OP_UNKNOWN';
  return new ImportError(unknown ? 'E_OP_UNKNOWN' : ctx.code,
    `shape inference failed for IR ${type} '${op.name}' (inputs ${infos.map((i) => JSON.stringify(i.shape)).join(', ')}): ${msg}`, {
      file: ctx.file, where: ctx.where, fix: unknown && ctx.unknownOpFix ? ctx.unknownOpFix : ctx.fix, cause: e,
    });
}

/** Renames op `from` to `to`, and every input that reads it. */
export function renameOp(g: GraphUnderConstruction, from: string, to: string): void {
  const op = g.byName.get(from);
  if (!op || from === to) return;
  g.byName.delete(from);
  op.name = to;
  g.byName.set(to, op);
  for (const o of g.ops) o.inputs = o.inputs.map((i) => (i === from ? to : i));
}

/**
 * Makes IR op `ir` the graph output named `want` and returns that name. A graph input, or an op already
 * taken as an earlier output (`outputs`), is first copied by an identity op (`identity(ir)` emits it and
 * returns its name); an op already called `want` moves aside to `want__pre`.
 */
export function nameGraphOutput(g: GraphUnderConstruction, ir: string, want: string, outputs: readonly string[], identity: (src: string) => string): string {
  if (g.byName.get(ir)!.type === 'data' || outputs.includes(ir)) ir = identity(ir);
  if (ir === want) return ir;
  const clash = g.byName.get(want);
  if (clash) renameOp(g, clash.name, uniqueOpName(g.byName, `${want}__pre`));
  renameOp(g, ir, want);
  return want;
}

/**
 * canonicalize(g, passes) and the tensor-size limits; anything but an ImportError becomes ImportError `code`
 * (or the failing stage's own code) naming `file`: a canonicalization failure is an importer bug.
 */
export function canonicalizeImported(g: Graph, opts: { file: string | undefined; code: string; passes?: Pass[] }): Graph {
  try {
    const out = canonicalize(g, opts.passes);
    checkGraphLimits(out, ImportError, { file: opts.file });
    return out;
  } catch (e) {
    if (e instanceof ImportError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new ImportError(e instanceof DpuflowError ? e.code : opts.code, `canonicalization failed: ${msg}`, {
      file: opts.file, where: e instanceof DpuflowError ? e.where : undefined, fix: 'report this model as a bug (the imported graph is inconsistent)', cause: e,
    });
  }
}
