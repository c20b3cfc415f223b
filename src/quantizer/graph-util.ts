/** Small graph helpers used by the quantizer passes (pure, no I/O). */
import type { Graph, Op, TensorValue } from '../ir/types.js';
import { runFloat } from '../kernels/ref/float-executor.js';

export function cloneGraph(g: Graph): Graph {
  return {
    name: g.name,
    inputs: [...g.inputs],
    outputs: [...g.outputs],
    meta: { ...g.meta },
    ops: g.ops.map((op) => cloneOp(op)),
  };
}

export function cloneOp(op: Op): Op {
  const c: Op = {
    name: op.name,
    type: op.type,
    inputs: [...op.inputs],
    attrs: JSON.parse(JSON.stringify(op.attrs)) as Op['attrs'],
    output: { ...op.output, shape: [...op.output.shape] },
  };
  if (op.data) c.data = new Float32Array(op.data);
  return c;
}

export function opMap(g: Graph): Map<string, Op> {
  return new Map(g.ops.map((o) => [o.name, o]));
}

/** name → names of the ops consuming it (graph outputs count as a consumer named ''). */
export function consumerMap(g: Graph): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const op of g.ops) m.set(op.name, []);
  for (const op of g.ops) for (const i of op.inputs) m.get(i)?.push(op.name);
  for (const o of g.outputs) m.get(o)?.push('');
  return m;
}

/** Replace every use of tensor `from` by `to` (op inputs and graph outputs), then drop op `from`. */
export function bypassOp(g: Graph, from: string, to: string): void {
  for (const op of g.ops) op.inputs = op.inputs.map((i) => (i === from ? to : i));
  g.outputs = g.outputs.map((o) => (o === from ? to : o));
  g.ops = g.ops.filter((o) => o.name !== from);
}

/** Drop const ops nobody uses any more. */
export function dropDeadConsts(g: Graph): void {
  const used = new Set<string>(g.outputs);
  for (const op of g.ops) for (const i of op.inputs) used.add(i);
  g.ops = g.ops.filter((o) => o.type !== 'const' || used.has(o.name));
}

/** A fresh op name not yet in the graph. */
export function freshName(g: Graph, base: string): string {
  const names = new Set(g.ops.map((o) => o.name));
  if (!names.has(base)) return base;
  for (let i = 1; ; i++) if (!names.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** Element i of a number-array attr (stride, dilation, pad …), or `d` when absent. */
export function attrAt(v: unknown, i: number, d: number): number {
  return Array.isArray(v) && typeof v[i] === 'number' ? (v[i] as number) : d;
}

export const CONV_TYPES = new Set(['conv2d', 'depthwise-conv2d', 'transposed-conv2d']);

/** Output-channel axis of a conv weight tensor: [oc,kh,kw,ic] → 0; depthwise [1,kh,kw,c] → 3. */
export function weightOcAxis(op: Op): number {
  return op.type === 'depthwise-conv2d' ? 3 : 0;
}

/** Multiply the weights of output channel c by s[c] in place. */
export function scaleOutChannels(op: Op, w: Float32Array, shape: number[], s: ArrayLike<number>): void {
  if (weightOcAxis(op) === 0) {
    const per = w.length / shape[0];
    for (let c = 0; c < shape[0]; c++) for (let i = 0; i < per; i++) w[c * per + i] *= s[c];
  } else {
    const c0 = shape[shape.length - 1];
    for (let i = 0; i < w.length; i++) w[i] *= s[i % c0];
  }
}

/** Number of output channels of a conv-like op, from its weights. */
export function outChannels(op: Op, wShape: number[]): number {
  return weightOcAxis(op) === 0 ? wShape[0] : wShape[wShape.length - 1];
}

/** Input-channel axis of conv weights (the last one for conv2d/transposed, none for depthwise). */
export function scaleInChannels(w: Float32Array, shape: number[], s: ArrayLike<number>): void {
  const ic = shape[shape.length - 1];
  for (let i = 0; i < w.length; i++) w[i] *= s[i % ic];
}

/** Per-channel (last axis) max |x| of the named tensors over `batches` (float inference with runFloat). */
export function channelMaxAbs(g: Graph, batches: Record<string, TensorValue>[], names: ReadonlySet<string>): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  if (!names.size) return out;
  for (const feeds of batches) {
    runFloat(g, feeds, {
      onTensor: (op, v) => {
        if (!names.has(op.name)) return;
        const C = v.shape[v.shape.length - 1] as number;
        let r = out.get(op.name);
        if (!r) out.set(op.name, (r = new Float64Array(C)));
        for (let i = 0; i < v.data.length; i++) {
          const a = Math.abs(v.data[i] as number);
          if (a > (r[i % C] as number)) r[i % C] = a;
        }
      },
    });
  }
  return out;
}
