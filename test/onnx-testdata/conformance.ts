/**
 * Runner for ONNX's own operator conformance vectors (Debian libonnx-testdata:
 * <root>/test_x/model.onnx + test_data_set_0/{input,output}_N.pb as TensorProto).
 * For every test whose ops are all supported: import, run with the float executor, compare
 * with the expected outputs (|a−b| ≤ atol + rtol·|b|, rtol 1e-3, atol 1e-4).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImportError } from '../../src/errors.js';
import { importOnnx, nchwToNhwc, nhwcToNchw, supportedOnnxOps } from '../../src/importers/onnx/index.js';
import { onnxModelType, onnxRoot } from '../../src/importers/onnx/schema.js';
import { decodeTensor, type TensorProtoLike } from '../../src/importers/onnx/tensor.js';
import type { ModelLike } from '../../src/importers/onnx/importer.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';
import type { TensorValue } from '../../src/ir/types.js';

export const TESTDATA_ROOT = '/usr/share/libonnx-testdata/data/node';

export type Status = 'passed' | 'failed' | 'skipped';
export interface CaseResult {
  name: string;
  status: Status;
  reason: string;
  ops: string[];
}

/** Import errors that mean "a variant this importer declares unsupported" (→ skip, not fail). */
const SKIP_CODES = new Set(['E_ONNX_NONCONST', 'E_ONNX_ATTR', 'E_ONNX_RANK', 'E_ONNX_CAST', 'E_ONNX_ARITY', 'E_ONNX_DYNAMIC_SHAPE',
  'E_ONNX_INPUT_DTYPE', 'E_ONNX_BATCH', 'E_ONNX_ZERO_DIM', 'E_ONNX_DTYPE', 'E_ONNX_BN_TRAINING', 'E_ONNX_LN_OUTPUTS', 'E_ONNX_OPSET', 'E_ONNX_UNSUPPORTED_OPS']);

function readTensor(path: string): { name: string; dtype: number; t: TensorValue } {
  const tp = onnxRoot().lookupType('onnx.TensorProto').decode(readFileSync(path)) as unknown as TensorProtoLike;
  const c = decodeTensor(tp, path, 'tensor');
  return { name: tp.name ?? '', dtype: tp.data_type ?? 0, t: { shape: c.dims, data: Float32Array.from(c.data) } };
}

export function runCase(dir: string, opts: { rtol?: number; atol?: number } = {}): CaseResult {
  const name = dir.split('/').pop()!;
  const rtol = opts.rtol ?? 1e-3, atol = opts.atol ?? 1e-4;
  const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
  const model = onnxModelType().decode(bytes) as unknown as ModelLike & { graph: NonNullable<ModelLike['graph']> };
  const ops = [...new Set((model.graph.node ?? []).map((n) => (n.domain ? `${n.domain}::` : '') + (n.op_type ?? '')))];
  const supported = new Set(supportedOnnxOps());
  const unsupported = ops.filter((o) => !supported.has(o));
  if (unsupported.length) return { name, status: 'skipped', reason: `unsupported op ${unsupported.join(',')}`, ops };
  const setDir = join(dir, 'test_data_set_0');
  if (!existsSync(setDir)) return { name, status: 'skipped', reason: 'no test data', ops };
  const files = readdirSync(setDir);
  let inputs: ReturnType<typeof readTensor>[], outputs: ReturnType<typeof readTensor>[];
  try {
  inputs = files.filter((f) => /^input_\d+\.pb$/.test(f)).sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6))).map((f) => readTensor(join(setDir, f)));
  outputs = files.filter((f) => /^output_\d+\.pb$/.test(f)).sort((a, b) => parseInt(a.slice(7)) - parseInt(b.slice(7))).map((f) => readTensor(join(setDir, f)));
  } catch (e) {
    return { name, status: 'skipped', reason: `non-float dtype (test data: ${e instanceof ImportError ? e.code : String(e)})`, ops };
  }
  if (outputs.some((o) => o.dtype !== 1)) return { name, status: 'skipped', reason: 'non-float dtype (output)', ops };
  const graphInputs = (model.graph.input ?? []).filter((vi) => !(model.graph.initializer ?? []).some((t) => t.name === vi.name));
  if (graphInputs.length !== inputs.length) return { name, status: 'skipped', reason: 'input count mismatch', ops };
  for (let i = 0; i < inputs.length; i++) {
    const declared = graphInputs[i]!.type?.tensor_type?.shape?.dim;
    const et = graphInputs[i]!.type?.tensor_type?.elem_type;
    if (et !== undefined && et !== inputs[i]!.dtype) return { name, status: 'skipped', reason: 'test data dtype differs from the declared input', ops };
    if (declared && declared.length !== inputs[i]!.t.shape.length) return { name, status: 'skipped', reason: 'test data rank differs from the declared input', ops };
  }
  const inputShapes: Record<string, number[]> = {};
  graphInputs.forEach((vi, i) => { inputShapes[vi.name!] = inputs[i]!.t.shape; });

  let g;
  let constInputs: number[] = [];
  const tryImport = (asConst: number[]): void => {
    // inputs that the importer needs constant (Clip min/max, Reshape shape, …) become initializers
    const m = onnxModelType().decode(bytes) as unknown as { graph: { input: { name: string }[]; initializer: unknown[] } };
    for (const i of asConst) {
      const tp = onnxRoot().lookupType('onnx.TensorProto').decode(readFileSync(join(setDir, `input_${i}.pb`))) as unknown as { name: string };
      tp.name = graphInputs[i]!.name!;
      m.graph.initializer.push(tp);
      m.graph.input = m.graph.input.filter((vi) => vi.name !== tp.name);
    }
    const b2 = asConst.length ? onnxModelType().encode(onnxModelType().fromObject(m as unknown as Record<string, unknown>)).finish() : bytes;
    g = importOnnx(b2, { fileName: `${name}/model.onnx`, inputShapes: Object.fromEntries(Object.entries(inputShapes).filter(([k]) => !asConst.some((i) => graphInputs[i]!.name === k))) });
  };
  try {
    const nonFloat = inputs.map((x, i) => (x.dtype !== 1 ? i : -1)).filter((i) => i >= 0);
    try {
      constInputs = nonFloat;
      tryImport(constInputs);
    } catch (e) {
      if (!(e instanceof ImportError) || (e.code !== 'E_ONNX_NONCONST' && e.code !== 'E_ONNX_INPUT_DTYPE')) throw e;
      constInputs = inputs.map((_, i) => i).filter((i) => i > 0);
      tryImport(constInputs);
    }
  } catch (e) {
    if (e instanceof ImportError && SKIP_CODES.has(e.code)) return { name, status: 'skipped', reason: `import: ${e.code} ${e.message.split(' — ')[0]!.split('] ').pop()!.slice(0, 90)}`, ops };
    return { name, status: 'failed', reason: `import error: ${e instanceof Error ? e.message.slice(0, 300) : String(e)}`, ops };
  }
  const graph = g!;
  const feeds: Record<string, TensorValue> = {};
  graphInputs.forEach((vi, i) => {
    if (constInputs.includes(i)) return;
    feeds[vi.name!] = nchwToNhwc(inputs[i]!.t);
  });
  let res: Record<string, TensorValue>;
  try {
    res = runFloat(graph, feeds);
  } catch (e) {
    return { name, status: 'failed', reason: `run error: ${e instanceof Error ? e.message.slice(0, 300) : String(e)}`, ops };
  }
  const outNames = (model.graph.output ?? []).map((o) => o.name!);
  for (let i = 0; i < outputs.length; i++) {
    const want = outputs[i]!.t;
    const got0 = res[graph.outputs[i]!];
    if (!got0) return { name, status: 'failed', reason: `output ${outNames[i]} missing`, ops };
    const got = got0.shape.length === 4 ? nhwcToNchw(got0) : got0;
    if (got.shape.join(',') !== want.shape.join(',')) return { name, status: 'failed', reason: `output ${outNames[i]} shape [${got.shape}] ≠ expected [${want.shape}]`, ops };
    for (let k = 0; k < want.data.length; k++) {
      const a = got.data[k]!, b = want.data[k]!;
      if (Number.isNaN(b) && Number.isNaN(a)) continue;
      if (a === b) continue;
      if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
        return { name, status: 'failed', reason: `output ${outNames[i]}[${k}] = ${a}, expected ${b}`, ops };
      }
    }
  }
  return { name, status: 'passed', reason: '', ops };
}

export function runAll(root = TESTDATA_ROOT, filter?: (name: string) => boolean): CaseResult[] {
  const out: CaseResult[] = [];
  for (const d of readdirSync(root).sort()) {
    if (!d.startsWith('test_') || (filter && !filter(d))) continue;
    if (!existsSync(join(root, d, 'model.onnx'))) continue;
    out.push(runCase(join(root, d)));
  }
  return out;
}

export function formatTable(results: CaseResult[]): string {
  const lines: string[] = [];
  const count = (s: Status): number => results.filter((r) => r.status === s).length;
  lines.push(`ONNX node tests: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped (of ${results.length})`);
  for (const r of results) if (r.status !== 'skipped') lines.push(`  ${r.status.padEnd(7)} ${r.name}${r.reason ? `  — ${r.reason}` : ''}`);
  const reasons = new Map<string, number>();
  for (const r of results) if (r.status === 'skipped') {
    const key = r.reason.startsWith('unsupported op') ? `unsupported op ${r.reason.slice(15).split(',')[0]}` : r.reason;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  }
  lines.push('  skipped, by reason:');
  for (const [k, n] of [...reasons].sort((a, b) => b[1] - a[1])) lines.push(`    ${String(n).padStart(4)}  ${k}`);
  return lines.join('\n');
}
