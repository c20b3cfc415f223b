/**
 * Pre-pass (opt-in): per-channel-group weight fix points that stay DPU-legal.
 *
 * The DPU has one power-of-two fix point per weight tensor. On PP-LCNetV3 (PP-OCRv4 rec/det) the pointwise
 * convs' output channels differ by up to 39× in max|w|, and per-tensor INT8 weights lose the text while
 * per-output-channel INT8 weights keep it (test/quantizer/rec-weights: onnxruntime on the original onnx).
 * This pass rewrites the block
 *
 *   X: conv2d → [mul/add by a scalar const]* → D: depthwise-conv2d → [mul/add by a scalar const]* → Y: conv2d
 *
 * (each link the only consumer of the previous one) into G parallel branches, one per group of X's output
 * channels sorted by max|w|: X_k (conv2d over all inputs, the group's output channels) → the same scalar ops →
 * D_k (the group's depthwise channels) → …, joined by a concat along channels (in place on the DPU) whose
 * channel order is the sorted one; Y's input-channel axis is permuted to match. Exact in float (a channel
 * permutation and a split of independent channels); every X_k / D_k gets its own weight fix point and X_k its
 * own output fix point. The concat keeps the name of the block's last op, so Y's input name is unchanged.
 */
import type { Graph, Op } from '../ir/types.js';
import { consumerMap, freshName, opMap } from './graph-util.js';

export interface SplitChannelsResult {
  split: { conv: string; depthwise: string; groups: number }[];
}

function scalarConst(op: Op, ops: Map<string, Op>, prev: string): string | undefined {
  if ((op.type !== 'mul' && op.type !== 'add') || op.inputs.length !== 2) return undefined;
  const other = op.inputs[0] === prev ? op.inputs[1] : op.inputs[1] === prev ? op.inputs[0] : undefined;
  const c = other ? ops.get(other) : undefined;
  return c && c.type === 'const' && c.data && c.data.length === 1 ? c.name : undefined;
}

/** Follows single-consumer scalar mul/add ops from `from`; returns them and the first other consumer. */
function scalarChain(from: string, ops: Map<string, Op>, cons: Map<string, string[]>): { chain: Op[]; next?: Op } {
  const chain: Op[] = [];
  let cur = from;
  for (;;) {
    const users = cons.get(cur) ?? [];
    if (users.length !== 1 || users[0] === '') return { chain };
    const n = ops.get(users[0] as string) as Op;
    if (!scalarConst(n, ops, cur)) return { chain, next: n };
    chain.push(n);
    cur = n.name;
  }
}

const withChannels = (shape: number[], c: number): number[] => [...shape.slice(0, -1), c];

/**
 * Mutates `g`. `groups` ≥ 2; blocks whose X has fewer than 2·groups output channels are left alone. Channels are
 * sorted by X's max|w| per output channel, or, with `outputRanges` (X's calibrated max|x| per output channel, after its
 * fused activation), by that range, so each group's output fix point fits its own channels.
 */
export function splitChannelGroups(g: Graph, groups: number, outputRanges?: ReadonlyMap<string, Float64Array>): SplitChannelsResult {
  const split: SplitChannelsResult['split'] = [];
  if (!(groups >= 2)) return { split };
  const done = new Set<string>();
  for (;;) {
    const ops = opMap(g);
    const cons = consumerMap(g);
    let match: { x: Op; c1: Op[]; d: Op; c2: Op[]; y: Op } | undefined;
    for (const x of g.ops) {
      if (x.type !== 'conv2d' || done.has(x.name) || (x.attrs['group'] ?? 1) !== 1 || g.outputs.includes(x.name)) continue;
      const w = ops.get(x.inputs[1] as string);
      if (w?.type !== 'const' || !w.data || (x.inputs[2] && ops.get(x.inputs[2])?.type !== 'const')) continue;
      const a = scalarChain(x.name, ops, cons);
      const d = a.next;
      if (!d || d.type !== 'depthwise-conv2d' || d.inputs[0] !== (a.chain.length ? (a.chain[a.chain.length - 1] as Op).name : x.name)) continue;
      const dw = ops.get(d.inputs[1] as string);
      if (dw?.type !== 'const' || !dw.data || (d.inputs[2] && ops.get(d.inputs[2])?.type !== 'const')) continue;
      const b = scalarChain(d.name, ops, cons);
      const y = b.next;
      const last = b.chain.length ? (b.chain[b.chain.length - 1] as Op).name : d.name;
      if (!y || y.type !== 'conv2d' || (y.attrs['group'] ?? 1) !== 1 || y.inputs[0] !== last || ops.get(y.inputs[1] as string)?.type !== 'const') continue;
      if (g.outputs.includes(last) || (w.output.shape[0] as number) < 2 * groups) continue;
      match = { x, c1: a.chain, d, c2: b.chain, y };
      break;
    }
    if (!match) break;
    const { x, c1, d, c2, y } = match;
    done.add(x.name);
    const wx = ops.get(x.inputs[1] as string) as Op;
    const oc = wx.output.shape[0] as number;
    const per = (wx.data as Float32Array).length / oc;
    const mx = new Float64Array(oc);
    for (let c = 0; c < oc; c++) for (let i = 0; i < per; i++) mx[c] = Math.max(mx[c] as number, Math.abs((wx.data as Float32Array)[c * per + i] as number));
    const range = outputRanges?.get(x.name);
    if (range && range.length === oc) mx.set(range);
    const order = Array.from({ length: oc }, (_, c) => c).sort((p, q) => (mx[p] as number) - (mx[q] as number) || p - q);
    const size = Math.ceil(oc / groups);
    const slices: number[][] = [];
    for (let k = 0; k * size < oc; k++) slices.push(order.slice(k * size, (k + 1) * size));

    const newOps: Op[] = [];
    const addConst = (base: string, shape: number[], data: Float32Array): string => {
      const name = freshName({ ...g, ops: [...g.ops, ...newOps] }, base);
      newOps.push({ name, type: 'const', inputs: [], attrs: {}, output: { shape, dtype: 'float32' }, data });
      return name;
    };
    const gather = (src: Float32Array, chans: number[], stride: number, ocAxisFirst: boolean, total: number): Float32Array => {
      // ocAxisFirst: [oc, per] rows; else channels last with `total` channels and `stride` = values per channel slot
      const out = new Float32Array(chans.length * stride);
      if (ocAxisFirst) chans.forEach((c, j) => out.set(src.subarray(c * stride, (c + 1) * stride), j * stride));
      else for (let s = 0; s < stride; s++) chans.forEach((c, j) => { out[s * chans.length + j] = src[s * total + c] as number; });
      return out;
    };
    const dwW = ops.get(d.inputs[1] as string) as Op;
    const dwTaps = (dwW.data as Float32Array).length / oc;
    const xb = x.inputs[2] ? ops.get(x.inputs[2]) : undefined;
    const db = d.inputs[2] ? ops.get(d.inputs[2]) : undefined;
    const branchOut: string[] = [];
    slices.forEach((chans, k) => {
      const n = chans.length;
      const xw = addConst(`${x.name}_g${k}_weights`, [n, ...wx.output.shape.slice(1)], gather(wx.data as Float32Array, chans, per, true, oc));
      const xi = [x.inputs[0] as string, xw];
      if (xb?.data) xi.push(addConst(`${x.name}_g${k}_bias`, [n], gather(xb.data, chans, 1, true, oc)));
      const xk: Op = { name: freshName({ ...g, ops: [...g.ops, ...newOps] }, `${x.name}_g${k}`), type: 'conv2d', inputs: xi, attrs: JSON.parse(JSON.stringify(x.attrs)) as Op['attrs'], output: { ...x.output, shape: withChannels(x.output.shape, n) } };
      newOps.push(xk);
      let prev = xk.name;
      const copyChain = (chain: Op[]): void => {
        for (const e of chain) {
          const cName = e.inputs.find((i) => ops.get(i)?.type === 'const') as string;
          const cOp = ops.get(cName) as Op;
          const cc = addConst(`${cName}_g${k}`, [...cOp.output.shape], new Float32Array(cOp.data as Float32Array));
          const ek: Op = { name: freshName({ ...g, ops: [...g.ops, ...newOps] }, `${e.name}_g${k}`), type: e.type, inputs: e.inputs.map((i) => (i === cName ? cc : prev)), attrs: JSON.parse(JSON.stringify(e.attrs)) as Op['attrs'], output: { ...e.output, shape: withChannels(e.output.shape, n) } };
          newOps.push(ek);
          prev = ek.name;
        }
      };
      copyChain(c1);
      const dwk = addConst(`${d.name}_g${k}_weights`, [...dwW.output.shape.slice(0, -1), n], gather(dwW.data as Float32Array, chans, dwTaps, false, oc));
      const di = [prev, dwk];
      if (db?.data) di.push(addConst(`${d.name}_g${k}_bias`, [n], gather(db.data, chans, 1, true, oc)));
      const dk: Op = { name: freshName({ ...g, ops: [...g.ops, ...newOps] }, `${d.name}_g${k}`), type: 'depthwise-conv2d', inputs: di, attrs: JSON.parse(JSON.stringify(d.attrs)) as Op['attrs'], output: { ...d.output, shape: withChannels(d.output.shape, n) } };
      newOps.push(dk);
      prev = dk.name;
      copyChain(c2);
      branchOut.push(prev);
    });
    const lastOld = c2.length ? (c2[c2.length - 1] as Op) : d;
    const cat: Op = { name: lastOld.name, type: 'concat', inputs: branchOut, attrs: { axis: lastOld.output.shape.length - 1 }, output: { ...lastOld.output, shape: [...lastOld.output.shape] } };
    newOps.push(cat);
    // Y reads the channels in `order`: permute its input-channel axis (own copy of the weights)
    const yw = ops.get(y.inputs[1] as string) as Op;
    const ic = yw.output.shape[yw.output.shape.length - 1] as number;
    const src = yw.data as Float32Array;
    const perm = new Float32Array(src.length);
    for (let r = 0; r < src.length / ic; r++) for (let j = 0; j < ic; j++) perm[r * ic + j] = src[r * ic + (order[j] as number)] as number;
    const ywName = addConst(`${y.name}_weights_perm`, [...yw.output.shape], perm);
    y.inputs[1] = ywName;
    // replace the old block by the branches, at X's position
    const dead = new Set([x.name, d.name, ...c1.map((o) => o.name), ...c2.map((o) => o.name)]);
    const at = g.ops.indexOf(x);
    const rest = g.ops.filter((o) => !dead.has(o.name));
    const pos = rest.indexOf(g.ops.slice(at).find((o) => !dead.has(o.name)) as Op);
    rest.splice(pos, 0, ...newOps);
    g.ops = rest;
    const used = new Set<string>(g.outputs);
    for (const o of g.ops) for (const i of o.inputs) used.add(i);
    g.ops = g.ops.filter((o) => o.type !== 'const' || used.has(o.name));
    split.push({ conv: x.name, depthwise: d.name, groups: slices.length });
  }
  return { split };
}

/**
 * `mul(h, a) → add(·, b)` with scalar constants a, b (PP-LCNetV3's learnable affine after an activation) →
 * one 1×1 depthwise conv (weights a, bias b per channel): exact in float, and on the DPU one requantization
 * instead of two (the add's output rounding was the largest activation error on PP-OCRv4 rec). Only where the
 * mul feeds nothing but the add and h is rank 4 (NHWC). Mutates `g`; returns the new op names.
 */
export function scalarAffineToDepthwise(g: Graph): string[] {
  const out: string[] = [];
  for (;;) {
    const ops = opMap(g);
    const cons = consumerMap(g);
    let hit: { mul: Op; add: Op; h: string; a: number; b: number } | undefined;
    for (const mul of g.ops) {
      if (mul.type !== 'mul' || mul.output.shape.length !== 4) continue;
      const h = mul.inputs.find((i) => ops.get(i)?.type !== 'const');
      if (!h || !scalarConst(mul, ops, h)) continue;
      const users = cons.get(mul.name) ?? [];
      if (users.length !== 1 || users[0] === '' || g.outputs.includes(mul.name)) continue;
      const add = ops.get(users[0] as string) as Op;
      const bName = add.type === 'add' ? scalarConst(add, ops, mul.name) : undefined;
      if (!bName) continue;
      const aName = scalarConst(mul, ops, h) as string;
      const hShape = ops.get(h)?.output.shape ?? [];
      if (hShape.length !== 4 || hShape.some((d, i) => d !== mul.output.shape[i]) || add.output.shape.some((d, i) => d !== mul.output.shape[i])) continue;
      hit = { mul, add, h, a: (ops.get(aName)?.data as Float32Array)[0] as number, b: (ops.get(bName)?.data as Float32Array)[0] as number };
      break;
    }
    if (!hit) break;
    const c = hit.add.output.shape[3] as number;
    const wName = freshName(g, `${hit.add.name}_affine_weights`);
    const w: Op = { name: wName, type: 'const', inputs: [], attrs: {}, output: { shape: [1, 1, 1, c], dtype: 'float32' }, data: new Float32Array(c).fill(hit.a) };
    const bName = freshName({ ...g, ops: [...g.ops, w] }, `${hit.add.name}_affine_bias`);
    const b: Op = { name: bName, type: 'const', inputs: [], attrs: {}, output: { shape: [c], dtype: 'float32' }, data: new Float32Array(c).fill(hit.b) };
    const dw: Op = {
      name: hit.add.name, type: 'depthwise-conv2d', inputs: [hit.h, wName, bName],
      attrs: { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0] }, output: { ...hit.add.output, shape: [...hit.add.output.shape] },
    };
    const at = g.ops.indexOf(hit.mul);
    g.ops = g.ops.filter((o) => o !== hit!.mul && o !== hit!.add);
    g.ops.splice(Math.min(at, g.ops.length), 0, w, b, dw);
    const used = new Set<string>(g.outputs);
    for (const o of g.ops) for (const i of o.inputs) used.add(i);
    g.ops = g.ops.filter((o) => o.type !== 'const' || used.has(o.name));
    out.push(dw.name);
  }
  return out;
}
