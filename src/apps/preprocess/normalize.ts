/**
 * Image → input tensor normalisation (pure, browser-safe): interleaved 8-bit pixels to an NHWC
 * float32 tensor, `(p · scale − mean) / std` per channel, in RGB or BGR order.
 */
import type { TensorValue } from '../../ir/types.js';
import { AppError } from '../../errors.js';

export type ChannelOrder = 'RGB' | 'BGR';
export type Layout = 'NHWC' | 'NCHW';

export interface NormalizeOptions {
  /** Per-channel mean, in the output channel order, in units of the scaled pixel (default 0). */
  mean?: number[];
  /** Per-channel std (default 1). */
  std?: number[];
  /** Multiplies the 0–255 pixel first (default 1/255). */
  scale?: number;
  /** Channel order the model expects (default RGB; decoded pixels are RGB). */
  order?: ChannelOrder;
}

/** Presets users know. Values are for pixels scaled to [0, 1]. */
export const PREPROCESS_PRESETS: Record<string, Required<Pick<NormalizeOptions, 'mean' | 'std'>>> = {
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  /** PP-OCR rec / cls: (x − 0.5) / 0.5. */
  half: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
  none: { mean: [0, 0, 0], std: [1, 1, 1] },
};

/** `pixels` are interleaved RGB(…) bytes of a width×height image with `channels` channels. */
export function normalizePixels(pixels: Uint8Array, width: number, height: number, channels: number, opts: NormalizeOptions = {}): TensorValue {
  if (pixels.length !== width * height * channels) {
    throw new AppError('E_APP_PIXELS', `pixel buffer has ${pixels.length} bytes, expected ${width}×${height}×${channels}`);
  }
  const scale = opts.scale ?? 1 / 255;
  const mean = opts.mean ?? new Array<number>(channels).fill(0);
  const std = opts.std ?? new Array<number>(channels).fill(1);
  if (mean.length !== channels || std.length !== channels) {
    throw new AppError('E_APP_NORM', `mean/std have ${mean.length}/${std.length} values for ${channels} channels`, { fix: `give ${channels} comma-separated values` });
  }
  const bgr = (opts.order ?? 'RGB') === 'BGR' && channels === 3;
  const out = new Float32Array(pixels.length);
  // one table per output channel: the float32 of (p·scale − mean)/std for every byte p (same arithmetic)
  const lut = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v * scale - mean[c]!) / std[c]!;
  if (bgr) {
    for (let i = 0; i < pixels.length; i += 3) {
      out[i] = lut[pixels[i + 2]!]!;
      out[i + 1] = lut[256 + pixels[i + 1]!]!;
      out[i + 2] = lut[512 + pixels[i]!]!;
    }
  } else if (channels === 3) {
    for (let i = 0; i < pixels.length; i += 3) {
      out[i] = lut[pixels[i]!]!;
      out[i + 1] = lut[256 + pixels[i + 1]!]!;
      out[i + 2] = lut[512 + pixels[i + 2]!]!;
    }
  } else {
    for (let i = 0; i < pixels.length; i++) out[i] = lut[(i % channels) * 256 + pixels[i]!]!;
  }
  return { shape: [1, height, width, channels], data: out };
}

/** NCHW → NHWC (batch 1 or more). */
export function nchwToNhwc(data: Float32Array, shape: number[]): TensorValue {
  const [n, c, h, w] = shape;
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x];
  }
  return { shape: [n, h, w, c], data: out };
}
