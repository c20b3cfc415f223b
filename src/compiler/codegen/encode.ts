/**
 * Instructions → mc_code bytes through the ISA table (src/isa). Until src/isa lands this throws:
 * the compiler never writes an mc_code the ISA can't decode.
 */
import { CompileError } from '../../errors.js';
import type { Instr } from '../types.js';

export function encodeProgram(instrs: Instr[]): Uint8Array {
  if (instrs.length === 0) return new Uint8Array(0);
  throw new CompileError('E_ISA', 'the ISA table (src/isa/spec.ts) is not available: cannot encode mc_code', { fix: 'build with src/isa' });
}
