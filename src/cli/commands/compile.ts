/**
 * `dpuflow compile <net_int.xmodel> --arch <preset|board|arch.json> --out <dir> [--net-name n] [--json]`
 * (vai_c_xir flags too: -x/--xmodel, -a/--arch, -o/--output_dir, -n/--net_name). Writes
 * `<dir>/<n>.xmodel` and `<dir>/compile_report.json` atomically.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Graph as XGraph } from '../../xir/graph.js';
import { xmodelToIr } from '../../xir/to-ir.js';
import { resolveTarget } from '../../dpu/arch/index.js';
import { compile } from '../../compiler/compile.js';
import { UsageError } from '../../errors.js';
import { printJson, writeFileAtomic } from '../output.js';
import type { Graph as IrGraph } from '../../ir/types.js';
import { collectList, collectOutputs, modelFileKind, modelNetName } from './model-file.js';
import { runQuantizeCommand } from './quantize.js';

interface CompileOptions {
  xmodel?: string;
  arch?: string;
  out?: string;
  outputDir?: string;
  netName?: string;
  json?: boolean;
  /** A float ONNX/TF.js model is quantized first with these (the quantize command's options). */
  calib?: string;
  calibCount?: string;
  method?: string;
  preprocess?: string;
  inputShape?: string;
  output?: string[];
  startAt?: string[];
}

/** --arch: a preset, a board, a fingerprint, or an arch.json file. */
export function readTarget(spec: string) {
  if (spec.toLowerCase().endsWith('.json') || fs.existsSync(spec)) {
    if (!fs.existsSync(spec)) throw new UsageError('E_USAGE_ARCH', `arch file '${spec}' does not exist`, { file: spec, fix: 'give an arch.json like {"fingerprint": "0x101000016010407"}, a preset (B4096) or a board (zcu104)' });
    return resolveTarget(fs.readFileSync(spec, 'utf8'), { file: spec });
  }
  return resolveTarget(spec);
}

export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('compile a quantized model (<net>_int.xmodel; or a float ONNX/TF.js model with --calib) for a DPU arch: partition, tile, plan DDR, emit mc_code (like vai_c_xir)')
    .argument('[model]', 'the quantized <net>_int.xmodel, or a float .onnx / TF.js model.json with --calib')
    .option('-x, --xmodel <file>', 'the quantized xmodel (vai_c_xir spelling)')
    .option('-a, --arch <target>', 'preset (B4096), board (zcu104), fingerprint or arch.json')
    .option('-o, --out <dir>', 'output directory')
    .option('--output_dir <dir>', 'output directory (vai_c_xir spelling)')
    .option('-n, --net-name <name>', 'name of the compiled model (default: input name without _int)')
    .option('--net_name <name>', 'same as --net-name (vai_c_xir spelling)')
    .option('--json', 'print the compile report as JSON')
    .option('--calib <path>', 'float ONNX / TF.js model given: quantize it first with these calibration images (as dpuflow quantize)')
    .option('--calib-count <n>', 'with --calib: number of calibration inputs')
    .option('--method <m>', 'with --calib: calibration method', 'diffs')
    .option('--preprocess <spec>', 'with --calib: as dpuflow quantize --preprocess')
    .option('--input-shape <shape>', 'with --calib: as dpuflow quantize --input-shape')
    .option('--output <names>', 'with --calib, TF.js: import up to these tensors', collectOutputs, [] as string[])
    .option('--start-at <name=dims>', 'with --calib, TF.js: start the graph at this tensor (NHWC shape; repeatable)', collectList, [] as string[])
    .action(async (model: string | undefined, opts: CompileOptions & { net_name?: string; output_dir?: string }) => {
      const file = model ?? opts.xmodel;
      const outDir = opts.out ?? opts.outputDir ?? opts.output_dir;
      if (!file) throw new UsageError('E_USAGE', 'no model given', { fix: 'dpuflow compile net_int.xmodel --arch B4096 --out out/' });
      if (!opts.arch) throw new UsageError('E_USAGE', 'no --arch given', { fix: 'e.g. --arch B4096, --arch zcu104 or --arch arch.json' });
      if (!outDir) throw new UsageError('E_USAGE', 'no --out directory given', { fix: 'e.g. --out out/' });
      if (!fs.existsSync(file)) throw new UsageError('E_USAGE_FILE', `'${file}' does not exist`, { file });
      const kind = modelFileKind(file);
      const netName = opts.netName ?? opts.net_name ?? (kind === 'xmodel' ? path.basename(file).replace(/\.xmodel$/, '').replace(/_int$/, '') : modelNetName(file));
      const target = readTarget(opts.arch);
      let ir: IrGraph;
      if (kind === 'xmodel') {
        const bytes = new Uint8Array(fs.readFileSync(file));
        ir = xmodelToIr(XGraph.deserialize(bytes, { file }), { file });
      } else {
        // a float ONNX / TF.js model: quantize first (vai_q calib), then compile the quantized IR
        if (!opts.calib) {
          throw new UsageError('E_USAGE_FLOAT_MODEL', `'${file}' is a float ${kind === 'tfjs' ? 'TF.js' : 'ONNX'} model; compile needs a quantized model`, {
            file, fix: `add --calib <images> to quantize it first, or run dpuflow quantize ${file} --calib <images> --out q/ and compile q/${netName}_int.xmodel`,
          });
        }
        const q = await runQuantizeCommand(file, {
          calib: opts.calib, calibCount: opts.calibCount, method: opts.method ?? 'diffs', preprocess: opts.preprocess, inputShape: opts.inputShape,
          output: opts.output, startAt: opts.startAt, cle: true, biasCorrection: true, seed: '0', json: true,
        }, 'quantize');
        ir = q.result.graph;
      }
      const result = compile(ir, target);
      const xPath = path.join(outDir, `${netName}.xmodel`);
      const rPath = path.join(outDir, 'compile_report.json');
      const report = { model: file, output: xPath, netName, ...result.report };
      writeFileAtomic(xPath, result.xmodel);
      writeFileAtomic(rPath, `${JSON.stringify(report, null, 2)}\n`);
      if (opts.json) { printJson(report); return; }
      const r = result.report;
      const lines = [
        `compiled ${file} for ${r.dpuName} (fingerprint ${r.fingerprint})`,
        `subgraphs: ${r.counts.dpu} DPU, ${r.counts.cpu} CPU${r.counts.user ? ', 1 USER' : ''}; ${r.layers.length} DPU layers, ${r.instructions} instructions`,
      ];
      for (const c of r.cpuOps) lines.push(`  CPU ${c.op} (${c.type}): ${c.reason} — ${c.fix}`);
      for (const [k, v] of Object.entries(r.ddr)) lines.push(`  ${k}: ${v} B`);
      lines.push(`wrote ${xPath} (${result.xmodel.length} B) and ${rPath}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
