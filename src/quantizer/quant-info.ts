/**
 * quant_info.json in vai_q's layout:
 * `{"param": {name: [[8, fp]]}, "output": {name: [[8, fp]]}, "input": {name: [[8, fp]]},
 *   "fast_finetuned": bool, "bias_corrected": bool, "version": "…", "graph_md5": "…"}`.
 * Users edit fix points by hand; `parseQuantInfo` + `checkQuantInfo` reload it.
 */
import type { Graph } from '../ir/types.js';
import { QuantizeError } from '../errors.js';
import { md5Hex } from './md5.js';

export type BitFp = [number, number];

export interface QuantInfo {
  param: Record<string, BitFp[]>;
  output: Record<string, BitFp[]>;
  input: Record<string, BitFp[]>;
  fast_finetuned: boolean;
  bias_corrected: boolean;
  version: string;
  graph_md5: string;
}

export const QUANT_INFO_VERSION = 'dpuflow-0.1.0';

/** md5 of the float graph's structure (op names, types, inputs, shapes) — not of the weights. */
export function graphMd5(g: Graph): string {
  const s = JSON.stringify(g.ops.map((o) => [o.name, o.type, o.inputs, o.output.shape]));
  return md5Hex(s);
}

/** Serialise with sorted keys inside each section (stable bytes). */
export function stringifyQuantInfo(q: QuantInfo): string {
  const sort = (r: Record<string, BitFp[]>): Record<string, BitFp[]> => Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
  const o = { param: sort(q.param), output: sort(q.output), input: sort(q.input), fast_finetuned: q.fast_finetuned, bias_corrected: q.bias_corrected, version: q.version, graph_md5: q.graph_md5 };
  return `${JSON.stringify(o, null, 2)}\n`;
}

function section(v: unknown, name: string, file: string): Record<string, BitFp[]> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new QuantizeError('E_QINFO_FORMAT', `"${name}" must be an object of name → [[8, fp]]`, { file, fix: 'compare with a quant_info.json written by dpuflow quantize' });
  }
  const out: Record<string, BitFp[]> = {};
  for (const [k, e] of Object.entries(v as Record<string, unknown>)) {
    const ok = Array.isArray(e) && e.length >= 1 && Array.isArray(e[0]) && e[0].length === 2 && e[0].every((x: unknown) => Number.isInteger(x));
    if (!ok) {
      throw new QuantizeError('E_QINFO_FORMAT', `entry "${name}.${k}" must be [[bitwidth, fix_point]] with integers, got ${JSON.stringify(e)}`, { file, where: k, fix: 'write e.g. [[8, 5]]' });
    }
    const [bw, fp] = (e as number[][])[0];
    if (bw !== 8) throw new QuantizeError('E_QINFO_BITWIDTH', `"${name}.${k}" has bit width ${bw}; the DPU is INT8`, { file, where: k, fix: 'use [[8, fp]]' });
    out[k] = [[bw, fp]];
  }
  return out;
}

/** Parse quant_info.json text (QuantizeError on malformed input). */
export function parseQuantInfo(text: string, file = 'quant_info.json'): QuantInfo {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (err) {
    throw new QuantizeError('E_QINFO_JSON', `not valid JSON: ${(err as Error).message}`, { file, fix: 'fix the JSON syntax (a missing comma or bracket after a hand edit?)' });
  }
  if (typeof j !== 'object' || j === null) throw new QuantizeError('E_QINFO_FORMAT', 'quant_info.json must be an object', { file });
  const o = j as Record<string, unknown>;
  return {
    param: section(o.param, 'param', file),
    output: section(o.output, 'output', file),
    input: section(o.input, 'input', file),
    fast_finetuned: o.fast_finetuned === true,
    bias_corrected: o.bias_corrected === true,
    version: typeof o.version === 'string' ? o.version : '',
    graph_md5: typeof o.graph_md5 === 'string' ? o.graph_md5 : '',
  };
}

/**
 * Check a loaded quant_info against the tensors the quantizer fixes: lists unknown names (in the
 * file, not in the graph) and missing names (in the graph, not in the file) in one QuantizeError.
 */
export function checkQuantInfo(q: QuantInfo, expected: { param: string[]; output: string[]; input: string[] }, file = 'quant_info.json'): void {
  const problems: string[] = [];
  for (const sec of ['param', 'output', 'input'] as const) {
    const want = new Set(expected[sec]);
    const have = new Set(Object.keys(q[sec]));
    const unknown = [...have].filter((n) => !want.has(n)).sort();
    const missing = [...want].filter((n) => !have.has(n)).sort();
    const list = (a: string[]): string => (a.length > 12 ? `${a.slice(0, 12).join(', ')} … and ${a.length - 12} more` : a.join(', '));
    if (unknown.length) problems.push(`${sec}: unknown ${list(unknown)}`);
    if (missing.length) problems.push(`${sec}: missing ${list(missing)}`);
  }
  if (problems.length) {
    throw new QuantizeError('E_QINFO_MISMATCH', `quant_info.json does not match the graph — ${problems.join('; ')}`, {
      file,
      fix: 'regenerate it with `dpuflow quantize` for this model (and the same --cle / preprocessing), then edit only the fix points',
      details: problems.join('\n'),
    });
  }
}
