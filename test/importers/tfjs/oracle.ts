/**
 * The independent oracle: the TF.js model run by @tensorflow/tfjs itself (pure-JS CPU backend),
 * loaded from the files through a custom IOHandler (no network).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TensorValue } from '../../../src/ir/types.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const HUMAN = join(ROOT, 'node_modules', '@vladmandic', 'human', 'models');

interface Manifest { paths: string[]; weights: unknown[] }

/** Run the model with tfjs: feeds keyed by input name (NHWC float32), returns the named outputs. */
export async function runTfjs(modelJsonPath: string, feeds: Record<string, TensorValue>, outputs: string[]): Promise<Record<string, TensorValue>> {
  const text = readFileSync(modelJsonPath, 'utf8');
  const j = JSON.parse(text) as { weightsManifest: Manifest[] };
  const shards: Record<string, Uint8Array> = {};
  for (const g of j.weightsManifest) for (const p of g.paths) shards[p] = new Uint8Array(readFileSync(join(dirname(modelJsonPath), p)));
  return runTfjsJson(text, shards, feeds, outputs);
}

/** As runTfjs, from the model.json text and its shards in memory. */
export async function runTfjsJson(text: string, shards: Record<string, Uint8Array>, feeds: Record<string, TensorValue>, outputs: string[]): Promise<Record<string, TensorValue>> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  await tf.ready();
  const j = JSON.parse(text) as { modelTopology: object; weightsManifest: Manifest[]; format?: string; generatedBy?: string; convertedBy?: string; signature?: object; userDefinedMetadata?: Record<string, unknown> };
  const parts: Uint8Array[] = [];
  for (const g of j.weightsManifest) for (const p of g.paths) parts.push(shards[p]!);
  const total = parts.reduce((a, p) => a + p.length, 0);
  const buf = new Uint8Array(total);
  let off = 0;
  for (const p of parts) { buf.set(p, off); off += p.length; }
  const handler = {
    load: async () => ({
      modelTopology: j.modelTopology,
      weightSpecs: j.weightsManifest.flatMap((g) => g.weights) as never,
      weightData: buf.buffer,
      format: j.format, generatedBy: j.generatedBy, convertedBy: j.convertedBy,
      signature: j.signature, userDefinedMetadata: j.userDefinedMetadata,
    }),
  };
  const model = await tf.loadGraphModel(handler as never);
  const inputs: Record<string, import('@tensorflow/tfjs').Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) inputs[k] = tf.tensor(v.data, v.shape, 'float32');
  const res = model.execute(inputs, outputs);
  const arr = Array.isArray(res) ? res : [res];
  const out: Record<string, TensorValue> = {};
  arr.forEach((t, i) => { out[outputs[i]!] = { shape: [...t.shape], data: new Float32Array(t.dataSync()) }; });
  for (const t of [...arr, ...Object.values(inputs)]) t.dispose();
  model.dispose();
  return out;
}

/** Deterministic pseudo-random input in [lo, hi) (xorshift32). */
export function seededInput(shape: number[], seed: number, lo = 0, hi = 1): TensorValue {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    data[i] = lo + (hi - lo) * (s / 4294967296);
  }
  return { shape, data };
}

/** max |a − b| / max |b|: the error relative to the reference tensor's range. */
export function maxRelError(a: TensorValue, ref: TensorValue): number {
  let d = 0, m = 0;
  for (let i = 0; i < ref.data.length; i++) {
    d = Math.max(d, Math.abs(a.data[i]! - ref.data[i]!));
    m = Math.max(m, Math.abs(ref.data[i]!));
  }
  return m === 0 ? d : d / m;
}
