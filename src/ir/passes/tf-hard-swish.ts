/**
 * TensorFlow's hard-swish spellings → `hard-swish`. The TF.js converter (MobileNetV3 from the TF
 * object-detection / slim code) writes
 *   mul(mul(x, 1/6), relu6(add(x, 3)))       — (x·1/6)·relu6(x+3), the slim `hard_swish` order
 *   mul(mul(x, relu6(add(x, 3))), 1/6)       — x·relu6(x+3)·(1/6)
 *   mul(x, mul(relu6(add(x, 3)), 1/6))       — x·(relu6(x+3)·1/6), hard-sigmoid written out
 * with the operands of every mul/add in either order, and very often with the weights stored as
 * float16, so 1/6 arrives as 0.1666259765625 (6c = 0.99976). The pass accepts |6c − 1| ≤ 1e-3 (a
 * half-precision 1/6; a genuinely different constant is left alone) and 3 within 1e-6. When 6c ≠ 1 the
 * fused op computes x·relu6(x+3)/6 and the factor 6c is folded exactly into the consumers when every
 * consumer is a conv/depthwise conv reading the value as its activation input (weights × 6c); otherwise
 * the fused value differs from TF's by the factor 6c (≤ 1e-3 relative; the DPU's own HSWISH uses
 * 2731/16384 for 1/6, 2.4e-4 away from it). Intermediate ops must have no other users.
 */
import type { Graph } from '../types.js';
import { asHardSwish, hardSwishMatcher } from './hard-swish-match.js';

/** How far 6·c may be from 1 for c to count as TF's 1/6 (float16 storage rounds it by 2.4e-4). */
export const SIXTH_TOLERANCE = 1e-3;

/**
 * `tolerance`: how far 6·c may be from 1 (default SIXTH_TOLERANCE). An importer that must keep TF's
 * float arithmetic exactly passes ~1e-7 (a float32 1/6 still fuses, a float16 one does not).
 */
export function fuseTfHardSwish(g: Graph, tolerance = SIXTH_TOLERANCE): Graph {
  const isSixth = (c: number | undefined): c is number => c !== undefined && Math.abs(6 * c - 1) <= tolerance;
  const m = hardSwishMatcher(g);
  const { users, get } = m;
  const fused = new Map<string, { x: string; c: number }>(); // final mul → x and its 1/6 constant
  for (const o of g.ops) {
    if (o.type !== 'mul' || o.inputs.length !== 2) continue;
    const [p, q] = o.inputs as [string, string];
    for (const [a, b] of [[p, q], [q, p]] as [string, string][]) {
      // (x·c)·relu6(x+3)
      const s = m.timesConst(get(a), isSixth);
      if (s && m.relu6Plus3(get(b)) === s[0]) { fused.set(o.name, { x: s[0], c: s[1] }); break; }
      // (x·relu6(x+3))·c
      const c = m.scalar(b);
      const x = isSixth(c) ? m.xTimesRelu6(get(a)) : undefined;
      if (x !== undefined) { fused.set(o.name, { x, c: c! }); break; }
      // x·(relu6(x+3)·c)
      const h = m.timesConst(get(b), isSixth);
      if (h && m.relu6Plus3(get(h[0])) === a) { fused.set(o.name, { x: a, c: h[1] }); break; }
    }
  }
  if (fused.size === 0) return g;
  // 6c ≠ 1: fold the factor into consumers that are linear in this input (conv weights), when all are.
  const scaleWeights = new Map<string, number>(); // weight const name → factor
  for (const [name, { c }] of fused) {
    const k = 6 * c;
    if (Math.abs(k - 1) <= 1e-6) continue; // a float32 1/6 (6c = 1 + 3e-8): exact enough, weights untouched
    const us = users.get(name) ?? [];
    const linear = us.length > 0 && !g.outputs.includes(name) && us.every((u) => (u.type === 'conv2d' || u.type === 'depthwise-conv2d')
      && u.inputs[0] === name && u.inputs.indexOf(name, 1) < 0 && get(u.inputs[1])?.type === 'const' && (users.get(u.inputs[1]!)?.length ?? 0) === 1 && !scaleWeights.has(u.inputs[1]!));
    if (linear) for (const u of us) scaleWeights.set(u.inputs[1]!, k);
  }
  const ops = g.ops.map((o) => {
    const f = fused.get(o.name);
    if (f) return asHardSwish(o, f.x);
    const k = scaleWeights.get(o.name);
    if (k !== undefined && o.data) return { ...o, data: o.data.map((v) => v * k) };
    return o;
  });
  return { ...g, ops };
}
