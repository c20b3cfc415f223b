/**
 * Pass `check-banks`: the checker. From the instruction fields alone (not the tiler's numbers) it
 * proves for every instruction that each on-chip range it touches lies inside one half of its
 * buffer, that every DDR range lies inside its register region, and that dependency tokens balance.
 */
import { CompileError } from '../../errors.js';
import type { CompilerArch, BankSpec } from '../arch.js';
import type { DdrPlan, Instr, Pass } from '../types.js';
import { BUF, ENGINE } from '../codegen/emit.js';
import { half } from './tiling.js';

function bufSpec(arch: CompilerArch, b: number): BankSpec {
  return b === BUF.VB0 || b === BUF.VB1 ? arch.fm : b === BUF.CONVW ? arch.convWeights : b === BUF.DWW ? arch.dwWeights : arch.bias;
}

/** Returns a list of violations (empty = every instruction is within limits). */
export function checkInstructions(instrs: Instr[], arch: CompilerArch, ddr?: DdrPlan): string[] {
  const bad: string[] = [];
  const W = arch.fm.width;
  const range = (what: string, ins: Instr, spec: BankSpec, start: number, n: number) => {
    const h = half(spec);
    const hi = Math.floor(start / h);
    if (n <= 0 || start < 0 || start + n > (hi + 1) * h || hi > 1) bad.push(`${ins.op} ${ins.layer ?? ''}: ${what} lines [${start}, ${start + n}) leave half ${hi} (${h} lines) of the buffer`);
  };
  const ddrRange = (ins: Instr, reg: number, start: number, end: number) => {
    if (!ddr) return;
    const size = ddr.regSizes[`REG_${reg}`] ?? 0;
    if (start < 0 || end > size) bad.push(`${ins.op} ${ins.layer ?? ''}: DDR REG_${reg} bytes [${start}, ${end}) outside the region (${size} B)`);
  };
  const tokens = new Map<string, number>();
  const ENG = (op: string, f: Record<string, number>): number => op === 'LOAD' ? ENGINE.LOAD : op === 'SAVE' ? ENGINE.SAVE : op === 'CONV' || op === 'CONVINIT' ? ENGINE.CONV : op === 'END' ? ENGINE.LOAD : (void f, ENGINE.MISC);
  let convIc = 0;
  for (const ins of instrs) {
    const f = ins.fields;
    if (ins.op === 'CONVINIT') convIc = f.inChannels;
    if (ins.op === 'LOAD' || ins.op === 'SAVE') {
      const spec = bufSpec(arch, f.buf);
      range(`${ins.op === 'LOAD' ? 'destination' : 'source'} buf ${f.buf}`, ins, spec, f.bankAddr, f.rows * f.cols * Math.ceil(f.channels / spec.width));
      const last = f.ddrAddr + (f.rows - 1) * f.rowStride + (f.cols - 1) * f.pixelStride + f.channels;
      ddrRange(ins, f.reg, f.ddrAddr, last);
      if (f.channels > f.pixelStride) bad.push(`${ins.op} ${ins.layer}: ${f.channels} channels exceed the pixel stride ${f.pixelStride}`);
    } else if (ins.op === 'CONV' || ins.op === 'DPTWISE' || ins.op === 'POOL' || ins.op === 'ALU') {
      const inCg = Math.ceil((ins.op === 'CONV' ? convIc : f.channels) / W);
      range('input', ins, arch.fm, f.inAddr, f.inRows * f.inCols * inCg);
      range('output', ins, arch.fm, f.outAddr, f.outRows * f.outCols * Math.ceil(f.channels / W));
    } else if (ins.op === 'ELEW') {
      const cg = Math.ceil(f.channels / W);
      range('input A', ins, arch.fm, f.inAddrA, f.pixels * cg);
      range('input B', ins, arch.fm, f.inAddrB, f.pixels * cg);
      range('output', ins, arch.fm, f.outAddr, f.pixels * cg);
    }
    const me = ENG(ins.op, f);
    for (const e of [ENGINE.LOAD, ENGINE.SAVE, ENGINE.CONV, ENGINE.MISC]) {
      if (f.signal & e) tokens.set(`${me}>${e}`, (tokens.get(`${me}>${e}`) ?? 0) + 1);
      if (f.wait & e) tokens.set(`${e}>${me}`, (tokens.get(`${e}>${me}`) ?? 0) - 1);
    }
  }
  for (const [k, v] of tokens) if (v !== 0) bad.push(`dependency tokens ${k} do not balance (${v > 0 ? '+' : ''}${v})`);
  return bad;
}

export const checkBanks: Pass = (state, ctx) => {
  for (const d of state.dpu) {
    const bad = checkInstructions(d.instrs ?? [], ctx.arch, d.ddr);
    if (bad.length) {
      throw new CompileError('E_CHECK', `${d.subgraph}: ${bad.length} instruction(s) exceed the arch's buffers: ${bad.slice(0, 3).join('; ')}`, {
        where: d.subgraph, details: bad.join('\n'), fix: 'report this: the tiler and the code generator disagree',
      });
    }
  }
  return state;
};
