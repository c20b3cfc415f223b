/** Pass `codegen`: instructions for every DPU subgraph (src/compiler/codegen/emit.ts). */
import type { Pass, Placement } from '../types.js';
import { emitSubgraph } from '../codegen/emit.js';
import { encodeProgram } from '../codegen/encode.js';
import { CompileError } from '../../errors.js';

export const codegen: Pass = (state, ctx) => {
  const byName = new Map(state.graph.ops.map((o) => [o.name, o]));
  const dpu = state.dpu.map((d) => {
    const ddr = d.ddr!;
    const place = (t: string): Placement => {
      const p = ddr.tensors[t];
      if (!p) throw new CompileError('E_DDR', `tensor '${t}' has no DDR placement`, { where: t, fix: 'report this: the DDR plan missed a tensor' });
      return p;
    };
    const copyOffset = (l: { name: string; inputs: string[]; output: string }): number => {
      const c = byName.get(l.output)!;
      let off = 0;
      for (const x of c.inputs) { if (x === l.inputs[0]) return off; off += byName.get(x)!.output.shape[3]; }
      return 0;
    };
    const instrs = emitSubgraph({ layers: d.layers, tiling: d.tiling, ddr, copyOffset, place }, ctx.arch);
    return { ...d, instrs, mcCode: encodeProgram(instrs) };
  });
  ctx.report.instructions = dpu.reduce((a, d) => a + (d.instrs?.length ?? 0), 0);
  return { ...state, dpu };
};
