/**
 * Following the model's input channel count (browser-safe): decoded images are RGB (or grey), models take
 * 1 (grey) or 3 (RGB) channels. 1 ← RGB is the BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B (rounded to
 * 8 bits); 3 ← grey repeats the grey value. Any other channel count cannot be fed from an image.
 */
import type { RgbImage } from '../image/image.js';

/** ITU-R BT.601 luma weights (R, G, B). */
export const BT601_LUMA: readonly [number, number, number] = [0.299, 0.587, 0.114];

/** Channel counts an image can feed. */
export const IMAGE_CHANNELS: readonly number[] = [1, 3];

/** The message and fix for a model input whose channel count no image can feed (callers wrap it in their stage's error). */
export function channelsProblem(inputName: string | undefined, shape: readonly number[]): { message: string; fix: string } | undefined {
  const c = shape[shape.length - 1]!;
  if (IMAGE_CHANNELS.includes(c)) return undefined;
  return {
    message: `${inputName !== undefined ? `input '${inputName}'` : 'the model input'} has ${c} channel(s) (NHWC [${shape.join(', ')}]); an image can feed a 1-channel (grey) or 3-channel (RGB) input`,
    fix: `give this input float32 NHWC tensors instead of images (a .npy with --preprocess layout=NHWC, or the library API), or change the model's input to 1 or 3 channels`,
  };
}

/** Interleaved pixels with `from` channels (1 or 3) → `to` channels (1 or 3). Other counts: undefined. */
export function convertPixels(px: Uint8Array, n: number, from: number, to: number): Uint8Array | undefined {
  if (from === to) return px;
  if (from === 3 && to === 1) {
    const out = new Uint8Array(n);
    const [r, g, b] = BT601_LUMA;
    for (let i = 0; i < n; i++) out[i] = Math.round(r * px[i * 3]! + g * px[i * 3 + 1]! + b * px[i * 3 + 2]!);
    return out;
  }
  if (from === 1 && to === 3) {
    const out = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = px[i]!;
    return out;
  }
  return undefined;
}

/** An image with the given channel count (1 or 3); undefined when that count cannot be made. */
export function imageWithChannels(img: RgbImage, channels: number): RgbImage | undefined {
  const data = convertPixels(img.data, img.width * img.height, img.channels, channels);
  return data ? { width: img.width, height: img.height, channels, data } : undefined;
}

/**
 * Per-channel mean/std given for RGB, used on a 1-channel input: equal values collapse to one; different
 * values (e.g. the ImageNet preset) become their BT.601-weighted average, the grey image's equivalent.
 * Lists that already have `channels` entries are returned as they are.
 */
export function valuesForChannels(v: readonly number[] | undefined, channels: number): number[] | undefined {
  if (!v || v.length === channels) return v ? [...v] : undefined;
  if (channels === 1 && v.length === 3) {
    if (v[0] === v[1] && v[1] === v[2]) return [v[0]!];
    return [BT601_LUMA[0] * v[0]! + BT601_LUMA[1] * v[1]! + BT601_LUMA[2] * v[2]!];
  }
  if (channels === 3 && v.length === 1) return [v[0]!, v[0]!, v[0]!];
  return [...v];
}
