/**
 * The instruction-level simulator: executes mc_code over DDR regions and on-chip banks sized by the arch.
 * It is the executable definition of docs/isa.md. Arithmetic comes from the INT8 reference kernels
 * (src/kernels/ref/int8): `outputStage` (shifts, rounding, saturation, relu/relu6/leaky/hsigmoid/hswish),
 * `shiftRound`/`saturate8`, `addInt8`/`mulInt8` and the standalone activation kernels.
 */
import { type PlacedInstr, decodeProgram } from '../../isa/codec.js';
import { ACT_KINDS, ALU_OPS, BANKS } from '../../isa/spec.js';
import type { DpuArch } from '../arch/presets.js';
import { DpuflowError, RuntimeError } from '../../errors.js';
import { outputStage, type Nonlinear } from '../../kernels/ref/int8/conv.js';
import { saturate8, shiftRound, requantize } from '../../kernels/ref/int8/arith.js';
import { addInt8, hardSigmoidInt8, hardSwishInt8, leakyReluInt8, mulInt8, relu6Int8, reluInt8 } from '../../kernels/ref/int8/eltwise.js';
import type { QTensor } from '../../kernels/ref/int8/common.js';
import { type InstrWork, analyzeProgram, outExtent, simError } from '../work.js';
import { runTokens, MAX_INSTRUCTIONS } from '../schedule.js';
import { type StageParams, stageParams, wasmTiles } from './fast.js';

export interface SimOptions {
  /** Arch whose bank sizes bound every access. */
  arch: DpuArch;
  /** DDR regions by reg id (REG_0 = weights, REG_1 = workspace, …); modified in place by SAVE. */
  regs: Map<number, Uint8Array> | Record<number, Uint8Array>;
  /** Cap on executed instructions (default 50 M). */
  maxInstructions?: number;
  /**
   * Tile arithmetic of CONV/DPTWISE: 'wasm' (default when the runtime has WebAssembly SIMD) runs the
   * int8 SIMD kernels on the tile the simulator decoded and checked; 'js' runs the scalar loops. Both are
   * bit-identical (tested); every other instruction always runs in JS.
   */
  engine?: 'wasm' | 'js';
}

export interface SimResult {
  /** Instructions executed (END included). */
  executed: number;
  /** Per-instruction counters (MACs, ops, bytes by kind, tile shapes): feed the cycle model. */
  work: InstrWork[];
  totals: { macs: number; ops: number; ldWB: number; ldFM: number; stFM: number };
  /** The banks at the end (FM0, FM1, WGT, DWW, BIAS), for inspection in tests. */
  banks: Int8Array[];
}

/** Allocate the on-chip buffers of an arch, indexed by bank id (docs/isa.md). */
export function allocBanks(arch: DpuArch): Int8Array[] {
  const size = (b: { banks: number; width: number; depth: number }) => b.banks * b.width * b.depth;
  return [size(arch.fm), size(arch.fm), size(arch.convWeights), size(arch.dwWeights), size(arch.bias)].map((n) => new Int8Array(n));
}

/** Execute an mc_code (bytes or an already decoded program). */
export function simulate(code: Uint8Array | readonly PlacedInstr[], opts: SimOptions): SimResult {
  const prog = code instanceof Uint8Array ? decodeProgram(code) : code;
  const work = analyzeProgram(prog);
  const banks = allocBanks(opts.arch);
  const fast = opts.engine === 'js' ? null : wasmTiles();
  fast?.reset();
  const regOf = (id: number, ins: PlacedInstr): Int8Array => {
    const r = opts.regs instanceof Map ? opts.regs.get(id) : opts.regs[id];
    if (!r) throw simError('E_DPU_REG', `DDR region REG_${id} is not mapped`, ins, 'pass every region of reg_id_to_size to the simulator');
    return new Int8Array(r.buffer, r.byteOffset, r.byteLength);
  };
  const check = (ins: PlacedInstr, bank: number, start: number, len: number, what: string) => {
    const b = banks[bank];
    if (!b) throw simError('E_DPU_BANK', `bank id ${bank} does not exist`, ins);
    if (start < 0 || len < 0 || start + len > b.length) {
      throw simError('E_DPU_BANK_OOB', `${what} bytes [${start}, ${start + len}) fall outside ${BANKS[bank]} (${b.length} bytes on ${opts.arch.preset})`, ins,
        'the tile does not fit the arch\'s banks; re-compile for this arch');
    }
  };
  const overlap = (ins: PlacedInstr, b1: number, s1: number, l1: number, b2: number, s2: number, l2: number) => {
    if (b1 === b2 && s1 < s2 + l2 && s2 < s1 + l1) throw simError('E_DPU_OVERLAP', `output bytes [${s2}, ${s2 + l2}) overlap the input [${s1}, ${s1 + l1}) in ${BANKS[b1]}`, ins);
  };

  let conv: Record<string, number> | undefined;
  let convStage: ((acc: number, b: number) => number) | undefined;
  let dw: Record<string, number> | undefined;
  let dwStage: ((acc: number, b: number) => number) | undefined;
  let convFast: StageParams | undefined;
  let dwFast: StageParams | undefined;
  let pool: Record<string, number> | undefined;
  let elew: Record<string, number> | undefined;
  let alu: Record<string, number> | undefined;
  let executed = 0;

  const stageOf = (s: Record<string, number>, ins: PlacedInstr) => {
    const fa = s.shift_cut + s.fp_out;
    try {
      return outputStage({
        fpIn: fa, fpW: 0, fpBias: s.has_bias ? fa - s.shift_bias : undefined, fpOut: s.fp_out,
        nonlinear: ACT_KINDS[s.act] as Nonlinear, alpha: s.leaky_num / 256, where: `mc_code word ${ins.word}`,
      });
    } catch (e) {
      if (e instanceof DpuflowError) throw simError('E_DPU_STAGE', e.message, ins);
      throw e;
    }
  };

  const exec = (idx: number): number => {
    const ins = prog[idx];
    const f = ins.f;
    executed++;
    switch (ins.cls) {
      case 'LOAD':
      case 'SAVE': {
        const reg = regOf(f.reg_id, ins);
        const { rows, cols, channels: ch, row_stride: rs, pix_stride: ps } = f;
        const last = f.ddr_addr + (rows - 1) * rs + (cols - 1) * ps + ch;
        if (last > reg.length) throw simError('E_DPU_DDR_OOB', `DDR bytes up to ${last} fall outside REG_${f.reg_id} (${reg.length} bytes)`, ins);
        check(ins, f.bank_id, f.bank_addr, rows * cols * ch, ins.cls === 'LOAD' ? 'destination' : 'source');
        const bank = banks[f.bank_id];
        if (fast && ins.cls === 'LOAD' && f.bank_id >= 2) fast.invalidate(f.bank_id, f.bank_addr, rows * cols * ch);
        let b = f.bank_addr;
        for (let r = 0; r < rows; r++) {
          const rowBase = f.ddr_addr + r * rs;
          if (ps === ch) {
            const n = cols * ch;
            if (ins.cls === 'LOAD') bank.set(reg.subarray(rowBase, rowBase + n), b);
            else reg.set(bank.subarray(b, b + n), rowBase);
            b += n;
          } else {
            for (let c = 0; c < cols; c++) {
              const d = rowBase + c * ps;
              if (ins.cls === 'LOAD') bank.set(reg.subarray(d, d + ch), b);
              else reg.set(bank.subarray(b, b + ch), d);
              b += ch;
            }
          }
        }
        break;
      }
      case 'CONVINIT': conv = f; convStage = stageOf(f, ins); convFast = stageParams(f); break;
      case 'DWINIT': dw = f; dwStage = stageOf(f, ins); dwFast = stageParams(f); break;
      case 'POOLINIT': pool = f; break;
      case 'ELEWINIT': elew = f; break;
      case 'ALUINIT': alu = f; break;
      case 'CONV': execConv(ins, conv!, convStage!, convFast, false); break;
      case 'DPTWISE': execConv(ins, dw!, dwStage!, dwFast, true); break;
      case 'POOL': execPool(ins, pool!); break;
      case 'ELEW': {
        const s = elew!;
        const n = f.pixels * s.channels;
        check(ins, f.a_bank, f.a_addr, n, 'input a');
        check(ins, f.b_bank, f.b_addr, n, 'input b');
        check(ins, f.out_bank, f.out_addr, n, 'output');
        const a: QTensor = { shape: [n], data: banks[f.a_bank].subarray(f.a_addr, f.a_addr + n), fixPoint: s.fp_a };
        const b: QTensor = { shape: [n], data: banks[f.b_bank].subarray(f.b_addr, f.b_addr + n), fixPoint: s.fp_b };
        const p = { fpOut: s.fp_out, nonlinear: s.act === 1 ? 'RELU' as const : 'NONE' as const, where: `mc_code word ${ins.word}` };
        const y = s.elew_type === 0 ? addInt8(a, b, p) : mulInt8(a, b, p);
        banks[f.out_bank].set(y.data, f.out_addr);
        break;
      }
      case 'ALU': {
        const s = alu!;
        const n = f.pixels * s.channels;
        check(ins, f.in_bank, f.in_addr, n, 'input');
        check(ins, f.out_bank, f.out_addr, n, 'output');
        const x: QTensor = { shape: [n], data: banks[f.in_bank].subarray(f.in_addr, f.in_addr + n), fixPoint: s.fp_in };
        const where = `mc_code word ${ins.word}`;
        let y: Int8Array;
        try {
          switch (ALU_OPS[s.alu_op]) {
            case 'IDENTITY': y = requantize(x.data, s.fp_in, s.fp_out, where); break;
            case 'RELU': y = reluInt8(x, s.fp_out).data; break;
            case 'RELU6': y = relu6Int8(x, s.fp_out).data; break;
            case 'LEAKYRELU': y = leakyReluInt8(x, s.leaky_num / 256, s.fp_out, where).data; break;
            case 'HSIGMOID': y = hardSigmoidInt8(x, s.fp_out).data; break;
            default: y = hardSwishInt8(x, s.fp_out).data; break;
          }
        } catch (e) {
          if (e instanceof DpuflowError) throw simError('E_DPU_STAGE', e.message, ins);
          throw e;
        }
        banks[f.out_bank].set(y, f.out_addr);
        break;
      }
      case 'END': break;
    }
    return 0;
  };

  function execConv(ins: PlacedInstr, s: Record<string, number>, stage: (acc: number, b: number) => number, st: StageParams | undefined, depthwise: boolean): void {
    const f = ins.f;
    const kh = s.kernel_h, kw = s.kernel_w, sh = s.stride_h, sw = s.stride_w;
    const ic = depthwise ? s.channels : s.ic;
    const oc = depthwise ? s.channels : f.oc;
    const H = f.in_rows, W = f.in_cols;
    const oh = outExtent(H, f.pad_top, f.pad_bottom, kh, sh);
    const ow = outExtent(W, f.pad_left, f.pad_right, kw, sw);
    const ops = f.out_pix_stride;
    if (ops < oc) throw simError('E_DPU_STRIDE', `out_pix_stride ${ops} < ${oc} output channels`, ins);
    const inLen = H * W * ic;
    const outLen = (oh * ow - 1) * ops + oc;
    check(ins, f.in_bank, f.in_addr, inLen, 'input tile');
    check(ins, f.out_bank, f.out_addr, outLen, 'output tile');
    overlap(ins, f.in_bank, f.in_addr, inLen, f.out_bank, f.out_addr, outLen);
    const wBank = depthwise ? 3 : 2;
    const wLen = depthwise ? kh * kw * ic : oc * kh * kw * ic;
    check(ins, wBank, f.wgt_addr, wLen, 'weights');
    if (s.has_bias) check(ins, 4, f.bias_addr, oc, 'bias');
    const X = banks[f.in_bank], Y = banks[f.out_bank], Wt = banks[wBank], B = banks[4];
    const xa = f.in_addr, wa = f.wgt_addr, ba = f.bias_addr, ya = f.out_addr;
    const hasBias = s.has_bias === 1;
    const pt = f.pad_top, pl = f.pad_left;
    if (fast && st && oh > 0 && ow > 0) {
      const out = fast.tile({
        depthwise, X, xa, H, W, ic, oc, kh, kw, sh, sw, pt, pl, pb: f.pad_bottom, pr: f.pad_right, oh, ow,
        Wt, wBank, wa, B: hasBias ? B : undefined, ba, st,
      });
      if (ops === oc) Y.set(out, ya);
      else for (let p = 0, n = oh * ow; p < n; p++) Y.set(out.subarray(p * oc, p * oc + oc), ya + p * ops);
      return;
    }
    const acc = new Int32Array(oc);
    for (let y = 0; y < oh; y++) {
      const iy0 = y * sh - pt;
      const ky0 = iy0 < 0 ? -iy0 : 0;
      const ky1 = Math.min(kh, H - iy0);
      for (let x = 0; x < ow; x++) {
        const ix0 = x * sw - pl;
        const kx0 = ix0 < 0 ? -ix0 : 0;
        const kx1 = Math.min(kw, W - ix0);
        acc.fill(0);
        if (depthwise) {
          for (let ky = ky0; ky < ky1; ky++) {
            for (let kx = kx0; kx < kx1; kx++) {
              const xb = xa + ((iy0 + ky) * W + ix0 + kx) * ic;
              const wb = wa + (ky * kw + kx) * ic;
              for (let c = 0; c < ic; c++) acc[c] += X[xb + c] * Wt[wb + c];
            }
          }
        } else {
          const wStrideO = kh * kw * ic;
          for (let ky = ky0; ky < ky1; ky++) {
            for (let kx = kx0; kx < kx1; kx++) {
              const xb = xa + ((iy0 + ky) * W + ix0 + kx) * ic;
              let wb = wa + (ky * kw + kx) * ic;
              for (let o = 0; o < oc; o++, wb += wStrideO) {
                let a = 0;
                for (let c = 0; c < ic; c++) a += X[xb + c] * Wt[wb + c];
                acc[o] += a;
              }
            }
          }
        }
        const yb = ya + (y * ow + x) * ops;
        for (let o = 0; o < oc; o++) Y[yb + o] = stage(acc[o], hasBias ? B[ba + o] : 0);
      }
    }
  }

  function execPool(ins: PlacedInstr, s: Record<string, number>): void {
    const f = ins.f;
    const kh = s.kernel_h, kw = s.kernel_w, sh = s.stride_h, sw = s.stride_w;
    const ch = f.channels;
    const H = f.in_rows, W = f.in_cols;
    const oh = outExtent(H, f.pad_top, f.pad_bottom, kh, sh);
    const ow = outExtent(W, f.pad_left, f.pad_right, kw, sw);
    const ops = f.out_pix_stride;
    if (ops < ch) throw simError('E_DPU_STRIDE', `out_pix_stride ${ops} < ${ch} channels`, ins);
    const inLen = H * W * ch;
    const outLen = (oh * ow - 1) * ops + ch;
    check(ins, f.in_bank, f.in_addr, inLen, 'input tile');
    check(ins, f.out_bank, f.out_addr, outLen, 'output tile');
    overlap(ins, f.in_bank, f.in_addr, inLen, f.out_bank, f.out_addr, outLen);
    const X = banks[f.in_bank], Y = banks[f.out_bank];
    const isMax = s.pool_type === 0;
    const acc = new Int32Array(ch);
    for (let y = 0; y < oh; y++) {
      const iy0 = y * sh - f.pad_top;
      const ky0 = iy0 < 0 ? -iy0 : 0;
      const ky1 = Math.min(kh, H - iy0);
      for (let x = 0; x < ow; x++) {
        const ix0 = x * sw - f.pad_left;
        const kx0 = ix0 < 0 ? -ix0 : 0;
        const kx1 = Math.min(kw, W - ix0);
        if (ky0 >= ky1 || kx0 >= kx1) {
          if (isMax) throw simError('E_DPU_POOL_EMPTY', `max-pool window (${y}, ${x}) lies entirely in the padding`, ins);
        }
        acc.fill(isMax ? -129 : 0);
        for (let ky = ky0; ky < ky1; ky++) {
          for (let kx = kx0; kx < kx1; kx++) {
            const xb = f.in_addr + ((iy0 + ky) * W + ix0 + kx) * ch;
            if (isMax) for (let c = 0; c < ch; c++) { const v = X[xb + c]; if (v > acc[c]) acc[c] = v; }
            else for (let c = 0; c < ch; c++) acc[c] += X[xb + c];
          }
        }
        const yb = f.out_addr + (y * ow + x) * ops;
        if (isMax) for (let c = 0; c < ch; c++) Y[yb + c] = saturate8(shiftRound(acc[c], s.shift));
        else for (let c = 0; c < ch; c++) Y[yb + c] = saturate8(shiftRound(acc[c] * s.mult, s.shift));
      }
    }
  }

  runTokens(prog, exec, opts.maxInstructions ?? MAX_INSTRUCTIONS);
  const totals = { macs: 0, ops: 0, ldWB: 0, ldFM: 0, stFM: 0 };
  for (const w of work) {
    totals.macs += w.macs; totals.ops += w.ops;
    if (w.kind === 'LdWB') totals.ldWB += w.bytes;
    else if (w.kind === 'LdFM') totals.ldFM += w.bytes;
    else if (w.kind === 'StFM') totals.stFM += w.bytes;
  }
  if (executed !== prog.length) throw new RuntimeError('E_DPU_INTERNAL', `executed ${executed} of ${prog.length} instructions`, { where: 'mc_code' });
  return { executed, work, totals, banks };
}
