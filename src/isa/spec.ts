/**
 * THE instruction table of our DPUCZDX8G ISA1 model. Encoder, decoder, disassembler, docs/isa.md
 * and the simulator all read this table; nothing else defines a bit position.
 *
 * Every instruction is `words` 32-bit little-endian words. Word 0 always starts with the header:
 *   bits 31–28 opcode · bits 27–24 WAIT mask · bits 23–20 SIGNAL mask
 * (mask bits: 0 LOAD, 1 SAVE, 2 CONV, 3 MISC). Bits not covered by a field are reserved and
 * must be zero; a field outside [min, max] is rejected by the decoder.
 */

export const ENGINES = ['LOAD', 'SAVE', 'CONV', 'MISC'] as const;
export type Engine = (typeof ENGINES)[number];
/** Bit of each engine in the WAIT / SIGNAL masks. */
export const ENGINE_BIT: Record<Engine, number> = { LOAD: 1, SAVE: 2, CONV: 4, MISC: 8 };

export const HEADER = {
  opcode: { lo: 28, width: 4 },
  wait: { lo: 24, width: 4 },
  signal: { lo: 20, width: 4 },
} as const;

/** On-chip buffer ids used by bank fields. */
export const BANKS = ['FM0', 'FM1', 'WGT', 'DWW', 'BIAS'] as const;
export type BankName = (typeof BANKS)[number];
export const BANK_ID: Record<BankName, number> = { FM0: 0, FM1: 1, WGT: 2, DWW: 3, BIAS: 4 };
/** Activation kinds of CONVINIT / DWINIT (same order as the INT8 kernels' NONLINEARS). */
export const ACT_KINDS = ['NONE', 'RELU', 'RELU6', 'LEAKYRELU', 'HSIGMOID', 'HSWISH'] as const;
export const POOL_TYPES = ['MAX', 'AVG'] as const;
export const ELEW_TYPES = ['ADD', 'MUL'] as const;
export const ELEW_ACTS = ['NONE', 'RELU'] as const;
export const ALU_OPS = ['IDENTITY', 'RELU', 'RELU6', 'LEAKYRELU', 'HSIGMOID', 'HSWISH'] as const;

export interface FieldSpec {
  name: string;
  /** Word index inside the instruction. */
  word: number;
  /** Lowest bit of the field in that word. */
  lo: number;
  width: number;
  /** Two's complement when true. */
  signed?: boolean;
  /** Legal range (defaults: the full range of the bits). */
  min?: number;
  max?: number;
  /** Names of the values, when the field is an enumeration (value = index). */
  enum?: readonly string[];
  doc: string;
}

export const CLASS_NAMES = ['LOAD', 'SAVE', 'CONVINIT', 'CONV', 'POOLINIT', 'POOL', 'DWINIT', 'DPTWISE',
  'ALUINIT', 'ALU', 'ELEWINIT', 'ELEW', 'END'] as const;
export type ClassName = (typeof CLASS_NAMES)[number];

export interface ClassSpec {
  name: ClassName;
  opcode: number;
  words: number;
  /** Engine that executes it; END runs on none (it waits for every engine to drain). */
  engine: Engine | 'END';
  summary: string;
  /** Exact semantics: what it reads and writes (docs/isa.md). */
  semantics: string;
  fields: FieldSpec[];
}

function f(name: string, word: number, lo: number, width: number, doc: string, extra: Partial<FieldSpec> = {}): FieldSpec {
  return { name, word, lo, width, doc, ...extra };
}

const BANK_ENUM = { enum: BANKS } as const;
const FM_BANK = { enum: BANKS, max: 1 } as const;

/** Fields shared by the tile instructions CONV, DPTWISE and POOL (input/output tiles in FM banks). */
function tileFields(): FieldSpec[] {
  return [
    f('in_bank', 0, 16, 4, 'feature-map bank of the input tile (FM0 | FM1)', FM_BANK),
    f('out_bank', 0, 12, 4, 'feature-map bank of the output tile (FM0 | FM1)', FM_BANK),
    f('pad_left', 0, 8, 4, 'zero columns left of this tile'),
    f('pad_top', 0, 4, 4, 'zero rows above this tile'),
    f('pad_bottom', 0, 0, 4, 'zero rows below this tile'),
    f('in_addr', 1, 0, 20, 'byte address of the input tile in in_bank'),
    f('in_rows', 1, 20, 12, 'rows of the input tile (padding excluded)', { min: 1 }),
    f('out_addr', 2, 0, 20, 'byte address of the output tile in out_bank'),
    f('in_cols', 2, 20, 12, 'columns of the input tile (padding excluded)', { min: 1 }),
  ];
}

const TILE_SEM = (what: string) => `Input tile: ${what} (row-major, pixel stride = channel count): byte \`in_addr + (r·in_cols + c)·IC + ch\` of \`in_bank\`,
r < in_rows, c < in_cols. Padding is virtual: the tile is surrounded by pad_top/pad_bottom rows and pad_left/pad_right
columns. Output extents: \`OH = ⌊(in_rows + pad_top + pad_bottom − kernel_h) / stride_h⌋ + 1\`,
\`OW = ⌊(in_cols + pad_left + pad_right − kernel_w) / stride_w⌋ + 1\` (both ≥ 1, else the simulator rejects the
instruction). Output pixel (y, x) reads input rows \`y·stride_h − pad_top + ky\` and columns \`x·stride_w − pad_left + kx\`.
Output byte of (y, x, o): \`out_addr + (y·OW + x)·out_pix_stride + o\` in \`out_bank\` (out_pix_stride ≥ channel count lets
several channel groups share one output tile).`;

export const ISA: readonly ClassSpec[] = [
  {
    name: 'LOAD', opcode: 0x0, words: 5, engine: 'LOAD',
    summary: 'copy a 3-D block DDR → on-chip bank',
    semantics: `Reads \`rows × cols × channels\` bytes from DDR region \`reg_id\`: byte (r, c, ch) at
\`ddr_addr + r·row_stride + c·pix_stride + ch\`. Writes them densely into bank \`bank_id\` at
\`bank_addr + (r·cols + c)·channels + ch\`. Every DDR byte must lie inside the region and every bank byte inside the
bank (size = banks × width × depth of the arch). Loads into FM0/FM1 count as LdFM, into WGT/DWW/BIAS as LdWB.
Weights [oc, kh, kw, ic] load as rows = oc, cols = kh·kw, channels = ic (pix_stride = ic, row_stride = kh·kw·ic).`,
    fields: [
      f('bank_id', 0, 16, 4, 'destination bank', BANK_ENUM),
      f('reg_id', 0, 12, 4, 'DDR region (REG_0 = const weights, REG_1 = workspace, …)'),
      f('ddr_addr', 1, 0, 32, 'byte offset in the DDR region'),
      f('bank_addr', 2, 0, 20, 'byte address in the bank'),
      f('channels', 2, 20, 12, 'bytes per pixel moved', { min: 1 }),
      f('rows', 3, 0, 12, 'rows', { min: 1 }),
      f('cols', 3, 12, 12, 'pixels per row', { min: 1 }),
      f('row_stride', 4, 0, 20, 'DDR bytes between rows'),
      f('pix_stride', 4, 20, 12, 'DDR bytes between pixels of a row', { min: 1 }),
    ],
  },
  {
    name: 'SAVE', opcode: 0x4, words: 5, engine: 'SAVE',
    summary: 'copy a 3-D block on-chip FM bank → DDR',
    semantics: `The inverse of LOAD: reads bank \`bank_id\` (FM0 | FM1) at \`bank_addr + (r·cols + c)·channels + ch\` and writes
DDR region \`reg_id\` at \`ddr_addr + r·row_stride + c·pix_stride + ch\`. Counts as StFM.`,
    fields: [
      f('bank_id', 0, 16, 4, 'source bank (FM0 | FM1)', FM_BANK),
      f('reg_id', 0, 12, 4, 'DDR region'),
      f('ddr_addr', 1, 0, 32, 'byte offset in the DDR region'),
      f('bank_addr', 2, 0, 20, 'byte address in the bank'),
      f('channels', 2, 20, 12, 'bytes per pixel moved', { min: 1 }),
      f('rows', 3, 0, 12, 'rows', { min: 1 }),
      f('cols', 3, 12, 12, 'pixels per row', { min: 1 }),
      f('row_stride', 4, 0, 20, 'DDR bytes between rows'),
      f('pix_stride', 4, 20, 12, 'DDR bytes between pixels of a row', { min: 1 }),
    ],
  },
  {
    name: 'CONVINIT', opcode: 0x9, words: 4, engine: 'CONV',
    summary: 'set the conv layer state used by following CONVs',
    semantics: `Sets the CONV engine's conv state (kernel, stride, activation, shifts, IC) for every following CONV until the
next CONVINIT. Reads and writes no memory. Output stage of the following CONVs (docs/dpu-arithmetic.md, INT8 kernel
\`outputStage\`): with fa = shift_cut + fp_out (= fp_in + fp_w) and fp_bias = fa − shift_bias,
\`y = saturate8(DPU_ROUND(act(acc·2^max(0,−shift_bias) + bias·2^max(0,shift_bias)) / 2^cut))\`; fp_out is needed because
RELU6/HSIGMOID/HSWISH compare with 3.0 and 6.0 in accumulator units. LEAKYRELU slope = leaky_num / 256 (26 on the DPU).`,
    fields: [
      f('kernel_w', 0, 0, 5, 'kernel width', { min: 1, max: 16 }),
      f('kernel_h', 0, 5, 5, 'kernel height', { min: 1, max: 16 }),
      f('stride_w', 0, 10, 4, 'stride along width', { min: 1, max: 8 }),
      f('stride_h', 0, 14, 4, 'stride along height', { min: 1, max: 8 }),
      f('has_bias', 0, 18, 1, '1 = add the bias of the BIAS bank'),
      f('act', 1, 0, 4, 'fused activation', { enum: ACT_KINDS, max: 5 }),
      f('leaky_num', 1, 4, 9, 'LeakyReLU slope numerator k of k/256', { max: 256 }),
      f('shift_cut', 2, 0, 5, 'fp_in + fp_w − fp_out', { max: 16 }),
      f('shift_bias', 2, 5, 6, 'fp_in + fp_w − fp_bias', { signed: true, min: -16, max: 16 }),
      f('fp_out', 2, 11, 8, 'output fix point', { signed: true }),
      f('ic', 3, 0, 12, 'input channels (pixel stride of the input tile); not split across CONVs', { min: 1 }),
    ],
  },
  {
    name: 'CONV', opcode: 0x8, words: 5, engine: 'CONV',
    summary: 'one conv output tile: all IC, `oc` output channels',
    semantics: `${TILE_SEM('IC = CONVINIT.ic channels')}
Weights: byte \`wgt_addr + ((o·kernel_h + ky)·kernel_w + kx)·IC + ch\` of WGT for o < oc ([oc, kh, kw, ic] as in XIR).
Bias: byte \`bias_addr + o\` of BIAS when has_bias. \`acc = Σ x·w\` over ky, kx, ch (int32, exact), then the CONVINIT
output stage. Writes OH × OW × oc bytes. MACs = OH·OW·oc·kernel_h·kernel_w·IC.`,
    fields: [
      ...tileFields(),
      f('wgt_addr', 3, 0, 20, 'byte address of the weights in WGT'),
      f('oc', 3, 20, 12, 'output channels computed', { min: 1 }),
      f('bias_addr', 4, 0, 16, 'byte address of the bias in BIAS'),
      f('out_pix_stride', 4, 16, 12, 'bytes between output pixels in out_bank', { min: 1 }),
      f('pad_right', 4, 28, 4, 'zero columns right of this tile'),
    ],
  },
  {
    name: 'POOLINIT', opcode: 0x6, words: 2, engine: 'MISC',
    summary: 'set the pool state used by following POOLs',
    semantics: `Sets the MISC engine's pool state. MAX: \`y = saturate8(DPU_ROUND(max / 2^shift))\` with shift = fp_in − fp_out
(negative = left shift), \`mult\` unused (write 0). AVG: \`y = saturate8(DPU_ROUND(S·mult / 2^shift))\` with S the window sum
(padding counts as zero) and mult/2^s the DPU reciprocal of kernel_h·kernel_w (INT8 kernel \`avgpoolReciprocal\`,
e.g. 3×3 → 7/64), shift = s + fp_in − fp_out.`,
    fields: [
      f('kernel_w', 0, 0, 9, 'window width', { min: 1, max: 256 }),
      f('kernel_h', 0, 9, 9, 'window height', { min: 1, max: 256 }),
      f('pool_type', 0, 18, 2, 'pool kind', { enum: POOL_TYPES, max: 1 }),
      f('stride_w', 1, 0, 9, 'stride along width', { min: 1, max: 256 }),
      f('stride_h', 1, 9, 9, 'stride along height', { min: 1, max: 256 }),
      f('mult', 1, 18, 8, 'AVG reciprocal multiplier'),
      f('shift', 1, 26, 6, 'total right shift (see semantics)', { signed: true }),
    ],
  },
  {
    name: 'POOL', opcode: 0xc, words: 5, engine: 'MISC',
    summary: 'one pool output tile',
    semantics: `${TILE_SEM('IC = channels')}
MAX ignores padded positions (a window entirely in the padding is an error); AVG adds them as zeros. Writes OH × OW × channels bytes.`,
    fields: [
      ...tileFields(),
      f('channels', 3, 0, 12, 'channels (pixel stride of the input tile)', { min: 1 }),
      f('pad_right', 3, 12, 4, 'zero columns right of this tile'),
      f('out_pix_stride', 3, 16, 12, 'bytes between output pixels in out_bank', { min: 1 }),
    ],
  },
  {
    name: 'DWINIT', opcode: 0xb, words: 3, engine: 'CONV',
    summary: 'set the depthwise state used by following DPTWISEs',
    semantics: 'As CONVINIT, for the depthwise engine state (channel multiplier 1); `channels` is the pixel stride of the input tile.',
    fields: [
      f('kernel_w', 0, 0, 5, 'kernel width', { min: 1, max: 16 }),
      f('kernel_h', 0, 5, 5, 'kernel height', { min: 1, max: 16 }),
      f('stride_w', 0, 10, 4, 'stride along width', { min: 1, max: 8 }),
      f('stride_h', 0, 14, 4, 'stride along height', { min: 1, max: 8 }),
      f('has_bias', 0, 18, 1, '1 = add the bias of the BIAS bank'),
      f('act', 1, 0, 4, 'fused activation', { enum: ACT_KINDS, max: 5 }),
      f('leaky_num', 1, 4, 9, 'LeakyReLU slope numerator k of k/256', { max: 256 }),
      f('shift_cut', 1, 13, 5, 'fp_in + fp_w − fp_out', { max: 16 }),
      f('shift_bias', 1, 18, 6, 'fp_in + fp_w − fp_bias', { signed: true, min: -16, max: 16 }),
      f('fp_out', 2, 0, 8, 'output fix point', { signed: true }),
      f('channels', 2, 8, 12, 'channels', { min: 1 }),
    ],
  },
  {
    name: 'DPTWISE', opcode: 0xa, words: 5, engine: 'CONV',
    summary: 'one depthwise-conv output tile (all channels)',
    semantics: `${TILE_SEM('IC = DWINIT.channels')}
Weights: byte \`wgt_addr + (ky·kernel_w + kx)·C + ch\` of DWW ([1, kh, kw, c]); bias \`bias_addr + ch\` of BIAS.
\`acc[ch] = Σ x[.., ch]·w[ky, kx, ch]\`, then the DWINIT output stage. MACs = OH·OW·C·kernel_h·kernel_w.`,
    fields: [
      ...tileFields(),
      f('wgt_addr', 3, 0, 20, 'byte address of the weights in DWW'),
      f('bias_addr', 4, 0, 16, 'byte address of the bias in BIAS'),
      f('out_pix_stride', 4, 16, 12, 'bytes between output pixels in out_bank', { min: 1 }),
      f('pad_right', 4, 28, 4, 'zero columns right of this tile'),
    ],
  },
  {
    name: 'ALUINIT', opcode: 0x1, words: 6, engine: 'MISC',
    summary: 'set the ALU state (standalone activation / requantize) used by following ALUs',
    semantics: `Sets the MISC engine's ALU state. Following ALUs apply, element by element, the INT8 kernel of the op
(\`requantize\` for IDENTITY, \`reluInt8\`, \`relu6Int8\`, \`leakyReluInt8\` with slope leaky_num/256, \`hardSigmoidInt8\`,
\`hardSwishInt8\`) from fix point fp_in to fp_out.`,
    fields: [
      f('alu_op', 0, 16, 4, 'operation', { enum: ALU_OPS, max: 5 }),
      f('fp_in', 1, 0, 8, 'input fix point', { signed: true }),
      f('fp_out', 1, 8, 8, 'output fix point', { signed: true }),
      f('leaky_num', 1, 16, 9, 'LeakyReLU slope numerator k of k/256', { max: 256 }),
      f('channels', 2, 0, 12, 'channels per pixel', { min: 1 }),
    ],
  },
  {
    name: 'ALU', opcode: 0x2, words: 5, engine: 'MISC',
    summary: 'apply the ALU op to pixels × channels contiguous bytes',
    semantics: 'Reads `pixels·channels` contiguous bytes at `in_addr` of `in_bank`, writes as many at `out_addr` of `out_bank` (may be the same place).',
    fields: [
      f('in_bank', 0, 16, 4, 'input bank (FM0 | FM1)', FM_BANK),
      f('out_bank', 0, 12, 4, 'output bank (FM0 | FM1)', FM_BANK),
      f('in_addr', 1, 0, 20, 'input byte address'),
      f('pixels', 1, 20, 12, 'pixels', { min: 1 }),
      f('out_addr', 2, 0, 20, 'output byte address'),
    ],
  },
  {
    name: 'ELEWINIT', opcode: 0xd, words: 3, engine: 'MISC',
    summary: 'set the eltwise state used by following ELEWs',
    semantics: `Sets the MISC engine's eltwise state. ADD (INT8 kernel \`addInt8\`): F = max(fp_a, fp_b),
\`s = a·2^(F−fp_a) + b·2^(F−fp_b)\` (the per-input left shifts), \`y = saturate8(DPU_ROUND(s / 2^(F − fp_out)))\`.
MUL (\`mulInt8\`): \`y = saturate8(DPU_ROUND(a·b / 2^(fp_a + fp_b − fp_out)))\`. act RELU: s ≤ 0 gives 0.`,
    fields: [
      f('elew_type', 0, 18, 2, 'ADD | MUL', { enum: ELEW_TYPES, max: 1 }),
      f('act', 0, 16, 2, 'NONE | RELU', { enum: ELEW_ACTS, max: 1 }),
      f('fp_a', 1, 0, 8, 'fix point of input a', { signed: true }),
      f('fp_b', 1, 8, 8, 'fix point of input b', { signed: true }),
      f('fp_out', 1, 16, 8, 'output fix point', { signed: true }),
      f('channels', 2, 0, 12, 'channels per pixel', { min: 1 }),
    ],
  },
  {
    name: 'ELEW', opcode: 0xe, words: 3, engine: 'MISC',
    summary: 'eltwise of two blocks of pixels × channels contiguous bytes',
    semantics: 'Reads `n = pixels·channels` contiguous bytes at `a_addr` of `a_bank` and at `b_addr` of `b_bank`; writes n bytes at `out_addr` of `out_bank` (bank fields: 0 = FM0, 1 = FM1).',
    fields: [
      f('out_addr', 0, 0, 20, 'output byte address'),
      f('a_addr', 1, 0, 20, 'input a byte address'),
      f('a_bank', 1, 20, 1, 'bank of a', FM_BANK),
      f('b_bank', 1, 21, 1, 'bank of b', FM_BANK),
      f('out_bank', 1, 22, 1, 'bank of the output', FM_BANK),
      f('b_addr', 2, 0, 20, 'input b byte address'),
      f('pixels', 2, 20, 12, 'pixels', { min: 1 }),
    ],
  },
  {
    name: 'END', opcode: 0x7, words: 1, engine: 'END',
    summary: 'end of the program',
    semantics: `Starts when every engine queue has drained (so its WAIT mask is always satisfied; it documents what the
program ends on and consumes no token); then the program is finished. It must be the last instruction (words after it
are rejected); its SIGNAL mask must be 0. Tokens left unconsumed at END are allowed.`,
    fields: [],
  },
];

export const CLASS_BY_OPCODE: ReadonlyArray<ClassSpec | undefined> = (() => {
  const t: Array<ClassSpec | undefined> = new Array(16).fill(undefined);
  for (const c of ISA) t[c.opcode] = c;
  return t;
})();

export const CLASS_BY_NAME: Readonly<Record<ClassName, ClassSpec>> = Object.fromEntries(ISA.map((c) => [c.name, c])) as Record<ClassName, ClassSpec>;

/** Legal range of a field. */
export function fieldRange(fs: FieldSpec): [number, number] {
  const lo = fs.signed ? -(2 ** (fs.width - 1)) : 0;
  const hi = fs.signed ? 2 ** (fs.width - 1) - 1 : 2 ** fs.width - 1;
  return [fs.min ?? lo, fs.max ?? hi];
}
