/**
 * Code generation for one DPU subgraph: layers × tiles → ISA instructions (src/isa/spec.ts).
 * Instructions are emitted without tokens; `assignTokens` (below) then sets every wait/signal from
 * the exact producer → consumer pairs of the buffers and DDR tensors. Tile g of the subgraph uses
 * half g mod 2 of FM0/FM1 and channel tile J (of layers with weights) half J mod 2 of WGT/DWW/BIAS,
 * so the LOAD of tile g+1 — and the next layer's weights — overlap the compute of tile g.
 */
import { avgpoolReciprocal } from '../../kernels/ref/int8/pool.js';
import { ACT_KINDS, ALU_OPS, BANK_ID, CLASS_BY_NAME, ENGINE_BIT } from '../../isa/spec.js';
import type { ClassName } from '../../isa/spec.js';
import type { CompilerArch } from '../arch.js';
import type { DdrPlan, Instr, Layer, LayerTiling, Placement } from '../types.js';
import { MAX_EXTENT, half, subsampled } from '../passes/tiling.js';
import { CompileError } from '../../errors.js';
import { DPU_LEAKY_ALPHA } from '../support/rules.js';

const LEAKY_NUM = Math.round(DPU_LEAKY_ALPHA * 256);

export interface EmitInput {
  layers: Layer[];
  tiling: LayerTiling[];
  ddr: DdrPlan;
  /** Channel offset inside the output tensor for copy layers (concat inputs not in place). */
  copyOffset: (l: Layer) => number;
  /** Placement of a tensor (views resolved). */
  place: (tensor: string) => Placement;
}

const regId = (p: Placement): number => Number(p.reg.slice(4));

function actOf(l: Layer): number {
  const i = (ACT_KINDS as readonly string[]).indexOf(l.nonlinear);
  if (i < 0) throw new CompileError('E_CODEGEN', `${l.kind} '${l.name}': activation ${l.nonlinear} has no ISA encoding`, { where: l.name, fix: 'leave it on the CPU' });
  return i;
}

function shiftCheck(l: Layer, what: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new CompileError('E_SHIFT', `${l.kind} '${l.name}': ${what} ${v} is outside the DPU range ${lo}–${hi}`, { where: l.name, fix: 're-quantize this layer so its fix points are closer' });
  }
  return v;
}

export function emitSubgraph(inp: EmitInput, arch: CompilerArch): Instr[] {
  const out: Instr[] = [];
  const fmHalf = half(arch.fm), wHalf = half(arch.convWeights), dwHalf = half(arch.dwWeights), bHalf = half(arch.bias);
  let g = 0; // global tile counter: FM0/FM1 half = g mod 2
  let gJ = 0; // global channel-tile counter of layers with weights: WGT/DWW/BIAS half = J mod 2
  const tiles: TileRec[] = [];
  const lastTileOfJ: TileRec[] = [];
  inp.layers.forEach((l, li) => {
    const t = inp.tiling[li];
    if (t.fusedInto) return; // computed inside the tiles of the conv before it
    /** Eltwise layer computed on-chip in this conv's tiles, the index of the conv result among its inputs, its other operand. */
    const fe = t.fusedEltwise ? inp.layers[li + 1] : undefined;
    const feQ = fe ? fe.inputs.indexOf(l.output) : -1;
    let elewInitT = -1;
    /** Copy and upsample layers only move data: FM0 → DDR by SAVE, no compute engine. */
    const moveOnly = l.kind === 'copy' || l.kind === 'upsample';
    const [, iw, ic] = l.inShape;
    const [oh, ow, oc] = l.outShape;
    const dst = inp.place(fe ? fe.output : l.output);
    const dstOff = l.kind === 'copy' ? inp.copyOffset(l) : 0;
    let cur: Instr[] = [];
    /** Instructions are emitted with no tokens; assignTokens sets wait/signal afterwards. */
    const push = (cls: ClassName, f: Record<string, number>) => { const ins: Instr = { cls, wait: 0, signal: 0, f, layer: l.name }; out.push(ins); cur.push(ins); };
    const cut = l.fpW !== undefined ? l.fpIn[0] + l.fpW - l.fpOut : 0;
    const sb = l.fpW !== undefined && l.fpBias !== undefined ? l.fpIn[0] + l.fpW - l.fpBias : 0;
    const leaky = l.nonlinear === 'LEAKYRELU' ? LEAKY_NUM : 0;
    const kk = l.kernel[0] * l.kernel[1];
    /** 1×1 strided conv: the LOAD picks every stride-th pixel, the CONV runs with stride 1 (tiling.subsampled). */
    const sub = subsampled(l);
    const [subW, subH] = sub ? l.stride : [1, 1];
    const spatial = l.kind === 'conv' || l.kind === 'dwconv' || l.kind === 'maxpool' || l.kind === 'avgpool';
    if (l.kind === 'conv' || l.kind === 'fc') {
      push('CONVINIT', { kernel_w: l.kernel[0], kernel_h: l.kernel[1], stride_w: sub ? 1 : l.stride[0], stride_h: sub ? 1 : l.stride[1], has_bias: l.bias ? 1 : 0,
        act: actOf(l), leaky_num: leaky, shift_cut: shiftCheck(l, 'shift_cut', cut, 0, 16), shift_bias: l.bias ? shiftCheck(l, 'shift_bias', sb, -16, 16) : 0, fp_out: l.fpOut, ic });
    } else if (l.kind === 'maxpool' || l.kind === 'avgpool') {
      const r = l.kind === 'avgpool' ? avgpoolReciprocal(l.kernel[1], l.kernel[0]) : { mult: 0, shift: 0 };
      push('POOLINIT', { kernel_w: l.kernel[0], kernel_h: l.kernel[1], pool_type: l.kind === 'maxpool' ? 0 : 1, stride_w: l.stride[0], stride_h: l.stride[1],
        mult: shiftCheck(l, 'reciprocal multiplier', r.mult, 0, 255), shift: shiftCheck(l, 'pool shift', r.shift + l.fpIn[0] - l.fpOut, -32, 31) });
    }
    /** Input start, count and pads (before, after) for output [o0, o0+cnt) along one axis (1 = rows). */
    const span = (o0: number, cnt: number, axis: 0 | 1): [number, number, number, number] => {
      if (sub) return [o0 * l.stride[axis], cnt, 0, 0]; // start in input pixels, count in picked pixels
      if (spatial) {
        const inSize = l.inShape[1 - axis];
        const s = l.stride[axis], k = l.kernel[axis], padBefore = axis === 1 ? l.pad[2] : l.pad[0];
        const top = o0 * s - padBefore, need = (cnt - 1) * s + k;
        const a = Math.max(0, top), b = Math.min(inSize, top + need);
        return [a, b - a, a - top, top + need - b];
      }
      if (l.kind === 'upsample') { const f = l.scale?.[axis] ?? 1; return [Math.floor(o0 / f), Math.ceil(cnt / f), 0, 0]; }
      return [o0, cnt, 0, 0];
    };
    let tile = 0;
    let initT = -1;
    for (let j = 0; j < t.tilesC; j++) {
      const c0 = j * t.channels, T = Math.min(t.channels, oc - c0);
      const hasW = !!inp.ddr.params[l.name] && l.kind !== 'eltwise';
      const J = hasW ? gJ++ : -1;
      const wAddr = hasW ? (J % 2) * (l.kind === 'dwconv' ? dwHalf : wHalf) : 0, bAddr = hasW ? (J % 2) * bHalf : 0;
      if (T !== initT) {
        if (l.kind === 'dwconv') {
          push('DWINIT', { kernel_w: l.kernel[0], kernel_h: l.kernel[1], stride_w: l.stride[0], stride_h: l.stride[1], has_bias: l.bias ? 1 : 0, act: actOf(l), leaky_num: leaky,
            shift_cut: shiftCheck(l, 'shift_cut', cut, 0, 16), shift_bias: l.bias ? shiftCheck(l, 'shift_bias', sb, -16, 16) : 0, fp_out: l.fpOut, channels: T });
        } else if (l.kind === 'eltwise') {
          push('ELEWINIT', { elew_type: l.eltType === 'MUL' ? 1 : 0, act: l.nonlinear === 'RELU' ? 1 : 0, fp_a: l.fpIn[0], fp_b: l.fpIn[1] ?? l.fpIn[0], fp_out: l.fpOut, channels: T });
        } else if (l.kind === 'act') {
          const op = l.nonlinear === 'NONE' ? 'IDENTITY' : l.nonlinear;
          push('ALUINIT', { alu_op: (ALU_OPS as readonly string[]).indexOf(op), fp_in: l.fpIn[0], fp_out: l.fpOut, leaky_num: leaky, channels: T });
        }
        initT = T;
      }
      for (let i = 0; i < t.tilesH; i++) for (let k = 0; k < t.tilesW; k++, tile++) {
        const r0 = i * t.rows, R = Math.min(t.rows, oh - r0);
        const x0 = k * t.cols, C = Math.min(t.cols, ow - x0);
        const fm0 = (g % 2) * fmHalf, fm1 = (g % 2) * fmHalf;
        const rec: TileRec = { g, layer: li, firstOfLayer: tile === 0, moveOnly, J: -1, weightLoads: [], inputLoads: [], computes: [], saves: [] };
        const loads: Record<string, number>[] = [];
        const p = inp.ddr.params[l.name];
        if (p && i === 0 && k === 0 && l.kind !== 'eltwise') {
          if (l.kind === 'dwconv') {
            loads.push({ bank_id: BANK_ID.DWW, reg_id: 0, ddr_addr: p.weights + c0, bank_addr: wAddr, channels: T, rows: l.kernel[1], cols: l.kernel[0], row_stride: l.kernel[0] * oc, pix_stride: oc });
          } else {
            loads.push({ bank_id: BANK_ID.WGT, reg_id: 0, ddr_addr: p.weights + c0 * kk * ic, bank_addr: wAddr, channels: ic, rows: T, cols: kk, row_stride: kk * ic, pix_stride: ic });
          }
          if (l.bias) loads.push({ bank_id: BANK_ID.BIAS, reg_id: 0, ddr_addr: p.bias + c0, bank_addr: bAddr, channels: T, rows: 1, cols: 1, row_stride: T, pix_stride: T });
        }
        const [inTop, inRows, padT, padB] = span(r0, R, 1);
        const [inLeft, inCols, padL, padR] = span(x0, C, 0);
        const fullCh = l.kind === 'conv' || l.kind === 'fc';
        const loadCh = fullCh ? ic : T;
        const inBytes = inRows * inCols * loadCh;
        // the input LOAD's pixel steps (× stride for a subsampled 1×1 conv)
        const rowStep = iw * subH, pixStep = subW;
        // one spatial tile and several channel tiles: both FM0 halves keep the whole input block from channel
        // tiles 0 and 1 (CONV only writes FM1), so channel tiles 2, 3, … reuse it instead of re-loading it
        const inputResident = fullCh && t.tilesH === 1 && t.tilesW === 1 && j >= 2;
        l.inputs.forEach((x, q) => {
          if (inputResident) return;
          const src = inp.place(x);
          if (q === 1 && l.broadcast) {
            // the per-channel vector, repeated once per pixel: rows = pixels, row_stride 0
            const pixels = inRows * inCols;
            for (let p0 = 0; p0 < pixels; p0 += MAX_EXTENT) {
              const np = Math.min(MAX_EXTENT, pixels - p0);
              loads.push({ bank_id: BANK_ID.FM0, reg_id: regId(src), ddr_addr: src.offset + c0, bank_addr: fm0 + inBytes + p0 * loadCh,
                channels: loadCh, rows: np, cols: 1, row_stride: 0, pix_stride: src.pixelStride });
            }
            return;
          }
          loads.push({ bank_id: BANK_ID.FM0, reg_id: regId(src), ddr_addr: src.offset + (inTop * iw + inLeft) * src.pixelStride + (fullCh ? 0 : c0),
            bank_addr: fm0 + q * inBytes, channels: loadCh, rows: inRows, cols: inCols, row_stride: rowStep * src.pixelStride, pix_stride: pixStep * src.pixelStride });
        });
        if (fe) {
          // the eltwise layer's other operand, same rows/columns/channels as this output tile, after the input block
          const rp = inp.place(fe.inputs[1 - feQ]);
          loads.push({ bank_id: BANK_ID.FM0, reg_id: regId(rp), ddr_addr: rp.offset + (r0 * ow + x0) * rp.pixelStride + c0, bank_addr: fm0 + inBytes,
            channels: T, rows: R, cols: C, row_stride: ow * rp.pixelStride, pix_stride: rp.pixelStride });
        }
        if (l.kind === 'eltwise' && p) {
          // the constant operand from REG_0, repeated once per pixel: rows = pixels, row_stride 0
          const pixels = inRows * inCols;
          for (let p0 = 0; p0 < pixels; p0 += MAX_EXTENT) {
            const np = Math.min(MAX_EXTENT, pixels - p0);
            loads.push({ bank_id: BANK_ID.FM0, reg_id: 0, ddr_addr: p.weights + c0, bank_addr: fm0 + inBytes + p0 * loadCh, channels: loadCh, rows: np, cols: 1, row_stride: 0, pix_stride: oc });
          }
        }
        loads.forEach((f) => {
          cur = [];
          push('LOAD', f);
          if (f.bank_id === BANK_ID.FM0) rec.inputLoads.push(cur[0]); else rec.weightLoads.push(cur[0]);
        });
        if (rec.weightLoads.length) { rec.J = J; }
        cur = [];
        const geo = { in_bank: 0, out_bank: 1, pad_left: padL, pad_top: padT, pad_bottom: padB, pad_right: padR, in_addr: fm0, in_rows: inRows, out_addr: fm1, in_cols: inCols, out_pix_stride: T };
        if (l.kind === 'conv' || l.kind === 'fc') push('CONV', { ...geo, wgt_addr: wAddr, oc: T, bias_addr: bAddr });
        if (fe) {
          // on-chip eltwise: conv result (FM1) ⊕ other operand (FM0, after the input block) → FM1 after the conv result
          if (T !== elewInitT) {
            push('ELEWINIT', { elew_type: fe.eltType === 'MUL' ? 1 : 0, act: fe.nonlinear === 'RELU' ? 1 : 0, fp_a: fe.fpIn[0], fp_b: fe.fpIn[1], fp_out: fe.fpOut, channels: T });
            elewInitT = T;
          }
          const pixels = R * C;
          for (let p0 = 0; p0 < pixels; p0 += MAX_EXTENT) {
            const np = Math.min(MAX_EXTENT, pixels - p0);
            const convSide = { bank: 1, addr: fm1 + p0 * T }, other = { bank: 0, addr: fm0 + inBytes + p0 * T };
            const [a, b] = feQ === 0 ? [convSide, other] : [other, convSide];
            push('ELEW', { out_addr: fm1 + pixels * T + p0 * T, a_addr: a.addr, a_bank: a.bank, b_bank: b.bank, out_bank: 1, b_addr: b.addr, pixels: np });
            if (!rec.fusedElew) rec.fusedElew = cur[cur.length - 1];
          }
        }
        else if (l.kind === 'dwconv') push('DPTWISE', { ...geo, wgt_addr: wAddr, bias_addr: bAddr });
        else if (l.kind === 'maxpool' || l.kind === 'avgpool') push('POOL', { ...geo, channels: T });
        else if (l.kind === 'eltwise' || l.kind === 'act') {
          const pixels = R * C;
          const chunk = MAX_EXTENT;
          for (let p0 = 0; p0 < pixels; p0 += chunk) {
            const np = Math.min(chunk, pixels - p0);
            if (l.kind === 'eltwise') push('ELEW', { out_addr: fm1 + p0 * T, a_addr: fm0 + p0 * T, a_bank: 0, b_bank: 0, out_bank: 1, b_addr: fm0 + inBytes + p0 * T, pixels: np });
            else push('ALU', { in_bank: 0, out_bank: 1, in_addr: fm0 + p0 * T, pixels: np, out_addr: fm1 + p0 * T });
          }
        }
        rec.computes = cur;
        // SAVE(s)
        const saves: Record<string, number>[] = [];
        if (l.kind === 'upsample') {
          const [fw, fh] = l.scale ?? [1, 1];
          for (let dy = 0; dy < fh; dy++) for (let dx = 0; dx < fw; dx++) {
            saves.push({ bank_id: BANK_ID.FM0, reg_id: regId(dst), ddr_addr: dst.offset + ((inTop * fh + dy) * ow + inLeft * fw + dx) * dst.pixelStride + c0,
              bank_addr: fm0, channels: T, rows: inRows, cols: inCols, row_stride: fh * ow * dst.pixelStride, pix_stride: fw * dst.pixelStride });
          }
        } else if (l.tap) {
          // transposed conv tap (dy, dx): output pixel (y, x) of this layer is (y·sh + dy, x·sw + dx)
          const { dy, dx, sh, sw } = l.tap;
          const owFull = ow * sw;
          saves.push({ bank_id: BANK_ID.FM1, reg_id: regId(dst), ddr_addr: dst.offset + ((r0 * sh + dy) * owFull + x0 * sw + dx) * dst.pixelStride + c0,
            bank_addr: fm1, channels: T, rows: R, cols: C, row_stride: sh * owFull * dst.pixelStride, pix_stride: sw * dst.pixelStride });
        } else {
          saves.push({ bank_id: moveOnly ? BANK_ID.FM0 : BANK_ID.FM1, reg_id: regId(dst), ddr_addr: dst.offset + dstOff + (r0 * ow + x0) * dst.pixelStride + c0,
            bank_addr: moveOnly ? fm0 : fe ? fm1 + R * C * T : fm1, channels: T, rows: R, cols: C, row_stride: ow * dst.pixelStride, pix_stride: dst.pixelStride });
        }
        cur = [];
        saves.forEach((f) => push('SAVE', f));
        rec.saves = cur;
        tiles.push(rec);
        if (J >= 0) lastTileOfJ[J] = rec;
        g++;
      }
    }
  });
  out.push({ cls: 'END', wait: 0, signal: 0, f: {} });
  assignTokens(out, tiles, lastTileOfJ);
  return out;
}

/** The instructions of one tile, for the dependency pass. */
interface TileRec {
  g: number;
  layer: number;
  firstOfLayer: boolean;
  moveOnly: boolean;
  /** Global channel-tile index whose weights this tile loads (−1: none). */
  J: number;
  weightLoads: Instr[];
  inputLoads: Instr[];
  computes: Instr[];
  saves: Instr[];
  /** First ELEW of a conv tile with an on-chip eltwise (waits for the CONV). */
  fusedElew?: Instr;
}

/**
 * Dependency tokens from exact producer → consumer pairs (docs/compiler.md):
 *  - FM0 (write-after-read): the first input LOAD of tile g waits for the last reader of the same FM0 half,
 *    tile g−2 (its compute; its SAVE for copy/upsample tiles);
 *  - WGT/DWW/BIAS (write-after-read): the weight LOAD of channel tile J waits for the last compute of
 *    channel tile J−2 — so the next layer's weights load while this layer still computes;
 *  - DDR (read-after-write): each input LOAD waits for the latest earlier SAVE overlapping the DDR range it reads;
 *  - compute g waits for the last LOAD of tile g, and for the SAVE of the previous tile that used its FM1 half;
 *  - SAVE g waits for compute g (or its last LOAD for copy/upsample tiles).
 * A consumer waits once per producer engine, for the latest producer it needs; a wait already implied by an
 * earlier wait of the same engine pair is dropped; each kept pair sets the producer's signal bit. Pairs are
 * increasing on both sides, so the k-th token of an engine pair is the k-th kept producer.
 */
function assignTokens(out: Instr[], tiles: TileRec[], lastTileOfJ: TileRec[]): void {
  const index = new Map<Instr, number>(out.map((ins, i) => [ins, i]));
  const engineOf = (ins: Instr) => CLASS_BY_NAME[ins.cls].engine;
  const needs = new Map<Instr, Instr[]>();
  const dep = (c: Instr | undefined, p: Instr | undefined) => { if (c && p && engineOf(c) !== engineOf(p)) needs.set(c, [...(needs.get(c) ?? []), p]); };
  const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];
  const reader0 = (t: TileRec) => (t.moveOnly ? last(t.saves) : last(t.computes));
  const fm1Last: (TileRec | undefined)[] = [undefined, undefined];
  const lastOfLayer = new Map<number, TileRec>();
  for (const t of tiles) lastOfLayer.set(t.layer, t);
  /** DDR byte range [lo, hi) an instruction's LOAD/SAVE touches (bounding range, conservative). */
  const range = (ins: Instr): [number, number] => {
    const f = ins.f;
    const lo = f.ddr_addr;
    return [lo, lo + Math.max(0, f.rows - 1) * f.row_stride + Math.max(0, f.cols - 1) * f.pix_stride + f.channels];
  };
  const savesByReg = new Map<number, { idx: number; lo: number; hi: number; ins: Instr }[]>();
  for (const ins of out) {
    if (ins.cls !== 'SAVE') continue;
    const [lo, hi] = range(ins);
    if (!savesByReg.has(ins.f.reg_id)) savesByReg.set(ins.f.reg_id, []);
    savesByReg.get(ins.f.reg_id)!.push({ idx: index.get(ins)!, lo, hi, ins });
  }
  const lastWriter = (ld: Instr): Instr | undefined => {
    const list = savesByReg.get(ld.f.reg_id);
    if (!list) return undefined;
    const at = index.get(ld)!;
    const [lo, hi] = range(ld);
    let best: Instr | undefined;
    for (const s of list) {
      if (s.idx > at) break;
      if (s.lo < hi && lo < s.hi) best = s.ins;
    }
    return best;
  };
  for (const t of tiles) {
    const firstIn = t.inputLoads[0];
    if (t.g >= 2) dep(firstIn, reader0(tiles[t.g - 2]));
    if (t.J >= 2) dep(t.weightLoads[0], last(lastTileOfJ[t.J - 2].computes));
    // DDR read-after-write: every input LOAD waits for the latest earlier SAVE whose DDR range overlaps
    // the range it reads (the SAVE engine runs in order, so earlier SAVEs are done too). A layer can thus
    // start loading the rows of its first tile while the previous layer still computes and saves its last ones.
    for (const ld of t.inputLoads) dep(ld, lastWriter(ld));
    const allLoads = [...t.weightLoads, ...t.inputLoads].sort((a, b) => index.get(a)! - index.get(b)!);
    if (t.computes.length) {
      dep(t.computes[0], last(allLoads));
      if (t.fusedElew) { dep(t.fusedElew, t.computes[0]); dep(t.fusedElew, last(allLoads)); }
      const h = fm1Last[t.g % 2];
      if (h) dep(t.computes[0], last(h.saves));
      fm1Last[t.g % 2] = t;
      dep(t.saves[0], last(t.computes));
    } else {
      dep(t.saves[0], last(allLoads));
    }
  }
  const done = new Map<string, number>();
  const consumers = [...needs.keys()].sort((a, b) => index.get(a)! - index.get(b)!);
  for (const c of consumers) {
    const ce = engineOf(c);
    const byEngine = new Map<string, number>();
    for (const p of needs.get(c)!) {
      const pe = engineOf(p);
      byEngine.set(pe, Math.max(byEngine.get(pe) ?? -1, index.get(p)!));
    }
    for (const [pe, pi] of byEngine) {
      const key = `${pe}>${ce}`;
      if (pi <= (done.get(key) ?? -1)) continue;
      done.set(key, pi);
      c.wait |= ENGINE_BIT[pe as keyof typeof ENGINE_BIT];
      out[pi].signal |= ENGINE_BIT[ce as keyof typeof ENGINE_BIT];
    }
  }
}
