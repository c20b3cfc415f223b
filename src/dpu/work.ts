/**
 * What each instruction of a program does, in numbers: engine, MACs/ops, bytes moved by kind and the
 * tile shape the cycle model needs. Computed statically from the decoded program (the INIT state is
 * tracked in program order per engine, as the simulator does), so the simulator's counters and the cycle
 * model agree by construction.
 */
import { RuntimeError } from '../errors.js';
import { type PlacedInstr, encode } from '../isa/codec.js';
import { CLASS_BY_NAME, ENGINES, type Engine } from '../isa/spec.js';

export type ByteKind = 'LdWB' | 'LdFM' | 'StFM' | 'none';

export interface InstrWork {
  /** Index in the program. */
  index: number;
  engine: Engine | 'END';
  /** Multiply-accumulates (CONV, DPTWISE). */
  macs: number;
  /** Operations as vaitrace counts them: 2·MACs for conv/depthwise, one per window element for pools, one per output element for ALU/ELEW. */
  ops: number;
  /** Bytes moved between DDR and banks, and their kind. */
  bytes: number;
  kind: ByteKind;
  /** DDR bursts (contiguous runs) of a LOAD/SAVE. */
  bursts: number;
  /** Output tile shape (compute instructions): rows, cols, output channels. */
  oh: number;
  ow: number;
  oc: number;
  /** Input channels per output (IC for CONV, 1 for depthwise/pool/eltwise). */
  ic: number;
  kh: number;
  kw: number;
}

export function wordHex(ins: PlacedInstr): string {
  try {
    return `0x${(encode(ins)[0] >>> 0).toString(16).padStart(8, '0')}`;
  } catch {
    return '?';
  }
}

export function simError(code: string, msg: string, ins: PlacedInstr, fix?: string): RuntimeError {
  return new RuntimeError(code, `${ins.cls} at word ${ins.word} (${wordHex(ins)}): ${msg}`, { where: `mc_code word ${ins.word}`, fix: fix ?? 'the instruction stream is inconsistent; re-compile the model' });
}

/** Output extent of a tile along one axis; simulator error when it is < 1. */
export function outExtent(inN: number, padA: number, padB: number, k: number, s: number): number {
  return Math.floor((inN + padA + padB - k) / s) + 1;
}

export function analyzeProgram(prog: readonly PlacedInstr[]): InstrWork[] {
  let conv: Record<string, number> | undefined;
  let dw: Record<string, number> | undefined;
  let pool: Record<string, number> | undefined;
  let elew: Record<string, number> | undefined;
  let alu: Record<string, number> | undefined;
  const out: InstrWork[] = [];
  prog.forEach((ins, index) => {
    const spec = CLASS_BY_NAME[ins.cls];
    const w: InstrWork = { index, engine: spec.engine, macs: 0, ops: 0, bytes: 0, kind: 'none', bursts: 0, oh: 0, ow: 0, oc: 0, ic: 0, kh: 0, kw: 0 };
    const f = ins.f;
    const need = <T>(s: T | undefined, init: string): T => {
      if (!s) throw simError('E_DPU_NO_INIT', `no ${init} before it`, ins, `emit ${init} before the first ${ins.cls}`);
      return s;
    };
    switch (ins.cls) {
      case 'LOAD':
      case 'SAVE': {
        w.bytes = f.rows * f.cols * f.channels;
        w.kind = ins.cls === 'SAVE' ? 'StFM' : f.bank_id <= 1 ? 'LdFM' : 'LdWB';
        const rowContig = f.pix_stride === f.channels;
        const allContig = rowContig && f.row_stride === f.cols * f.channels;
        w.bursts = allContig ? 1 : rowContig ? f.rows : f.rows * f.cols;
        break;
      }
      case 'CONVINIT': conv = f; break;
      case 'DWINIT': dw = f; break;
      case 'POOLINIT': pool = f; break;
      case 'ELEWINIT': elew = f; break;
      case 'ALUINIT': alu = f; break;
      case 'CONV':
      case 'DPTWISE':
      case 'POOL': {
        const s = ins.cls === 'CONV' ? need(conv, 'CONVINIT') : ins.cls === 'DPTWISE' ? need(dw, 'DWINIT') : need(pool, 'POOLINIT');
        w.kh = s.kernel_h; w.kw = s.kernel_w;
        w.oh = outExtent(f.in_rows, f.pad_top, f.pad_bottom, s.kernel_h, s.stride_h);
        w.ow = outExtent(f.in_cols, f.pad_left, f.pad_right, s.kernel_w, s.stride_w);
        if (w.oh < 1 || w.ow < 1) throw simError('E_DPU_TILE', `output tile ${w.oh}×${w.ow} is empty (input ${f.in_rows}×${f.in_cols}, kernel ${s.kernel_h}×${s.kernel_w})`, ins);
        if (ins.cls === 'CONV') {
          w.oc = f.oc; w.ic = s.ic;
          w.macs = w.oh * w.ow * w.oc * w.kh * w.kw * w.ic;
          w.ops = 2 * w.macs;
        } else {
          w.oc = ins.cls === 'DPTWISE' ? s.channels : f.channels; w.ic = 1;
          w.macs = ins.cls === 'DPTWISE' ? w.oh * w.ow * w.oc * w.kh * w.kw : 0;
          w.ops = ins.cls === 'DPTWISE' ? 2 * w.macs : w.oh * w.ow * w.oc * w.kh * w.kw;
        }
        break;
      }
      case 'ELEW': {
        const s = need(elew, 'ELEWINIT');
        w.oh = 1; w.ow = f.pixels; w.oc = s.channels; w.ic = 1; w.kh = 1; w.kw = 1;
        w.ops = f.pixels * s.channels;
        break;
      }
      case 'ALU': {
        const s = need(alu, 'ALUINIT');
        w.oh = 1; w.ow = f.pixels; w.oc = s.channels; w.ic = 1; w.kh = 1; w.kw = 1;
        w.ops = f.pixels * s.channels;
        break;
      }
      case 'END': break;
    }
    out.push(w);
  });
  return out;
}

export const ENGINE_INDEX: Record<Engine, number> = { LOAD: 0, SAVE: 1, CONV: 2, MISC: 3 };
export { ENGINES };
