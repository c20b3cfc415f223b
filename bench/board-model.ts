// Cycle-model calibration table (issue 6): ResNet-50, MobileNetV2 and Inception-v1 at 224², compiled for
// B4096, modeled on KV260 (1 core, 300 MHz), ZCU104 (2 cores, 300 MHz) and ZCU102 (3 cores, 281 MHz) with
// 1–8 host threads, next to the published Vitis AI figures (docs/perf-model.md cites each one).
// `npx tsx bench/board-model.ts` prints the markdown table of docs/perf-model.md.
import { buildModel } from '../src/models/index.js';
import { importOnnx } from '../src/importers/onnx/index.js';
import { quantize } from '../src/quantizer/index.js';
import { compile } from '../src/compiler/compile.js';
import { decodeProgram, type PlacedInstr } from '../src/isa/codec.js';
import { findBoard, findPreset, type DpuArch } from '../src/dpu/arch/index.js';
import { boardThroughput, type BoardThroughput } from '../src/dpu/cycle/index.js';
import type { BenchContext, BenchResult } from './types.js';

export const CAL_MODELS = ['resnet50', 'mobilenetv2', 'inception-v1'] as const;
export const CAL_BOARDS = ['kv260', 'zcu104', 'zcu102'] as const;
export const CAL_THREADS = [1, 2, 4, 8] as const;

/**
 * Published figures (fps) for the models at 224² — Vitis AI model zoo / DPUCZDX8G; each source is cited in
 * docs/perf-model.md. `t1` single thread, `tn` best multi-thread. Undefined: no figure found.
 */
export const PUBLISHED: Record<string, Record<string, { t1?: number; tn?: number; source: string }>> = {
  // Vitis AI 1.3 model zoo (Xilinx/Vitis-AI models/AI-Model-Zoo/README.md, "Performance on ZCU102 (0432055-05)",
  // 3 × B4096 @ 281 MHz, and "Performance on ZCU104", 2 × B4096 @ 300 MHz): E2E fps, single / multi thread.
  resnet50: {
    zcu102: { t1: 70.8, tn: 164.7, source: 'VAI 1.3 model zoo, ZCU102 (0432055-05), cf_resnet50_imagenet_224_224_7.7G' },
    zcu104: { t1: 75.1, tn: 144.7, source: 'VAI 1.3 model zoo, ZCU104, cf_resnet50_imagenet_224_224_7.7G' },
    // no KV260 table was found; KV260 has the same single B4096 @ 300 MHz and DDR4 as one ZCU104 core, so the
    // ZCU104 single-thread figure stands in for it (multi-thread cannot add a core on KV260)
    kv260: { t1: 75.1, tn: 75.1, source: 'ZCU104 single-thread figure (same 1 × B4096 @ 300 MHz core); no KV260 table found' },
  },
  mobilenetv2: {
    zcu102: { t1: 245.1, tn: 712, source: 'VAI 1.3 model zoo, ZCU102 (0432055-05), cf_mobilenetv2_imagenet_224_224_0.59G' },
    zcu104: { t1: 255.2, tn: 589.3, source: 'VAI 1.3 model zoo, ZCU104, cf_mobilenetv2_imagenet_224_224_0.59G' },
    kv260: { t1: 255.2, tn: 255.2, source: 'ZCU104 single-thread figure (same core); no KV260 table found' },
  },
  'inception-v1': {
    zcu102: { t1: 163.2, tn: 428.1, source: 'VAI 1.3 model zoo, ZCU102 (0432055-05), cf_inceptionv1_imagenet_224_224_3.16G' },
    zcu104: { t1: 172, tn: 368, source: 'VAI 1.3 model zoo, ZCU104, cf_inceptionv1_imagenet_224_224_3.16G' },
    kv260: { t1: 172, tn: 172, source: 'ZCU104 single-thread figure (same core); no KV260 table found' },
  },
};

/** mc_code of every DPU subgraph of a model compiled for B4096 through the real pipeline (seeded ONNX → importer → quantizer). */
export async function compiledProgram(name: string, inputSize = 224): Promise<{ prog: PlacedInstr[]; subgraphs: number }> {
  const g = importOnnx(buildModel(name, { inputSize, seed: 1 }).onnx);
  const inp = g.ops.find((o) => o.type === 'data')!;
  const n = inp.output.shape.reduce((a, b) => a * b, 1);
  let s = 7;
  const batch = { [inp.name]: { shape: inp.output.shape, data: new Float32Array(n).map(() => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s / 2 ** 32) * 2 - 1; }) } };
  const q = await quantize(g, [batch], { method: 'maxmin', skipReport: true, biasCorrection: false, cle: false });
  const r = compile(q.graph, 'B4096');
  // one program per DPU subgraph; the networks here are one DPU subgraph each (checked)
  const progs = r.state.dpu.map((d) => decodeProgram(d.mcCode ?? new Uint8Array(0)));
  const prog = progs.sort((a, b) => b.length - a.length)[0];
  return { prog, subgraphs: progs.length };
}

export interface CalRow extends BoardThroughput { model: string }

export function modelRows(model: string, prog: readonly PlacedInstr[]): CalRow[] {
  const arch = findPreset('B4096') as DpuArch;
  const rows: CalRow[] = [];
  for (const b of CAL_BOARDS) {
    const board = findBoard(b)!;
    for (const t of CAL_THREADS) {
      const r = boardThroughput(prog, arch, board, t);
      rows.push({ ...r, model });
    }
  }
  return rows;
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const m of CAL_MODELS) {
    ctx.progress(`compile ${m}`);
    const { prog } = await compiledProgram(m);
    for (const r of modelRows(m, prog)) {
      const pub = PUBLISHED[m]?.[r.board];
      const peerV = r.threads === 1 ? pub?.t1 : pub?.tn;
      out.push(ctx.result({
        group: 'board-model', name: `${m} 224² ${r.board} ${r.threads} thread(s) modeled`, value: r.fps, unit: 'fps', higherIsBetter: true, threads: r.threads,
        peer: peerV ? { name: `published Vitis AI ${r.threads === 1 ? '1 thread' : 'multi-thread'}`, value: peerV } : undefined,
        details: { latencyMs: Number(r.latencyMs.toFixed(3)), efficiencyPct: Number(r.efficiency.toFixed(1)), activeCores: r.activeCores },
      }));
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const m of CAL_MODELS) {
    const t0 = performance.now();
    const { prog, subgraphs } = await compiledProgram(m);
    console.error(`${m}: ${prog.length} instructions, ${subgraphs} DPU subgraph(s), ${(performance.now() - t0).toFixed(0)} ms`);
    for (const r of modelRows(m, prog)) {
      const pub = PUBLISHED[m]?.[r.board];
      const p = r.threads === 1 ? pub?.t1 : pub?.tn;
      console.log(`| ${m} | ${r.board} | ${r.threads} | ${r.activeCores} | ${r.fps.toFixed(1)} | ${r.latencyMs.toFixed(2)} | ${r.efficiency.toFixed(1)} | ${p ?? '–'}${r.threads === 1 ? ' (1T)' : ' (MT)'} | ${p ? (r.fps / p).toFixed(2) : '–'} |`);
    }
  }
}
