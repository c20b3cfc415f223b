/**
 * Browser-safe image helpers for the application pipelines: an interleaved 8-bit image type, bilinear
 * resize (OpenCV INTER_LINEAR convention: half-pixel centres, edge clamp), letterbox, 180°/90° rotation,
 * perspective crop of a quadrilateral (PaddleOCR's get_rotate_crop_image, bilinear + replicated border)
 * and image → NHWC float tensor with per-channel normalisation.
 */
import type { TensorValue } from '../../ir/types.js';
import { AppError } from '../../errors.js';

/** Interleaved 8-bit pixels, row-major, `channels` per pixel (RGB for decoded images). */
export interface RgbImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

export type Point = [number, number];

export function checkImage(img: RgbImage, where = 'image'): void {
  if (!(img.width > 0 && img.height > 0 && img.channels > 0) || img.data.length !== img.width * img.height * img.channels) {
    throw new AppError('E_APP_IMAGE', `image buffer is ${img.data.length} bytes for ${img.width}×${img.height}×${img.channels}`, { where, fix: 'pass width·height·channels interleaved bytes' });
  }
}

/** Bilinear resize (cv2.resize INTER_LINEAR: src = (dst + 0.5)·scale − 0.5, clamped at the edges). */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  checkImage(img);
  if (!(width >= 1 && height >= 1)) throw new AppError('E_APP_RESIZE', `cannot resize to ${width}×${height}`, { fix: 'use a size ≥ 1×1' });
  const out = new Uint8Array(width * height * img.channels);
  resizeInto(img, width, height, out, width, 0);
  return { width, height, channels: img.channels, data: out };
}

/**
 * Math.round for v ≥ 0 without the call: (v + 0.5) | 0 rounds the same for every double in [0, 2³¹)
 * except 0.5 − 2⁻⁵⁴, where v + 0.5 rounds up to 1.
 */
function round0(v: number): number {
  return v === 0.49999999999999994 ? 0 : (v + 0.5) | 0;
}

/**
 * The resize kernel: per output column a precomputed source column pair (byte offsets) and the Float32
 * weight, per output row a source row pair; the arithmetic per value is the direct formula's,
 * `top = a + (b − a)·wx`, `bot = …`, `round(top + (bot − top)·wy)` in doubles, so the bytes are the
 * same as before. Writes `height` rows of `width` pixels into `out` starting at pixel `offset`, rows
 * `stride` pixels apart (a letterbox canvas or a plain image).
 */
function resizeInto(img: RgbImage, width: number, height: number, out: Uint8Array, stride: number, offset: number): void {
  const { channels: c, data } = img;
  const sx = img.width / width;
  const sy = img.height / height;
  const xa = new Int32Array(width);
  const xb = new Int32Array(width);
  const wxs = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    let fx = (x + 0.5) * sx - 0.5;
    if (fx < 0) fx = 0;
    const x0 = Math.min(Math.floor(fx), img.width - 1);
    xa[x] = x0 * c;
    xb[x] = Math.min(x0 + 1, img.width - 1) * c;
    wxs[x] = Math.fround(fx - x0); // the weight as a float32, as it always was
  }
  const rs = img.width * c;
  for (let y = 0; y < height; y++) {
    let fy = (y + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    const y0 = Math.min(Math.floor(fy), img.height - 1);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    const r0 = y0 * rs;
    const r1 = y1 * rs;
    let o = (offset + y * stride) * c;
    if (c === 3) {
      for (let x = 0; x < width; x++, o += 3) {
        const wx = wxs[x]!;
        const a = r0 + xa[x]!, b = r0 + xb[x]!, d = r1 + xa[x]!, e = r1 + xb[x]!;
        let p = data[a]!, q = data[d]!, t = p + (data[b]! - p) * wx;
        out[o] = round0(t + (q + (data[e]! - q) * wx - t) * wy);
        p = data[a + 1]!; q = data[d + 1]!; t = p + (data[b + 1]! - p) * wx;
        out[o + 1] = round0(t + (q + (data[e + 1]! - q) * wx - t) * wy);
        p = data[a + 2]!; q = data[d + 2]!; t = p + (data[b + 2]! - p) * wx;
        out[o + 2] = round0(t + (q + (data[e + 2]! - q) * wx - t) * wy);
      }
    } else {
      for (let x = 0; x < width; x++, o += c) {
        const wx = wxs[x]!;
        const a = r0 + xa[x]!, b = r0 + xb[x]!, d = r1 + xa[x]!, e = r1 + xb[x]!;
        for (let k = 0; k < c; k++) {
          const p = data[a + k]!, q = data[d + k]!, t = p + (data[b + k]! - p) * wx;
          out[o + k] = round0(t + (q + (data[e + k]! - q) * wx - t) * wy);
        }
      }
    }
  }
}

/** Letterbox (YOLOv5): scale to fit `width×height` keeping the aspect ratio, centre, pad with `pad`. */
export function letterbox(img: RgbImage, width: number, height: number, pad = 114): { image: RgbImage; scale: number; padX: number; padY: number } {
  checkImage(img);
  const scale = Math.min(width / img.width, height / img.height);
  const nw = Math.max(1, Math.round(img.width * scale));
  const nh = Math.max(1, Math.round(img.height * scale));
  if (!(width >= 1 && height >= 1)) throw new AppError('E_APP_RESIZE', `cannot letterbox to ${width}×${height}`, { fix: 'use a size ≥ 1×1' });
  const padX = Math.floor((width - nw) / 2);
  const padY = Math.floor((height - nh) / 2);
  const out = new Uint8Array(width * height * img.channels).fill(pad);
  // the resized image is drawn straight into the padded canvas (nw ≤ width, nh ≤ height: round(side·scale) ≤ target)
  resizeInto(img, Math.min(nw, width), Math.min(nh, height), out, width, padY * width + padX);
  return { image: { width, height, channels: img.channels, data: out }, scale, padX, padY };
}

/** Rotate by 180° (cv2.rotate ROTATE_180). */
export function rotate180(img: RgbImage): RgbImage {
  const { width, height, channels: c } = img;
  const out = new Uint8Array(img.data.length);
  const n = width * height;
  for (let p = 0; p < n; p++) out.set(img.data.subarray(p * c, p * c + c), (n - 1 - p) * c);
  return { width, height, channels: c, data: out };
}

/** Rotate 90° counter-clockwise (np.rot90: what PaddleOCR applies to tall crops). */
export function rotate90ccw(img: RgbImage): RgbImage {
  const { width, height, channels: c } = img;
  const out = new Uint8Array(img.data.length);
  // out is height wide, width tall; out(x', y') = in(x = width-1-y', y = x')
  for (let y2 = 0; y2 < width; y2++) {
    for (let x2 = 0; x2 < height; x2++) {
      const src = (x2 * width + (width - 1 - y2)) * c;
      out.set(img.data.subarray(src, src + c), (y2 * height + x2) * c);
    }
  }
  return { width: height, height: width, channels: c, data: out };
}

/** 3×3 homography mapping the four `src` points to the four `dst` points (cv2.getPerspectiveTransform). */
export function perspectiveTransform(src: Point[], dst: Point[]): number[] {
  // Solve the 8×8 system for h0..h7 (h8 = 1).
  const A: number[][] = [];
  const b: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = src[i]!;
    const [u, v] = dst[i]!;
    A.push([x, y, 1, 0, 0, 0, -u * x, -u * y]);
    b.push(u);
    A.push([0, 0, 0, x, y, 1, -v * x, -v * y]);
    b.push(v);
  }
  const n = 8;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[piv]![col]!)) piv = r;
    if (Math.abs(A[piv]![col]!) < 1e-12) throw new AppError('E_APP_QUAD', 'degenerate quadrilateral (three points on a line)', { fix: 'drop the box' });
    [A[col], A[piv]] = [A[piv]!, A[col]!];
    [b[col], b[piv]] = [b[piv]!, b[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = A[r]![col]! / A[col]![col]!;
      if (f === 0) continue;
      for (let k = col; k < n; k++) A[r]![k]! -= f * A[col]![k]!;
      b[r]! -= f * b[col]!;
    }
  }
  const h = b.map((v, i) => v / A[i]![i]!);
  h.push(1);
  return h;
}

/** The axis-aligned rectangle at (x0, y0) of w × h pixels, clipped to the image's right and bottom edges (a copy). */
export function cropRect(img: RgbImage, x0: number, y0: number, w: number, h: number): RgbImage {
  const W = Math.min(w, img.width - x0), H = Math.min(h, img.height - y0);
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) data.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + W) * 3), y * W * 3);
  return { width: W, height: H, channels: 3, data };
}

/**
 * PaddleOCR's get_rotate_crop_image: warp the quadrilateral `quad` (clockwise from top-left) to an
 * upright rectangle of width max(|p0p1|, |p2p3|) and height max(|p0p3|, |p1p2|); crops at least 1.5×
 * taller than wide are turned 90° counter-clockwise. Bilinear sampling, replicated border
 * (PaddleOCR uses bicubic; both sides of every comparison here use this one).
 */
export function cropQuad(img: RgbImage, quad: Point[]): RgbImage {
  checkImage(img);
  const d = (a: Point, b: Point): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
  const w = Math.max(1, Math.trunc(Math.max(d(quad[0]!, quad[1]!), d(quad[2]!, quad[3]!))));
  const h = Math.max(1, Math.trunc(Math.max(d(quad[0]!, quad[3]!), d(quad[1]!, quad[2]!))));
  // inverse map: destination pixel → source point
  const H = perspectiveTransform([[0, 0], [w, 0], [w, h], [0, h]], quad);
  const c = img.channels;
  const out = new Uint8Array(w * h * c);
  const W1 = img.width - 1;
  const H1 = img.height - 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const den = H[6]! * x + H[7]! * y + H[8]!;
      let sx = (H[0]! * x + H[1]! * y + H[2]!) / den;
      let sy = (H[3]! * x + H[4]! * y + H[5]!) / den;
      sx = sx < 0 ? 0 : sx > W1 ? W1 : sx;
      sy = sy < 0 ? 0 : sy > H1 ? H1 : sy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, W1);
      const y1 = Math.min(y0 + 1, H1);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * w + x) * c;
      for (let k = 0; k < c; k++) {
        const a = img.data[(y0 * img.width + x0) * c + k]!;
        const b = img.data[(y0 * img.width + x1) * c + k]!;
        const e = img.data[(y1 * img.width + x0) * c + k]!;
        const f = img.data[(y1 * img.width + x1) * c + k]!;
        const top = a + (b - a) * fx;
        const bot = e + (f - e) * fx;
        out[o + k] = Math.round(top + (bot - top) * fy);
      }
    }
  }
  const crop = { width: w, height: h, channels: c, data: out };
  return h / w >= 1.5 ? rotate90ccw(crop) : crop;
}

export interface TensorOptions {
  /** Per-channel mean/std on pixel·scale (default scale 1/255, mean 0, std 1). */
  mean?: readonly number[];
  std?: readonly number[];
  scale?: number;
  /** Channel order fed to the model (default RGB; PaddleOCR models were trained on BGR). */
  order?: 'RGB' | 'BGR';
  /** Output width; columns past the image are filled with `padValue` (PaddleOCR rec/cls pad with 0). */
  padWidth?: number;
  padValue?: number;
}

/** Image → NHWC float tensor [1, h, padWidth ?? w, c] with `(p·scale − mean)/std`. */
export function imageToTensor(img: RgbImage, o: TensorOptions = {}): TensorValue {
  checkImage(img);
  const c = img.channels;
  const scale = o.scale ?? 1 / 255;
  const mean = o.mean ?? new Array<number>(c).fill(0);
  const std = o.std ?? new Array<number>(c).fill(1);
  const W = Math.max(o.padWidth ?? img.width, img.width);
  const out = new Float32Array(img.height * W * c);
  const padValue = o.padValue ?? 0;
  if (W > img.width && padValue !== 0) out.fill(padValue);
  const bgr = o.order === 'BGR' && c === 3;
  // one table per output channel: the float32 of (p·scale − mean)/std for every byte p (same arithmetic)
  const lut = new Float32Array(c * 256);
  for (let k = 0; k < c; k++) for (let p = 0; p < 256; p++) lut[k * 256 + p] = (p * scale - mean[k]!) / std[k]!;
  const data = img.data;
  const rowIn = img.width * c;
  for (let y = 0; y < img.height; y++) {
    let s = y * rowIn;
    let d = y * W * c;
    if (c === 3) {
      const s0 = bgr ? 2 : 0, s2 = bgr ? 0 : 2;
      for (let x = 0; x < img.width; x++, s += 3, d += 3) {
        out[d] = lut[data[s + s0]!]!;
        out[d + 1] = lut[256 + data[s + 1]!]!;
        out[d + 2] = lut[512 + data[s + s2]!]!;
      }
    } else {
      for (let j = 0; j < rowIn; j++) out[d + j] = lut[(j % c) * 256 + data[s + j]!]!;
    }
  }
  return { shape: [1, img.height, W, c], data: out };
}
