/**
 * Pass `fold-pads`: a zero CONSTANT pad on H/W only, whose every consumer is a conv, depthwise conv
 * or avgpool counting pads, is folded into the consumers' `pad` attr and removed.
 */
import type { Op } from '../../ir/types.js';
import { consumers, withOps } from '../graph-util.js';
import type { Pass } from '../types.js';

const FOLDABLE = new Set(['conv2d', 'depthwise-conv2d', 'avgpool2d']);

export const foldPads: Pass = (state, ctx) => {
  const g = state.graph;
  const cons = consumers(g);
  const byName = new Map(g.ops.map((o) => [o.name, o]));
  const patched = new Map<string, Op>();
  const removed = new Set<string>();
  for (const p of g.ops) {
    if (p.type !== 'pad') continue;
    const mode = String(p.attrs['mode'] ?? 'CONSTANT');
    const value = Number(p.attrs['constant_value'] ?? 0);
    const pads = (p.attrs['paddings'] as number[] | undefined) ?? [];
    if (mode !== 'CONSTANT' || value !== 0 || pads.length !== 8) continue;
    if (pads[0] || pads[1] || pads[6] || pads[7]) continue;
    const users = cons.get(p.name) ?? [];
    if (users.length === 0 || g.outputs.includes(p.name)) continue;
    const src = byName.get(p.inputs[0]);
    if (!src || src.output.fixPoint !== p.output.fixPoint) continue;
    if (!users.every((u) => FOLDABLE.has(u.type) && u.inputs[0] === p.name && u.attrs['global'] !== true
      && (u.type !== 'avgpool2d' || u.attrs['count_include_pad'] === true))) continue;
    const [t, b, l, r] = [pads[2], pads[3], pads[4], pads[5]];
    for (const u of users) {
      const cur = patched.get(u.name) ?? u;
      const old = (cur.attrs['pad'] as number[] | undefined) ?? [0, 0, 0, 0];
      patched.set(u.name, { ...cur, inputs: [p.inputs[0], ...cur.inputs.slice(1)], attrs: { ...cur.attrs, pad: [old[0] + l, old[1] + r, old[2] + t, old[3] + b] } });
    }
    removed.add(p.name);
    ctx.report.notes.push(`fold-pads: pad '${p.name}' folded into ${users.map((u) => `'${u.name}'`).join(', ')}`);
  }
  if (removed.size === 0) return state;
  const ops = g.ops.filter((o) => !removed.has(o.name)).map((o) => patched.get(o.name) ?? o);
  return { ...state, graph: withOps(g, ops) };
};
