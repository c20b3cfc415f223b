/**
 * Per-layer error report: for every tensor, INT8 (bit-exact test mode) vs FP32 over the
 * calibration data — SQNR (dB), cosine similarity, clipping rate — sorted worst first, with a
 * suggestion; plus final-output metrics and everything the quantizer changed.
 */

/** Running error statistics of one tensor. */
export class ErrorStats {
  signal = 0;
  noise = 0;
  dot = 0;
  qq = 0;
  clipped = 0;
  count = 0;
  maxAbs = 0;
  add(f: Float32Array, q: Float32Array, fp?: number): void {
    const n = Math.min(f.length, q.length);
    const hi = fp === undefined ? Infinity : 127.5 * 2 ** -fp;
    const lo = fp === undefined ? -Infinity : -128.5 * 2 ** -fp;
    for (let i = 0; i < n; i++) {
      const a = f[i];
      const b = q[i];
      const d = a - b;
      this.signal += a * a;
      this.noise += d * d;
      this.dot += a * b;
      this.qq += b * b;
      if (a >= hi || a < lo) this.clipped++;
      const m = a < 0 ? -a : a;
      if (m > this.maxAbs) this.maxAbs = m;
    }
    this.count += n;
  }
  /** 10·log10(Σf² / Σ(f−q)²); +Infinity when exact. */
  sqnrDb(): number {
    if (this.noise === 0) return Infinity;
    if (this.signal === 0) return -Infinity;
    return 10 * Math.log10(this.signal / this.noise);
  }
  cosine(): number {
    const d = Math.sqrt(this.signal) * Math.sqrt(this.qq);
    return d === 0 ? (this.signal === this.qq ? 1 : 0) : this.dot / d;
  }
  clipRate(): number {
    return this.count ? this.clipped / this.count : 0;
  }
}

export interface TensorReport {
  tensor: string;
  op: string;
  dtype: 'int8' | 'float32';
  fixPoint?: number;
  /** dB; null when the INT8 result equals FP32 exactly (infinite SQNR). */
  sqnrDb: number | null;
  cosine: number;
  /** Fraction of FP32 values outside the int8 range at this fix point. */
  clipRate: number;
  maxAbs: number;
  /**
   * SQNR (dB) of this op alone: its INT8 result vs its float kernel on the same (already
   * quantized) inputs — the error the layer itself adds, without what it inherits.
   */
  localSqnrDb?: number | null;
  suggestion?: string;
}

export interface FixAdjustment {
  tensor: string;
  op: string;
  rule: string;
  from: number;
  to: number;
}

export interface QuantReport {
  model: string;
  method: string;
  calibBatches: number;
  reportBatches: number;
  warnings: string[];
  folded: { bn: string; conv: string }[];
  /** mul/add by constants folded into the preceding conv. */
  affineFolded: { op: string; into: string; kind: 'mul' | 'add' }[];
  fused: { conv: string; act: string; nonlinear: string }[];
  leakyAlpha: { op: string; from: number; to: number }[];
  /** hard-sigmoid ops rewritten to the DPU form by scaling the producing conv. */
  hardSigmoid: { op: string; conv: string; scale: number }[];
  cle: { enabled: boolean; pairs: number; rounds: number };
  biasCorrection: { enabled: boolean; layers: number; maxAbsCorrection: number };
  fastFinetune: { enabled: boolean; layers: number; note?: string };
  /** Weight residual (weight-residual.ts): the convs split and how many eligible ones were measured. */
  weightResidual?: { measured: number; split: { conv: string; concat: string; sqnrDb: number; shift: number; fixPoint: number }[] };
  adjustments: FixAdjustment[];
  quantInfoOverrides: number;
  floatOps: { op: string; type: string; reason: string }[];
  /** Every tensor, worst SQNR first. */
  tensors: TensorReport[];
  /** Graph outputs. */
  outputs: TensorReport[];
}

export const SQNR_POOR_DB = 20;

export function suggestionFor(t: TensorReport, method: string, batches: number): string | undefined {
  const s = t.sqnrDb ?? Infinity;
  if (t.clipRate > 1e-3) {
    return `${(t.clipRate * 100).toFixed(2)} % of values clip at fix point ${t.fixPoint}: try --method maxmin${method === 'maxmin' ? ' (already) — lower its fix point in quant_info.json' : ''} or percentile`;
  }
  if (s < SQNR_POOR_DB) {
    const parts = [];
    if (method !== 'entropy') parts.push('try --method entropy or percentile');
    if (batches < 100) parts.push('calibrate on ≥ 100 images');
    parts.push(`keep '${t.tensor}' on the CPU if the final output suffers`);
    return parts.join('; ');
  }
  return undefined;
}

const roundDb = (sq: number): number | null => (Number.isFinite(sq) ? Math.round(sq * 100) / 100 : sq === Infinity ? null : -999);

export function tensorReport(tensor: string, op: string, st: ErrorStats, fp: number | undefined, local?: ErrorStats): TensorReport {
  const sq = st.sqnrDb();
  return {
    tensor,
    op,
    dtype: fp === undefined ? 'float32' : 'int8',
    ...(fp === undefined ? {} : { fixPoint: fp }),
    sqnrDb: Number.isFinite(sq) ? Math.round(sq * 100) / 100 : sq === Infinity ? null : -999,
    cosine: Math.round(st.cosine() * 1e6) / 1e6,
    clipRate: Math.round(st.clipRate() * 1e6) / 1e6,
    maxAbs: st.maxAbs,
    ...(local ? { localSqnrDb: roundDb(local.sqnrDb()) } : {}),
  };
}

/** Worst first: lowest SQNR (null = exact goes last), then name. */
export function sortWorstFirst(ts: TensorReport[]): TensorReport[] {
  const key = (t: TensorReport): number => (t.sqnrDb === null ? Infinity : t.sqnrDb);
  return [...ts].sort((a, b) => key(a) - key(b) || (a.tensor < b.tensor ? -1 : 1));
}

/** A short text table: outputs, then the `n` worst tensors. Units in the header. */
export function formatReportTable(r: QuantReport, n = 12): string {
  const fmt = (t: TensorReport): string => {
    const name = t.tensor.length > 36 ? `…${t.tensor.slice(-35)}` : t.tensor;
    const sq = t.sqnrDb === null ? 'exact' : t.sqnrDb.toFixed(1);
    return `${name.padEnd(37)} ${t.op.padEnd(17)} ${String(t.fixPoint ?? 'float').padStart(5)} ${sq.padStart(8)} ${t.cosine.toFixed(4).padStart(7)} ${(t.clipRate * 100).toFixed(3).padStart(7)}`;
  };
  const head = `${'tensor'.padEnd(37)} ${'op'.padEnd(17)} ${'fp'.padStart(5)} ${'SQNR dB'.padStart(8)} ${'cosine'.padStart(7)} ${'clip %'.padStart(7)}`;
  const lines = [`quantized ${r.model} (${r.method}, ${r.calibBatches} calibration batches; report over ${r.reportBatches})`];
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push('outputs:', head, ...r.outputs.map(fmt));
  lines.push(`worst ${Math.min(n, r.tensors.length)} of ${r.tensors.length} tensors:`, head);
  for (const t of r.tensors.slice(0, n)) {
    lines.push(fmt(t));
    if (t.suggestion) lines.push(`    → ${t.suggestion}`);
  }
  if (r.adjustments.length) lines.push(`${r.adjustments.length} fix point adjustment(s) for DPU legality (see quant_report.json "adjustments")`);
  if (r.leakyAlpha.length) lines.push(`LeakyReLU alpha set to 26/256 on ${r.leakyAlpha.length} op(s)`);
  if (r.floatOps.length) lines.push(`${r.floatOps.length} op(s) stay float (CPU), e.g. ${r.floatOps.slice(0, 3).map((o) => `${o.op} (${o.reason})`).join('; ')}`);
  return `${lines.join('\n')}\n`;
}
