// 'sim' mode speed (issue 6: ≥ 1 frame/s on ResNet-50): the instruction-level simulator running the
// B4096 mc_code of ResNet-50 and MobileNetV2 at 224² (seeded ONNX → importer → quantizer → compiler), with
// WASM tile arithmetic (default) and the scalar JS engine, next to the INT8 reference executor
// `runQuantized` on the same quantized graph. One core, one thread.
import { buildModel } from '../src/models/index.js';
import { importOnnx } from '../src/importers/onnx/index.js';
import { quantize } from '../src/quantizer/index.js';
import { compile } from '../src/compiler/compile.js';
import { decodeProgram } from '../src/isa/codec.js';
import { simulate } from '../src/dpu/sim/index.js';
import { runQuantized } from '../src/kernels/ref/quant-executor.js';
import type { DpuArch } from '../src/dpu/arch/index.js';
import type { BenchContext, BenchResult } from './types.js';

async function prepare(name: string) {
  const g = importOnnx(buildModel(name, { inputSize: 224, seed: 1 }).onnx);
  const inp = g.ops.find((o) => o.type === 'data')!;
  const n = inp.output.shape.reduce((a, b) => a * b, 1);
  let s = 3;
  const feed = { [inp.name]: { shape: inp.output.shape, data: new Float32Array(n).map(() => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s / 2 ** 32) * 2 - 1; }) } };
  const q = await quantize(g, [feed], { method: 'maxmin', skipReport: true, biasCorrection: false, cle: false });
  const r = compile(q.graph, 'B4096');
  const runs = r.state.dpu.map((d) => {
    const ddr = d.ddr!;
    const regs: Record<number, Uint8Array> = {};
    for (const [k, size] of Object.entries(ddr.regSizes)) regs[Number(k.slice(4))] = new Uint8Array(size);
    regs[0].set(ddr.constBytes);
    return { prog: decodeProgram(d.mcCode ?? new Uint8Array(0)), regs };
  });
  return { graph: q.graph, feed, runs, arch: r.arch as unknown as DpuArch };
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const [name, label] of [['resnet50', 'ResNet-50'], ['mobilenetv2', 'MobileNetV2']] as const) {
    ctx.progress(`${label}: quantize + compile`);
    const p = await prepare(name);
    const macs = p.runs.reduce((a, r) => a + simulate(r.prog, { arch: p.arch, regs: r.regs }).totals.macs, 0);
    ctx.progress(`${label}: runQuantized`);
    const ref = await ctx.time(() => runQuantized(p.graph, p.feed), { minRuns: 1, maxRuns: ctx.quick ? 1 : 3, minSeconds: 0 });
    for (const engine of ['wasm', 'js'] as const) {
      if (engine === 'js' && ctx.quick) continue;
      ctx.progress(`${label}: sim (${engine})`);
      const t = await ctx.time(() => { for (const r of p.runs) simulate(r.prog, { arch: p.arch, regs: r.regs, engine }); },
        { minRuns: engine === 'js' ? 1 : 3, maxRuns: engine === 'js' ? 1 : 10, minSeconds: engine === 'js' ? 0 : 2 });
      out.push(ctx.result({
        group: 'dpu-sim', name: `${label} 224² B4096 instruction-level sim (${engine} tile engine)`, value: 1000 / t.medianMs, unit: 'fps', higherIsBetter: true, threads: 1,
        peer: { name: 'INT8 reference runQuantized, 1 thread', value: 1000 / ref.medianMs },
        details: { medianMs: Number(t.medianMs.toFixed(1)), gmacPerS: Number((macs / (t.medianMs * 1e6)).toFixed(2)), instructions: p.runs.reduce((a, r) => a + r.prog.length, 0) },
      }));
    }
  }
  return out;
}
