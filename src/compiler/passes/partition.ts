/**
 * Pass `partition`: each op goes to the DPU or the CPU by its support rule (src/compiler/support),
 * CPU ops with their reason and fix; then ops are grouped into as few subgraphs as possible:
 * same-device groups are merged whenever the group graph stays acyclic. Data ops form the USER
 * subgraph; const ops follow their consumers.
 */
import type { Graph, Op } from '../../ir/types.js';
import { checkDpuSupport } from '../support/index.js';
import type { CompileReport, CpuOpReason, Device, Pass, SubgraphPlan } from '../types.js';

export const partition: Pass = (state, ctx) => {
  const g = state.graph;
  const byName = new Map(g.ops.map((o) => [o.name, o]));
  const device: Record<string, Device> = {};
  const cpu: CpuOpReason[] = [];
  const compute: Op[] = [];
  for (const op of g.ops) {
    if (op.type === 'const') continue;
    if (op.type === 'data') { device[op.name] = 'USER'; continue; }
    compute.push(op);
    const inputOps = op.inputs.map((n) => byName.get(n)!);
    const r = checkDpuSupport(op, { arch: ctx.arch, inputs: inputOps.map((o) => o.output), inputOps });
    if (r) { device[op.name] = 'CPU'; cpu.push({ op: op.name, type: op.type, reason: r.reason, fix: r.fix }); }
    else device[op.name] = 'DPU';
  }
  // Views (reshape/identity/concat) placed on the DPU but touching only CPU ops are moved to CPU:
  // a DPU subgraph of pure views would compute nothing.
  for (const op of compute) {
    if (device[op.name] !== 'DPU' || !['reshape', 'identity', 'transpose'].includes(op.type)) continue;
    const src = byName.get(op.inputs[0]);
    if (src && device[src.name] !== 'DPU') {
      device[op.name] = 'CPU';
      cpu.push({ op: op.name, type: op.type, reason: `${op.type} of a tensor that is not on the DPU: kept with its producer`, fix: 'nothing to do' });
    }
  }

  const subgraphs = groupSubgraphs(g, device);
  setPartitionReport(ctx.report, cpu, subgraphs);
  return { ...state, device, cpu, subgraphs };
};

/** Report fields of a partition: CPU ops, subgraph list and counts. */
export function setPartitionReport(report: CompileReport, cpu: CpuOpReason[], subgraphs: SubgraphPlan[]): void {
  report.cpuOps = cpu;
  report.subgraphs = subgraphs.map((s) => ({ name: s.name, device: s.device, ops: s.ops.length }));
  const n = (d: string) => subgraphs.filter((s) => s.device === d).length;
  report.counts = { dpu: n('DPU'), cpu: n('CPU'), user: n('USER') };
}

/**
 * Minimal acyclic grouping of a device assignment: union-find over the compute ops (const and data
 * ops excluded), merging along same-device edges in topological order, then any two same-device
 * groups, refusing a merge that would make the subgraph graph cyclic; groups in topological order.
 */
export function groupSubgraphs(g: Graph, device: Record<string, Device>): SubgraphPlan[] {
  const byName = new Map(g.ops.map((o) => [o.name, o]));
  const compute = g.ops.filter((o) => o.type !== 'const' && o.type !== 'data');
  // Union-find over compute ops with an acyclicity check on the quotient graph.
  const idx = new Map(compute.map((o, i) => [o.name, i]));
  const parent = compute.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const preds = compute.map((o) => o.inputs.map((n) => idx.get(n)).filter((x): x is number => x !== undefined));
  const succs: number[][] = compute.map(() => []);
  preds.forEach((ps, i) => ps.forEach((p) => succs[p].push(i)));

  /** Is group `to` reachable from group `from` through at least one other group? */
  function reachesVia(from: number, to: number): boolean {
    const groupSucc = new Map<number, Set<number>>();
    for (let i = 0; i < compute.length; i++) {
      const gi = find(i);
      for (const s of succs[i]) {
        const gs = find(s);
        if (gs !== gi) { if (!groupSucc.has(gi)) groupSucc.set(gi, new Set()); groupSucc.get(gi)!.add(gs); }
      }
    }
    const stack = [...(groupSucc.get(from) ?? [])].filter((x) => x !== to);
    const seen = new Set(stack);
    while (stack.length) {
      const x = stack.pop()!;
      for (const y of groupSucc.get(x) ?? []) {
        if (y === to) return true;
        if (!seen.has(y)) { seen.add(y); stack.push(y); }
      }
    }
    return false;
  }
  function tryMerge(a: number, b: number): boolean {
    const ga = find(a), gb = find(b);
    if (ga === gb || device[compute[a].name] !== device[compute[b].name]) return false;
    if (reachesVia(ga, gb) || reachesVia(gb, ga)) return false;
    parent[gb] = ga;
    return true;
  }
  // 1) along edges, in topological order
  for (let i = 0; i < compute.length; i++) for (const p of preds[i]) tryMerge(p, i);
  // 2) any two same-device groups with no path between them through another group
  let changed = true;
  while (changed) {
    changed = false;
    const roots = [...new Set(compute.map((_, i) => find(i)))];
    outer: for (let x = 0; x < roots.length; x++) {
      for (let y = x + 1; y < roots.length; y++) {
        if (find(roots[x]) !== roots[x] || find(roots[y]) !== roots[y]) continue;
        if (tryMerge(roots[x], roots[y])) { changed = true; break outer; }
      }
    }
  }

  // Order groups topologically (Kahn over the quotient graph, stable by first op index).
  const groups = new Map<number, number[]>();
  compute.forEach((_, i) => { const r = find(i); if (!groups.has(r)) groups.set(r, []); groups.get(r)!.push(i); });
  const indeg = new Map<number, number>([...groups.keys()].map((k) => [k, 0]));
  const gsucc = new Map<number, Set<number>>([...groups.keys()].map((k) => [k, new Set<number>()]));
  compute.forEach((_, i) => succs[i].forEach((s) => {
    const a = find(i), b = find(s);
    if (a !== b && !gsucc.get(a)!.has(b)) { gsucc.get(a)!.add(b); indeg.set(b, indeg.get(b)! + 1); }
  }));
  const ready = [...groups.keys()].filter((k) => indeg.get(k) === 0).sort((a, b) => groups.get(a)![0] - groups.get(b)![0]);
  const order: number[] = [];
  while (ready.length) {
    const k = ready.shift()!;
    order.push(k);
    for (const s of gsucc.get(k)!) { indeg.set(s, indeg.get(s)! - 1); if (indeg.get(s) === 0) { ready.push(s); ready.sort((a, b) => groups.get(a)![0] - groups.get(b)![0]); } }
  }

  const users = new Map<string, string[]>();
  for (const o of g.ops) for (const i of o.inputs) { if (!users.has(i)) users.set(i, []); users.get(i)!.push(o.name); }
  const subgraphs: SubgraphPlan[] = [];
  const dataOps = g.ops.filter((o) => o.type === 'data').map((o) => o.name);
  if (dataOps.length) subgraphs.push({ name: 'subgraph_user', device: 'USER', ops: dataOps, consts: [], inputs: [], outputs: dataOps });
  let nDpu = 0, nCpu = 0;
  for (const k of order) {
    const members = groups.get(k)!.map((i) => compute[i]);
    const dev = device[members[0].name];
    const inSet = new Set(members.map((m) => m.name));
    const consts: string[] = [], inputs: string[] = [], outputs: string[] = [];
    for (const m of members) {
      for (const n of m.inputs) {
        const src = byName.get(n)!;
        if (src.type === 'const') { if (!consts.includes(n)) consts.push(n); }
        else if (!inSet.has(n) && !inputs.includes(n)) inputs.push(n);
      }
      if (g.outputs.includes(m.name) || (users.get(m.name) ?? []).some((u) => !inSet.has(u))) outputs.push(m.name);
    }
    const name = dev === 'DPU' ? `subgraph_dpu_${nDpu++}` : `subgraph_cpu_${nCpu++}`;
    subgraphs.push({ name, device: dev, ops: members.map((m) => m.name), consts, inputs, outputs });
  }
  return subgraphs;
}
