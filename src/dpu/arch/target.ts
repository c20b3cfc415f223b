/**
 * Fingerprints, arch.json and target resolution. A fingerprint is
 * `type << 56 | isa << 48 | feature_code` (DPUCZDX8G type = 1), dpu.md.
 */
import { ArchError } from '../../errors.js';
import { ARCH_PRESETS, BOARDS, type Board, type DpuArch, findBoard, findPreset, presetNames } from './presets.js';

/** DPU type field of DPUCZDX8G fingerprints. */
export const DPUCZDX8G_TYPE = 1n;
/** Version byte (bits 31–24) of the ISA1 feature code: Vitis AI 2.5 and 3.0 (dpu.md published values). */
export const FEATURE_VERSION = { '2.5': 0x16, '3.0': 0x56 } as const;
export type FeatureVersion = keyof typeof FEATURE_VERSION;
/** Bits 23–16 of every ISA1 feature code we know (0x01 in all published values). */
export const FEATURE_CONST_BYTE = 0x01;

/** A resolved compile/run target: an arch plus its identity (and the board, when one was named). */
export interface DpuTarget extends DpuArch {
  /** Feature code (low 48 bits of the fingerprint). */
  featureCode: bigint;
  fingerprint: bigint;
  /** '0x0101000016010407' (16 hex digits, zero-padded). */
  fingerprintHex: string;
  /** 'DPUCZDX8G_ISA1_B4096_0101000016010407'. */
  dpuName: string;
  /** Vitis AI generation whose feature-code version byte this target carries. */
  version: FeatureVersion;
  /** The board, when the target was named by board. */
  board?: Board;
}

/**
 * Feature code of an ISA1 preset. Rule (docs/isa.md, "Feature codes"): bits 31–24 version byte
 * (0x16 for 2.5, 0x56 for 3.0), bits 23–16 = 0x01, bits 15–8 = PP/2, bits 7–0 = preset index
 * (B512 = 0 … B4096 = 7). It reproduces every published value: B512 0x56010200, B3136 0x16010406,
 * B4096 0x16010407 / 0x56010407.
 */
export function featureCodeOf(arch: DpuArch, version: FeatureVersion = '2.5'): bigint {
  return BigInt(((FEATURE_VERSION[version] << 24) | (FEATURE_CONST_BYTE << 16) | ((arch.pp / 2) << 8) | arch.index) >>> 0);
}

export function fingerprintOf(arch: DpuArch, version: FeatureVersion = '2.5'): bigint {
  return (DPUCZDX8G_TYPE << 56n) | (BigInt(arch.isa) << 48n) | featureCodeOf(arch, version);
}

export function fingerprintHex(fp: bigint): string {
  return `0x${fp.toString(16).padStart(16, '0')}`;
}

function makeTarget(arch: DpuArch, version: FeatureVersion, board?: Board): DpuTarget {
  const fp = fingerprintOf(arch, version);
  const t: DpuTarget = {
    ...arch,
    featureCode: featureCodeOf(arch, version),
    fingerprint: fp,
    fingerprintHex: fingerprintHex(fp),
    dpuName: `DPUCZDX8G_ISA${arch.isa}_${arch.preset}_${fp.toString(16).padStart(16, '0')}`,
    version,
  };
  if (board) t.board = board;
  return t;
}

/** Fingerprints older than ISA1 that dpu.md publishes; recognised so the error can say what they are. */
export const ISA0_FINGERPRINTS: ReadonlyArray<{ fingerprint: bigint; preset: string; note: string }> = [
  { fingerprint: 0x01000020f6014407n, preset: 'B4096', note: 'ISA0 (DPUCZDX8G v3.x, Vitis AI 1.x)' },
  { fingerprint: 0x01000020f6014406n, preset: 'B3136', note: 'ISA0 (DPUCZDX8G v3.x, Vitis AI 1.x)' },
];

/** Every fingerprint we resolve: 8 presets × {2.5, 3.0}. */
export function knownFingerprints(): Array<{ fingerprint: string; preset: string; version: FeatureVersion }> {
  const out: Array<{ fingerprint: string; preset: string; version: FeatureVersion }> = [];
  for (const v of Object.keys(FEATURE_VERSION) as FeatureVersion[]) {
    for (const a of ARCH_PRESETS) out.push({ fingerprint: fingerprintHex(fingerprintOf(a, v)), preset: a.preset, version: v });
  }
  return out;
}

function knownList(): string {
  return knownFingerprints().map((k) => `${k.fingerprint} (${k.preset}, ${k.version})`).join(', ');
}

export interface DecodedFingerprint {
  type: number;
  isa: number;
  featureCode: bigint;
  preset: string;
  version?: FeatureVersion;
}

/** Decode a fingerprint to its arch; ArchError naming it and listing the known ones otherwise. */
export function decodeFingerprint(fp: bigint, file?: string): DecodedFingerprint {
  const type = Number((fp >> 56n) & 0xffn);
  const isa = Number((fp >> 48n) & 0xffn);
  const feature = fp & 0xffffffffffffn;
  const old = ISA0_FINGERPRINTS.find((k) => k.fingerprint === fp);
  if (old) return { type, isa: 0, featureCode: feature, preset: old.preset };
  if (type === 1 && isa === 1 && fp >> 64n === 0n && feature >> 32n === 0n) {
    const f = Number(feature);
    const ver = (Object.keys(FEATURE_VERSION) as FeatureVersion[]).find((v) => FEATURE_VERSION[v] === f >>> 24);
    const arch = ARCH_PRESETS[f & 0xff];
    if (ver && arch && ((f >> 16) & 0xff) === FEATURE_CONST_BYTE && ((f >> 8) & 0xff) === arch.pp / 2) {
      return { type, isa, featureCode: feature, preset: arch.preset, version: ver };
    }
  }
  throw new ArchError('E_ARCH_FINGERPRINT', `unknown DPU fingerprint ${fingerprintHex(fp)} (type ${type}, ISA ${isa}, feature code 0x${feature.toString(16)})`, {
    file,
    fix: `use a preset (${presetNames().join(', ')}), a board (${BOARDS.map((b) => b.name).join(', ')}) or one of the known fingerprints: ${knownList()}`,
  });
}

function parseFingerprint(s: string, file?: string): bigint {
  const t = s.trim();
  if (!/^(0x[0-9a-fA-F]{1,16}|[0-9]{1,20})$/.test(t)) {
    throw new ArchError('E_ARCH_FINGERPRINT', `fingerprint '${s}' is not a 64-bit hex ('0x…') or decimal number`, {
      file, fix: 'write it as a string, e.g. {"fingerprint": "0x101000016010407"}',
    });
  }
  return BigInt(t);
}

/** Target of a decoded ISA1 fingerprint; ISA0 is recognised but not compiled for. */
export function targetFromFingerprint(fp: bigint, file?: string): DpuTarget {
  const d = decodeFingerprint(fp, file);
  if (d.isa !== 1 || !d.version) {
    throw new ArchError('E_ARCH_ISA0', `fingerprint ${fingerprintHex(fp)} is an ISA0 ${d.preset} (DPUCZDX8G v3.x); dpuflow targets ISA1 only`, {
      file, fix: `use the ISA1 ${d.preset}: ${fingerprintHex(fingerprintOf(findPreset(d.preset)!, '2.5'))} (or --arch ${d.preset})`,
    });
  }
  return makeTarget(findPreset(d.preset)!, d.version);
}

const NAME_RE = /^DPUCZDX8G_ISA(\d+)_(B\d+)(?:_([0-9a-fA-F]{16}))?$/;

function targetFromName(name: string, file?: string): DpuTarget {
  const m = NAME_RE.exec(name.trim());
  if (!m) throw new ArchError('E_ARCH_TARGET', `'${name}' is not a DPUCZDX8G target name`, { file, fix: 'e.g. DPUCZDX8G_ISA1_B4096' });
  if (m[3]) return targetFromFingerprint(BigInt(`0x${m[3]}`), file);
  const arch = findPreset(m[2]);
  if (m[1] !== '1' || !arch) {
    throw new ArchError('E_ARCH_TARGET', `unknown target '${name}'`, { file, fix: `known: ${presetNames().map((p) => `DPUCZDX8G_ISA1_${p}`).join(', ')}` });
  }
  return makeTarget(arch, '2.5');
}

/**
 * Parse an arch.json: `{"fingerprint": "0x…"}` (vai_c_xir) or `{"target": "DPUCZDX8G_ISA1_B4096"}`.
 * `fileName` only names the file in errors.
 */
export function parseArchJson(text: string, fileName = 'arch.json'): DpuTarget {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ArchError('E_ARCH_JSON', `not valid JSON: ${(e as Error).message}`, { file: fileName, fix: 'write {"fingerprint": "0x101000016010407"}', cause: e });
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new ArchError('E_ARCH_JSON', 'arch.json must be a JSON object', { file: fileName, fix: 'write {"fingerprint": "0x101000016010407"}' });
  }
  const o = obj as Record<string, unknown>;
  if (typeof o.fingerprint === 'string') return targetFromFingerprint(parseFingerprint(o.fingerprint, fileName), fileName);
  if (typeof o.fingerprint === 'number') {
    throw new ArchError('E_ARCH_JSON', 'fingerprint is a JSON number (64-bit values lose precision)', { file: fileName, fix: 'quote it: {"fingerprint": "0x…"}' });
  }
  if (typeof o.target === 'string') return targetFromName(o.target, fileName);
  throw new ArchError('E_ARCH_JSON', 'arch.json has neither "fingerprint" nor "target"', { file: fileName, fix: 'write {"fingerprint": "0x101000016010407"}' });
}

/**
 * Resolve a target given as a board ('kv260'), a preset ('B4096'), a fingerprint ('0x…'),
 * a target name ('DPUCZDX8G_ISA1_B4096[_<16 hex>]') or arch.json text ('{"fingerprint": …}').
 */
export function resolveTarget(spec: string, opts: { version?: FeatureVersion; file?: string } = {}): DpuTarget {
  const s = spec.trim();
  const board = findBoard(s);
  if (board) return makeTarget(findPreset(board.preset)!, opts.version ?? '2.5', board);
  const preset = findPreset(s);
  if (preset) return makeTarget(preset, opts.version ?? '2.5');
  if (s.startsWith('{')) return parseArchJson(s, opts.file);
  if (/^(0x)?[0-9a-fA-F]+$/.test(s) && s.toLowerCase().startsWith('0x')) return targetFromFingerprint(parseFingerprint(s, opts.file), opts.file);
  if (s.toUpperCase().startsWith('DPUCZDX8G')) return targetFromName(s, opts.file);
  throw new ArchError('E_ARCH_UNKNOWN', `unknown target '${spec}'`, {
    file: opts.file,
    fix: `use a board (${BOARDS.map((b) => b.name).join(', ')}), a preset (${presetNames().join(', ')}), an arch.json or a fingerprint (${knownList()})`,
  });
}

/** Board by name, with its per-core target. */
export function resolveBoard(name: string): { board: Board; target: DpuTarget } {
  const board = findBoard(name);
  if (!board) {
    throw new ArchError('E_ARCH_BOARD', `unknown board '${name}'`, { fix: `known boards: ${BOARDS.map((b) => b.name).join(', ')}` });
  }
  return { board, target: makeTarget(findPreset(board.preset)!, '2.5', board) };
}

/** All presets as targets (for listing). */
export function allTargets(version: FeatureVersion = '2.5'): DpuTarget[] {
  return ARCH_PRESETS.map((a) => makeTarget(a, version));
}
