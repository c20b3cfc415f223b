/**
 * Pass `tiling`: every DPU layer is cut into tiles (output rows × output columns × output channels)
 * so that each tile fits HALF of its on-chip buffer (the other half holds the next tile: LOAD of
 * tile t+1 overlaps compute of tile t). Buffers (docs/isa.md): FM0 inputs, FM1 outputs, WGT or DWW
 * weights, BIAS; each is `banks × width × depth` bytes, tiles are dense (R·C·K bytes). A layer
 * with no legal tiling is a CompileError naming the op and the limit.
 */
import { CompileError } from '../../errors.js';
import { bufferBytes, type CompilerArch, type BankSpec } from '../arch.js';
import type { Layer, LayerTiling, Pass } from '../types.js';
import type { Graph } from '../../ir/types.js';

/** Half a buffer, in bytes (double buffering). */
export const half = (b: BankSpec): number => Math.floor(bufferBytes(b) / 2);

/** ISA limits on one instruction's extents (12-bit fields). */
export const MAX_EXTENT = 4095;

/**
 * A 1×1 conv with stride > 1 and no padding reads only every stride-th pixel: its LOAD picks those pixels
 * (row_stride and pix_stride × stride) and the CONV runs with stride 1 on the picked block.
 */
export const subsampled = (l: Layer): boolean => l.kind === 'conv' && !l.tap && l.kernel[0] === 1 && l.kernel[1] === 1
  && (l.stride[0] > 1 || l.stride[1] > 1) && l.pad.every((p) => p === 0)
  // the LOAD's pix_stride (12 bits) and row_stride (20 bits) must hold the stepped strides
  && l.inShape[2] * l.stride[0] <= MAX_EXTENT && l.inShape[1] * l.inShape[2] * l.stride[1] <= 0xfffff;

/** Input rows (axis 1) or columns (axis 0) needed for `n` output rows/columns, clipped to the input. */
export function inputExtent(l: Layer, n: number, axis: 0 | 1): number {
  if (subsampled(l)) return n;
  if (l.kind === 'upsample') return Math.ceil(n / (l.scale?.[axis] ?? 1));
  if (l.kind === 'copy' || l.kind === 'eltwise' || l.kind === 'act' || l.kind === 'fc') return n;
  const effK = (l.kernel[axis] - 1) * l.dilation[axis] + 1;
  return Math.min((n - 1) * l.stride[axis] + effK, l.inShape[1 - axis]);
}

/** Bytes each buffer needs for a tile of `rows` × `cols` output pixels and `ch` output channels. */
export function tileBytes(l: Layer, rows: number, ch: number, cols = l.outShape[1], fused = false): LayerTiling['bytes'] {
  if (fused) {
    // conv + on-chip eltwise: FM0 also holds the other operand's tile, FM1 the conv result and the eltwise result
    const b = tileBytes(l, rows, ch, cols);
    return { ...b, input: b.input + rows * cols * ch, output: 2 * b.output };
  }
  const ic = l.inShape[2];
  const ir = inputExtent(l, rows, 1), iw = inputExtent(l, cols, 0);
  const kk = l.kernel[0] * l.kernel[1];
  switch (l.kind) {
    case 'conv': case 'fc':
      return { input: ir * iw * ic, output: rows * cols * ch, weights: ch * kk * ic, bias: l.bias ? ch : 0 };
    case 'dwconv':
      return { input: ir * iw * ch, output: rows * cols * ch, weights: kk * ch, bias: l.bias ? ch : 0 };
    case 'eltwise':
      return { input: (l.weights ? 2 : l.inputs.length) * ir * iw * ch, output: rows * cols * ch, weights: 0, bias: 0 };
    case 'copy': case 'upsample':
      return { input: ir * iw * ch, output: 0, weights: 0, bias: 0 };
    default:
      return { input: ir * iw * ch, output: rows * cols * ch, weights: 0, bias: 0 };
  }
}

export function tileLayer(l: Layer, arch: CompilerArch, fused = false): LayerTiling {
  const [oh, owFull, oc] = l.outShape;
  const chStep = l.engine === 'conv' && l.kind !== 'dwconv' ? arch.ocp : l.engine === 'eltwise' ? arch.eltwise.cp : arch.alu.cp;
  const wBuf = l.kind === 'dwconv' ? arch.dwWeights : arch.convWeights;
  const fits = (t: LayerTiling['bytes'], rows: number, cols: number) => t.input <= half(arch.fm) && t.output <= half(arch.fm)
    && t.weights <= half(wBuf) && t.bias <= half(arch.bias)
    && inputExtent(l, rows, 1) <= MAX_EXTENT && inputExtent(l, cols, 0) <= MAX_EXTENT;
  const wStep = l.kind === 'upsample' ? (l.scale?.[0] ?? 1) : 1;
  const hStep = l.kind === 'upsample' ? (l.scale?.[1] ?? 1) : 1;
  const r1 = Math.min(oh, hStep), c1 = Math.min(owFull, wStep);
  // Channel tile: the largest multiple of chStep (or all channels) with which one output pixel
  // fits; then the widest column strip, then the most rows.
  let ch = Math.min(oc, MAX_EXTENT);
  // below one step of parallelism the engine idles lanes, but a narrow tile is still legal
  while (ch > 0 && !fits(tileBytes(l, r1, ch, c1, fused), r1, c1)) ch = ch > chStep ? Math.ceil(ch / chStep - 1) * chStep : Math.floor(ch / 2);
  if (ch <= 0) {
    const c = 1;
    const t = tileBytes(l, r1, c, c1);
    const which = t.weights > half(wBuf) ? `the weights of ${c} output channel take ${t.weights} bytes, half of ${l.kind === 'dwconv' ? 'DWW' : 'WGT'} holds ${half(wBuf)}`
      : t.input > half(arch.fm) ? `one output pixel needs ${t.input} input bytes, half of FM0 holds ${half(arch.fm)}`
      : `one output pixel takes ${t.output} bytes, half of FM1 holds ${half(arch.fm)}`;
    throw new CompileError('E_TILE', `${l.kind} '${l.name}' (in ${l.inShape.join('x')}, out ${l.outShape.join('x')}) is too big for any tiling on ${arch.preset}: ${which}`, {
      where: l.name, fix: 'reduce the kernel or the input channels of this layer, or use an arch with larger banks',
    });
  }
  let cols = owFull;
  while (cols > c1 && !fits(tileBytes(l, r1, ch, cols, fused), r1, cols)) cols = Math.max(c1, Math.floor(cols / 2 / wStep) * wStep);
  let rows = oh;
  while (rows > r1 && !fits(tileBytes(l, rows, ch, cols, fused), rows, cols)) rows = Math.max(r1, rows - hStep);
  const tilesH = Math.ceil(oh / rows), tilesW = Math.ceil(owFull / cols), tilesC = Math.ceil(oc / ch);
  return { layer: l.name, rows, cols, channels: ch, tilesH, tilesW, tilesC, bytes: tileBytes(l, rows, ch, cols, fused) };
}

/**
 * Conv → eltwise pairs computed in one pass over the conv's tiles (no DDR round trip of the conv result):
 * the eltwise layer follows the conv, reads its output and one other full feature map of the same shape,
 * and the conv output has no other reader (graph users, graph outputs) — so it is never needed in DDR.
 */
export function fusableEltwise(layers: Layer[], graph: Graph): Map<number, number> {
  const users = new Map<string, number>();
  for (const o of graph.ops) for (const i of o.inputs) users.set(i, (users.get(i) ?? 0) + 1);
  const out = new Map<number, number>();
  for (let i = 0; i + 1 < layers.length; i++) {
    const l = layers[i], e = layers[i + 1];
    if (l.kind !== 'conv' || l.tap || e.kind !== 'eltwise' || e.broadcast || e.weights || e.inputs.length !== 2) continue;
    const q = e.inputs.indexOf(l.output);
    if (q < 0 || e.inputs[1 - q] === l.output || users.get(l.output) !== 1 || graph.outputs.includes(l.output)) continue;
    if (e.outShape.join() !== l.outShape.join() || e.inShape.join() !== l.outShape.join()) continue;
    out.set(i, i + 1);
  }
  return out;
}

export const tiling: Pass = (state, ctx) => {
  const dpu = state.dpu.map((d) => {
    const fuse = fusableEltwise(d.layers, state.graph);
    const t = d.layers.map((l, i) => {
      const base = tileLayer(l, ctx.arch);
      if (!fuse.has(i)) return base;
      try {
        return { ...tileLayer(l, ctx.arch, true), fusedEltwise: d.layers[i + 1].name };
      } catch { fuse.delete(i); return base; }
    });
    for (const [i, j] of fuse) t[j] = { ...t[j], fusedInto: d.layers[i].name };
    return { ...d, tiling: t };
  });
  ctx.report.layers = dpu.flatMap((d) => d.layers.map((l, i) => {
    const t = d.tiling[i];
    const [oh, ow, oc] = l.outShape;
    const macs = l.kind === 'conv' || l.kind === 'fc' ? oh * ow * oc * l.kernel[0] * l.kernel[1] * l.inShape[2]
      : l.kind === 'dwconv' ? oh * ow * oc * l.kernel[0] * l.kernel[1] : oh * ow * oc;
    return { name: l.name, kind: l.kind, subgraph: d.subgraph, tiles: t.tilesH * t.tilesW * t.tilesC, rows: t.rows, cols: t.cols, channels: t.channels, ops: 2 * macs };
  }));
  return { ...state, dpu };
};
