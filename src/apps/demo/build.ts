/**
 * The demo's model build (browser-safe, no I/O): ONNX bytes + calibration feeds → quantize → compile for a
 * board → compiled .xmodel bytes, behind a content-addressed artifact cache the caller implements (the CLI
 * keeps it in `.cache/` on disk). Cache entries are framed with a checksum so a corrupt or truncated entry
 * is detected and rebuilt instead of crashing the run.
 */
import type { TensorValue } from '../../ir/types.js';
import { AppError } from '../../errors.js';
import { importOnnx } from '../../importers/onnx/index.js';
import { quantize, md5Hex, type QuantizeOptions } from '../../quantizer/index.js';
import { cpuSubgraphOps } from '../../quantizer/keep-float.js';
import { compile } from '../../compiler/index.js';
import { Graph } from '../../xir/graph.js';

/** Bytes stored under a key; `get` returns undefined when there is no entry. */
export interface ArtifactCache {
  get(key: string): Uint8Array | undefined;
  put(key: string, bytes: Uint8Array): void;
}

const MAGIC = [0x44, 0x50, 0x46, 0x43]; // 'DPFC'

/** Frames bytes as MAGIC | u32 length | 32 hex chars md5 | payload. */
export function frameEntry(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 32 + payload.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, payload.length, true);
  out.set(new TextEncoder().encode(md5Hex(payload)), 8);
  out.set(payload, 40);
  return out;
}

/** The payload of a framed entry, or undefined when the entry is corrupt (bad magic, length or checksum). */
export function unframeEntry(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length < 40 || MAGIC.some((b, i) => bytes[i] !== b)) return undefined;
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (bytes.length !== 40 + len) return undefined;
  const payload = bytes.subarray(40);
  const sum = new TextDecoder().decode(bytes.subarray(8, 40));
  return md5Hex(payload) === sum ? payload : undefined;
}

/** Content hash of the model bytes, the calibration data, the build options and the dpuflow version. */
export function buildKey(onnx: Uint8Array, calib: TensorValue[], options: unknown, version: string): string {
  const parts = [md5Hex(onnx), ...calib.map((t) => md5Hex(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))), JSON.stringify(options), version];
  return md5Hex(parts.join('|'));
}

export interface BuildSpec {
  /** Short name ('det', 'cls', 'rec'). */
  name: string;
  onnx: Uint8Array;
  /** ONNX input name and its NCHW shape (fixed: the compiled model has static shapes). */
  input: string;
  shapeNchw: number[];
  /** Calibration feeds, NHWC. */
  calib: TensorValue[];
  /** Board or DPU preset for the compiler ('kv260', 'zcu102', …). */
  target: string;
  /** dpuflow version: part of the cache key. */
  version: string;
  quantize?: Pick<QuantizeOptions, 'method' | 'cle' | 'biasCorrection' | 'biasCorrectionBatches' | 'biasCorrectionMode' | 'splitChannelGroups' | 'splitChannelGroupsBy' | 'diffsBatches' | 'splitDepthwiseGroups' | 'affineAsDepthwise' | 'fastFinetune' | 'fixPointSearch' | 'weightResidual' | 'activationHeadroom'>;
  /**
   * Keep float the ops the compiler places on CPU subgraphs (QuantizeOptions.floatOps), as Vitis AI's CPU runner
   * computes them: a first quantization (one calibration input, no bias correction) is compiled to learn the
   * partition, then the model is quantized with those ops float. PP-OCRv4 rec: the SVTR neck's matmuls/adds.
   */
  floatCpuOps?: boolean;
  onProgress?: (step: string) => void;
}

export interface BuiltModel {
  name: string;
  key: string;
  xmodel: Uint8Array;
  graph: Graph;
  /** True when the compiled model came from the cache. */
  cached: boolean;
  /** A corrupt cache entry was found and rebuilt. */
  rebuiltCorrupt: boolean;
  quantizeMs: number;
  compileMs: number;
  dpuSubgraphs: number;
  cpuSubgraphs: number;
  calibCount: number;
}

function counts(g: Graph): { dpu: number; cpu: number } {
  const root = g.getRootSubgraph();
  const kids = root.isLeaf() ? [] : root.toposortChildSubgraph();
  let dpu = 0, cpu = 0;
  for (const s of kids) {
    const d = s.hasAttr('device') ? String(s.getAttr('device')) : 'CPU';
    if (d === 'DPU') dpu++;
    else if (d === 'CPU') cpu++;
  }
  return { dpu, cpu };
}

/**
 * The cache key of a spec: its name + the content hash of model, calibration feeds, input shape (so each compiled
 * rec width is its own entry), target, quantizer options and version.
 */
export function buildSpecKey(spec: BuildSpec): string {
  const options = { shape: spec.shapeNchw, target: spec.target, quantize: spec.quantize ?? {}, ...(spec.floatCpuOps ? { floatCpuOps: true } : {}) };
  return `${spec.name}-${buildKey(spec.onnx, spec.calib, options, spec.version)}`;
}

/** Quantizes and compiles one model, or takes it from the cache. */
export async function buildModel(spec: BuildSpec, cache?: ArtifactCache): Promise<BuiltModel> {
  const key = buildSpecKey(spec);
  let rebuiltCorrupt = false;
  const hit = cache?.get(key);
  if (hit) {
    const payload = unframeEntry(hit);
    if (payload) {
      try {
        const graph = Graph.deserialize(payload);
        const c = counts(graph);
        return { name: spec.name, key, xmodel: payload, graph, cached: true, rebuiltCorrupt, quantizeMs: 0, compileMs: 0, dpuSubgraphs: c.dpu, cpuSubgraphs: c.cpu, calibCount: spec.calib.length };
      } catch {
        rebuiltCorrupt = true;
      }
    } else rebuiltCorrupt = true;
    // one-line notice; the entry is discarded (overwritten by the rebuilt one below)
    if (rebuiltCorrupt) spec.onProgress?.(`cache entry ${key} is corrupt or truncated (checksum/length mismatch): discarded, rebuilding`);
  }
  if (!spec.calib.length) throw new AppError('E_DEMO_CALIB', `no calibration inputs for ${spec.name}`, { where: spec.name, fix: 'give at least one calibration image' });
  spec.onProgress?.(`quantize ${spec.name} (${spec.calib.length} calibration inputs)`);
  let t = performance.now();
  const g = importOnnx(spec.onnx, { fileName: `${spec.name}.onnx`, inputShapes: { [spec.input]: spec.shapeNchw } });
  const dataName = g.inputs[0]!;
  const feeds = spec.calib.map((x) => ({ [dataName]: x }));
  let floatOps: string[] | undefined;
  if (spec.floatCpuOps) {
    // the partition depends on which ops carry fix points, not on their values: one input, no bias correction
    const probe = await quantize(g, feeds.slice(0, 1), { ...spec.quantize, skipReport: true, biasCorrection: false, fixPointSearch: false });
    floatOps = cpuSubgraphOps(compile(probe.graph, spec.target).state.device);
    spec.onProgress?.(`quantize ${spec.name}: ${floatOps.length} ops on CPU subgraphs stay float`);
  }
  const q = await quantize(g, feeds, {
    skipReport: true,
    biasCorrectionBatches: Math.min(2, spec.calib.length),
    ...spec.quantize,
    ...(floatOps ? { floatOps } : {}),
  });
  const quantizeMs = performance.now() - t;
  spec.onProgress?.(`compile ${spec.name} for ${spec.target}`);
  t = performance.now();
  const { xmodel } = compile(q.graph, spec.target);
  const compileMs = performance.now() - t;
  if (!xmodel.length) throw new AppError('E_DEMO_COMPILE', `the compiler gave no xmodel for ${spec.name}`, { where: spec.name });
  cache?.put(key, frameEntry(xmodel));
  const graph = Graph.deserialize(xmodel);
  const c = counts(graph);
  return { name: spec.name, key, xmodel, graph, cached: false, rebuiltCorrupt, quantizeMs, compileMs, dpuSubgraphs: c.dpu, cpuSubgraphs: c.cpu, calibCount: spec.calib.length };
}
