/**
 * Helpers for the OCR evaluation on an FP32-stable image set (issue 8; docs/ocr.md "Proof on an FP32-stable set").
 *
 * Candidates: every top-level PNG of the GIMP manual's dialog screenshots (Debian package gimp-help-en, installed by
 * .ci/run) at least 250 px wide and 250 px high — whole screenshots of real GIMP dialogs, not crops, not text we render.
 * Rule (looks only at FP32, fixed before INT8 was measured on any of them): a candidate is kept when the FP32 pipeline
 * (onnxruntime on the original ONNX det/cls/rec, runOcr with the proof's options and the REC_WIDTHS rec set) reads
 * ≥ 3 lines and, on each of two ±1-grey-level noise copies (seeds 1 and 2), reads ≥ 95 % of those lines identically
 * (lineAgreement: paired by box IoU ≥ 0.5, identical text).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ortExecutor } from '../../src/apps/node/ort-executor.js';
import { readKeys } from '../../src/apps/node/models.js';
import type { OcrLine, OcrModels } from '../../src/apps/ocr/pipeline.js';
import type { RgbImage } from '../../src/apps/image/image.js';
import { editDistance, lineAgreement } from '../../src/apps/demo/report.js';
import { DET_CALIB_FILES, REC_WIDTHS, recSpotCrops } from '../../src/apps/demo/ocr-specs.js';
import { REC_CALIB_FILES, recCalibLineCrops } from '../../src/apps/demo/rec-calib.js';
import { readImage } from '../../src/apps/node/image-io.js';
import { assetPath, packageDir, readAsset } from '../../src/runtime/node/assets.js';

/** gimp-help-en's dialog screenshots. */
export const GIMP_DIALOGS = '/usr/share/gimp/2.0/help/en/images/dialogs';
export const MIN_SIDE = 250;

/** The pipeline options of the proof (all lines, the compiled rec width set). */
export const EVAL_OPTS = { maxLines: 1000, recWidths: [...REC_WIDTHS] };

/** The FP32-only selection rule. */
export const STABLE_RULE = { minLines: 3, minSame: 0.95, noiseSeeds: [1, 2] } as const;

/**
 * The images the rule kept: 10 of the 35 candidates, 150 FP32 lines (test/apps/ocr-stable-select.test.ts re-derives
 * this list and asserts it is the same). Recorded on Nov 27 at 03:24, before any INT8 run on them.
 */
export const STABLE_SET: readonly string[] = [
  'buffers-dialog-grid.png', 'channels-dialog.png', 'colormap-dialog.png', 'dashboard-dialog.png', 'device-status.png',
  'keyboard-shortcuts-dialog.png', 'layer-group-mask.png', 'mypaint-brushes-dialog.png', 'palette-editor.png', 'palettes-sort.png',
];

/** Width and height from a PNG's IHDR chunk (bytes 16–23). */
export function pngSize(file: string): { width: number; height: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(24);
    fs.readSync(fd, b, 0, 24, 0);
    if (b.readUInt32BE(0) !== 0x89504e47) throw new Error(`${file}: not a PNG`);
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  } finally {
    fs.closeSync(fd);
  }
}

/** The candidate list, sorted by file name: top-level PNGs of `dir` (GIMP_DIALOGS) with both sides ≥ MIN_SIDE. */
export function candidateImages(dir: string = GIMP_DIALOGS): string[] {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.png')).sort()
    .map((n) => path.join(dir, n))
    .filter((f) => fs.statSync(f).isFile())
    .filter((f) => { const s = pngSize(f); return s.width >= MIN_SIDE && s.height >= MIN_SIDE; });
}

/**
 * A development set for choosing quantization recipes, disjoint from the evaluation sets: the same candidate rule and
 * STABLE_RULE over two other folders of the GIMP manual (Preferences pages and menu screenshots). Recipes are compared
 * here first, so that neither STABLE_SET nor the 5-image proof is used to pick them.
 */
export const GIMP_DEV_DIRS = ['/usr/share/gimp/2.0/help/en/images/preferences', '/usr/share/gimp/2.0/help/en/images/menus'] as const;

/** Every development candidate (both folders, each sorted by name). */
export function devCandidateImages(): string[] {
  return GIMP_DEV_DIRS.flatMap((d) => candidateImages(d));
}

/**
 * The development images the rule kept: 5 of 36 candidates, 97 FP32 lines (file names; recorded Nov 27 04:52, before
 * any INT8 run on them; `DPUFLOW_OCR_STABLE_DEV=1 node --test dist/test/apps/ocr-stable-select.test.js`, 172 s).
 */
export const DEV_SET: readonly string[] = ['prefs-default-grid.png', 'prefs-display.png', 'prefs-theme.png', 'local-windows-submenu.png', 'tools.png'];

/** The path of a DEV_SET file name (the first GIMP_DEV_DIRS folder that has it). */
export function devImagePath(name: string): string {
  const dir = GIMP_DEV_DIRS.find((d) => fs.existsSync(path.join(d, name)));
  if (!dir) throw new Error(`${name}: not in ${GIMP_DEV_DIRS.join(' or ')} (gimp-help-en)`);
  return path.join(dir, name);
}

/** A copy with every pixel moved by ±1 grey level (one seeded xorshift32 bit per pixel, same on R, G, B), clamped. */
export function greyNoise(img: RgbImage, seed: number): RgbImage {
  const out = new Uint8Array(img.data.length);
  let x = (seed * 2654435761) >>> 0 || 1;
  const n = img.width * img.height;
  for (let p = 0; p < n; p++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const d = (x & 1) === 1 ? 1 : -1;
    for (let c = 0; c < 3; c++) {
      const v = img.data[p * 3 + c]! + d;
      out[p * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { ...img, data: out };
}

/** onnxruntime executors on the three original PP-OCR ONNX files. */
export async function fp32Models(): Promise<OcrModels> {
  return {
    det: await ortExecutor(readAsset('ppocr-det'), { name: 'det' }),
    cls: await ortExecutor(readAsset('ppocr-cls'), { name: 'cls' }),
    rec: await ortExecutor(readAsset('ppocr-rec'), { name: 'rec' }),
    alphabet: readKeys(assetPath('ppocr-keys')),
  };
}

export interface Agreement { lines: number; same: number; chars: number; errs: number }

/** The reference lines read differently: [reference text, other text — null when no line pairs with it: no box with IoU ≥ 0.5, or its read fell below drop_score]. */
export function differing(a: OcrLine[], b: OcrLine[]): Array<[string, string | null]> {
  // lineAgreement lists the reference lines' pairs first, in reference order
  return lineAgreement(a, b).pairs.slice(0, a.length)
    .filter((p) => p.dpu === null || p.dpu.trim() !== (p.reference ?? '').trim())
    .map((p) => [p.reference ?? '', p.dpu]);
}

/** lineAgreement of `b` against the reference `a`, characters counted as the INT8 proof counts them. */
export function agreement(a: OcrLine[], b: OcrLine[]): Agreement {
  return agreementOn(a, b, a.map(() => true));
}

/** For each reference line of `a` (in order): does `b` read it the same (a paired box, identical text)? */
export function sameAt(a: OcrLine[], b: OcrLine[]): boolean[] {
  // lineAgreement lists the reference lines' pairs first, in reference order
  return lineAgreement(a, b).pairs.slice(0, a.length).map((p) => p.dpu !== null && p.dpu.trim() === (p.reference ?? '').trim());
}

/** `agreement` counted on the reference lines where `keep` is true only: lines paired as lineAgreement pairs them,
 * characters by its edit distance (an unpaired line loses all its characters). */
export function agreementOn(a: OcrLine[], b: OcrLine[], keep: readonly boolean[]): Agreement {
  const pairs = lineAgreement(a, b).pairs.slice(0, a.length);
  const r: Agreement = { lines: 0, same: 0, chars: 0, errs: 0 };
  pairs.forEach((p, i) => {
    if (!keep[i]) return;
    const ref = (p.reference ?? '').trim(), got = (p.dpu ?? '').trim();
    const n = Math.max([...ref].length, p.dpu === null ? 0 : [...got].length);
    r.lines++;
    if (p.dpu !== null && got === ref) r.same++;
    r.chars += n;
    r.errs += p.dpu === null ? n : Math.min(editDistance(ref, got), n);
  });
  return r;
}

/** The image moved by (dx, dy) ≥ 0 pixels; the uncovered first columns/rows replicate the edge. */
export function shiftImage(img: RgbImage, dx: number, dy: number): RgbImage {
  const { width: W, height: H } = img;
  const data = new Uint8Array(img.data.length);
  for (let y = 0; y < H; y++) {
    const sy = Math.max(0, y - dy);
    for (let x = 0; x < W; x++) {
      const sx = Math.max(0, x - dx);
      for (let k = 0; k < 3; k++) data[(y * W + x) * 3 + k] = img.data[(sy * W + sx) * 3 + k]!;
    }
  }
  return { ...img, data };
}

export function addAgreement(t: Agreement, r: Agreement): void {
  t.lines += r.lines; t.same += r.same; t.chars += r.chars; t.errs += r.errs;
}

export function fmtAgreement(r: Agreement): string {
  return `${r.same}/${r.lines} (${(100 * r.same / Math.max(1, r.lines)).toFixed(1)} %) · ${(100 * (1 - r.errs / Math.max(1, r.chars))).toFixed(1)} %`;
}

/** @vladmandic/human's assets folder (the proof images and every calibration image). */
export const HUMAN_ASSETS = path.join(packageDir('@vladmandic/human'), 'assets');

/**
 * The demo recipe's calibration inputs, as the INT8 proof tests build them: cls line crops (recSpotCrops of
 * screenshot-typedoc), rec line crops (REC_CALIB_LINES; undefined with DPUFLOW_OCR_REC_CALIB=spots, the recipe before
 * session 5: rec calibrated on the cls crops) and the decoded det calibration images (DET_CALIB_FILES).
 */
export async function proofCalibration(): Promise<{ lineCrops: RgbImage[]; recLineCrops?: RgbImage[]; detCalibImgs: RgbImage[] }> {
  const read = (f: string): Promise<RgbImage> => readImage(path.join(HUMAN_ASSETS, f));
  const lineCrops = recSpotCrops(await read('screenshot-typedoc.png'));
  const recLineCrops = process.env.DPUFLOW_OCR_REC_CALIB === 'spots' ? undefined
    : recCalibLineCrops(Object.fromEntries(await Promise.all(REC_CALIB_FILES.map(async (f) => [f, await read(f)] as const))));
  const detCalibImgs = await Promise.all(DET_CALIB_FILES.map(read));
  return { lineCrops, ...(recLineCrops ? { recLineCrops } : {}), detCalibImgs };
}
