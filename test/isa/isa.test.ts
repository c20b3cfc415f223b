// The ISA table's consistency, encode∘decode identity (seeded random + extremes), corrupt streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  CLASS_BY_NAME, ISA, type Instr, decode, decodeProgram, disassemble, encode, encodeProgram, fieldRange, isaMarkdown, toWords,
} from '../../src/isa/index.js';
import { IsaError } from '../../src/errors.js';
import { mulberry32 } from '../../src/models/prng.js';

/** Small seeded PRNG (mulberry32). */
const rng = mulberry32;

const SELF: Record<string, number> = { LOAD: 1, SAVE: 2, CONV: 4, MISC: 8, END: 0 };

test('dpu.md opcodes and word counts', () => {
  const want: Record<string, [number, number]> = {
    LOAD: [0x0, 5], SAVE: [0x4, 5], CONVINIT: [0x9, 4], CONV: [0x8, 5], POOLINIT: [0x6, 2], POOL: [0xc, 5], DWINIT: [0xb, 3],
    DPTWISE: [0xa, 5], ALUINIT: [0x1, 6], ALU: [0x2, 5], ELEWINIT: [0xd, 3], ELEW: [0xe, 3], END: [0x7, 1],
  };
  assert.equal(ISA.length, 13);
  for (const c of ISA) assert.deepEqual([c.opcode, c.words], want[c.name], c.name);
});

test('no field overlaps another or the header; every field fits its word', () => {
  for (const c of ISA) {
    const used = new Array<number>(c.words).fill(0);
    used[0] = 0xfff00000;
    for (const fs of c.fields) {
      assert.ok(fs.word < c.words && fs.lo + fs.width <= 32, `${c.name}.${fs.name}`);
      const m = (fs.width === 32 ? 0xffffffff : (((1 << fs.width) - 1) << fs.lo)) >>> 0;
      assert.equal((used[fs.word] & m) >>> 0, 0, `${c.name}.${fs.name} overlaps`);
      used[fs.word] = (used[fs.word] | m) >>> 0;
    }
  }
});

function randomInstr(r: () => number, cls: (typeof ISA)[number], mode: 'rand' | 'min' | 'max'): Instr {
  const f: Record<string, number> = {};
  for (const fs of cls.fields) {
    const [lo, hi] = fieldRange(fs);
    f[fs.name] = mode === 'min' ? lo : mode === 'max' ? hi : lo + Math.floor(r() * (hi - lo + 1));
  }
  const free = 15 & ~SELF[cls.engine];
  const wait = mode === 'max' ? free : Math.floor(r() * 16) & free;
  const signal = cls.name === 'END' ? 0 : mode === 'max' ? free : Math.floor(r() * 16) & free;
  return { cls: cls.name, wait, signal, f };
}

test('encode∘decode is the identity: 200 seeded random instructions per class + field extremes', () => {
  const r = rng(12345);
  for (const c of ISA) {
    for (let i = 0; i < 202; i++) {
      const ins = randomInstr(r, c, i === 0 ? 'min' : i === 1 ? 'max' : 'rand');
      const words = encode(ins);
      assert.equal(words.length, c.words);
      const back = decode(Uint32Array.from(words), 0);
      assert.deepEqual({ cls: back.cls, wait: back.wait, signal: back.signal, f: back.f }, ins);
      // and decode∘encode on the words
      assert.deepEqual(encode(back), words);
    }
  }
});

test('a whole program round-trips through bytes (little-endian words)', () => {
  const prog: Instr[] = [
    { cls: 'LOAD', wait: 0, signal: 4, f: { bank_id: 2, reg_id: 0, ddr_addr: 0x01020304, bank_addr: 0, channels: 3, rows: 1, cols: 1, row_stride: 0, pix_stride: 3 } },
    { cls: 'END', wait: 4, signal: 0, f: {} },
  ];
  const bytes = encodeProgram(prog);
  assert.equal(bytes.length, 24);
  assert.deepEqual([...bytes.subarray(4, 8)], [0x04, 0x03, 0x02, 0x01]); // ddr_addr word, little-endian
  assert.equal(bytes[3] >>> 4, 0x0); // LOAD opcode in the top nibble of word 0
  assert.equal(bytes[23] >>> 4, 0x7); // END
  const back = decodeProgram(bytes);
  assert.deepEqual(back.map((i) => i.cls), ['LOAD', 'END']);
  assert.equal(back[0].f.ddr_addr, 0x01020304);
});

function rejects(code: Uint8Array | Uint32Array, re: RegExp): void {
  assert.throws(() => decodeProgram(code), (e: unknown) => {
    assert.ok(e instanceof IsaError, String(e));
    assert.match(e.message, re);
    return true;
  });
}

test('corrupt streams are rejected naming the word offset and the word', () => {
  const good = toWords(encodeProgram([
    { cls: 'CONVINIT', wait: 0, signal: 0, f: { kernel_w: 3, kernel_h: 3, stride_w: 1, stride_h: 1, ic: 8 } },
    { cls: 'END', wait: 0, signal: 0, f: {} },
  ]));
  const bad1 = good.slice(); bad1[4] = 0x30000000; // opcode 3 is not a class
  rejects(bad1, /unknown opcode 0x3 at word 4 \(0x30000000\)/);
  const bad2 = good.slice(); bad2[0] = (bad2[0] & ~0x1f) >>> 0; // kernel_w = 0
  rejects(bad2, /CONVINIT\.kernel_w = 0 is outside \[1, 16\] at word 0/);
  const bad3 = good.slice(); bad3[1] = (bad3[1] | 0x80000000) >>> 0; // reserved bit
  rejects(bad3, /reserved bits set .* at word 1 \(0x8/);
  rejects(good.slice(0, 3), /needs 4 words, only 3 left/);
  rejects(good.slice(0, 4), /does not end with END/);
  rejects(Uint32Array.from([...good, 0x70000000]), /after END at word 5/);
  rejects(new Uint8Array(7), /not a whole number of 32-bit words/);
  const bad4 = good.slice(); bad4[0] = (bad4[0] | (4 << 24)) >>> 0; // CONVINIT waits on CONV (itself)
  rejects(bad4, /illegal dependency mask/);
  assert.throws(() => encode({ cls: 'CONV', wait: 0, signal: 0, f: { in_rows: 0 } }), /CONV\.in_rows = 0 is outside/);
  assert.throws(() => encode({ cls: 'LOAD', wait: 0, signal: 0, f: { nope: 1 } }), /has no field 'nope'/);
});

test('docs/isa.md is generated from the table (npm run docs:isa)', () => {
  const doc = readFileSync(new URL('../../../docs/isa.md', import.meta.url), 'utf8');
  assert.equal(doc, isaMarkdown(), 'docs/isa.md is stale: run npm run docs:isa');
  for (const c of ISA) for (const fs of c.fields) assert.ok(doc.includes(`| ${fs.name} |`), `${c.name}.${fs.name} documented`);
});

test('golden disassembly of a hand-written program (test/expect/isa-small.disasm.txt)', () => {
  const prog: Instr[] = [
    { cls: 'LOAD', wait: 0, signal: 4, f: { bank_id: 0, reg_id: 1, ddr_addr: 0, bank_addr: 0, channels: 2, rows: 4, cols: 4, row_stride: 8, pix_stride: 2 } },
    { cls: 'LOAD', wait: 0, signal: 4, f: { bank_id: 2, reg_id: 0, ddr_addr: 0, bank_addr: 0, channels: 2, rows: 3, cols: 9, row_stride: 18, pix_stride: 2 } },
    { cls: 'LOAD', wait: 0, signal: 4, f: { bank_id: 4, reg_id: 0, ddr_addr: 54, bank_addr: 0, channels: 3, rows: 1, cols: 1, row_stride: 3, pix_stride: 3 } },
    { cls: 'CONVINIT', wait: 0, signal: 0, f: { kernel_w: 3, kernel_h: 3, stride_w: 1, stride_h: 1, has_bias: 1, act: 3, leaky_num: 26, shift_cut: 7, shift_bias: 3, fp_out: 4, ic: 2 } },
    { cls: 'CONV', wait: 1, signal: 0, f: { in_bank: 0, out_bank: 1, pad_left: 1, pad_top: 1, pad_bottom: 1, in_addr: 0, in_rows: 4, out_addr: 0x40, in_cols: 4, wgt_addr: 0, oc: 3, bias_addr: 0, out_pix_stride: 3, pad_right: 1 } },
    { cls: 'CONV', wait: 1, signal: 0, f: { in_bank: 0, out_bank: 1, in_addr: 0, in_rows: 4, out_addr: 0x80, in_cols: 4, wgt_addr: 0, oc: 3, bias_addr: 0, out_pix_stride: 3 } },
    { cls: 'POOLINIT', wait: 0, signal: 0, f: { kernel_w: 3, kernel_h: 3, pool_type: 1, stride_w: 1, stride_h: 1, mult: 7, shift: 6 } },
    { cls: 'ELEWINIT', wait: 0, signal: 0, f: { elew_type: 0, act: 1, fp_a: 4, fp_b: 6, fp_out: 5, channels: 3 } },
    { cls: 'ELEW', wait: 4, signal: 2, f: { out_addr: 0x100, a_addr: 0x40, a_bank: 1, b_bank: 1, out_bank: 0, b_addr: 0x80, pixels: 4 } },
    { cls: 'SAVE', wait: 8, signal: 0, f: { bank_id: 0, reg_id: 1, ddr_addr: 0x200, bank_addr: 0x100, channels: 3, rows: 2, cols: 2, row_stride: 6, pix_stride: 3 } },
    { cls: 'END', wait: 2, signal: 0, f: {} },
  ];
  const text = disassemble(encodeProgram(prog));
  const golden = readFileSync(new URL('../../../test/expect/isa-small.disasm.txt', import.meta.url), 'utf8');
  assert.equal(text, golden);
  assert.equal(CLASS_BY_NAME.END.words, 1);
});
