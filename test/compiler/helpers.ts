import assert from 'node:assert/strict';
import type { Graph } from '../../src/ir/types.js';
import { runPipeline } from '../../src/compiler/pipeline.js';
import { toCompilerArch } from '../../src/compiler/arch.js';
import { installDpuRules } from '../../src/compiler/support/index.js';
import { checkInstructions } from '../../src/compiler/passes/check-banks.js';
import { encodeProgram, decodeProgram } from '../../src/isa/codec.js';
import { CLASS_BY_NAME } from '../../src/isa/spec.js';
import { presetNames, type DpuArch } from '../../src/dpu/arch/index.js';
import { compile } from '../../src/compiler/compile.js';
import { simulate } from '../../src/dpu/sim/index.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { quantize, DPU_ROUND } from '../../src/kernels/ref/int8/arith.js';

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

/** Every DPU subgraph output of the compiled graph, from the simulator running our mc_code, equals the INT8 reference executor's. */
export function checkBitExact(g: Graph, preset: string, seed = 3): number {
  const r = compile(g, preset);
  const input = g.ops.find((o) => o.type === 'data')!;
  let s = seed;
  const feed = new Float32Array(input.output.shape.reduce((a, b) => a * b, 1)).map(() => { s = (s * 1103515245 + 12345) >>> 0; return (s / 2 ** 32) * 8 - 4; });
  const ref = new Map<string, Int8Array>();
  runQuantized(g, { [input.name]: { shape: input.output.shape, data: feed } }, { onTensor: (op, _v, q) => { if (q) ref.set(op.name, q); } });
  let checked = 0;
  for (const d of r.state.dpu) {
    const sg = r.state.subgraphs.find((x) => x.name === d.subgraph)!;
    const ddr = d.ddr!;
    const regs: Record<number, Uint8Array> = {};
    for (const [k, size] of Object.entries(ddr.regSizes)) regs[Number(k.slice(4))] = new Uint8Array(size);
    regs[0].set(ddr.constBytes);
    for (const t of sg.inputs) {
      const p = ddr.tensors[t];
      const q = t === input.name ? quantize(feed, input.output.fixPoint!, DPU_ROUND) : ref.get(t)!;
      new Int8Array(regs[Number(p.reg.slice(4))].buffer).set(q, p.offset);
    }
    simulate(d.mcCode ?? new Uint8Array(0), { arch: r.arch as unknown as DpuArch, regs });
    for (const t of sg.outputs) {
      const p = ddr.tensors[t];
      const want = ref.get(t)!;
      const c = g.ops.find((o) => o.name === t)!.output.shape.at(-1)!;
      const mem = new Int8Array(regs[Number(p.reg.slice(4))].buffer);
      const got = new Int8Array(want.length);
      for (let px = 0; px < want.length / c; px++) for (let ch = 0; ch < c; ch++) got[px * c + ch] = mem[p.offset + px * p.pixelStride + ch];
      let diff = 0;
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) diff++;
      assert.equal(diff, 0, `${preset} ${d.subgraph} output '${t}': ${diff}/${want.length} bytes differ from the INT8 reference`);
      checked++;
    }
  }
  return checked;
}

