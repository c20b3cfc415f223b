/**
 * x·hardsigmoid(x) (alpha 1/6, beta 1/2) and x·relu6(x+3)/6 → `hard-swish`.
 * Matches div(mul(x, relu6(add(x,3))), 6), mul(mul(x, relu6(add(x,3))), 1/6) and
 * mul(x, div(relu6(add(x,3)), 6)) with the operands of mul/add in either order. Intermediate
 * ops must have no other users.
 */
import type { Graph, Op } from '../types.js';
import { opMap, scalarConst, usersOf } from './util.js';

const near = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

export function fuseHardSwish(g: Graph): Graph {
  const byName = opMap(g);
  const users = usersOf(g);
  const single = (o: Op): boolean => (users.get(o.name)?.length ?? 0) === 1 && !g.outputs.includes(o.name);
  const get = (n: string | undefined): Op | undefined => (n === undefined ? undefined : byName.get(n));
  /** relu6(add(x, 3)) → x */
  const relu6Plus3 = (o: Op | undefined): string | undefined => {
    if (!o || o.type !== 'relu6' || !single(o)) return undefined;
    const a = get(o.inputs[0]);
    if (!a || a.type !== 'add' || !single(a)) return undefined;
    const [p, q] = a.inputs;
    if (near(scalarConst(get(q)), 3)) return p;
    if (near(scalarConst(get(p)), 3)) return q;
    return undefined;
  };
  /** mul(x, relu6(x+3)) → x */
  const xTimesRelu6 = (o: Op | undefined): string | undefined => {
    if (!o || o.type !== 'mul' || !single(o)) return undefined;
    const [p, q] = o.inputs;
    if (relu6Plus3(get(q)) === p) return p;
    if (relu6Plus3(get(p)) === q) return q;
    return undefined;
  };
  const replace = new Map<string, string>(); // op name → x
  for (const o of g.ops) {
    const [p, q] = o.inputs;
    let x: string | undefined;
    if (o.type === 'div' && near(scalarConst(get(q)), 6)) x = xTimesRelu6(get(p));
    else if (o.type === 'mul') {
      if (near(scalarConst(get(q)), 1 / 6)) x = xTimesRelu6(get(p));
      else if (near(scalarConst(get(p)), 1 / 6)) x = xTimesRelu6(get(q));
      if (!x) {
        for (const [a, b] of [[p, q], [q, p]] as [string, string][]) {
          const h = get(b);
          if (h && h.type === 'hard-sigmoid' && single(h) && h.inputs[0] === a && near(h.attrs['alpha'] as number, 1 / 6) && near(h.attrs['beta'] as number, 0.5)) x = a;
          if (h && h.type === 'div' && single(h) && near(scalarConst(get(h.inputs[1])), 6) && relu6Plus3(get(h.inputs[0])) === a) x = a;
          if (x) break;
        }
      }
    }
    if (x) replace.set(o.name, x);
  }
  if (replace.size === 0) return g;
  const ops = g.ops.map((o) => {
    const x = replace.get(o.name);
    return x ? { ...o, type: 'hard-swish', inputs: [x], attrs: {} } : o;
  });
  return { ...g, ops };
}
