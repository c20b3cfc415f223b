/**
 * Code generation for one DPU subgraph: layers × tiles → instructions (class + named fields).
 * Engines: LOAD, SAVE, CONV, MISC (ALU, pool, depthwise, eltwise). Dependency tokens
 * (docs/compiler.md): each instruction has `wait` and `signal` masks over the four engines;
 * `signal` bit E sends one token from this engine to engine E, `wait` bit E takes one token sent
 * by E to this engine (blocking until there is one). Per tile t of a layer with n tiles and compute
 * engine X (CONV or MISC; SAVE for a copy):
 *   LOAD_t   waits X if t ≥ 2 (the half it overwrites was read by compute t−2); waits SAVE if t = 0
 *            and a layer ran before (its outputs are in DDR); its last LOAD signals X.
 *   X_t      waits LOAD; waits SAVE if t ≥ 2 (the output half was saved); signals SAVE;
 *            signals LOAD if t + 2 < n.
 *   SAVE_t   waits X; signals X if t + 2 < n; the last SAVE of a layer signals LOAD.
 * Tile t uses half (t mod 2) of VB0/VB1; channel tile j uses half (j mod 2) of the weight and
 * bias buffers. So LOAD of tile t+1 overlaps compute of tile t.
 */
import { avgpoolReciprocal } from '../../kernels/ref/int8/pool.js';
import type { CompilerArch } from '../arch.js';
import type { DdrPlan, Instr, Layer, LayerTiling, Placement } from '../types.js';
import { half } from '../passes/tiling.js';
import { CompileError } from '../../errors.js';

export const ENGINE = { LOAD: 1, SAVE: 2, CONV: 4, MISC: 8 } as const;
export const BUF = { VB0: 0, VB1: 1, CONVW: 2, DWW: 3, BIAS: 4 } as const;
export const NONLINEAR: Record<string, number> = { NONE: 0, RELU: 1, RELU6: 2, LEAKYRELU: 3, HSIGMOID: 4 };
const REG: Record<string, number> = { REG_0: 0, REG_1: 1, REG_2: 2, REG_3: 3 };

export interface EmitInput {
  layers: Layer[];
  tiling: LayerTiling[];
  ddr: DdrPlan;
  /** Channel offset inside the output tensor for copy layers (concat inputs not in place). */
  copyOffset: (l: Layer) => number;
  /** Placement of a tensor (views resolved). */
  place: (tensor: string) => Placement;
}

export function emitSubgraph(inp: EmitInput, arch: CompilerArch): Instr[] {
  const out: Instr[] = [];
  const vbHalf = half(arch.fm), wHalf = half(arch.convWeights), dwHalf = half(arch.dwWeights), bHalf = half(arch.bias);
  const W = arch.fm.width;
  let first = true;
  inp.layers.forEach((l, li) => {
    const t = inp.tiling[li];
    const X = l.engine === 'conv' ? ENGINE.CONV : l.engine === 'load' ? ENGINE.SAVE : ENGINE.MISC;
    const [ih, iw, ic] = l.inShape;
    const [oh, ow, oc] = l.outShape;
    const n = t.tilesH * t.tilesW * t.tilesC;
    const dst = inp.place(l.output);
    const dstOff = l.kind === 'copy' ? inp.copyOffset(l) : 0;
    const push = (op: string, fields: Record<string, number>) => out.push({ op, fields, layer: l.name });
    // layer init
    const cut = l.fpW !== undefined ? l.fpIn[0] + l.fpW - l.fpOut : 0;
    const sb = l.fpW !== undefined && l.fpBias !== undefined ? l.fpIn[0] + l.fpW - l.fpBias : 0;
    const nl = NONLINEAR[l.nonlinear] ?? 0;
    if (l.kind === 'conv' || l.kind === 'fc') {
      push('CONVINIT', { wait: 0, signal: 0, kernelW: l.kernel[0], kernelH: l.kernel[1], strideW: l.stride[0], strideH: l.stride[1],
        dilationW: l.dilation[0], dilationH: l.dilation[1], shiftCut: cut, shiftBias: sb, hasBias: l.bias ? 1 : 0, nonlinear: nl, inChannels: ic });
    } else if (l.kind === 'dwconv') {
      push('DWINIT', { wait: 0, signal: 0, kernelW: l.kernel[0], kernelH: l.kernel[1], strideW: l.stride[0], strideH: l.stride[1], shiftCut: cut, shiftBias: sb, hasBias: l.bias ? 1 : 0, nonlinear: nl });
    } else if (l.kind === 'maxpool' || l.kind === 'avgpool') {
      const r = l.kind === 'avgpool' ? avgpoolReciprocal(l.kernel[1], l.kernel[0]) : { mult: 1, shift: 0 };
      const shift = r.shift + l.fpIn[0] - l.fpOut;
      if (shift < 0 || shift > 31) throw new CompileError('E_SHIFT', `${l.kind} '${l.name}': output shift ${shift} is outside 0–31`, { where: l.name, fix: 're-quantize' });
      push('POOLINIT', { wait: 0, signal: 0, type: l.kind === 'maxpool' ? 0 : 1, kernelW: l.kernel[0], kernelH: l.kernel[1], strideW: l.stride[0], strideH: l.stride[1], mult: r.mult, shift });
    } else if (l.kind === 'eltwise') {
      const fpMax = Math.max(...l.fpIn);
      const sa = fpMax - l.fpIn[0], sbb = fpMax - (l.fpIn[1] ?? l.fpIn[0]);
      const so = (l.eltType === 'MUL' ? l.fpIn[0] + (l.fpIn[1] ?? 0) : fpMax) - l.fpOut;
      if (so < 0 || so > 31) throw new CompileError('E_SHIFT', `eltwise '${l.name}': output shift ${so} is outside 0–31`, { where: l.name, fix: 're-quantize' });
      push('ELEWINIT', { wait: 0, signal: 0, type: l.eltType === 'MUL' ? 1 : 0, nonlinear: nl, shiftA: l.eltType === 'MUL' ? 0 : sa, shiftB: l.eltType === 'MUL' ? 0 : sbb, shiftOut: so });
    } else if (l.kind === 'act' || l.kind === 'upsample') {
      const s = l.fpIn[0] - l.fpOut;
      if (s < 0 || s > 31) throw new CompileError('E_SHIFT', `${l.kind} '${l.name}': shift ${s} is outside 0–31`, { where: l.name, fix: 're-quantize' });
      push('ALUINIT', { wait: 0, signal: 0, type: l.kind === 'act' ? 0 : 1, nonlinear: nl, shift: s, scaleW: l.scale?.[0] ?? 1, scaleH: l.scale?.[1] ?? 1 });
    }
    let tile = 0;
    const effKh = (l.kernel[1] - 1) * l.dilation[1] + 1, effKw = (l.kernel[0] - 1) * l.dilation[0] + 1;
    const spatial = l.kind === 'conv' || l.kind === 'dwconv' || l.kind === 'maxpool' || l.kind === 'avgpool';
    /** Input start, count and pads (before, after) for output [o0, o0+n) along one axis. */
    const span = (o0: number, cnt: number, axis: 0 | 1): [number, number, number, number] => {
      const inSize = l.inShape[1 - axis];
      if (spatial) {
        const s = l.stride[axis], eff = axis === 1 ? effKh : effKw, padBefore = axis === 1 ? l.pad[2] : l.pad[0];
        const top = o0 * s - padBefore, need = (cnt - 1) * s + eff;
        const a = Math.max(0, top), b = Math.min(inSize, top + need);
        return [a, b - a, a - top, top + need - b];
      }
      if (l.kind === 'upsample') { const f = l.scale?.[axis] ?? 1; return [Math.floor(o0 / f), Math.ceil(cnt / f), 0, 0]; }
      return [o0, cnt, 0, 0];
    };
    for (let j = 0; j < t.tilesC; j++) {
      const c0 = j * t.channels, T = Math.min(t.channels, oc - c0);
      for (let i = 0; i < t.tilesH; i++) for (let k = 0; k < t.tilesW; k++, tile++) {
        const r0 = i * t.rows, R = Math.min(t.rows, oh - r0);
        const x0 = k * t.cols, C = Math.min(t.cols, ow - x0);
        const vb0 = (tile % 2) * vbHalf, vb1 = (tile % 2) * vbHalf;
        const loads: Record<string, number>[] = [];
        // weights + bias on the first spatial tile of a channel tile
        const p = inp.ddr.params[l.name];
        let wAddr = 0, bAddr = 0;
        if (p && (l.kind === 'conv' || l.kind === 'fc' || l.kind === 'dwconv')) {
          const dw = l.kind === 'dwconv';
          const wb = dw ? arch.dwWeights : arch.convWeights;
          const kk = l.kernel[0] * l.kernel[1];
          const wl = dw ? kk * Math.ceil(T / wb.width) : T * kk * Math.ceil(ic / wb.width);
          const wStart = dw ? j * kk * Math.ceil(t.channels / wb.width) : c0 * kk * Math.ceil(ic / wb.width);
          wAddr = (j % 2) * (dw ? dwHalf : wHalf);
          bAddr = (j % 2) * bHalf;
          if (i === 0 && k === 0) {
            loads.push({ buf: dw ? BUF.DWW : BUF.CONVW, bankAddr: wAddr, reg: 0, ddrAddr: p.weights + wStart * wb.width, rows: 1, cols: wl, channels: wb.width, pixelStride: wb.width, rowStride: wl * wb.width });
            const bl = Math.ceil(T / arch.bias.width);
            const bStart = j * Math.ceil(t.channels / arch.bias.width);
            loads.push({ buf: BUF.BIAS, bankAddr: bAddr, reg: 0, ddrAddr: p.bias + bStart * arch.bias.width, rows: 1, cols: bl, channels: arch.bias.width, pixelStride: arch.bias.width, rowStride: bl * arch.bias.width });
          }
        }
        const [inTop, inRowsN, padT, padB] = span(r0, R, 1);
        const [inLeft, inColsN, padL, padR] = span(x0, C, 0);
        const fullCh = l.engine === 'conv';
        const loadCh = fullCh ? ic : T;
        const inCg = Math.ceil(loadCh / W);
        l.inputs.forEach((x, q) => {
          const src = inp.place(x);
          loads.push({ buf: BUF.VB0, bankAddr: vb0 + q * inRowsN * inColsN * inCg, reg: REG[src.reg],
            ddrAddr: src.offset + (inTop * iw + inLeft) * src.pixelStride + (fullCh ? 0 : c0),
            rows: inRowsN, cols: inColsN, channels: loadCh, pixelStride: src.pixelStride, rowStride: iw * src.pixelStride });
        });
        loads.forEach((f, q) => push('LOAD', {
          wait: (q === 0 && tile >= 2 ? X : 0) | (q === 0 && tile === 0 && !first ? ENGINE.SAVE : 0),
          signal: q === loads.length - 1 ? X : 0, ...f,
        }));
        const xWait = ENGINE.LOAD | (tile >= 2 ? ENGINE.SAVE : 0);
        const xSignal = ENGINE.SAVE | (tile + 2 < n ? ENGINE.LOAD : 0);
        const geo = { inAddr: vb0, outAddr: vb1, inRows: inRowsN, inCols: inColsN, outRows: R, outCols: C, channels: T, padTop: padT, padBottom: padB, padLeft: padL, padRight: padR };
        if (l.kind === 'conv' || l.kind === 'fc') push('CONV', { wait: xWait, signal: xSignal, ...geo, wAddr, biasAddr: bAddr });
        else if (l.kind === 'dwconv') push('DPTWISE', { wait: xWait, signal: xSignal, ...geo, wAddr, biasAddr: bAddr });
        else if (l.kind === 'maxpool' || l.kind === 'avgpool') push('POOL', { wait: xWait, signal: xSignal, ...geo });
        else if (l.kind === 'eltwise') push('ELEW', { wait: xWait, signal: xSignal, inAddrA: vb0, inAddrB: vb0 + inRowsN * inColsN * inCg, outAddr: vb1, pixels: R * C, channels: T });
        else if (l.kind === 'act' || l.kind === 'upsample') push('ALU', { wait: xWait, signal: xSignal, inAddr: vb0, outAddr: vb1, inRows: inRowsN, inCols: inColsN, outRows: R, outCols: C, channels: T });
        const isCopy = l.kind === 'copy';
        const last = tile === n - 1;
        push('SAVE', {
          wait: isCopy ? ENGINE.LOAD : X,
          signal: (tile + 2 < n ? X : 0) | (last ? ENGINE.LOAD : 0),
          buf: isCopy ? BUF.VB0 : BUF.VB1, bankAddr: isCopy ? vb0 : vb1, reg: REG[dst.reg],
          ddrAddr: dst.offset + dstOff + (r0 * ow + x0) * dst.pixelStride + c0, rows: R, cols: C, channels: T, pixelStride: dst.pixelStride, rowStride: ow * dst.pixelStride,
        });
      }
    }
    first = false;
  });
  out.push({ op: 'END', fields: { wait: inp.layers.length ? ENGINE.SAVE : 0, signal: 0 } });
  return out;
}
