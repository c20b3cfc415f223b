/**
 * Compile speed: ResNet-50 (224², quantized IR built as in test/compiler/nets.ts) for B4096 and
 * B512, the whole pipeline to xmodel bytes. Target (issue 5): < 2 s for B4096 on this machine.
 * No peer runs here (vai_c_xir is not available), so no ratio.
 */
import type { BenchContext, BenchResult } from './types.js';
import { compile } from '../src/compiler/compile.js';
import { mobilenetV2, resnet50 } from '../test/compiler/nets.js';

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const cases: [string, () => ReturnType<typeof resnet50>, string][] = [
    ['ResNet-50 224²', resnet50, 'B4096'], ['ResNet-50 224²', resnet50, 'B512'], ['MobileNetV2 224²', mobilenetV2, 'B4096'],
  ];
  for (const [name, build, arch] of ctx.quick ? cases.slice(0, 1) : cases) {
    ctx.progress(`${name} ${arch}`);
    const g = build();
    let instructions = 0, bytes = 0, ddrBytes = 0;
    const t = await ctx.time(() => {
      const r = compile(g, arch); instructions = r.report.instructions; bytes = r.xmodel.length;
      // DDR traffic of one frame: every LOAD (weights + feature maps) and SAVE of the compiled stream
      ddrBytes = r.state.dpu.flatMap((d) => d.instrs ?? []).filter((i) => i.cls === 'LOAD' || i.cls === 'SAVE').reduce((a, i) => a + i.f.rows * i.f.cols * i.f.channels, 0);
    }, { minRuns: 3, maxRuns: 5 });
    out.push(ctx.result({
      group: 'compiler', name: `${name} compile for ${arch} (to xmodel bytes)`, value: t.medianMs, unit: 'ms', higherIsBetter: false,
      details: { instructions, xmodelBytes: bytes, ddrMBPerFrame: Number((ddrBytes / 1e6).toFixed(2)), runs: t.runs, minMs: Math.round(t.minMs), target: arch === 'B4096' && name.startsWith('ResNet') ? '< 2000 ms' : '' },
    }));
  }
  ctx.note('compiler: no peer compiler in this run (vai_c_xir is not installable here); figures are dpuflow alone');
  return out;
}
