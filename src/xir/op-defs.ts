/**
 * serial_v2 OpDefs for the op types a graph uses, and the IR → XIR arg-name mapping.
 * Every AttrDef carries a default value (Netron reads it to hide attrs equal to their default).
 */
import type { XAttr } from './attr.js';
import type { Graph, OpArgDef, OpDef, ArgOccur } from './graph.js';

/** XIR arg name of each IR input position; positions past the list reuse the last name. */
export const ARG_NAMES: Record<string, string[]> = {
  conv2d: ['input', 'weights', 'bias'],
  'depthwise-conv2d': ['input', 'weights', 'bias'],
  'transposed-conv2d': ['input', 'weights', 'bias'],
  matmul: ['input', 'input', 'bias'],
  batchnorm: ['input', 'gamma', 'beta', 'moving_mean', 'moving_var'],
  layernorm: ['input', 'gamma', 'beta'],
  gather: ['input', 'indices'],
  fix: ['input'],
};

export function argNameOf(type: string, index: number): string {
  const names = ARG_NAMES[type] ?? ['input'];
  return names[Math.min(index, names.length - 1)]!;
}

/** Known defaults (XIR's own where it has one); other attrs default to the zero of their type. */
const KNOWN_DEFAULTS: Record<string, XAttr> = {
  dilation: { type: 'int32_vec', value: [1, 1] },
  pad: { type: 'int32_vec', value: [0, 0, 0, 0] },
  group: { type: 'int32', value: 1 },
  nonlinear: { type: 'string', value: 'NONE' },
  bit_width: { type: 'int32', value: 8 },
  if_signed: { type: 'bool', value: true },
  round_mode: { type: 'string', value: 'DPU_ROUND' },
  data_type: { type: 'string', value: 'FLOAT32' },
};

const ANNOTATIONS: Record<string, string> = {
  data: 'graph input placeholder',
  const: 'constant; payload in attr "data" (float32 LE, or int8 for XINT8 tensors)',
  fix: 'quantize to a power-of-two fixed point: q = saturate(round(x * 2^fix_point)), value = q * 2^-fix_point',
};

function zeroOf(a: XAttr): XAttr {
  switch (a.type) {
    case 'bool': return { type: 'bool', value: false };
    case 'int32': case 'uint32': case 'float': case 'double': return { type: a.type, value: 0 };
    case 'int64': case 'uint64': return { type: a.type, value: 0n };
    case 'string': return { type: 'string', value: '' };
    case 'bytes': return { type: 'bytes', value: new Uint8Array(0) };
    case 'bool_vec': return { type: 'bool_vec', value: [] };
    case 'int32_vec': case 'uint32_vec': case 'float_vec': case 'double_vec': return { type: a.type, value: [] };
    case 'int64_vec': case 'uint64_vec': return { type: a.type, value: [] };
    case 'string_vec': return { type: 'string_vec', value: [] };
    case 'bytes_vec': return { type: 'bytes_vec', value: [] };
    default: return { ...a, value: {} } as XAttr;
  }
}

/**
 * Builds one OpDef per op type used in `g` from what the ops carry: arg names with their
 * occurrence (REQUIRED if every op of the type has the arg once, REPEATED / OPTIONAL otherwise),
 * attrs with their wire type (REQUIRED if every op has it) and a default value.
 * Existing op defs of `g` are kept.
 */
export function buildOpDefs(g: Graph): OpDef[] {
  const byType = new Map<string, ReturnType<Graph['getOps']>>();
  for (const op of g.getOps()) (byType.get(op.type) ?? byType.set(op.type, []).get(op.type)!).push(op);
  const defs: OpDef[] = [];
  for (const [type, ops] of byType) {
    const argNames: string[] = [];
    for (const op of ops) for (const a of op.args) if (!argNames.includes(a.name)) argNames.push(a.name);
    const inputArgs: OpArgDef[] = argNames.map((name) => {
      const counts = ops.map((o) => o.getInputOps(name).length);
      const always = counts.every((c) => c >= 1);
      const multi = counts.some((c) => c > 1);
      const occur: ArgOccur = multi ? (always ? 'REQUIRED_AND_REPEATED' : 'REPEATED') : always ? 'REQUIRED' : 'OPTIONAL';
      return { name, occur, dataType: 4 };
    });
    const attrNames: string[] = [];
    for (const op of ops) for (const n of op.getAttrNames()) if (!attrNames.includes(n)) attrNames.push(n);
    const attrs = attrNames.map((name) => {
      const first = ops.find((o) => o.hasAttr(name))!.getAttrTyped(name);
      const known = KNOWN_DEFAULTS[name];
      const defaultValue = known && known.type === first.type ? known : zeroOf(first);
      return { name, occur: ops.every((o) => o.hasAttr(name)) ? ('REQUIRED' as const) : ('OPTIONAL' as const), defaultValue };
    });
    defs.push({ name: type, inputArgs, attrs, annotation: ANNOTATIONS[type] });
  }
  return defs;
}
