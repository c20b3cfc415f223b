/**
 * Pass `ddr-plan`: the DDR regions of every DPU subgraph.
 *  REG_0 CONST              weights and bias of every layer, packed per tile exactly as the engines
 *                           read them (lines of `width` bytes, zero-padded; see docs/compiler.md)
 *  REG_1 DATA_LOCAL         workspace: intermediate tensors, first-fit reuse by liveness
 *  REG_2 DATA_LOCAL_INPUT   the subgraph's input tensors
 *  REG_3 DATA_LOCAL_OUTPUT  the subgraph's output tensors
 * Concat in place: producers point into the concat's buffer at their channel offset (pixelStride =
 * the concat's channels). Views (reshape/identity) alias their input.
 */
import { CompileError } from '../../errors.js';
import type { Graph, Op } from '../../ir/types.js';
import type { CompilerArch } from '../arch.js';
import type { DdrPlan, Layer, LayerTiling, Pass, Placement, SubgraphPlan } from '../types.js';

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Pack a layer's weights and bias tile by tile (the order codegen loads them): int8 as bytes. */
export function packParams(l: Layer, t: LayerTiling, g: Map<string, Op>, arch: CompilerArch): { weights: Uint8Array; bias: Uint8Array } {
  const wOp = l.weights ? g.get(l.weights) : undefined;
  if (!wOp?.data) return { weights: new Uint8Array(0), bias: new Uint8Array(0) };
  const bOp = l.bias ? g.get(l.bias) : undefined;
  const wd = wOp.data, ws = 2 ** wOp.output.fixPoint!;
  const qw = (i: number) => Math.max(-128, Math.min(127, Math.round(wd[i] * ws)));
  const transposeB = g.get(l.name)?.attrs['transpose_b'] === true;
  const [kw, kh] = l.kernel;
  const oc = l.outShape[2], ic = l.inShape[2];
  const B = arch.bias.width;
  const nTiles = Math.ceil(oc / t.channels);
  if (l.kind === 'dwconv') {
    const W = arch.dwWeights.width;
    let total = 0;
    for (let c0 = 0; c0 < oc; c0 += t.channels) total += kh * kw * Math.ceil(Math.min(t.channels, oc - c0) / W) * W;
    const out = new Int8Array(total);
    let p = 0;
    for (let c0 = 0; c0 < oc; c0 += t.channels) {
      const T = Math.min(t.channels, oc - c0), cgW = Math.ceil(T / W) * W;
      for (let k = 0; k < kh * kw; k++) { for (let c = 0; c < T; c++) out[p + c] = qw(k * ic + c0 + c); p += cgW; }
    }
    return { weights: new Uint8Array(out.buffer), bias: packBias(bOp, oc, t.channels, B) };
  }
  const W = arch.convWeights.width;
  const cgW = Math.ceil(ic / W) * W;
  const out = new Int8Array(oc * kh * kw * cgW);
  const K = ic, N = oc;
  for (let o = 0; o < oc; o++) {
    for (let k = 0; k < kh * kw; k++) {
      const dst = (o * kh * kw + k) * cgW;
      if (l.kind === 'fc') {
        for (let c = 0; c < ic; c++) out[dst + c] = qw(transposeB ? o * K + c : c * N + o);
      } else {
        const src = (o * kh * kw + k) * ic;
        for (let c = 0; c < ic; c++) out[dst + c] = qw(src + c);
      }
    }
  }
  void nTiles;
  return { weights: new Uint8Array(out.buffer), bias: packBias(bOp, oc, t.channels, B) };
}

/** Bias per channel tile: ceil(T / width) lines each, zero-padded. */
function packBias(bOp: Op | undefined, oc: number, tileC: number, B: number): Uint8Array {
  let total = 0;
  for (let c0 = 0; c0 < oc; c0 += tileC) total += Math.ceil(Math.min(tileC, oc - c0) / B) * B;
  const out = new Int8Array(total);
  if (!bOp?.data) return new Uint8Array(out.buffer);
  const s = 2 ** bOp.output.fixPoint!;
  let p = 0;
  for (let c0 = 0; c0 < oc; c0 += tileC) {
    const T = Math.min(tileC, oc - c0);
    for (let c = 0; c < T; c++) out[p + c] = Math.max(-128, Math.min(127, Math.round(bOp.data[c0 + c] * s)));
    p += Math.ceil(T / B) * B;
  }
  return new Uint8Array(out.buffer);
}

export function planSubgraph(sg: SubgraphPlan, layers: Layer[], tiles: LayerTiling[], graph: Graph, concat: Record<string, { input: string; channelOffset: number }[]>, arch: CompilerArch): DdrPlan {
  const byName = new Map(graph.ops.map((o) => [o.name, o]));
  const tensors: Record<string, Placement> = {};
  const bytes = (n: string) => byName.get(n)!.output.shape.reduce((a, b) => a * b, 1);
  const chans = (n: string) => { const s = byName.get(n)!.output.shape; return s[s.length - 1]; };
  const regSizes: Record<string, number> = { REG_0: 0, REG_1: 0, REG_2: 0, REG_3: 0 };
  // inputs / outputs
  for (const n of sg.inputs) { tensors[n] = { reg: 'REG_2', offset: regSizes.REG_2, pixelStride: chans(n), size: bytes(n) }; regSizes.REG_2 = align(regSizes.REG_2 + bytes(n)); }
  const members = new Set(sg.ops);
  const viewOf = (n: string): string => {
    const op = byName.get(n)!;
    return (op.type === 'reshape' || op.type === 'identity') && members.has(n) ? viewOf(op.inputs[0]) : n;
  };
  for (const n of sg.outputs) {
    const root = viewOf(n);
    if (tensors[root] || root !== n) continue;
    tensors[n] = { reg: 'REG_3', offset: regSizes.REG_3, pixelStride: chans(n), size: bytes(n) };
    regSizes.REG_3 = align(regSizes.REG_3 + bytes(n));
  }
  // workspace with liveness reuse: interval [producer layer, last consumer layer]
  const producedAt = new Map<string, number>(), lastUse = new Map<string, number>();
  layers.forEach((l, i) => {
    if (!producedAt.has(l.output)) producedAt.set(l.output, i);
    for (const x of l.inputs) lastUse.set(viewOf(x), i);
  });
  // a concat-in-place producer lives as long as its concat buffer
  const inPlaceOf = new Map<string, { concat: string; off: number }>();
  for (const [c, list] of Object.entries(concat)) for (const e of list) if (members.has(c)) inPlaceOf.set(e.input, { concat: c, off: e.channelOffset });
  for (const [p, e] of inPlaceOf) {
    producedAt.set(e.concat, Math.min(producedAt.get(e.concat) ?? Infinity, producedAt.get(p) ?? Infinity));
  }
  const live: { start: number; end: number; offset: number; size: number }[] = [];
  const order = [...producedAt.keys()].filter((t) => !inPlaceOf.has(t) && !tensors[t]).sort((a, b) => producedAt.get(a)! - producedAt.get(b)!);
  for (const t of order) {
    const start = producedAt.get(t)!, end = Math.max(lastUse.get(t) ?? start, start);
    const size = align(bytes(t));
    const busy = live.filter((x) => !(x.end < start || x.start > end)).sort((a, b) => a.offset - b.offset);
    let off = 0;
    for (const b of busy) { if (off + size <= b.offset) break; off = Math.max(off, b.offset + b.size); }
    live.push({ start, end, offset: off, size });
    tensors[t] = { reg: 'REG_1', offset: off, pixelStride: chans(t), size: bytes(t) };
    regSizes.REG_1 = Math.max(regSizes.REG_1, off + size);
  }
  for (const [p, e] of inPlaceOf) {
    const c = tensors[e.concat];
    if (!c) continue;
    tensors[p] = { reg: c.reg, offset: c.offset + e.off, pixelStride: c.pixelStride, size: bytes(p) };
  }
  for (const n of sg.ops) {
    const root = viewOf(n);
    if (root !== n && tensors[root]) {
      if (tensors[root].pixelStride !== chans(root)) throw new CompileError('E_VIEW_STRIDED', `'${n}' is a view of '${root}', which is written into a concat buffer`, { where: n, fix: 'keep the reshape on the CPU' });
      tensors[n] = { ...tensors[root], size: bytes(n), pixelStride: chans(n) };
    }
  }
  // REG_0 params
  const params: DdrPlan['params'] = {};
  const chunks: Uint8Array[] = [];
  let off = 0;
  layers.forEach((l, i) => {
    if (!l.weights) return;
    const { weights, bias } = packParams(l, tiles[i], byName, arch);
    params[l.name] = { weights: off, weightsSize: weights.length, bias: align(off + weights.length), biasSize: bias.length };
    const wPad = new Uint8Array(align(weights.length)); wPad.set(weights);
    const bPad = new Uint8Array(align(bias.length)); bPad.set(bias);
    chunks.push(wPad, bPad);
    off += wPad.length + bPad.length;
  });
  const constBytes = new Uint8Array(off);
  let p = 0;
  for (const c of chunks) { constBytes.set(c, p); p += c.length; }
  regSizes.REG_0 = off;
  return {
    constBytes, regSizes, tensors, params,
    regTypes: { REG_0: 'CONST', REG_1: 'DATA_LOCAL', REG_2: 'DATA_LOCAL_INPUT', REG_3: 'DATA_LOCAL_OUTPUT' },
  };
}

export const ddrPlan: Pass = (state, ctx) => {
  const dpu = state.dpu.map((d) => {
    const sg = state.subgraphs.find((s) => s.name === d.subgraph)!;
    return { ...d, ddr: planSubgraph(sg, d.layers, d.tiling, state.graph, state.concatInPlace, ctx.arch) };
  });
  const sum: Record<string, number> = {};
  for (const d of dpu) for (const [k, v] of Object.entries(d.ddr.regSizes)) sum[`${d.subgraph}.${k}`] = v;
  ctx.report.ddr = sum;
  return { ...state, dpu };
};
