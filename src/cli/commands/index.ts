import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerArchs } from './archs.js';

/** Each command lives in its own file and registers itself on the program. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [registerDemo];
COMMANDS.push(registerArchs);
import { registerInspect } from './inspect.js';
COMMANDS.push(registerInspect);
import { registerQuantizeAndEval } from './eval.js'; COMMANDS.push(registerQuantizeAndEval);
import { registerCompile } from './compile.js'; COMMANDS.push(registerCompile);
import { registerDisasm } from './disasm.js'; COMMANDS.push(registerDisasm);
import { registerBench } from './bench.js'; COMMANDS.push(registerBench);
import { registerProfile } from './profile.js'; COMMANDS.push(registerProfile);
import { registerRun } from './run.js'; COMMANDS.push(registerRun);
import { registerServe } from './serve.js'; COMMANDS.push(registerServe);
