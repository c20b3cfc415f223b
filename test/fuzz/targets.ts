/**
 * Fuzz targets: each takes bytes and runs one stage. Outcome: returns (accepted) or throws the stage's
 * named error class (rejected). Anything else thrown is a crash of the wrong kind.
 */
import { ImportError, GraphError, XmodelError, IsaError, RuntimeError, QuantizeError, ArchError, AppError, DpuflowError } from '../../src/errors.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { Graph as XGraph } from '../../src/xir/graph.js';
import { xmodelToIr } from '../../src/xir/to-ir.js';
import { decodeProgram } from '../../src/isa/index.js';
import { simulate } from '../../src/dpu/sim/sim.js';
import { ARCH_PRESETS, parseArchJson } from '../../src/dpu/index.js';
import { parseQuantInfo, checkQuantInfo } from '../../src/quantizer/index.js';
import { readImage } from '../../src/apps/node/image-io.js';
import type { DpuArch } from '../../src/dpu/index.js';
import { importTfjs } from '../../src/importers/tfjs/index.js';
import { unpackTfjs } from './mutate.js';

export const TARGETS = ['onnx', 'xmodel', 'mccode', 'mcdeep', 'tfjs', 'quantinfo', 'archjson', 'image'] as const;
export type TargetName = (typeof TARGETS)[number];

type ErrClass = abstract new (...a: never[]) => DpuflowError;
/** The error classes each target may reject with (its stage's class; GraphError where the stage builds an IR graph). */
export const ALLOWED: Record<TargetName, ErrClass[]> = {
  onnx: [ImportError, GraphError],
  xmodel: [XmodelError, GraphError],
  mccode: [IsaError, RuntimeError],
  mcdeep: [IsaError, RuntimeError],
  tfjs: [ImportError, GraphError],
  quantinfo: [QuantizeError],
  archjson: [ArchError],
  image: [AppError],
};

const dec = new TextDecoder('utf-8', { fatal: false });

/** Expected names for checkQuantInfo: taken from the seed quant_info (context given once per run). */
export interface TargetContext { /** The TF.js seed bundles (corpus files refer to their shards). */ tfjsSeeds?: Uint8Array[]; /** DDR region sizes by reg id (from the compiled seed's reg_id_to_size). */ regSizes?: Record<number, number>; quantNames?: { param: string[]; output: string[]; input: string[] } }

function archOf(name: string): DpuArch {
  const p = ARCH_PRESETS.find((a) => a.preset === name);
  if (!p) throw new Error(`no preset ${name}`);
  return p;
}

export async function runTarget(t: TargetName, bytes: Uint8Array, ctx: TargetContext = {}): Promise<void> {
  switch (t) {
    case 'onnx':
      importOnnx(bytes, { fileName: 'fuzz.onnx' });
      return;
    case 'xmodel': {
      const g = XGraph.deserialize(bytes, { file: 'fuzz.xmodel' });
      xmodelToIr(g, { file: 'fuzz.xmodel' });
      return;
    }
    case 'tfjs': {
      const b = unpackTfjs(bytes, ctx.tfjsSeeds);
      if (!b) throw new Error('not a TF.js fuzz bundle (harness framing)');
      importTfjs(b.json, b.shards, { fileName: 'fuzz/model.json' });
      return;
    }
    case 'mccode':
    case 'mcdeep': {
      decodeProgram(bytes);
      const regs: Record<number, Uint8Array> = {};
      for (const [id, n] of Object.entries(ctx.regSizes ?? { 0: 1 << 16, 1: 1 << 16 })) regs[Number(id)] = new Uint8Array(n);
      simulate(bytes, { arch: archOf('B512'), regs, maxInstructions: 200_000, engine: 'js' });
      return;
    }
    case 'quantinfo': {
      const q = parseQuantInfo(dec.decode(bytes), 'fuzz_quant_info.json');
      if (ctx.quantNames) checkQuantInfo(q, ctx.quantNames, 'fuzz_quant_info.json');
      return;
    }
    case 'archjson':
      parseArchJson(dec.decode(bytes), 'fuzz_arch.json');
      return;
    case 'image':
      await readImage(bytes, 'fuzz.png');
      return;
  }
}

export type Outcome = { kind: 'accepted' } | { kind: 'rejected'; cls: string; code: string } | { kind: 'crash'; cls: string; message: string; stack?: string };

export async function classify(t: TargetName, bytes: Uint8Array, ctx: TargetContext = {}): Promise<Outcome> {
  try {
    await runTarget(t, bytes, ctx);
    return { kind: 'accepted' };
  } catch (e) {
    if (ALLOWED[t].some((C) => e instanceof C)) return { kind: 'rejected', cls: (e as DpuflowError).name, code: (e as DpuflowError).code };
    const err = e as Error;
    return { kind: 'crash', cls: err?.constructor?.name ?? typeof e, message: String(err?.message ?? e).slice(0, 300), stack: err?.stack?.split('\n').slice(0, 6).join('\n') };
  }
}

/**
 * Codes with which the first decoding step rejects (protobuf / JSON / instruction decoding): an input
 * rejected with one of these never reached the stage's semantics. Used for the "past the decoder" figure.
 */
export function isDecoderReject(t: TargetName, code: string): boolean {
  switch (t) {
    case 'onnx': return code === 'E_ONNX_DECODE';
    case 'xmodel': return code === 'E_XMODEL_NOT_XMODEL' || code === 'E_XMODEL_DECODE';
    case 'mccode': case 'mcdeep': return code.startsWith('E_ISA');
    case 'tfjs': return code === 'E_TFJS_JSON';
    default: return false;
  }
}
