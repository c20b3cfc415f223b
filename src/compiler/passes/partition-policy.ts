/**
 * Pass `partition-policy`: a DPU subgraph that sits between CPU ops and computes little (an "island":
 * e.g. the SVTR neck's swish `mul` or a 1×1 conv between CPU attention ops) costs more than it saves —
 * every tensor crossing it is a DDR round trip with a float↔int8 conversion on the CPU, and every DPU
 * subgraph is one more runner launch. The pass estimates, per DPU group with a CPU neighbour,
 *
 *   cpuUs = MACs / CPU_MACS_PER_US
 *   dpuUs = MACs / (pp·icp·ocp·DPU_MHZ) + DPU_LAUNCH_US + crossing elements · CROSSING_US_PER_ELEMENT
 *
 * and moves the whole group to the CPU when cpuUs ≤ dpuUs, each op with its reason; then it regroups
 * (groupSubgraphs) and repeats until nothing moves. The DPU group with the most MACs (the backbone) always
 * stays. `compile(g, target, { partitionPolicy: false })` turns the pass off. The constants are stated assumptions, not
 * measurements of a board (see docs/compiler.md); `PolicyOptions` overrides them.
 */
import type { Graph, Op } from '../../ir/types.js';
import type { CompilerArch } from '../arch.js';
import type { CpuOpReason, Device, Pass, SubgraphPlan } from '../types.js';
import { groupSubgraphs, setPartitionReport } from './partition.js';

export interface PolicyOptions {
  /** Host CPU float throughput (one Cortex-A53 core, NEON fp32): MACs per µs. */
  cpuMacsPerUs: number;
  /** DPU clock, MHz (peak MACs per µs = pp·icp·ocp·MHz). */
  dpuMhz: number;
  /** Fixed cost of one DPU subgraph call (job submit, cache flush/invalidate, completion). */
  dpuLaunchUs: number;
  /** Cost per element crossing the CPU↔DPU boundary (quantize or dequantize + DDR write and read). */
  crossingUsPerElement: number;
}

export const DEFAULT_POLICY: PolicyOptions = { cpuMacsPerUs: 2000, dpuMhz: 300, dpuLaunchUs: 150, crossingUsPerElement: 0.004 };

const elems = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Multiply-accumulates of one op (elementwise ops: one per output element). */
export function opMacs(op: Op, byName: Map<string, Op>): number {
  const out = elems(op.output.shape);
  const a = op.attrs;
  const k = Array.isArray(a['kernel']) ? (a['kernel'] as number[]).reduce((x, y) => x * y, 1) : 1;
  const in0 = byName.get(op.inputs[0])?.output.shape ?? [];
  switch (op.type) {
    case 'conv2d': case 'transposed-conv2d': {
      const ic = in0[in0.length - 1] ?? 1;
      return out * k * ic / (Number(a['group'] ?? 1) || 1);
    }
    case 'depthwise-conv2d': return out * k;
    case 'matmul': return out * (in0[in0.length - 1] ?? 1);
    case 'maxpool2d': case 'avgpool2d': return out * k;
    default: return out;
  }
}

export interface IslandDecision {
  subgraph: string;
  ops: string[];
  macs: number;
  crossingElements: number;
  cpuUs: number;
  dpuUs: number;
  moved: boolean;
}

/**
 * Decide and apply: returns the new device map, the CPU reasons added and every island considered.
 * Pure; `partitionPolicy` is the pass around it.
 */
export function absorbDpuIslands(g: Graph, device: Record<string, Device>, subgraphs: SubgraphPlan[], arch: CompilerArch, opts: PolicyOptions = DEFAULT_POLICY): {
  device: Record<string, Device>; cpu: CpuOpReason[]; subgraphs: SubgraphPlan[]; decisions: IslandDecision[];
} {
  const byName = new Map(g.ops.map((o) => [o.name, o]));
  const dev = { ...device };
  const cpu: CpuOpReason[] = [];
  const decisions: IslandDecision[] = [];
  const dpuMacsPerUs = arch.pp * arch.icp * arch.ocp * opts.dpuMhz;
  let sgs = subgraphs;
  for (let round = 0; round < 8; round++) {
    const sgOf = new Map<string, SubgraphPlan>();
    for (const s of sgs) for (const o of s.ops) sgOf.set(o, s);
    const users = new Map<string, string[]>();
    for (const o of g.ops) for (const i of o.inputs) { if (!users.has(i)) users.set(i, []); users.get(i)!.push(o.name); }
    let moved = false;
    // the DPU subgraph with the most MACs (the backbone) is never an island
    const macsOf = (s: SubgraphPlan) => s.ops.reduce((acc, o) => acc + opMacs(byName.get(o)!, byName), 0);
    const dpuSgs = sgs.filter((s) => s.device === 'DPU');
    const main = dpuSgs.reduce<SubgraphPlan | undefined>((best, s) => (!best || macsOf(s) > macsOf(best) ? s : best), undefined);
    for (const s of sgs) {
      if (s.device !== 'DPU' || s === main) continue;
      const cpuIn = s.inputs.filter((t) => dev[t] === 'CPU');
      const cpuOut = s.outputs.filter((t) => (users.get(t) ?? []).some((u) => dev[u] === 'CPU'));
      if (!cpuIn.length && !cpuOut.length) continue; // not next to the CPU: nothing to absorb into
      const macs = macsOf(s);
      const crossing = [...s.inputs, ...s.outputs].reduce((acc, t) => acc + elems(byName.get(t)!.output.shape), 0);
      const cpuUs = macs / opts.cpuMacsPerUs;
      const dpuUs = macs / dpuMacsPerUs + opts.dpuLaunchUs + crossing * opts.crossingUsPerElement;
      const move = cpuUs <= dpuUs;
      decisions.push({ subgraph: s.name, ops: [...s.ops], macs, crossingElements: crossing, cpuUs, dpuUs, moved: move });
      if (!move) continue;
      const trips = s.inputs.length + s.outputs.length;
      for (const o of s.ops) {
        dev[o] = 'CPU';
        const op = byName.get(o)!;
        cpu.push({
          op: o, type: op.type,
          reason: `small DPU island between CPU ops (${s.ops.length} op${s.ops.length > 1 ? 's' : ''}, ${macs} MACs, ~${cpuUs.toFixed(0)} µs on the CPU): `
            + `moved to CPU to avoid ${trips} DDR round trip${trips > 1 ? 's' : ''} (${crossing} elements quantized/dequantized) and a DPU launch (~${dpuUs.toFixed(0)} µs in all)`,
          fix: 'nothing to do: partition policy (DPU islands below the cost threshold run on the CPU)',
        });
      }
      moved = true;
    }
    if (!moved) break;
    sgs = groupSubgraphs(g, dev);
  }
  return { device: dev, cpu, subgraphs: sgs, decisions };
}

export const partitionPolicy: Pass = (state, ctx) => {
  const o = ctx.options?.partitionPolicy;
  if (o === false) return state;
  const r = absorbDpuIslands(state.graph, state.device, state.subgraphs, ctx.arch, { ...DEFAULT_POLICY, ...(o ?? {}) });
  if (!r.cpu.length) return state;
  const cpu = [...state.cpu, ...r.cpu];
  setPartitionReport(ctx.report, cpu, r.subgraphs);
  ctx.report.notes.push(`partition-policy: ${r.cpu.length} op(s) of ${r.decisions.filter((d) => d.moved).length} small DPU island(s) moved to the CPU`);
  return { ...state, device: r.device, cpu, subgraphs: r.subgraphs };
};
