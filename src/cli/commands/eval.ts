/** `dpuflow eval <model.onnx> --calib …`: vai_q's test mode — quantize, run INT8 bit-exactly, report vs FP32. */
import type { Command } from 'commander';
import { addQuantizeOptions, registerQuantize, runQuantizeCommand, type QuantizeCliOptions } from './quantize.js';
import { formatReportTable } from '../../quantizer/report.js';
import { printJson } from '../output.js';

export function registerEval(program: Command): void {
  addQuantizeOptions(program.command('eval <model>').description('test mode: quantize and compare INT8 (bit-exact DPU arithmetic) with FP32 per layer'))
    .option('--out <dir>', 'also write the quantize outputs to this folder')
    .action(async (model: string, o: QuantizeCliOptions) => {
      const r = await runQuantizeCommand(model, { ...o, test: true }, 'eval');
      if (o.json) printJson({ files: r.written, report: r.result.report });
      else process.stdout.write(formatReportTable(r.result.report));
    });
}

/** Registers `quantize` and `eval` (one entry in commands/index.ts). */
export function registerQuantizeAndEval(program: Command): void {
  registerQuantize(program);
  registerEval(program);
}
