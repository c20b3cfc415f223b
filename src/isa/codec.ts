/** Encoder, decoder and disassembler, all driven by the table in spec.ts. */
import { IsaError } from '../errors.js';
import {
  CLASS_BY_NAME, CLASS_BY_OPCODE, ENGINES, ENGINE_BIT, HEADER, type ClassName, type ClassSpec, type FieldSpec, fieldRange,
} from './spec.js';

/** One decoded instruction: class, dependency masks and the class's fields by name. */
export interface Instr {
  cls: ClassName;
  /** WAIT mask (bit 0 LOAD, 1 SAVE, 2 CONV, 3 MISC). */
  wait: number;
  /** SIGNAL mask. */
  signal: number;
  /** Field values by name (every field of the class; missing ones encode as 0). */
  f: Record<string, number>;
}

/** A decoded instruction with its position in the stream. */
export interface PlacedInstr extends Instr {
  /** Offset of its first word, in words. */
  word: number;
}

const hex8 = (w: number) => `0x${(w >>> 0).toString(16).padStart(8, '0')}`;

function mask(width: number): number {
  return width === 32 ? 0xffffffff : (1 << width) - 1;
}

/** Bits of each word covered by the header and fields (the rest is reserved = 0). */
const USED_BITS: ReadonlyMap<ClassName, number[]> = (() => {
  const m = new Map<ClassName, number[]>();
  for (const c of CLASS_BY_OPCODE) {
    if (!c) continue;
    const used = new Array<number>(c.words).fill(0);
    used[0] = 0xfff00000;
    for (const fs of c.fields) used[fs.word] = (used[fs.word] | ((mask(fs.width) << fs.lo) >>> 0)) >>> 0;
    m.set(c.name, used);
  }
  return m;
})();

function engineOf(c: ClassSpec): number {
  return c.engine === 'END' ? 0 : ENGINE_BIT[c.engine];
}

/** Encode one instruction to its words. Throws IsaError on a missing class or a field out of range. */
export function encode(instr: Instr): number[] {
  const c = CLASS_BY_NAME[instr.cls];
  if (!c) throw new IsaError('E_ISA_CLASS', `unknown instruction class '${String(instr.cls)}'`, { fix: `one of ${Object.keys(CLASS_BY_NAME).join(', ')}` });
  const where = instr.cls;
  for (const [k, v] of [['wait', instr.wait], ['signal', instr.signal]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 15) throw new IsaError('E_ISA_FIELD', `${k} mask ${v} is not in 0..15`, { where });
  }
  if ((instr.wait | instr.signal) & engineOf(c)) {
    throw new IsaError('E_ISA_SELF_DEP', `${c.name} waits on or signals its own engine`, { where, fix: 'dependency tokens go between different engines' });
  }
  if (c.name === 'END' && instr.signal !== 0) throw new IsaError('E_ISA_FIELD', 'END cannot signal', { where });
  const words = new Array<number>(c.words).fill(0);
  words[0] = ((c.opcode << HEADER.opcode.lo) | (instr.wait << HEADER.wait.lo) | (instr.signal << HEADER.signal.lo)) >>> 0;
  for (const name of Object.keys(instr.f)) {
    if (!c.fields.some((fs) => fs.name === name)) {
      throw new IsaError('E_ISA_FIELD', `${c.name} has no field '${name}'`, { where, fix: `fields: ${c.fields.map((x) => x.name).join(', ')}` });
    }
  }
  for (const fs of c.fields) {
    const v = instr.f[fs.name] ?? 0;
    const [lo, hi] = fieldRange(fs);
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new IsaError('E_ISA_FIELD', `${c.name}.${fs.name} = ${v} is outside [${lo}, ${hi}]`, { where, fix: fs.doc });
    }
    const bits = (v & mask(fs.width)) >>> 0;
    words[fs.word] = (words[fs.word] | ((bits << fs.lo) >>> 0)) >>> 0;
  }
  return words;
}

/** Encode a whole program to mc_code bytes (32-bit little-endian words). */
export function encodeProgram(instrs: readonly Instr[]): Uint8Array {
  const words: number[] = [];
  for (const i of instrs) words.push(...encode(i));
  const out = new Uint8Array(words.length * 4);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return out;
}

/** The mc_code as 32-bit words; IsaError if its length is not a multiple of 4. */
export function toWords(code: Uint8Array): Uint32Array {
  if (code.length % 4 !== 0) {
    throw new IsaError('E_ISA_TRUNCATED', `mc_code is ${code.length} bytes, not a whole number of 32-bit words`, {
      where: `byte ${code.length - (code.length % 4)}`, fix: 'the instruction stream is truncated or corrupt; re-compile the model',
    });
  }
  const w = new Uint32Array(code.length / 4);
  const dv = new DataView(code.buffer, code.byteOffset, code.byteLength);
  for (let i = 0; i < w.length; i++) w[i] = dv.getUint32(i * 4, true);
  return w;
}

function readField(word: number, fs: FieldSpec): number {
  const raw = fs.width === 32 ? word >>> 0 : (word >>> fs.lo) & mask(fs.width);
  if (fs.signed && raw >= 2 ** (fs.width - 1)) return raw - 2 ** fs.width;
  return raw;
}

/** Decode the instruction starting at word `offset`. IsaError names the word offset and the word. */
export function decode(words: Uint32Array, offset: number): PlacedInstr {
  const w0 = words[offset];
  const at = `word ${offset} (${hex8(w0)})`;
  const c = CLASS_BY_OPCODE[w0 >>> 28];
  if (!c) {
    throw new IsaError('E_ISA_OPCODE', `unknown opcode 0x${(w0 >>> 28).toString(16)} at ${at}`, { where: `mc_code ${at}`, fix: 'the instruction stream is corrupt; re-compile the model' });
  }
  if (offset + c.words > words.length) {
    throw new IsaError('E_ISA_TRUNCATED', `${c.name} at ${at} needs ${c.words} words, only ${words.length - offset} left`, { where: `mc_code ${at}`, fix: 'the instruction stream is truncated; re-compile the model' });
  }
  const used = USED_BITS.get(c.name)!;
  for (let i = 0; i < c.words; i++) {
    const w = words[offset + i];
    if ((w & ~used[i]) >>> 0) {
      throw new IsaError('E_ISA_RESERVED', `${c.name} word ${i} has reserved bits set (${hex8((w & ~used[i]) >>> 0)}) at word ${offset + i} (${hex8(w)})`, { where: `mc_code word ${offset + i}`, fix: 'the instruction stream is corrupt' });
    }
  }
  const wait = (w0 >>> HEADER.wait.lo) & 15;
  const signal = (w0 >>> HEADER.signal.lo) & 15;
  if ((wait | signal) & engineOf(c) || (c.name === 'END' && signal)) {
    throw new IsaError('E_ISA_SELF_DEP', `${c.name} at ${at} has an illegal dependency mask (wait ${wait}, signal ${signal})`, { where: `mc_code ${at}`, fix: 'the instruction stream is corrupt' });
  }
  const fv: Record<string, number> = {};
  for (const fs of c.fields) {
    const w = words[offset + fs.word];
    const v = readField(w, fs);
    const [lo, hi] = fieldRange(fs);
    if (v < lo || v > hi) {
      throw new IsaError('E_ISA_FIELD', `${c.name}.${fs.name} = ${v} is outside [${lo}, ${hi}] at word ${offset + fs.word} (${hex8(w)})`, { where: `mc_code word ${offset + fs.word}`, fix: 'the instruction stream is corrupt' });
    }
    fv[fs.name] = v;
  }
  return { cls: c.name, wait, signal, f: fv, word: offset };
}

/** Decode a whole mc_code: every instruction, ending with exactly one END as the last instruction. */
export function decodeProgram(code: Uint8Array | Uint32Array): PlacedInstr[] {
  const words = code instanceof Uint32Array ? code : toWords(code);
  const out: PlacedInstr[] = [];
  let off = 0;
  while (off < words.length) {
    const ins = decode(words, off);
    out.push(ins);
    off += CLASS_BY_NAME[ins.cls].words;
    if (ins.cls === 'END' && off < words.length) {
      throw new IsaError('E_ISA_AFTER_END', `${words.length - off} word(s) after END at word ${off} (${hex8(words[off])})`, { where: `mc_code word ${off}`, fix: 'the instruction stream is corrupt' });
    }
  }
  if (out.length === 0 || out[out.length - 1].cls !== 'END') {
    throw new IsaError('E_ISA_TRUNCATED', `mc_code of ${words.length} words does not end with END`, { where: `mc_code word ${words.length}`, fix: 'the instruction stream is truncated; re-compile the model' });
  }
  return out;
}

export function maskNames(m: number): string {
  if (!m) return '-';
  return ENGINES.filter((e) => m & ENGINE_BIT[e]).join('|');
}

/** One line of disassembly for an instruction. */
export function formatInstr(ins: Instr): string {
  const c = CLASS_BY_NAME[ins.cls];
  const parts = c.fields.map((fs) => {
    const v = ins.f[fs.name] ?? 0;
    return `${fs.name}=${fs.enum ? fs.enum[v] ?? v : fs.name.endsWith('addr') ? `0x${v.toString(16)}` : v}`;
  });
  return `${c.name.padEnd(8)} wait=${maskNames(ins.wait).padEnd(9)} signal=${maskNames(ins.signal).padEnd(9)} ${parts.join(' ')}`.trimEnd();
}

/** Text disassembly of a whole mc_code: `<word offset>  <hex words>  <instruction>` per line. */
export function disassemble(code: Uint8Array | Uint32Array): string {
  const words = code instanceof Uint32Array ? code : toWords(code);
  const lines: string[] = [];
  for (const ins of decodeProgram(words)) {
    const n = CLASS_BY_NAME[ins.cls].words;
    const hex = Array.from(words.subarray(ins.word, ins.word + n), (w) => (w >>> 0).toString(16).padStart(8, '0')).join(' ');
    lines.push(`${String(ins.word).padStart(6, '0')}  ${hex.padEnd(44)}  ${formatInstr(ins)}`);
  }
  return `${lines.join('\n')}\n`;
}
