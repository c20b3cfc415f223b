/**
 * Pass `check-banks`: the checker. From the instruction fields alone, read with the ISA's
 * semantics (docs/isa.md) — not from the tiler's numbers — it proves for every instruction that
 * each on-chip range it reads or writes lies inside ONE HALF of its buffer (so inside the bank),
 * that every DDR range lies inside its register region, and that the dependency tokens run to END
 * without deadlock and balance.
 */
import { CompileError } from '../../errors.js';
import { bufferBytes, type CompilerArch } from '../arch.js';
import { BANKS, CLASS_BY_NAME, ENGINE_BIT, type Engine } from '../../isa/spec.js';
import type { DdrPlan, Instr, Pass } from '../types.js';

function bankSize(arch: CompilerArch, id: number): number {
  const name = BANKS[id];
  return bufferBytes(name === 'FM0' || name === 'FM1' ? arch.fm : name === 'WGT' ? arch.convWeights : name === 'DWW' ? arch.dwWeights : arch.bias);
}

/** Violations of bank, DDR and token rules (empty = the program is within the arch's limits). */
export function checkInstructions(instrs: Instr[], arch: CompilerArch, ddr?: DdrPlan): string[] {
  const bad: string[] = [];
  const where = (ins: Instr, i: number) => `#${i} ${ins.cls}${ins.layer ? ` (${ins.layer})` : ''}`;
  const bank = (ins: Instr, i: number, what: string, id: number, start: number, n: number) => {
    const h = Math.floor(bankSize(arch, id) / 2);
    const part = Math.floor(start / h);
    if (n <= 0 || start < 0 || part > 1 || start + n > (part + 1) * h) {
      bad.push(`${where(ins, i)}: ${what} ${BANKS[id]} bytes [${start}, ${start + n}) cross a half (${h} B) of the buffer`);
    }
  };
  const ddrRange = (ins: Instr, i: number, reg: number, start: number, n: number) => {
    if (!ddr) return;
    const size = ddr.regSizes[`REG_${reg}`] ?? 0;
    if (start < 0 || start + n > size) bad.push(`${where(ins, i)}: DDR REG_${reg} bytes [${start}, ${start + n}) outside the region (${size} B)`);
  };
  const st = { ic: 0, ckw: 1, ckh: 1, csw: 1, csh: 1, dch: 0, dkw: 1, dkh: 1, dsw: 1, dsh: 1, pkw: 1, pkh: 1, psw: 1, psh: 1, ech: 0, ach: 0 };
  const outExt = (f: Record<string, number>, kw: number, kh: number, sw: number, sh: number): [number, number] =>
    [Math.floor((f.in_rows + f.pad_top + f.pad_bottom - kh) / sh) + 1, Math.floor((f.in_cols + f.pad_left + f.pad_right - kw) / sw) + 1];
  instrs.forEach((ins, i) => {
    const f = ins.f;
    switch (ins.cls) {
      case 'LOAD': case 'SAVE': {
        bank(ins, i, ins.cls === 'LOAD' ? 'writes' : 'reads', f.bank_id, f.bank_addr, f.rows * f.cols * f.channels);
        ddrRange(ins, i, f.reg_id, f.ddr_addr, (f.rows - 1) * f.row_stride + (f.cols - 1) * f.pix_stride + f.channels);
        break;
      }
      case 'CONVINIT': Object.assign(st, { ic: f.ic, ckw: f.kernel_w, ckh: f.kernel_h, csw: f.stride_w, csh: f.stride_h }); break;
      case 'DWINIT': Object.assign(st, { dch: f.channels, dkw: f.kernel_w, dkh: f.kernel_h, dsw: f.stride_w, dsh: f.stride_h }); break;
      case 'POOLINIT': Object.assign(st, { pkw: f.kernel_w, pkh: f.kernel_h, psw: f.stride_w, psh: f.stride_h }); break;
      case 'ELEWINIT': st.ech = f.channels; break;
      case 'ALUINIT': st.ach = f.channels; break;
      case 'CONV': case 'DPTWISE': case 'POOL': {
        const [ch, kw, kh, sw, sh] = ins.cls === 'CONV' ? [st.ic, st.ckw, st.ckh, st.csw, st.csh] : ins.cls === 'DPTWISE' ? [st.dch, st.dkw, st.dkh, st.dsw, st.dsh] : [f.channels, st.pkw, st.pkh, st.psw, st.psh];
        const [oh, ow] = outExt(f, kw, kh, sw, sh);
        const och = ins.cls === 'CONV' ? f.oc : ch;
        if (oh < 1 || ow < 1) bad.push(`${where(ins, i)}: empty output tile ${oh}×${ow}`);
        bank(ins, i, 'reads', f.in_bank, f.in_addr, f.in_rows * f.in_cols * ch);
        bank(ins, i, 'writes', f.out_bank, f.out_addr, (oh * ow - 1) * f.out_pix_stride + och);
        if (ins.cls === 'CONV') {
          bank(ins, i, 'reads weights', 2, f.wgt_addr, f.oc * kh * kw * ch);
          bank(ins, i, 'reads bias', 4, f.bias_addr, f.oc);
        } else if (ins.cls === 'DPTWISE') {
          bank(ins, i, 'reads weights', 3, f.wgt_addr, kh * kw * ch);
          bank(ins, i, 'reads bias', 4, f.bias_addr, ch);
        }
        break;
      }
      case 'ELEW':
        bank(ins, i, 'reads a', f.a_bank, f.a_addr, f.pixels * st.ech);
        bank(ins, i, 'reads b', f.b_bank, f.b_addr, f.pixels * st.ech);
        bank(ins, i, 'writes', f.out_bank, f.out_addr, f.pixels * st.ech);
        break;
      case 'ALU':
        bank(ins, i, 'reads', f.in_bank, f.in_addr, f.pixels * st.ach);
        bank(ins, i, 'writes', f.out_bank, f.out_addr, f.pixels * st.ach);
        break;
      default: break;
    }
  });
  bad.push(...checkTokens(instrs));
  return bad;
}

/** Runs the token protocol as the simulator does (engines in order LOAD, CONV, MISC, SAVE). */
export function checkTokens(instrs: Instr[]): string[] {
  const engines: Engine[] = ['LOAD', 'CONV', 'MISC', 'SAVE'];
  const queues = new Map<Engine, Instr[]>(engines.map((e) => [e, []]));
  let end: Instr | undefined;
  for (const ins of instrs) {
    const e = CLASS_BY_NAME[ins.cls].engine;
    if (e === 'END') end = ins; else queues.get(e)!.push(ins);
  }
  const tokens = new Map<string, number>();
  const pos = new Map<Engine, number>(engines.map((e) => [e, 0]));
  const key = (from: Engine, to: Engine | 'END') => `${from}>${to}`;
  const canRun = (me: Engine | 'END', ins: Instr) => engines.every((e) => !(ins.wait & ENGINE_BIT[e]) || (tokens.get(key(e, me)) ?? 0) > 0);
  let progress = true;
  while (progress) {
    progress = false;
    for (const e of engines) {
      const q = queues.get(e)!;
      while (pos.get(e)! < q.length && canRun(e, q[pos.get(e)!])) {
        const ins = q[pos.get(e)!];
        for (const w of engines) if (ins.wait & ENGINE_BIT[w]) tokens.set(key(w, e), tokens.get(key(w, e))! - 1);
        for (const s of engines) if (ins.signal & ENGINE_BIT[s]) tokens.set(key(e, s), (tokens.get(key(e, s)) ?? 0) + 1);
        pos.set(e, pos.get(e)! + 1);
        progress = true;
      }
    }
  }
  const stuck = engines.filter((e) => pos.get(e)! < queues.get(e)!.length);
  if (stuck.length) return stuck.map((e) => { const ins = queues.get(e)![pos.get(e)!]; return `deadlock: ${e} is stuck at ${ins.cls}${ins.layer ? ` (${ins.layer})` : ''} waiting ${ins.wait}`; });
  const out: string[] = [];
  if (end && end.wait) out.push('END waits for tokens: our programs end with END wait 0 (END drains every engine)');
  for (const [k, v] of tokens) if (v !== 0) out.push(`dependency tokens ${k} do not balance (${v > 0 ? '+' : ''}${v} left)`);
  return out;
}

export const checkBanks: Pass = (state, ctx) => {
  for (const d of state.dpu) {
    const bad = checkInstructions(d.instrs ?? [], ctx.arch, d.ddr);
    if (bad.length) {
      throw new CompileError('E_CHECK', `${d.subgraph}: ${bad.length} violation(s) of the arch's limits: ${bad.slice(0, 3).join('; ')}`, {
        where: d.subgraph, details: bad.join('\n'), fix: 'report this: the tiler and the code generator disagree',
      });
    }
  }
  return state;
};
