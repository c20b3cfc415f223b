/**
 * Calibration set loading (Node only): a folder of images (decoded + resized with sharp, then given the
 * model input's channel count: RGB for 3, BT.601 grey for 1 — src/apps/preprocess/channels.ts), a .npy
 * file (float32, N×… batches) or a raw float32 .bin file. Produces NHWC float32 feeds.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { TensorValue } from '../../../ir/types.js';
import { QuantizeError } from '../../../errors.js';
import { type ChannelOrder, type Layout, type NormalizeOptions, nchwToNhwc, normalizePixels } from '../normalize.js';
import { channelsProblem, convertPixels, valuesForChannels } from '../channels.js';

export const IMAGE_EXTS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.tif', '.tiff', '.gif']);

export interface CalibLoadOptions extends NormalizeOptions {
  /** Model input shape, NHWC [1, h, w, c]. */
  inputShape: number[];
  /** Resize images to the input size (default false: sizes must match). */
  resize?: boolean;
  /** Layout of tensors in .npy/.bin files (default NCHW, like ONNX). */
  layout?: Layout;
  /** Max items to load. */
  count?: number;
  order?: ChannelOrder;
  /** The model input's name, for errors. */
  inputName?: string;
}

/** Sorted image files of a folder (QuantizeError when missing/empty/unreadable). */
export function listImages(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw new QuantizeError('E_Q_CALIB_READ', `cannot read calibration folder: ${(err as Error).message}`, { file: dir, fix: 'pass an existing folder of images, a .npy or a .bin file', cause: err });
  }
  const files = names.filter((n) => IMAGE_EXTS.has(path.extname(n).toLowerCase())).sort().map((n) => path.join(dir, n));
  if (!files.length) {
    throw new QuantizeError('E_Q_CALIB_EMPTY', `no images (${[...IMAGE_EXTS].join(' ')}) in the calibration folder`, { file: dir, fix: 'put 100–1000 representative images in it' });
  }
  return files;
}

/** The error for a model input no image can feed (channels other than 1 or 3), or undefined. */
function channelsError(inputShape: number[], inputName: string | undefined, file: string): QuantizeError | undefined {
  const p = channelsProblem(inputName, inputShape);
  return p ? new QuantizeError('E_Q_CALIB_CHANNELS', p.message, { file, ...(inputName ? { where: inputName } : {}), fix: p.fix }) : undefined;
}

/**
 * Decode one image to an NHWC feed with the model input's channel count: 3 → RGB (grey images repeated
 * to RGB), 1 → grey (BT.601 luma of RGB images; grey images as they are). Mean/std given for RGB are
 * used on a 1-channel input as documented in `valuesForChannels`.
 */
export async function loadImage(file: string, o: CalibLoadOptions): Promise<TensorValue> {
  const [, h, w, c] = o.inputShape as [number, number, number, number];
  const bad = channelsError(o.inputShape, o.inputName, file);
  if (bad) throw bad;
  let img;
  try {
    let s = sharp(file, { failOn: 'error' });
    const meta = await s.metadata();
    if (!o.resize && (meta.width !== w || meta.height !== h)) {
      throw new QuantizeError('E_Q_CALIB_SIZE', `image is ${meta.width}×${meta.height}, the model input is ${w}×${h}`, { file, fix: `pass --preprocess resize=${w}x${h} or resize the images` });
    }
    s = s.removeAlpha();
    if (o.resize) s = s.resize(w, h, { fit: 'fill' });
    // every image decodes to sRGB first (grey, CMYK, palette, 16-bit → 8-bit RGB), then follows the model
    img = await s.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    if (err instanceof QuantizeError) throw err;
    throw new QuantizeError('E_Q_CALIB_DECODE', `cannot decode image: ${(err as Error).message}`, { file, fix: 'remove or replace the file', cause: err });
  }
  const n = img.info.width * img.info.height;
  const px = convertPixels(new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.length), n, img.info.channels, c);
  if (!px) throw new QuantizeError('E_Q_CALIB_DECODE', `image decoded to ${img.info.channels} channel(s), expected RGB`, { file, fix: 'convert the image to RGB or grey' });
  const mean = valuesForChannels(o.mean, c);
  const std = valuesForChannels(o.std, c);
  return normalizePixels(px, img.info.width, img.info.height, c, { ...o, ...(mean ? { mean } : {}), ...(std ? { std } : {}) });
}

/** Parse a .npy file (float32 little-endian, C order). */
export function parseNpy(bytes: Uint8Array, file = 'input.npy'): TensorValue {
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (magic !== '\x93NUMPY') throw new QuantizeError('E_Q_NPY', 'not a .npy file (bad magic)', { file });
  const major = bytes[6];
  const hlen = major === 1 ? bytes[8] | (bytes[9] << 8) : bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24);
  const hstart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const shape = shapeStr.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (descr !== '<f4' || fortran) {
    throw new QuantizeError('E_Q_NPY', `.npy dtype ${descr}${fortran ? ' (Fortran order)' : ''} is not supported`, { file, fix: 'save float32 C-order arrays: np.save(f, x.astype(np.float32))' });
  }
  const off = hstart + hlen;
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - off < n * 4) throw new QuantizeError('E_Q_NPY', `.npy is truncated: ${bytes.length - off} data bytes for ${n} floats`, { file });
  const data = new Float32Array(n);
  new Uint8Array(data.buffer).set(bytes.subarray(off, off + n * 4));
  return { shape, data };
}

/** Split an N×… array into NHWC batch-1 feeds matching the input shape. */
export function splitTensor(t: TensorValue, o: CalibLoadOptions, file: string): TensorValue[] {
  const [, h, w, c] = o.inputShape;
  const per = h * w * c;
  if (t.data.length % per !== 0 || t.data.length === 0) {
    throw new QuantizeError('E_Q_CALIB_SHAPE', `${t.data.length} values (shape [${t.shape}]) are not a whole number of inputs of ${o.layout ?? 'NCHW'} [1, ${(o.layout ?? 'NCHW') === 'NCHW' ? `${c}, ${h}, ${w}` : `${h}, ${w}, ${c}`}]`, {
      file,
      fix: 'check --input-shape and --preprocess layout',
    });
  }
  const n = t.data.length / per;
  const out: TensorValue[] = [];
  for (let i = 0; i < n; i++) {
    const d = t.data.slice(i * per, (i + 1) * per);
    out.push((o.layout ?? 'NCHW') === 'NCHW' ? nchwToNhwc(d, [1, c, h, w]) : { shape: [1, h, w, c], data: d });
  }
  return out;
}

export interface CalibSet {
  /** One entry per calibration input, with its source. */
  items: { source: string; load: () => Promise<TensorValue> }[];
  /** Total available in the set (before --calib-count). */
  available: number;
  /** For a folder of images: the folder and the model input shape the images are decoded for. */
  images?: { dir: string; inputShape: number[] };
}

/** Open a calibration source (folder, .npy, .bin); validates count. */
export function openCalibSet(src: string, o: CalibLoadOptions): CalibSet {
  let st: fs.Stats;
  try {
    st = fs.statSync(src);
  } catch (err) {
    throw new QuantizeError('E_Q_CALIB_READ', `calibration source not found: ${(err as Error).message}`, { file: src, fix: 'pass a folder of images, a .npy or a .bin file', cause: err });
  }
  let items: CalibSet['items'];
  const folder = st.isDirectory();
  if (folder) {
    // a model input no image can feed is reported by calibFeeds (which knows the input's name) and loadImage
    items = listImages(src).map((f) => ({ source: f, load: () => loadImage(f, o) }));
  } else {
    const ext = path.extname(src).toLowerCase();
    const bytes = new Uint8Array(fs.readFileSync(src));
    let t: TensorValue;
    if (ext === '.npy') t = parseNpy(bytes, src);
    else if (ext === '.bin') {
      if (bytes.length % 4) throw new QuantizeError('E_Q_CALIB_SHAPE', `.bin has ${bytes.length} bytes, not whole float32 values`, { file: src });
      const d = new Float32Array(bytes.length / 4);
      new Uint8Array(d.buffer).set(bytes);
      t = { shape: [d.length], data: d };
    } else throw new QuantizeError('E_Q_CALIB_FORMAT', `unknown calibration file type '${ext}'`, { file: src, fix: 'use a folder of images, a .npy or a raw float32 .bin' });
    const parts = splitTensor(t, o, src);
    items = parts.map((p, i) => ({ source: `${src}[${i}]`, load: async () => p }));
  }
  const available = items.length;
  if (o.count !== undefined) {
    if (o.count > available) {
      throw new QuantizeError('E_Q_CALIB_COUNT', `--calib-count ${o.count} is larger than the ${available} input(s) in the set`, { file: src, fix: `pass --calib-count ${available} or add inputs` });
    }
    items = items.slice(0, o.count);
  }
  return { items, available, ...(folder ? { images: { dir: src, inputShape: o.inputShape } } : {}) };
}

/** The calibration feeds as an async iterable (decoded one at a time). */
export async function* calibFeeds(set: CalibSet, inputName: string): AsyncGenerator<Record<string, TensorValue>> {
  if (set.images) {
    const bad = channelsError(set.images.inputShape, inputName, set.images.dir);
    if (bad) throw bad;
  }
  for (const it of set.items) yield { [inputName]: await it.load() };
}
