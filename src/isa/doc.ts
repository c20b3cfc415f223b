/** Generates docs/isa.md from the table (spec.ts). `npm run docs:isa` writes it; a test checks it is current. */
import { ARCH_PRESETS } from '../dpu/arch/presets.js';
import { featureCodeOf } from '../dpu/arch/target.js';
import { BANKS, ENGINES, ENGINE_BIT, HEADER, ISA, fieldRange } from './spec.js';

function bits(lo: number, width: number): string {
  return width === 1 ? `${lo}` : `${lo + width - 1}–${lo}`;
}

export function isaMarkdown(): string {
  const L: string[] = [];
  L.push('# dpuflow ISA (DPUCZDX8G ISA1 model)', '');
  L.push('<!-- GENERATED from src/isa/spec.ts by `npm run docs:isa`; test/isa/doc.test.ts fails when it is stale. Do not edit by hand. -->', '');
  L.push('The instruction classes, opcodes and word counts are those of dpu.md; the field layout is ours. One table',
    '(`src/isa/spec.ts`) drives `encode`, `decode`, `disassemble`, this page and the simulator (`src/dpu/sim`).', '');
  L.push('## Words and header', '');
  L.push('An instruction is 1–6 32-bit **little-endian** words. Word 0 starts with the header:', '');
  L.push('| bits | field | meaning |', '|---|---|---|');
  L.push(`| ${bits(HEADER.opcode.lo, 4)} | opcode | instruction class |`);
  L.push(`| ${bits(HEADER.wait.lo, 4)} | wait | engines whose token this instruction consumes before it starts |`);
  L.push(`| ${bits(HEADER.signal.lo, 4)} | signal | engines to which it sends a token when it finishes |`);
  L.push('', `Mask bits: ${ENGINES.map((e) => `${e} = ${ENGINE_BIT[e]}`).join(', ')}. Bits not covered by a field are reserved`,
    'and must be 0; the decoder rejects reserved bits, fields outside their range, unknown opcodes, a stream',
    'whose length is not a multiple of 4 bytes, a last instruction that is not END and words after END, naming',
    'the word offset and the word (IsaError).', '');
  L.push('## Engines and dependency tokens', '');
  L.push('Four engines run in parallel, each executing its own instructions in program order: LOAD (LOAD), SAVE (SAVE),',
    'CONV (CONVINIT, CONV, DWINIT, DPTWISE) and MISC (POOLINIT, POOL, ELEWINIT, ELEW, ALUINIT, ALU).',
    'Between every ordered pair of engines (S → D) there is a token counter. An instruction of engine D with bit S in',
    '`wait` starts only when the counter S → D is positive and decrements it; an instruction of engine S with bit D',
    'in `signal` increments S → D when it has finished (its writes are visible). Waiting on or signalling one\'s own',
    'engine is illegal. END waits for its `wait` tokens and for all engines to drain. The code generator must put a',
    'token on every read-after-write, write-after-read and write-after-write between engines (e.g. LOAD signal CONV →',
    'CONV wait LOAD; CONV signal SAVE → SAVE wait CONV; SAVE signal LOAD / CONV before a bank region is reused).',
    'The simulator runs engines in a fixed order LOAD, CONV, MISC, SAVE, each as far as its tokens allow; a',
    'program that needs a token nobody sends is rejected as a deadlock naming the stuck instructions. The cycle',
    'model (docs/perf-model.md) schedules the same tokens in time.', '');
  L.push('## On-chip buffers (bank ids)', '');
  L.push('| id | name | size (bytes) | holds |', '|---|---|---|---|');
  const holds: Record<string, string> = {
    FM0: 'feature-map bank group VB0: PP banks × ICP bytes × 2048', FM1: 'feature-map bank group VB1 (same size)',
    WGT: 'conv weights: OCP banks × ICP bytes × 2048', DWW: 'depthwise weights: 1 bank × ICP bytes × 2048', BIAS: 'bias: 1 bank × ICP bytes × 2048',
  };
  const b4096 = ARCH_PRESETS[7];
  const size = (n: string) => {
    const s = n.startsWith('FM') ? b4096.fm : n === 'WGT' ? b4096.convWeights : n === 'DWW' ? b4096.dwWeights : b4096.bias;
    return `${s.banks * s.width * s.depth} on B4096`;
  };
  BANKS.forEach((n, i) => L.push(`| ${i} | ${n} | ${size(n)} | ${holds[n]} |`));
  L.push('', 'Bank addresses are byte addresses inside the whole buffer (`banks × width × depth` bytes, arch-dependent).',
    'Data inside a buffer is dense: a tile of R × C pixels with K channels occupies R·C·K consecutive bytes. Every',
    'access is bounds-checked by the simulator.', '');
  L.push('## DDR regions', '');
  L.push('`reg_id` n names the DDR region `REG_n` of the DPU subgraph (`reg_id_to_parameter_value` /',
    '`reg_id_to_context_type`): REG_0 holds const weights+bias, REG_1 the workspace (feature maps, inputs and',
    'outputs as planned by the compiler); further ids are allowed for separate input/output regions.', '');
  L.push('## Feature codes (fingerprints)', '');
  L.push('`fingerprint = 1 << 56 | isa << 48 | feature_code`. Only some feature codes are published (dpu.md); for the',
    'others we use one rule that reproduces all published ones: bits 31–24 = version byte (0x16 Vitis AI 2.5,',
    '0x56 3.0), bits 23–16 = 0x01, bits 15–8 = PP / 2, bits 7–0 = preset index (B512 = 0 … B4096 = 7).', '');
  L.push('| preset | PP×ICP×OCP | feature code (2.5) | feature code (3.0) |', '|---|---|---|---|');
  for (const a of ARCH_PRESETS) {
    L.push(`| ${a.preset} | ${a.pp}×${a.icp}×${a.ocp} | 0x${featureCodeOf(a, '2.5').toString(16)} | 0x${featureCodeOf(a, '3.0').toString(16)} |`);
  }
  L.push('', 'The ISA0 fingerprints of dpu.md (0x1000020F6014407 B4096, 0x1000020F6014406 B3136) are recognised and',
    'refused with an explanation (we compile for ISA1 only).', '');
  L.push('## Instruction classes', '');
  L.push('| class | opcode | words | engine | what |', '|---|---|---|---|---|');
  for (const c of ISA) L.push(`| ${c.name} | 0x${c.opcode.toString(16).toUpperCase()} | ${c.words} | ${c.engine} | ${c.summary} |`);
  L.push('');
  for (const c of ISA) {
    L.push(`### ${c.name} (opcode 0x${c.opcode.toString(16).toUpperCase()}, ${c.words} word${c.words > 1 ? 's' : ''}, engine ${c.engine})`, '');
    L.push(c.semantics, '');
    if (c.fields.length) {
      L.push('| field | word | bits | signed | range | meaning |', '|---|---|---|---|---|---|');
      for (const fs of c.fields) {
        const [lo, hi] = fieldRange(fs);
        const range = fs.enum ? fs.enum.slice(lo, hi + 1).map((n, i) => `${i + lo} ${n}`).join(', ') : `${lo}–${hi}`;
        L.push(`| ${fs.name} | ${fs.word} | ${bits(fs.lo, fs.width)} | ${fs.signed ? 'yes' : 'no'} | ${range} | ${fs.doc} |`);
      }
      L.push('');
    }
  }
  return `${L.join('\n')}\n`;
}
