/** Instructions → mc_code bytes through the ISA table (src/isa): the one encoder. */
import { encodeProgram as isaEncode } from '../../isa/codec.js';
import type { Instr } from '../types.js';

export function encodeProgram(instrs: Instr[]): Uint8Array {
  return isaEncode(instrs);
}
