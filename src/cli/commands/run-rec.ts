// `dpuflow run --task ocr --rec a.xmodel --rec b.xmodel …`: the OCR models with a recognizer width set. Each
// --rec file is one recognizer; its width is read from its input tensor's shape (NHWC [1, 48, W, 3]); runOcr
// routes each line to the smallest width that holds it (src/apps/ocr/pipeline.ts, recWidthSet). Files that
// cannot form a set — two at one width, a free width next to others, different heights, a model that is not a
// recognizer for the key file — are a UsageError naming the file and what to give instead.
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { graphRunnerExecutor, type ModelExecutor } from '../../apps/executor.js';
import { openModel, readKeys, type OcrModelFiles } from '../../apps/node/models.js';
import type { OcrModels } from '../../apps/ocr/pipeline.js';
import { assetPath } from '../../runtime/node/assets.js';
import { readXmodelFile } from '../../runtime/node/xmodel-file.js';
import { GraphRunner } from '../../runtime/graph-runner.js';

/** One --rec file opened: its executor, input H×W (W -1 when free) and the file it came from. */
export interface RecFile {
  file: string;
  ex: ModelExecutor;
  height: number;
  width: number;
}

const fixedDim = (d: number | undefined): number => (d !== undefined && d > 0 ? d : -1);

/**
 * Opens one --rec file and checks that it is a text recognizer for an alphabet of `classes` entries: a 4-D
 * 3-channel input and, for a compiled .xmodel (whose output shape is known before running), an output whose last
 * dimension is `classes` ([1, T, classes]). `several`: it is one of a set, so its input width must be fixed.
 */
async function openRec(file: string, classes: number, several: boolean, o: OcrModelFiles): Promise<RecFile> {
  let ex: ModelExecutor;
  let outDims: readonly number[] | undefined;
  if (path.extname(file).toLowerCase() === '.xmodel') {
    const gr = GraphRunner.create(readXmodelFile(file), { mode: o.mode ?? 'ref', ...(o.target ? { target: o.target } : {}) });
    outDims = gr.getOutputTensors()[0]?.dims;
    ex = graphRunnerExecutor(gr, path.basename(file));
  } else {
    ex = await openModel(file, o);
  }
  try {
    const inp = ex.inputs[0];
    const notRec = (what: string): UsageError => new UsageError('E_USAGE_REC_MODEL', `--rec: not a text recognizer for this key file: ${what}`, {
      file, fix: `give a PP-OCR rec model (input [1, 48, W, 3], output [1, T, ${classes}] = blank + keys + space), compiled per width for a set, or the --keys file that belongs to it`,
    });
    if (!inp || inp.shape.length !== 4 || (inp.shape[3]! > 0 && inp.shape[3] !== 3)) throw notRec(`its input is ${inp ? `[${inp.shape.join(', ')}]` : 'missing'}, expected an image [1, H, W, 3]`);
    if (outDims && (outDims.length < 2 || outDims[outDims.length - 1] !== classes)) {
      throw notRec(`its output is [${outDims.join(', ')}], expected [1, T, ${classes}]`);
    }
    const width = fixedDim(inp.shape[2]);
    if (several && width < 0) {
      throw new UsageError('E_USAGE_REC_WIDTH', '--rec: this recognizer has a free input width; a width set needs one fixed width per file', {
        file, fix: 'give compiled .xmodel files (one per width, e.g. rec at 48×320 and 48×640), or this one file alone',
      });
    }
    return { file, ex, height: fixedDim(inp.shape[1]), width };
  } catch (e) {
    ex.close?.();
    throw e;
  }
}

/**
 * Opens the --rec files (checked as above; two at one width or at different heights are a UsageError naming both),
 * widest last. Closes what it opened when one fails.
 */
export async function openRecSet(files: readonly string[], classes: number, o: OcrModelFiles): Promise<RecFile[]> {
  const recs: RecFile[] = [];
  try {
    for (const file of files) {
      const r = await openRec(file, classes, files.length > 1, o);
      recs.push(r);
      const same = recs.find((p) => p !== r && p.width === r.width);
      if (same) {
        throw new UsageError('E_USAGE_REC_WIDTH', `--rec: ${same.file} and ${r.file} both have input width ${r.width}`, {
          file: r.file, fix: 'give one rec model per width (compile the rec at another width, e.g. 48×640, or drop one of the two)',
        });
      }
      const other = recs.find((p) => p.height !== r.height);
      if (other) {
        throw new UsageError('E_USAGE_REC_WIDTH', `--rec: input height ${r.height} differs from ${other.file}'s ${other.height}`, {
          file: r.file, fix: 'compile every width of the set at the same height (48)',
        });
      }
    }
  } catch (e) {
    for (const r of recs) r.ex.close?.();
    throw e;
  }
  return recs.sort((a, b) => a.width - b.width);
}

/**
 * loadOcrModels (src/apps/node/models.ts) with the recognizer given as a set of files: `rec` = the narrowest,
 * `recByWidth` = the others. The key file is read first (its size checks the recognizers).
 */
export async function loadOcrModelsWithRecs(recFiles: readonly string[], f: Omit<OcrModelFiles, 'rec'>): Promise<{ models: OcrModels; recs: RecFile[] }> {
  const alphabet = readKeys(f.keys ?? assetPath('ppocr-keys'));
  const recs = await openRecSet(recFiles, alphabet.length, f);
  const opened: ModelExecutor[] = recs.map((r) => r.ex);
  try {
    const det = await openModel(f.det ?? assetPath('ppocr-det'), f);
    opened.push(det);
    const cls = f.cls === false ? undefined : await openModel(f.cls ?? assetPath('ppocr-cls'), f);
    const [rec, ...more] = recs.map((r) => r.ex);
    return { models: { det, rec: rec!, alphabet, ...(more.length ? { recByWidth: more } : {}), ...(cls ? { cls } : {}) }, recs };
  } catch (e) {
    for (const ex of opened) ex.close?.();
    throw e;
  }
}
