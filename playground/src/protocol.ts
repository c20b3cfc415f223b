// Messages between the page (main.ts) and the pipeline worker (worker.ts). Plain data only.
import type { LayerSplit } from '../../src/report/layer-split.js';

export type ExampleName = 'resnet50' | 'mobilenetv2' | 'tiny' | 'ppocr-det';

export interface RunRequest {
  type: 'run';
  /** Picked/dropped files (an .onnx, or a TF.js model.json with its shards), or a built-in example. */
  model: { kind: 'files'; files: File[] } | { kind: 'example'; name: ExampleName; url?: string; bytes?: ArrayBuffer };
  /** A board (kv260, zcu102, zcu104) or an arch preset (B4096, …). */
  target: string;
  /** ONNX NCHW shape for dynamic inputs, e.g. "1,3,320,320" (empty: from the model). */
  inputShape: string;
  calibImages: File[];
  preprocess: 'imagenet' | 'half' | 'none';
  method: string;
  cle: boolean;
  biasCorrection: boolean;
  report: boolean;
  seed: number;
}

export interface OpRow { name: string; type: string; device: string; subgraph?: string; reason?: string; fix?: string }

export interface ThroughputPoint { threads: number; fps: number; latencyMs: number; activeCores: number; efficiency: number }

export interface PgResult {
  model: { name: string; format: string; inputs: Array<{ name: string; shape: number[] }>; ops: number };
  target: { spec: string; dpuName: string; fingerprint: string; preset: string };
  calibration: { kind: 'images' | 'random'; count: number; seed: number; label: string; method: string };
  ops: OpRow[];
  counts: { dpu: number; cpu: number; user: number };
  notes: string[];
  /** Cycle-model figures for the chosen board (absent when the target is an arch no board carries). */
  board?: {
    name: string; title: string; cores: number; clockMHz: number; ddrGBps: number; preset: string;
    /** modelThroughput(graph, board, 1): the figure `dpuflow bench --json` prints as board.fps. */
    fps: number; latencyMs: number; efficiency: number;
    dpuMs: number; ldWB: number; ldFM: number; stFM: number; avgBwGBps: number;
    layers: Array<LayerSplit & { subgraph: string }>;
    cpuSubgraphs: Array<{ name: string; hostMs?: number }>;
  };
  boardNote?: string;
  threads: Array<{ board: string; cores: number; points: ThroughputPoint[] }>;
  quant: {
    warnings: string[];
    reported: boolean;
    /** Graph order. */
    tensors: Array<{ tensor: string; op: string; sqnrDb: number | null; localSqnrDb?: number | null; cosine: number; clipRate: number; fixPoint?: number; suggestion?: string }>;
    worst: Array<{ tensor: string; op: string; sqnrDb: number | null; suggestion?: string }>;
  };
  files: { netName: string; intXmodel: Uint8Array; xmodel: Uint8Array; quantInfo: string; trace?: string; reportHtml?: string; quantReportHtml?: string };
  timings: Array<{ stage: string; ms: number }>;
}

export type WorkerMessage =
  | { type: 'progress'; stage: string; done?: number; total?: number }
  | { type: 'result'; result: PgResult }
  | { type: 'error'; message: string; code?: string; kind?: string; fix?: string };

export const MAX_MODEL_BYTES = 200 * 1024 * 1024;
