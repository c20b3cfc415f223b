import assert from 'node:assert/strict';
import type { Graph } from '../../src/ir/types.js';
import { runPipeline } from '../../src/compiler/pipeline.js';
import { toCompilerArch } from '../../src/compiler/arch.js';
import { installDpuRules } from '../../src/compiler/support/index.js';
import { checkInstructions } from '../../src/compiler/passes/check-banks.js';
import { encodeProgram, decodeProgram } from '../../src/isa/codec.js';
import { CLASS_BY_NAME } from '../../src/isa/spec.js';
import { presetNames } from '../../src/dpu/arch/index.js';

export const PRESETS = presetNames();

/**
 * Compile through the checker for every preset; for each: the independent checker finds no
 * violation, and decode(encode(program)) gives back every instruction field for field.
 */
export function compileEveryArch(g: Graph): { preset: string; instructions: number; ms: number }[] {
  installDpuRules();
  const out: { preset: string; instructions: number; ms: number }[] = [];
  for (const preset of PRESETS) {
    const arch = toCompilerArch(preset);
    const t0 = performance.now();
    const { state } = runPipeline(g, arch, { until: 'check-banks' });
    const ms = performance.now() - t0;
    let n = 0;
    for (const d of state.dpu) {
      const instrs = d.instrs!;
      assert.deepEqual(checkInstructions(instrs, arch, d.ddr), [], `${preset} ${d.subgraph}`);
      const decoded = decodeProgram(encodeProgram(instrs));
      assert.equal(decoded.length, instrs.length);
      for (let i = 0; i < instrs.length; i++) {
        const a = instrs[i], b = decoded[i];
        const full: Record<string, number> = {};
        for (const fs of CLASS_BY_NAME[a.cls].fields) full[fs.name] = a.f[fs.name] ?? 0;
        if (a.cls !== b.cls || a.wait !== b.wait || a.signal !== b.signal || JSON.stringify(full) !== JSON.stringify(b.f)) {
          assert.fail(`${preset}: instruction ${i} (${a.cls}) does not survive encode∘decode`);
        }
      }
      n += instrs.length;
    }
    out.push({ preset, instructions: n, ms });
  }
  return out;
}
