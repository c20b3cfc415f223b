/**
 * Node-side image I/O for the pipelines (sharp): decode any image to 8-bit RGB with clear AppErrors, and
 * write annotated PNGs atomically.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../../errors.js';
import { DEFAULT_LIMITS, LIMIT_ENV, checkLimit, limits } from '../../limits.js';

const maxPixelsNow = () => limits().maxImagePixels;
import { writeFileAtomic } from '../../cli/output.js';
import type { Point, RgbImage } from '../image/image.js';

/** Largest image accepted by default (pixels): larger ones are refused rather than exhausting memory (src/limits.ts). */
export const MAX_IMAGE_PIXELS = DEFAULT_LIMITS.maxImagePixels;

/** Decodes a file or bytes to RGB (grey → RGB, alpha dropped, CMYK/other colour spaces → sRGB). */
export async function readImage(source: string | Uint8Array, label?: string): Promise<RgbImage> {
  const file = label ?? (typeof source === 'string' ? source : undefined);
  if (typeof source === 'string') {
    let st: fs.Stats;
    try {
      st = fs.statSync(source);
    } catch (err) {
      throw new AppError('E_APP_IMAGE_READ', 'no such image file', { file, fix: 'check the path', cause: err });
    }
    if (st.isDirectory()) throw new AppError('E_APP_IMAGE_READ', 'is a directory, not an image', { file, fix: 'pass an image file (or use a folder where a folder is accepted)' });
    if (st.size === 0) throw new AppError('E_APP_IMAGE_DECODE', 'image file is empty (0 bytes)', { file, fix: 'give a PNG/JPEG/WebP image' });
  }
  const sharp = (await import('sharp')).default;
  try {
    const maxPixels = limits().maxImagePixels;
    const s = sharp(source, { failOn: 'error', limitInputPixels: maxPixels });
    const meta = await sharp(source, { failOn: 'error', limitInputPixels: false }).metadata(); // header only: size known before decoding
    if (!meta.width || !meta.height) throw new AppError('E_APP_IMAGE_DECODE', 'image has no size', { file });
    checkLimit('maxImagePixels', meta.width * meta.height, AppError, { file, where: `${meta.width}×${meta.height}` });
    const { data, info } = await s.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new AppError('E_APP_IMAGE_DECODE', `decoded to ${info.channels} channel(s), expected RGB`, { file });
    return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    if (err instanceof AppError) throw err;
    const msg = (err as Error).message;
    const huge = /pixel limit|exceeds/i.test(msg);
    throw new AppError(huge ? 'E_LIMIT_IMAGE_PIXELS' : 'E_APP_IMAGE_DECODE', huge ? `image is larger than the limit of ${maxPixelsNow()} pixels (maxImagePixels)` : `cannot decode image: ${msg}`, {
      file, fix: huge ? `downscale the image first, or raise ${LIMIT_ENV.maxImagePixels}` : 'give a PNG, JPEG, WebP, TIFF or GIF image', cause: err,
    });
  }
}

export const IMAGE_EXTS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.tif', '.tiff', '.gif']);

/** One image or the sorted images of a folder. */
export function imageInputs(input: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(input);
  } catch (err) {
    throw new AppError('E_APP_IMAGE_READ', 'no such image file or folder', { file: input, fix: 'check the --input path', cause: err });
  }
  if (!st.isDirectory()) return [input];
  const files = fs.readdirSync(input).filter((n) => IMAGE_EXTS.has(path.extname(n).toLowerCase())).sort().map((n) => path.join(input, n));
  if (!files.length) throw new AppError('E_APP_IMAGE_READ', `no images (${[...IMAGE_EXTS].join(' ')}) in the folder`, { file: input });
  return files;
}

export interface Annotation {
  /** Polygon (4 points) or axis-aligned box given as its 4 corners. */
  points: Point[];
  label?: string;
  color?: string;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Draws polygons (and labels) on the image and returns PNG bytes. */
export async function annotatePng(img: RgbImage, items: Annotation[]): Promise<Uint8Array> {
  const shapes = items.map((a) => {
    const color = a.color ?? '#ff2020';
    const pts = a.points.map((q) => `${q[0].toFixed(1)},${q[1].toFixed(1)}`).join(' ');
    const [x, y] = a.points[0] ?? [0, 0];
    const label = a.label ? `<text x="${x.toFixed(1)}" y="${Math.max(10, y - 2).toFixed(1)}" font-family="sans-serif" font-size="11" fill="${color}" stroke="#000" stroke-width="0.3">${esc(a.label)}</text>` : '';
    return `<polygon points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>${label}`;
  }).join('');
  const sharp = (await import('sharp')).default;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${img.width}" height="${img.height}">${shapes}</svg>`;
  const png = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.length), { raw: { width: img.width, height: img.height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}

/** annotatePng + atomic write. */
export async function writeAnnotatedPng(file: string, img: RgbImage, items: Annotation[]): Promise<void> {
  writeFileAtomic(file, await annotatePng(img, items));
}
