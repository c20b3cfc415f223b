/** Helpers shared by the backends: the DPU subgraph's fingerprint check and arch. */
import { RuntimeError } from '../../errors.js';
import type { Subgraph } from '../../xir/graph.js';
import { getDpuSubgraphAttrs, type DpuSubgraphAttrs } from '../../xir/dpu-attrs.js';
import { decodeFingerprint, findPreset, type DpuArch } from '../../dpu/arch/index.js';
import { checkFingerprint } from '../fingerprint.js';
import type { BackendOptions } from '../backend.js';

export interface DpuSubgraphInfo {
  attrs: DpuSubgraphAttrs;
  arch: DpuArch;
}

/**
 * Reads a DPU subgraph's standard attrs, checks its fingerprint against the runner's target (VART's
 * CHECK, at runner creation) and resolves the arch the instruction stream was compiled for.
 */
export function openDpuSubgraph(sg: Subgraph, opts: BackendOptions): DpuSubgraphInfo {
  const attrs = getDpuSubgraphAttrs(sg);
  checkFingerprint(sg.getName(), attrs.fingerprint, opts.targetFingerprint ?? attrs.fingerprint);
  let preset: string | undefined;
  try {
    preset = decodeFingerprint(attrs.fingerprint).preset;
  } catch {
    preset = sg.hasAttr('dpu_arch') ? String(sg.getAttr('dpu_arch')) : undefined;
  }
  const arch = preset ? findPreset(preset) : undefined;
  if (!arch) {
    throw new RuntimeError('E_DPU_ARCH', `the model's DPU fingerprint names no known arch`, {
      where: sg.getName(), fix: 're-compile the model with dpuflow compile --arch <preset>',
    });
  }
  return { attrs, arch };
}
