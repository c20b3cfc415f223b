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
import type { DdrPlan, Layer, Pass, Placement, SubgraphPlan } from '../types.js';

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/**
 * A layer's weights and bias as the engines read them (docs/isa.md): int8 bytes, conv weights
 * [oc, kh, kw, ic] (inner-product: [N, 1, 1, K]), depthwise [kh, kw, c], bias [oc]. A channel tile
 * is a contiguous slice (conv) or a strided LOAD (depthwise: pix_stride = c).
 */
export function packParams(l: Layer, g: Map<string, Op>): { weights: Uint8Array; bias: Uint8Array } {
  const wOp = l.weights ? g.get(l.weights) : undefined;
  if (!wOp?.data) return { weights: new Uint8Array(0), bias: new Uint8Array(0) };
  const toInt8 = (op: Op | undefined, n: number, index?: (i: number) => number): Uint8Array => {
    const out = new Int8Array(n);
    if (!op?.data) return new Uint8Array(out.buffer);
    const d = op.data, s = 2 ** op.output.fixPoint!;
    for (let i = 0; i < n; i++) {
      const v = Math.round(d[index ? index(i) : i] * s);
      out[i] = v < -128 ? -128 : v > 127 ? 127 : v;
    }
    return new Uint8Array(out.buffer);
  };
  const oc = l.outShape[2], ic = l.inShape[2];
  if (l.kind === 'eltwise') {
    // the broadcast constant of an eltwise layer, one byte per channel (a scalar repeated)
    const n = wOp.data.length;
    return { weights: toInt8(wOp, oc, (i) => (n === 1 ? 0 : i)), bias: new Uint8Array(0) };
  }
  let weights: Uint8Array;
  if (l.tap) {
    // one kernel tap of a transposed conv: w[o, dy, dx, :] as a 1×1 conv [oc, 1, 1, ic]
    const { dy, dx, sh, sw } = l.tap;
    weights = toInt8(wOp, oc * ic, (i) => ((Math.floor(i / ic) * sh + dy) * sw + dx) * ic + (i % ic));
  } else if (l.kind === 'fc') {
    const transposeB = g.get(l.name)?.attrs['transpose_b'] === true;
    weights = toInt8(wOp, oc * ic, transposeB ? undefined : (i) => (i % ic) * oc + Math.floor(i / ic));
  } else {
    weights = toInt8(wOp, wOp.data.length);
  }
  const bOp = l.bias ? g.get(l.bias) : undefined;
  return { weights, bias: bOp ? toInt8(bOp, oc) : new Uint8Array(0) };
}

/**
 * A tensor has one reg_id/ddr_addr in the xmodel, so a tensor that two or more DPU subgraphs read or
 * write (DPU → DPU around a CPU op, or one graph input read by two DPU subgraphs) gets a region of its
 * own, with the same REG id in each of them: ids from 4 up, reused between tensors that no subgraph
 * shares. The ISA's reg_id is 4 bits, so at most 12 such tensors per subgraph.
 */
export function crossRegions(subgraphs: SubgraphPlan[]): Map<string, number> {
  const dpu = subgraphs.filter((s) => s.device === 'DPU');
  const touching = new Map<string, SubgraphPlan[]>();
  for (const s of dpu) for (const t of new Set([...s.inputs, ...s.outputs])) touching.set(t, [...(touching.get(t) ?? []), s]);
  const used = new Map<string, Set<number>>(dpu.map((s) => [s.name, new Set<number>()]));
  const ids = new Map<string, number>();
  for (const [t, touch] of touching) {
    if (touch.length < 2) continue;
    let id = 4;
    while (touch.some((s) => used.get(s.name)!.has(id))) id++;
    if (id > 15) {
      throw new CompileError('E_DDR', `tensor '${t}' is shared by DPU subgraphs but every register id 4–15 is taken`, { where: t, fix: 'too many tensors shared between DPU subgraphs: keep the ops between them on one device' });
    }
    for (const s of touch) used.get(s.name)!.add(id);
    ids.set(t, id);
  }
  return ids;
}

export function planSubgraph(sg: SubgraphPlan, layers: Layer[], graph: Graph, concat: Record<string, { input: string; channelOffset: number }[]>, cross: Map<string, number> = new Map(), fused?: Set<string>): DdrPlan {
  const byName = new Map(graph.ops.map((o) => [o.name, o]));
  const tensors: Record<string, Placement> = {};
  const bytes = (n: string) => byName.get(n)!.output.shape.reduce((a, b) => a * b, 1);
  const chans = (n: string) => { const s = byName.get(n)!.output.shape; return s[s.length - 1]; };
  const regSizes: Record<string, number> = { REG_0: 0, REG_1: 0, REG_2: 0, REG_3: 0 };
  const regTypes: DdrPlan['regTypes'] = { REG_0: 'CONST', REG_1: 'DATA_LOCAL', REG_2: 'DATA_LOCAL_INPUT', REG_3: 'DATA_LOCAL_OUTPUT' };
  const own = (n: string, type: 'DATA_LOCAL_INPUT' | 'DATA_LOCAL_OUTPUT', as = n): boolean => {
    const id = cross.get(n);
    if (id === undefined) return false;
    tensors[as] = { reg: `REG_${id}`, offset: 0, pixelStride: chans(as), size: bytes(as) };
    regSizes[`REG_${id}`] = align(bytes(as));
    regTypes[`REG_${id}`] = type;
    return true;
  };
  // inputs / outputs
  for (const n of sg.inputs) {
    if (own(n, 'DATA_LOCAL_INPUT')) continue;
    tensors[n] = { reg: 'REG_2', offset: regSizes.REG_2, pixelStride: chans(n), size: bytes(n) };
    regSizes.REG_2 = align(regSizes.REG_2 + bytes(n));
  }
  const members = new Set(sg.ops);
  const viewOf = (n: string): string => {
    const op = byName.get(n)!;
    return (op.type === 'reshape' || op.type === 'identity' || op.type === 'transpose') && members.has(n) ? viewOf(op.inputs[0]) : n;
  };
  for (const n of sg.outputs) {
    const root = viewOf(n);
    if (tensors[root]) continue;
    if (own(n, 'DATA_LOCAL_OUTPUT', root)) continue;
    if (root !== n) continue;
    tensors[n] = { reg: 'REG_3', offset: regSizes.REG_3, pixelStride: chans(n), size: bytes(n) };
    regSizes.REG_3 = align(regSizes.REG_3 + bytes(n));
  }
  // workspace with liveness reuse: interval [producer layer, last consumer layer]
  const producedAt = new Map<string, number>(), lastUse = new Map<string, number>();
  layers.forEach((l, i) => {
    if (!producedAt.has(l.output)) producedAt.set(l.output, i);
    // a conv with an on-chip eltwise (tiling.fusedEltwise) SAVEs the eltwise result while it still reads its
    // input: the input lives until the eltwise layer, so that result never takes its place
    const until = fused?.has(l.name) ? i + 1 : i;
    for (const x of l.inputs) lastUse.set(viewOf(x), Math.max(lastUse.get(viewOf(x)) ?? until, until));
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
  layers.forEach((l) => {
    if (!l.weights) return;
    const { weights, bias } = packParams(l, byName);
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
  return { constBytes, regSizes, tensors, params, regTypes };
}

export const ddrPlan: Pass = (state, ctx) => {
  const cross = crossRegions(state.subgraphs);
  const dpu = state.dpu.map((d) => {
    const sg = state.subgraphs.find((s) => s.name === d.subgraph)!;
    return { ...d, ddr: planSubgraph(sg, d.layers, state.graph, state.concatInPlace, cross, new Set(d.tiling.filter((t) => t.fusedEltwise).map((t) => t.layer))) };
  });
  const sum: Record<string, number> = {};
  for (const d of dpu) for (const [k, v] of Object.entries(d.ddr.regSizes)) sum[`${d.subgraph}.${k}`] = v;
  ctx.report.ddr = sum;
  return { ...state, dpu };
};
