/**
 * The pattern matching both hard-swish passes share (hard-swish.ts: the ONNX / PyTorch spellings,
 * tf-hard-swish.ts: TensorFlow's): the pieces of x·relu6(x+3)·(1/6), each matched only where its
 * intermediate ops have a single user and are not graph outputs. The passes differ in the spellings they
 * accept around these pieces and in how close to 1/6 a constant must be.
 */
import type { Graph, Op } from '../types.js';
import { opMap, scalarConst, usersOf } from './util.js';

/** 3 within float32 rounding (both passes). */
export const isThree = (c: number | undefined): boolean => c !== undefined && Math.abs(c - 3) <= 3e-6;

export interface HardSwishMatcher {
  readonly users: Map<string, Op[]>;
  get(name: string | undefined): Op | undefined;
  /** The value of the scalar constant op `name`, else undefined. */
  scalar(name: string | undefined): number | undefined;
  /** One consumer and not a graph output: the op may disappear into a fused one. */
  single(o: Op): boolean;
  /** relu6(add(x, 3)), add in either order → x */
  relu6Plus3(o: Op | undefined): string | undefined;
  /** mul(x, relu6(x+3)) in either order → x */
  xTimesRelu6(o: Op | undefined): string | undefined;
  /** mul(v, c) or mul(c, v) with isC(c) → [v, c] */
  timesConst(o: Op | undefined, isC: (c: number | undefined) => boolean): [string, number] | undefined;
}

export function hardSwishMatcher(g: Graph): HardSwishMatcher {
  const byName = opMap(g);
  const users = usersOf(g);
  const single = (o: Op): boolean => (users.get(o.name)?.length ?? 0) === 1 && !g.outputs.includes(o.name);
  const get = (n: string | undefined): Op | undefined => (n === undefined ? undefined : byName.get(n));
  const scalar = (n: string | undefined): number | undefined => scalarConst(get(n));
  /** o's two inputs when o is a single-user binary op of this type */
  const pair = (o: Op | undefined, type: string): [string, string] | undefined =>
    (o && o.type === type && single(o) && o.inputs.length === 2 ? (o.inputs as [string, string]) : undefined);
  const relu6Plus3 = (o: Op | undefined): string | undefined => {
    if (!o || o.type !== 'relu6' || !single(o)) return undefined;
    const a = pair(get(o.inputs[0]), 'add');
    if (!a) return undefined;
    if (isThree(scalar(a[1]))) return a[0];
    if (isThree(scalar(a[0]))) return a[1];
    return undefined;
  };
  const xTimesRelu6 = (o: Op | undefined): string | undefined => {
    const m = pair(o, 'mul');
    if (!m) return undefined;
    const [p, q] = m;
    if (relu6Plus3(get(q)) === p) return p;
    if (relu6Plus3(get(p)) === q) return q;
    return undefined;
  };
  const timesConst = (o: Op | undefined, isC: (c: number | undefined) => boolean): [string, number] | undefined => {
    const m = pair(o, 'mul');
    if (!m) return undefined;
    const [p, q] = m;
    const cq = scalar(q);
    if (isC(cq)) return [p, cq!];
    const cp = scalar(p);
    if (isC(cp)) return [q, cp!];
    return undefined;
  };
  return { users, get, scalar, single, relu6Plus3, xTimesRelu6, timesConst };
}

/** The op `o` turned into hard-swish(x) (same name, so its consumers read the fused value). */
export const asHardSwish = (o: Op, x: string): Op => ({ ...o, type: 'hard-swish', inputs: [x], attrs: {} });
