import fs from 'node:fs';
import type { Command } from 'commander';
import { Graph } from '../../xir/index.js';
import { decodeProgram, disassemble, formatInstr } from '../../isa/index.js';
import { UsageError } from '../../errors.js';
import { printJson } from '../output.js';

/** `dpuflow disasm <model.xmodel> [--json]`: the mc_code of every DPU subgraph, one instruction per line. */
export function registerDisasm(program: Command): void {
  program
    .command('disasm')
    .description('disassemble the DPU instruction stream (mc_code) of each DPU subgraph of a compiled .xmodel')
    .argument('<model>', 'compiled .xmodel')
    .option('--json', 'print JSON')
    .action((file: string, opts: { json?: boolean }) => {
      if (!fs.existsSync(file)) throw new UsageError('E_USAGE_FILE', `no such file '${file}'`, { file, fix: 'give the path of a compiled .xmodel (dpuflow compile)' });
      const graph = Graph.deserialize(new Uint8Array(fs.readFileSync(file)), { file });
      const dpu = graph.getRootSubgraph().toposortChildSubgraph().filter((sg) => sg.hasAttr('device') && sg.getAttr('device') === 'DPU');
      if (dpu.length === 0) throw new UsageError('E_USAGE_NO_DPU', 'the model has no DPU subgraph', { file, fix: 'compile it first: dpuflow compile <net_int.xmodel> --arch <arch>' });
      const subgraphs = dpu.map((sg) => {
        if (!sg.hasAttr('mc_code')) throw new UsageError('E_USAGE_NO_MC', `DPU subgraph ${sg.getName()} has no mc_code`, { file, where: sg.getName(), fix: 're-compile the model' });
        const code = sg.getAttr('mc_code') as Uint8Array;
        return { name: sg.getName(), code };
      });
      if (opts.json) {
        printJson({
          file,
          subgraphs: subgraphs.map((s) => ({
            name: s.name,
            bytes: s.code.length,
            instructions: decodeProgram(s.code).map((i) => ({ word: i.word, class: i.cls, wait: i.wait, signal: i.signal, fields: i.f, text: formatInstr(i) })),
          })),
        });
        return;
      }
      for (const s of subgraphs) {
        process.stdout.write(`# subgraph ${s.name}: ${s.code.length} bytes of mc_code\n`);
        process.stdout.write(disassemble(s.code));
      }
    });
}
