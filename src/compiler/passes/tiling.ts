/**
 * Pass `tiling`: every DPU layer is cut into tiles (output rows × output channels) so that each
 * tile fits HALF of its on-chip buffer (the other half holds the next tile: LOAD of tile t+1
 * overlaps compute of tile t). Buffers (src/compiler/arch.ts): VB0 inputs, VB1 outputs, CONVW or
 * DWW weights, BIAS. A buffer is `banks × depth` lines of `width` bytes; a pixel of C channels
 * takes ceil(C / width) lines. A layer with no legal tiling is a CompileError naming the limit.
 */
import { CompileError } from '../../errors.js';
import type { CompilerArch, BankSpec } from '../arch.js';
import type { Layer, LayerTiling, Pass } from '../types.js';

export const lines = (pixels: number, channels: number, width: number): number => pixels * Math.ceil(channels / width);
export const half = (b: BankSpec): number => Math.floor((b.banks * b.depth) / 2);

/** Input rows (axis 1) or columns (axis 0) needed for `n` output rows/columns, clipped to the input. */
export function inputExtent(l: Layer, n: number, axis: 0 | 1): number {
  if (l.kind === 'upsample') return Math.ceil(n / (l.scale?.[axis] ?? 1));
  if (l.kind === 'copy' || l.kind === 'eltwise' || l.kind === 'act') return n;
  const effK = (l.kernel[axis] - 1) * l.dilation[axis] + 1;
  return Math.min((n - 1) * l.stride[axis] + effK, l.inShape[1 - axis]);
}
export const inputRows = (l: Layer, rows: number): number => inputExtent(l, rows, 1);

/** Lines each buffer needs for a tile of `rows` output rows and `ch` output channels. */
export function tileLines(l: Layer, rows: number, ch: number, arch: CompilerArch, cols = l.outShape[1]): LayerTiling['lines'] {
  const ic = l.inShape[2];
  const ow = cols;
  const iw = inputExtent(l, cols, 0);
  const w = arch.fm.width;
  const ir = inputRows(l, rows);
  switch (l.kind) {
    case 'conv': case 'fc':
      return {
        input: lines(ir * iw, ic, w), output: lines(rows * ow, ch, w),
        weights: ch * l.kernel[0] * l.kernel[1] * Math.ceil(ic / arch.convWeights.width), bias: Math.ceil(ch / arch.bias.width),
      };
    case 'dwconv':
      return { input: lines(ir * iw, ch, w), output: lines(rows * ow, ch, w), weights: l.kernel[0] * l.kernel[1] * Math.ceil(ch / arch.dwWeights.width), bias: Math.ceil(ch / arch.bias.width) };
    case 'eltwise':
      return { input: l.inputs.length * lines(ir * iw, ch, w), output: lines(rows * ow, ch, w), weights: 0, bias: 0 };
    default:
      return { input: lines(ir * iw, ch, w), output: lines(rows * ow, ch, w), weights: 0, bias: 0 };
  }
}

export function tileLayer(l: Layer, arch: CompilerArch): LayerTiling {
  const [oh, owFull, oc] = l.outShape;
  const chStep = l.engine === 'conv' ? arch.ocp : l.engine === 'eltwise' ? arch.eltwise.cp : arch.alu.cp;
  const wBuf = l.kind === 'dwconv' ? arch.dwWeights : arch.convWeights;
  const fits = (t: LayerTiling['lines']) => t.input <= half(arch.fm) && t.output <= half(arch.fm)
    && t.weights <= half(wBuf) && t.bias <= half(arch.bias);
  const wStep = l.kind === 'upsample' ? (l.scale?.[0] ?? 1) : 1;
  const hStep = l.kind === 'upsample' ? (l.scale?.[1] ?? 1) : 1;
  // Channel tile: the largest multiple of chStep (or all channels) whose weights fit; then
  // columns: the full width if one row fits, else the widest column strip that does.
  let ch = oc;
  const minCols = Math.min(owFull, wStep);
  while (ch > 0 && !fits(tileLines(l, Math.min(oh, hStep), ch, arch, minCols))) ch = ch > chStep ? Math.ceil(ch / chStep - 1) * chStep : 0;
  if (ch <= 0) {
    const t = tileLines(l, Math.min(oh, hStep), Math.min(oc, chStep), arch, minCols);
    const which = t.weights > half(wBuf) ? `the weights of ${Math.min(oc, chStep)} output channels need ${t.weights} lines, half the weight buffer holds ${half(wBuf)}`
      : t.input > half(arch.fm) ? `one output pixel needs ${t.input} input lines, half of VB0 holds ${half(arch.fm)}`
      : `one output pixel needs ${t.output} lines, half of VB1 holds ${half(arch.fm)}`;
    throw new CompileError('E_TILE', `${l.kind} '${l.name}' (in ${l.inShape.join('x')}, out ${l.outShape.join('x')}) is too big for any tiling on ${arch.preset}: ${which}`, {
      where: l.name, fix: 'reduce the kernel or channels of this layer, or use an arch with larger banks',
    });
  }
  let cols = owFull;
  while (cols > wStep && !fits(tileLines(l, Math.min(oh, hStep), ch, arch, cols))) cols = Math.max(wStep, Math.floor(cols / 2 / wStep) * wStep);
  // prefer whole channels with narrower columns over more channel tiles only when one row fits
  let rows = oh;
  if (cols < owFull) rows = Math.min(oh, hStep);
  else {
    while (rows > hStep && !fits(tileLines(l, rows, ch, arch, cols))) rows = Math.max(hStep, rows - hStep);
  }
  const tilesH = Math.ceil(oh / rows), tilesW = Math.ceil(owFull / cols), tilesC = Math.ceil(oc / ch);
  return { layer: l.name, rows, cols, channels: ch, tilesH, tilesW, tilesC, lines: tileLines(l, rows, ch, arch, cols) };
}

export const tiling: Pass = (state, ctx) => {
  const dpu = state.dpu.map((d) => ({ ...d, tiling: d.layers.map((l) => tileLayer(l, ctx.arch)) }));
  ctx.report.layers = dpu.flatMap((d) => d.layers.map((l, i) => {
    const t = d.tiling[i];
    const [oh, ow, oc] = l.outShape;
    const macs = l.kind === 'conv' || l.kind === 'fc' ? oh * ow * oc * l.kernel[0] * l.kernel[1] * l.inShape[2]
      : l.kind === 'dwconv' ? oh * ow * oc * l.kernel[0] * l.kernel[1] : oh * ow * oc;
    return { name: l.name, kind: l.kind, subgraph: d.subgraph, tiles: t.tilesH * t.tilesW * t.tilesC, rows: t.rows, cols: t.cols, channels: t.channels, ops: 2 * macs };
  }));
  return { ...state, dpu };
};
