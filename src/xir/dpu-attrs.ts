/**
 * The standard attrs of a compiled DPU subgraph (what vai_c_xir writes and VART reads),
 * with their wire types, so the compiler writes and the runtime/inspect read them one way.
 *
 *   device                     string               'DPU'
 *   dpu_name                   string               e.g. DPUCZDX8G_ISA1_B4096_0101000016010407
 *   dpu_fingerprint            uint64
 *   mc_code                    bytes                the instruction stream
 *   reg_id_to_parameter_value  map_string_2_bytes   REG_0 → weights + bias
 *   reg_id_to_context_type     map_string_2_string  REG_0 → CONST, REG_1 → DATA_LOCAL…
 *   reg_id_to_size             map_string_2_int32   bytes per register region
 *   runner                     map_string_2_string  run / ref / sim → runner library name
 */
import { XmodelError } from '../errors.js';
import { A } from './attr.js';
import type { Subgraph } from './graph.js';

export interface DpuSubgraphAttrs {
  dpuName: string;
  fingerprint: bigint;
  mcCode: Uint8Array;
  regIdToParameterValue: Record<string, Uint8Array>;
  regIdToContextType: Record<string, string>;
  regIdToSize: Record<string, number>;
  runner?: Record<string, string>;
}

export const DPU_SUBGRAPH_ATTRS = [
  'device', 'dpu_name', 'dpu_fingerprint', 'mc_code', 'reg_id_to_parameter_value', 'reg_id_to_context_type', 'reg_id_to_size', 'runner',
] as const;

/** Marks a leaf subgraph as a DPU subgraph and writes its standard attrs with the right types. */
export function setDpuSubgraphAttrs(sg: Subgraph, a: DpuSubgraphAttrs): void {
  sg.setAttr('device', A.string('DPU'));
  sg.setAttr('dpu_name', A.string(a.dpuName));
  sg.setAttr('dpu_fingerprint', A.uint64(BigInt.asUintN(64, a.fingerprint)));
  sg.setAttr('mc_code', A.bytes(a.mcCode));
  sg.setAttr('reg_id_to_parameter_value', A.mapString2Bytes(a.regIdToParameterValue));
  sg.setAttr('reg_id_to_context_type', A.mapString2String(a.regIdToContextType));
  sg.setAttr('reg_id_to_size', A.mapString2Int32(a.regIdToSize));
  if (a.runner) sg.setAttr('runner', A.mapString2String(a.runner));
}

/** Reads the standard DPU attrs back; XmodelError naming the subgraph if one is missing or mistyped. */
export function getDpuSubgraphAttrs(sg: Subgraph, file?: string): DpuSubgraphAttrs {
  const where = `subgraph ${sg.getName()}`;
  const get = <T extends string>(name: string, types: readonly T[]): { type: T; value: unknown } => {
    if (!sg.hasAttr(name)) {
      throw new XmodelError('E_XMODEL_DPU_ATTR', `DPU subgraph has no '${name}'`, { file, where, fix: 're-compile the model with dpuflow compile' });
    }
    const a = sg.getAttrTyped(name);
    if (!(types as readonly string[]).includes(a.type)) {
      throw new XmodelError('E_XMODEL_DPU_ATTR', `'${name}' is ${a.type}, expected ${types.join(' or ')}`, { file, where });
    }
    return a as { type: T; value: unknown };
  };
  const fp = get('dpu_fingerprint', ['uint64', 'int64'] as const).value as bigint;
  const out: DpuSubgraphAttrs = {
    dpuName: get('dpu_name', ['string'] as const).value as string,
    fingerprint: BigInt.asUintN(64, fp),
    mcCode: get('mc_code', ['bytes'] as const).value as Uint8Array,
    regIdToParameterValue: get('reg_id_to_parameter_value', ['map_string_2_bytes'] as const).value as Record<string, Uint8Array>,
    regIdToContextType: get('reg_id_to_context_type', ['map_string_2_string'] as const).value as Record<string, string>,
    regIdToSize: get('reg_id_to_size', ['map_string_2_int32', 'map_string_2_uint32'] as const).value as Record<string, number>,
  };
  if (sg.hasAttr('runner')) out.runner = get('runner', ['map_string_2_string'] as const).value as Record<string, string>;
  return out;
}
