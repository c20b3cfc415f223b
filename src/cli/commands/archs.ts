import type { Command } from 'commander';
import { BOARDS, allTargets, knownFingerprints } from '../../dpu/arch/index.js';
import { printJson } from '../output.js';

/** `dpuflow archs [--json]`: the DPU presets, boards and known fingerprints. */
export function registerArchs(program: Command): void {
  program
    .command('archs')
    .description('list DPU arch presets (parallelism, banks, fingerprints) and boards')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const presets = allTargets().map((t) => ({
        preset: t.preset,
        pp: t.pp, icp: t.icp, ocp: t.ocp,
        peakOpsPerCycle: t.peakOpsPerCycle,
        fingerprint: t.fingerprintHex,
        dpuName: t.dpuName,
        banks: { fm: t.fm, convWeights: t.convWeights, dwWeights: t.dwWeights, bias: t.bias },
        loadParallel: t.loadParallel, saveParallel: t.saveParallel,
        alu: t.alu, eltwise: t.eltwise, conv: t.conv,
      }));
      const boards = BOARDS.map((b) => {
        const t = allTargets().find((x) => x.preset === b.preset)!;
        return { ...b, peakTOPS: (b.cores * t.peakOpsPerCycle * b.clockMHz * 1e6) / 1e12 };
      });
      if (opts.json) {
        printJson({ presets, boards, fingerprints: knownFingerprints() });
        return;
      }
      const lines: string[] = ['preset  PP ICP OCP  ops/cycle  FM bank group      fingerprint         dpu_name'];
      for (const p of presets) {
        const fm = `${p.banks.fm.banks}×${p.banks.fm.width} B×${p.banks.fm.depth}`;
        lines.push(`${p.preset.padEnd(6)} ${String(p.pp).padStart(3)} ${String(p.icp).padStart(3)} ${String(p.ocp).padStart(3)}  ${String(p.peakOpsPerCycle).padStart(9)}  ${fm.padEnd(17)}  ${p.fingerprint}  ${p.dpuName}`);
      }
      lines.push('', 'board    cores  arch   clock     DDR         peak');
      for (const b of boards) {
        lines.push(`${b.name.padEnd(8)} ${String(b.cores).padStart(5)}  ${b.preset}  ${b.clockMHz} MHz  ${b.ddrGBps} GB/s  ${b.peakTOPS.toFixed(2)} TOPS`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
