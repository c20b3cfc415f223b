/**
 * x·hardsigmoid(x) (alpha 1/6, beta 1/2) and x·relu6(x+3)/6 → `hard-swish`.
 * Matches div(mul(x, relu6(add(x,3))), 6), mul(mul(x, relu6(add(x,3))), 1/6) and
 * mul(x, div(relu6(add(x,3)), 6)) with the operands of mul/add in either order. Intermediate
 * ops must have no other users. TensorFlow's spellings: tf-hard-swish.ts (same matcher).
 */
import type { Graph } from '../types.js';
import { asHardSwish, hardSwishMatcher } from './hard-swish-match.js';

const near = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
const isSixth = (c: number | undefined): boolean => near(c, 1 / 6);

export function fuseHardSwish(g: Graph): Graph {
  const m = hardSwishMatcher(g);
  const replace = new Map<string, string>(); // op name → x
  for (const o of g.ops) {
    const [p, q] = o.inputs;
    let x: string | undefined;
    if (o.type === 'div' && near(m.scalar(q), 6)) x = m.xTimesRelu6(m.get(p));
    else if (o.type === 'mul') {
      if (isSixth(m.scalar(q))) x = m.xTimesRelu6(m.get(p));
      else if (isSixth(m.scalar(p))) x = m.xTimesRelu6(m.get(q));
      if (!x) {
        for (const [a, b] of [[p, q], [q, p]] as [string, string][]) {
          const h = m.get(b);
          if (h && h.type === 'hard-sigmoid' && m.single(h) && h.inputs[0] === a && near(h.attrs['alpha'] as number, 1 / 6) && near(h.attrs['beta'] as number, 0.5)) x = a;
          if (h && h.type === 'div' && m.single(h) && near(m.scalar(h.inputs[1]), 6) && m.relu6Plus3(m.get(h.inputs[0])) === a) x = a;
          if (x) break;
        }
      }
    }
    if (x) replace.set(o.name, x);
  }
  if (replace.size === 0) return g;
  const ops = g.ops.map((o) => {
    const x = replace.get(o.name);
    return x ? asHardSwish(o, x) : o;
  });
  return { ...g, ops };
}
