/**
 * Decomposed LayerNorm → `layernorm`:
 *   m = mean(x, A); d = x − m; v = mean(d^2, A); y = d / sqrt(v + eps) [· γ] [+ β]
 * (reduction_mean keep_dims over trailing axes A, pow(d, 2) or mul(d, d)).
 */
import type { Graph, Op } from '../types.js';
import { opMap, scalarConst, usersOf } from './util.js';

function numel(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

export function fuseLayerNorm(g: Graph): Graph {
  const byName = opMap(g);
  const users = usersOf(g);
  const get = (n: string | undefined): Op | undefined => (n === undefined ? undefined : byName.get(n));
  const uses = (o: Op): Op[] => users.get(o.name) ?? [];
  const internal = (o: Op, n: number): boolean => uses(o).length === n && !g.outputs.includes(o.name);
  const newOps: Op[] = [];
  const replaced = new Map<string, Op>();
  const sameAxes = (a: Op, b: Op): boolean => JSON.stringify(a.attrs['axis']) === JSON.stringify(b.attrs['axis']);

  for (const m of g.ops) {
    if (m.type !== 'reduction_mean' || m.attrs['keep_dims'] !== true) continue;
    const x = m.inputs[0]!;
    const rank = get(x)!.output.shape.length;
    const axes = [...(m.attrs['axis'] as number[])].map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
    if (!axes.every((a, i) => a === rank - axes.length + i)) continue;
    const d = uses(m).find((u) => u.type === 'sub' && u.inputs[0] === x && u.inputs[1] === m.name);
    if (!d || !internal(m, 1)) continue;
    // d feeds pow/mul (variance) and div
    const sq = uses(d).find((u) => (u.type === 'pow' && u.inputs[0] === d.name && scalarConst(get(u.inputs[1])) === 2) || (u.type === 'mul' && u.inputs[0] === d.name && u.inputs[1] === d.name));
    const div = uses(d).find((u) => u.type === 'div' && u.inputs[0] === d.name);
    if (!sq || !div || !internal(d, 2) || !internal(sq, 1)) continue;
    const v = uses(sq)[0]!;
    if (v.type !== 'reduction_mean' || v.attrs['keep_dims'] !== true || !sameAxes(v, m) || !internal(v, 1)) continue;
    const e = uses(v)[0]!;
    if (e.type !== 'add' || !internal(e, 1)) continue;
    const eps = scalarConst(get(e.inputs[0] === v.name ? e.inputs[1] : e.inputs[0]));
    if (eps === undefined) continue;
    const s = uses(e)[0]!;
    if (s.type !== 'sqrt' || !internal(s, 1) || div.inputs[1] !== s.name) continue;
    const normShape = get(x)!.output.shape.slice(rank - axes.length);
    const n = numel(normShape);
    let last: Op = div;
    let gamma: Float32Array = new Float32Array(n).fill(1);
    let beta: Float32Array = new Float32Array(n);
    const strip = (sh: readonly number[]): string => { const i = sh.findIndex((d) => d !== 1); return (i < 0 ? [] : sh.slice(i)).join(','); };
    const constOf = (other: string): Float32Array | undefined => {
      const c = get(other);
      if (!c || c.type !== 'const' || !c.data) return undefined;
      if (c.data.length === n && strip(c.output.shape) === strip(normShape)) return c.data;
      if (c.data.length === 1) return new Float32Array(n).fill(c.data[0]!);
      return undefined;
    };
    const mul = internal(div, 1) ? uses(div)[0] : undefined;
    if (mul && mul.type === 'mul') {
      const other = mul.inputs[0] === div.name ? mul.inputs[1]! : mul.inputs[0]!;
      const c = constOf(other);
      if (c) {
        gamma = c;
        last = mul;
        const add = internal(mul, 1) ? uses(mul)[0] : undefined;
        if (add && add.type === 'add') {
          const o2 = add.inputs[0] === mul.name ? add.inputs[1]! : add.inputs[0]!;
          const b = constOf(o2);
          if (b) { beta = b; last = add; }
        }
      }
    }
    if (last.output.shape.join(',') !== get(x)!.output.shape.join(',')) continue;
    const gName = `${last.name}/ln_gamma`, bName = `${last.name}/ln_beta`;
    newOps.push(
      { name: gName, type: 'const', inputs: [], attrs: {}, output: { shape: normShape, dtype: 'float32' }, data: Float32Array.from(gamma) },
      { name: bName, type: 'const', inputs: [], attrs: {}, output: { shape: normShape, dtype: 'float32' }, data: Float32Array.from(beta) },
    );
    replaced.set(last.name, { ...last, type: 'layernorm', inputs: [x, gName, bName], attrs: { axis: axes, epsilon: eps } });
  }
  if (replaced.size === 0) return g;
  const ops: Op[] = [...newOps];
  for (const o of g.ops) ops.push(replaced.get(o.name) ?? o);
  return { ...g, ops };
}
