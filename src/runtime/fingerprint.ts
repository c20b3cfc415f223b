import { RuntimeError } from '../errors.js';
import { decodeFingerprint, fingerprintHex } from '../dpu/arch/index.js';

function describe(fp: bigint): string {
  try {
    const d = decodeFingerprint(fp);
    return `DPUCZDX8G ISA${d.isa} ${d.preset}${d.version ? ` (Vitis AI ${d.version} feature code)` : ''}`;
  } catch {
    return 'an unknown DPU';
  }
}

function presetOf(fp: bigint): string | undefined {
  try {
    return decodeFingerprint(fp).preset;
  } catch {
    return undefined;
  }
}

/**
 * VART refuses a model compiled for another DPU with this exact message; we add what the two
 * fingerprints mean and the command that fixes it.
 */
export function checkFingerprint(subgraph: string, model: bigint, actual: bigint): void {
  if (model === actual) return;
  // VART prints both with std::hex: no zero padding (0x101000016010407), as in the published message.
  const m = `0x${model.toString(16)}`;
  const a = `0x${actual.toString(16)}`;
  const vart =
    `CHECK fingerprint fail! model_fingerprint ${m} is un-matched with actual dpu_fingerprint ${a}. ` +
    `Please re-compile xmodel with dpu_fingerprint ${a} and try again.`;
  const preset = presetOf(actual);
  throw new RuntimeError('E_FINGERPRINT', vart, {
    where: subgraph,
    details: `The model was compiled for ${describe(model)}; this DPU is ${describe(actual)}.`,
    fix:
      `the model was compiled for ${describe(model)} but the DPU is ${describe(actual)}; ` +
      `re-compile it: dpuflow compile <net>_int.xmodel --arch ${preset ?? `arch.json with {"fingerprint": "${fingerprintHex(actual)}"}`} --out <dir>`,
  });
}
