/**
 * Node helpers that turn model files into ModelExecutors: `.onnx` → dpuflow's float IR executor (or
 * onnxruntime with engine 'ort'), `.xmodel` → the runtime's GraphRunner on the virtual DPU. Also loads
 * the shipped PP-OCR models and key file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../errors.js';
import { floatOnnxExecutor, graphRunnerExecutor, type ModelExecutor } from '../executor.js';
import { parseKeys } from '../ocr/ctc.js';
import type { OcrModels } from '../ocr/pipeline.js';
import { assetPath } from '../../runtime/node/assets.js';
import { readXmodelFile } from '../../runtime/node/xmodel-file.js';
import { GraphRunner } from '../../runtime/graph-runner.js';
import type { RunnerMode } from '../../runtime/backend.js';
import { ortExecutor } from './ort-executor.js';

export interface OpenModelOptions {
  /** For .onnx: 'float' (dpuflow's IR executor, default) or 'ort' (onnxruntime-node). */
  engine?: 'float' | 'ort';
  /** For .xmodel: the virtual DPU mode ('ref' default, 'sim', 'run'). */
  mode?: RunnerMode;
  /** For .xmodel: the board/arch the virtual DPU carries (default: the model's own). */
  target?: string;
}

function readBytes(file: string, what: string): Uint8Array {
  try {
    const b = fs.readFileSync(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AppError('E_APP_FILE', code === 'ENOENT' ? `no such ${what} file` : `cannot read ${what}: ${(err as Error).message}`, { file, fix: 'check the path', cause: err });
  }
}

/** Opens a model file as a ModelExecutor (by extension: .onnx or .xmodel). */
export async function openModel(file: string, o: OpenModelOptions = {}): Promise<ModelExecutor> {
  const ext = path.extname(file).toLowerCase();
  const name = path.basename(file);
  if (ext === '.xmodel') {
    const g = readXmodelFile(file);
    const gr = GraphRunner.create(g, { mode: o.mode ?? 'ref', ...(o.target ? { target: o.target } : {}) });
    return graphRunnerExecutor(gr, name);
  }
  if (ext === '.onnx') {
    const bytes = readBytes(file, 'model');
    return o.engine === 'ort' ? ortExecutor(bytes, { name }) : floatOnnxExecutor(bytes, { fileName: file, name });
  }
  throw new AppError('E_APP_MODEL_TYPE', `unknown model type '${ext || '(none)'}'`, { file, fix: 'give an .onnx or a compiled .xmodel file' });
}

/** Reads a PaddleOCR key file into the decode alphabet (AppError naming the file when missing/empty). */
export function readKeys(file: string): string[] {
  return parseKeys(new TextDecoder().decode(readBytes(file, 'key')), file);
}

export interface OcrModelFiles extends OpenModelOptions {
  /** Default: the shipped PP-OCRv4 det / mobile cls / PP-OCRv4 rec and ppocr_keys_v1.txt. */
  det?: string;
  /** false skips the direction classifier. */
  cls?: string | false;
  rec?: string;
  keys?: string;
}

/** Opens the three OCR models and the key file. */
export async function loadOcrModels(f: OcrModelFiles = {}): Promise<OcrModels> {
  const det = await openModel(f.det ?? assetPath('ppocr-det'), f);
  const cls = f.cls === false ? undefined : await openModel(f.cls ?? assetPath('ppocr-cls'), f);
  const rec = await openModel(f.rec ?? assetPath('ppocr-rec'), f);
  const alphabet = readKeys(f.keys ?? assetPath('ppocr-keys'));
  return { det, rec, alphabet, ...(cls ? { cls } : {}) };
}

export function closeOcrModels(m: OcrModels): void {
  m.det.close?.();
  m.cls?.close?.();
  m.rec.close?.();
  for (const ex of m.recByWidth ?? []) if (ex !== m.rec) ex.close?.();
}
