/**
 * Node-side model loading: reads an ONNX file or a TF.js model.json (and the weight shards its
 * weightsManifest names, relative to the model.json folder) from disk and imports it.
 * The stage code (src/importers/*) stays fs-free; this is the one place that touches the disk.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ImportError } from '../../errors.js';
import type { Graph } from '../../ir/types.js';
import { importModel, type ImportModelOptions } from '../index.js';
import { tfjsShardPaths } from '../tfjs/index.js';

export type LoadModelOptions = Omit<ImportModelOptions, 'fileName'>;

/** Reads a TF.js model.json and every shard it lists: `{ json, shards }` keyed by manifest path. */
export function readTfjsFiles(modelJsonPath: string): { json: string; shards: Record<string, Uint8Array> } {
  const json = readText(modelJsonPath);
  const dir = dirname(modelJsonPath);
  const shards: Record<string, Uint8Array> = {};
  for (const p of tfjsShardPaths(json, modelJsonPath)) {
    const full = resolve(dir, decodeURIComponent(p));
    try {
      shards[p] = new Uint8Array(readFileSync(full));
    } catch {
      // left out: importTfjs reports the missing shard with the weight it holds
    }
  }
  return { json, shards };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImportError('E_FILE', `cannot read the model file (${code ?? String(e)})`, { file: path, fix: code === 'ENOENT' ? 'check the path' : 'check the file permissions' });
  }
}

/**
 * Load a model file of either format into the IR: `.onnx` bytes or a TF.js `model.json` (with its
 * shards beside it). The format is picked by content, not by the file extension.
 */
export function loadModelFile(path: string, opts: LoadModelOptions = {}): Graph {
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) path = resolve(path, 'model.json');
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImportError('E_FILE', `cannot read the model file (${code ?? String(e)})`, { file: path, fix: code === 'ENOENT' ? 'check the path' : 'check the file permissions' });
  }
  const text = looksJson(bytes) ? new TextDecoder().decode(bytes) : undefined;
  if (text !== undefined) {
    const { shards } = readTfjsFiles(path);
    const dir = dirname(path);
    return importModel({ json: text, shards }, { ...opts, fileName: path, shardFileName: (p) => resolve(dir, decodeURIComponent(p)) });
  }
  return importModel(bytes, { ...opts, fileName: path });
}

function looksJson(b: Uint8Array): boolean {
  for (let i = 0; i < Math.min(b.length, 64); i++) {
    const c = b[i]!;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xef || c === 0xbb || c === 0xbf) continue;
    return c === 0x7b; // '{'
  }
  return false;
}
