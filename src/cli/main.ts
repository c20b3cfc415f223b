import { Command, CommanderError } from 'commander';
import { DpuflowError } from '../errors.js';
import { COMMANDS } from './commands/index.js';

/** Entry point of the `dpuflow` CLI. Returns the process exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  const program = new Command('dpuflow')
    .description('Vitis AI workflow in TypeScript: quantize, compile and run models on a virtual DPU')
    .option('--verbose', 'print error details and stack traces')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of COMMANDS) register(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, verbose);
  }
}

/** One line for the user; details and stack only with --verbose. */
export function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof CommanderError) {
    return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
  }
  if (err instanceof DpuflowError) {
    process.stderr.write(`dpuflow: ${err.name}: ${err.message}\n`);
    if (verbose) {
      if (err.details) process.stderr.write(`${err.details}\n`);
      if (err.cause) process.stderr.write(`caused by: ${String((err.cause as Error).stack ?? err.cause)}\n`);
      process.stderr.write(`${err.stack ?? ''}\n`);
    }
    return 1;
  }
  const e = err as Error;
  process.stderr.write(`dpuflow: internal error: ${e?.message ?? String(err)} (please report it; --verbose shows the stack)\n`);
  if (verbose && e?.stack) process.stderr.write(`${e.stack}\n`);
  return 70;
}
