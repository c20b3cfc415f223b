/**
 * Code generation for one DPU subgraph: layers × tiles → ISA instructions (src/isa/spec.ts).
 * Dependency tokens (docs/isa.md): `signal` bit E sends one token from this engine to engine E,
 * `wait` bit E takes one token sent by E. Per tile t of a layer with n tiles and compute engine X
 * (CONV for conv/inner-product/depthwise, MISC for pool/eltwise/ALU; none for copy and upsample,
 * where SAVE plays X's part):
 *   LOAD_t   (first of the tile) waits X if t ≥ 2 — compute t−2 has read the FM0 half it overwrites —
 *            and waits SAVE if t = 0 and a layer ran before (its outputs are in DDR, its engines idle);
 *            (last of the tile) signals X.
 *   X_t      waits LOAD, and SAVE if t ≥ 2 (the FM1 half was saved); signals SAVE, and LOAD if t+2 < n.
 *   SAVE_t   waits X; signals X if t + 2 < n; the layer's last SAVE also signals LOAD (but in the
 *            last layer: END drains every engine).
 * Tile t uses half t mod 2 of FM0/FM1; channel tile j uses half j mod 2 of WGT/DWW/BIAS. So the
 * LOAD of tile t+1 overlaps the compute of tile t.
 */
import { avgpoolReciprocal } from '../../kernels/ref/int8/pool.js';
import { ACT_KINDS, ALU_OPS, BANK_ID, ENGINE_BIT } from '../../isa/spec.js';
import type { ClassName } from '../../isa/spec.js';
import type { CompilerArch } from '../arch.js';
import type { DdrPlan, Instr, Layer, LayerTiling, Placement } from '../types.js';
import { MAX_EXTENT, half } from '../passes/tiling.js';
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
  const { LOAD, SAVE, CONV, MISC } = ENGINE_BIT;
  let first = true;
  inp.layers.forEach((l, li) => {
    const t = inp.tiling[li];
    const X = l.kind === 'conv' || l.kind === 'fc' || l.kind === 'dwconv' ? CONV : l.kind === 'copy' || l.kind === 'upsample' ? SAVE : MISC;
    const moveOnly = X === SAVE;
    const [, iw, ic] = l.inShape;
    const [oh, ow, oc] = l.outShape;
    const n = t.tilesH * t.tilesW * t.tilesC;
    const dst = inp.place(l.output);
    const dstOff = l.kind === 'copy' ? inp.copyOffset(l) : 0;
    const push = (cls: ClassName, wait: number, signal: number, f: Record<string, number>) => out.push({ cls, wait, signal, f, layer: l.name });
    const cut = l.fpW !== undefined ? l.fpIn[0] + l.fpW - l.fpOut : 0;
    const sb = l.fpW !== undefined && l.fpBias !== undefined ? l.fpIn[0] + l.fpW - l.fpBias : 0;
    const leaky = l.nonlinear === 'LEAKYRELU' ? LEAKY_NUM : 0;
    const kk = l.kernel[0] * l.kernel[1];
    const spatial = l.kind === 'conv' || l.kind === 'dwconv' || l.kind === 'maxpool' || l.kind === 'avgpool';
    if (l.kind === 'conv' || l.kind === 'fc') {
      push('CONVINIT', 0, 0, { kernel_w: l.kernel[0], kernel_h: l.kernel[1], stride_w: l.stride[0], stride_h: l.stride[1], has_bias: l.bias ? 1 : 0,
        act: actOf(l), leaky_num: leaky, shift_cut: shiftCheck(l, 'shift_cut', cut, 0, 16), shift_bias: l.bias ? shiftCheck(l, 'shift_bias', sb, -16, 16) : 0, fp_out: l.fpOut, ic });
    } else if (l.kind === 'maxpool' || l.kind === 'avgpool') {
      const r = l.kind === 'avgpool' ? avgpoolReciprocal(l.kernel[1], l.kernel[0]) : { mult: 0, shift: 0 };
      push('POOLINIT', 0, 0, { kernel_w: l.kernel[0], kernel_h: l.kernel[1], pool_type: l.kind === 'maxpool' ? 0 : 1, stride_w: l.stride[0], stride_h: l.stride[1],
        mult: shiftCheck(l, 'reciprocal multiplier', r.mult, 0, 255), shift: shiftCheck(l, 'pool shift', r.shift + l.fpIn[0] - l.fpOut, -32, 31) });
    }
    /** Input start, count and pads (before, after) for output [o0, o0+cnt) along one axis (1 = rows). */
    const span = (o0: number, cnt: number, axis: 0 | 1): [number, number, number, number] => {
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
      const wAddr = (j % 2) * (l.kind === 'dwconv' ? dwHalf : wHalf), bAddr = (j % 2) * bHalf;
      if (T !== initT) {
        if (l.kind === 'dwconv') {
          push('DWINIT', 0, 0, { kernel_w: l.kernel[0], kernel_h: l.kernel[1], stride_w: l.stride[0], stride_h: l.stride[1], has_bias: l.bias ? 1 : 0, act: actOf(l), leaky_num: leaky,
            shift_cut: shiftCheck(l, 'shift_cut', cut, 0, 16), shift_bias: l.bias ? shiftCheck(l, 'shift_bias', sb, -16, 16) : 0, fp_out: l.fpOut, channels: T });
        } else if (l.kind === 'eltwise') {
          push('ELEWINIT', 0, 0, { elew_type: l.eltType === 'MUL' ? 1 : 0, act: l.nonlinear === 'RELU' ? 1 : 0, fp_a: l.fpIn[0], fp_b: l.fpIn[1] ?? l.fpIn[0], fp_out: l.fpOut, channels: T });
        } else if (l.kind === 'act') {
          const op = l.nonlinear === 'NONE' ? 'IDENTITY' : l.nonlinear;
          push('ALUINIT', 0, 0, { alu_op: (ALU_OPS as readonly string[]).indexOf(op), fp_in: l.fpIn[0], fp_out: l.fpOut, leaky_num: leaky, channels: T });
        }
        initT = T;
      }
      for (let i = 0; i < t.tilesH; i++) for (let k = 0; k < t.tilesW; k++, tile++) {
        const r0 = i * t.rows, R = Math.min(t.rows, oh - r0);
        const x0 = k * t.cols, C = Math.min(t.cols, ow - x0);
        const fm0 = (tile % 2) * fmHalf, fm1 = (tile % 2) * fmHalf;
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
        l.inputs.forEach((x, q) => {
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
            bank_addr: fm0 + q * inBytes, channels: loadCh, rows: inRows, cols: inCols, row_stride: iw * src.pixelStride, pix_stride: src.pixelStride });
        });
        if (l.kind === 'eltwise' && p) {
          // the constant operand from REG_0, repeated once per pixel: rows = pixels, row_stride 0
          const pixels = inRows * inCols;
          for (let p0 = 0; p0 < pixels; p0 += MAX_EXTENT) {
            const np = Math.min(MAX_EXTENT, pixels - p0);
            loads.push({ bank_id: BANK_ID.FM0, reg_id: 0, ddr_addr: p.weights + c0, bank_addr: fm0 + inBytes + p0 * loadCh, channels: loadCh, rows: np, cols: 1, row_stride: 0, pix_stride: oc });
          }
        }
        loads.forEach((f, q) => push('LOAD', (q === 0 && tile >= 2 ? X : 0) | (q === 0 && tile === 0 && !first ? SAVE : 0), q === loads.length - 1 ? X : 0, f));
        const xWait = LOAD | (tile >= 2 ? SAVE : 0);
        const xSignal = SAVE | (tile + 2 < n ? LOAD : 0);
        const geo = { in_bank: 0, out_bank: 1, pad_left: padL, pad_top: padT, pad_bottom: padB, pad_right: padR, in_addr: fm0, in_rows: inRows, out_addr: fm1, in_cols: inCols, out_pix_stride: T };
        if (l.kind === 'conv' || l.kind === 'fc') push('CONV', xWait, xSignal, { ...geo, wgt_addr: wAddr, oc: T, bias_addr: bAddr });
        else if (l.kind === 'dwconv') push('DPTWISE', xWait, xSignal, { ...geo, wgt_addr: wAddr, bias_addr: bAddr });
        else if (l.kind === 'maxpool' || l.kind === 'avgpool') push('POOL', xWait, xSignal, { ...geo, channels: T });
        else if (l.kind === 'eltwise' || l.kind === 'act') {
          const pixels = R * C;
          const chunk = MAX_EXTENT;
          for (let p0 = 0; p0 < pixels; p0 += chunk) {
            const np = Math.min(chunk, pixels - p0);
            const w = p0 === 0 ? xWait : 0, s = p0 + np >= pixels ? xSignal : 0;
            if (l.kind === 'eltwise') push('ELEW', w, s, { out_addr: fm1 + p0 * T, a_addr: fm0 + p0 * T, a_bank: 0, b_bank: 0, out_bank: 1, b_addr: fm0 + inBytes + p0 * T, pixels: np });
            else push('ALU', w, s, { in_bank: 0, out_bank: 1, in_addr: fm0 + p0 * T, pixels: np, out_addr: fm1 + p0 * T });
          }
        }
        // SAVE(s)
        const last = tile === n - 1 && li < inp.layers.length - 1;
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
            bank_addr: moveOnly ? fm0 : fm1, channels: T, rows: R, cols: C, row_stride: ow * dst.pixelStride, pix_stride: dst.pixelStride });
        }
        saves.forEach((f, q) => {
          const isLast = q === saves.length - 1;
          const w = q === 0 ? (moveOnly ? LOAD : X) : 0;
          const s = isLast ? ((tile + 2 < n ? (moveOnly ? LOAD : X) : 0) | (last ? LOAD : 0)) : 0;
          push('SAVE', w, s, f);
        });
      }
    }
    first = false;
  });
  out.push({ cls: 'END', wait: 0, signal: 0, f: {} });
  return out;
}
