// dpuflow float reference kernels (WebAssembly SIMD 128, f32x4), compiled by AssemblyScript
// (assembly/float/build.mjs). They compute exactly what src/kernels/ref/float/conv.ts and matmul.ts
// compute; only the order of the float additions differs.
//
// Every function works on byte pointers into the imported linear memory; nothing here allocates and
// there is no static data, so several instances (worker threads) can share one memory. The caller
// (src/kernels/ref/float/wasm/) lays the buffers out:
//   xp     float32 [Hp][Wp][C]: the conv input with the spatial zero padding applied
//          (for dwconv C is rounded up to a multiple of 4, the extra channels hold zeros).
//   wpk    conv weights [group][ocBlock][ky][kx][icg][8 oc] (oc padded to a multiple of 8 per
//          group with zeros); dwconv weights [ky][kx][C].
//   bias   float32 per output channel, padded like the weights (zeros when the op has no bias).
//   out    conv: [pixel][G·nb·8] (padded channels included); dwconv: [pixel][C].
// A GEMM is a 1×1 conv over M "pixels" of K channels (Wp = 1, OW = 1).

// ---- conv2d: 4 output pixels × 8 output channels per register tile -------------------------
// 8 f32x4 accumulators + 2 weight vectors + 1 splat fit V8's 15 usable xmm registers (6 pixels
// spill and run ~2× slower); the channel loop is unrolled by 2 (≈2× faster than not unrolled).

// @ts-ignore: decorator
@inline function pixBase(p: i32, OW: i32, sh: i32, sw: i32, Wp: i32, C: i32): usize {
  const oy = p / OW;
  const ox = p - oy * OW;
  return (<usize>(oy * sh) * <usize>Wp + <usize>(ox * sw)) * <usize>C << 2;
}

/**
 * Output pixels [p0, p1) of a (grouped) conv2d. Pixel p is (oy, ox) = (p / OW, p % OW).
 * C: channels of xp (all groups), ICg = C / G, nb: 8-wide oc blocks per group.
 */
export function conv(xp: usize, wpk: usize, bias: usize, out: usize,
  C: i32, Wp: i32, KH: i32, KW: i32, ICg: i32, G: i32, nb: i32,
  sh: i32, sw: i32, dh: i32, dw: i32, OW: i32, p0: i32, p1: i32, tile: i32): void {
  const rowStep = <usize>(dh * Wp * C) << 2;
  const colStep = <usize>(dw * C) << 2;
  const icBytes = <usize>ICg << 2;
  const blockBytes = <usize>(KH * KW * ICg) << 5; // × 8 lanes × 4 bytes
  // dilation 1 and one group: the kx taps of a row are contiguous in xp and in wpk (one run)
  const merged = colStep == icBytes;
  const runBytes = merged ? icBytes * <usize>KW : icBytes;
  const nkx = merged ? 1 : KW;
  const ocTot = G * nb * 8;
  const outRow = <usize>ocTot << 2;
  for (let q0 = p0; q0 < p1; q0 += tile) {
    const q1 = min(p1, q0 + tile);
    for (let g = 0; g < G; g++) {
      const cOff = <usize>(g * ICg) << 2;
      for (let b = 0; b < nb; b++) {
        const wb = wpk + <usize>(g * nb + b) * blockBytes;
        const ob = <usize>((g * nb + b) * 8) << 2;
        const bv0 = v128.load(bias + ob);
        const bv1 = v128.load(bias + ob, 16);
        let p = q0;
        for (; p + 4 <= q1; p += 4) {
          const x0 = xp + pixBase(p, OW, sh, sw, Wp, C) + cOff;
          const x1 = xp + pixBase(p + 1, OW, sh, sw, Wp, C) + cOff;
          const x2 = xp + pixBase(p + 2, OW, sh, sw, Wp, C) + cOff;
          const x3 = xp + pixBase(p + 3, OW, sh, sw, Wp, C) + cOff;
          let s00 = bv0, s01 = bv1, s10 = bv0, s11 = bv1;
          let s20 = bv0, s21 = bv1, s30 = bv0, s31 = bv1;
          let wp = wb;
          for (let ky = 0; ky < KH; ky++) {
            for (let kx = 0; kx < nkx; kx++) {
              const to = <usize>ky * rowStep + <usize>kx * colStep;
              const a0 = x0 + to, a1 = x1 + to, a2 = x2 + to, a3 = x3 + to;
              const ic2 = runBytes & ~(<usize>7);
              let k: usize = 0;
              for (; k < ic2; k += 8) { // two input channels per iteration
                {
                const w0 = v128.load(wp);
                const w1 = v128.load(wp, 16);
                let v = v128.load32_splat(a0 + k);
                s00 = f32x4.add(s00, f32x4.mul(v, w0));
                s01 = f32x4.add(s01, f32x4.mul(v, w1));
                v = v128.load32_splat(a1 + k);
                s10 = f32x4.add(s10, f32x4.mul(v, w0));
                s11 = f32x4.add(s11, f32x4.mul(v, w1));
                v = v128.load32_splat(a2 + k);
                s20 = f32x4.add(s20, f32x4.mul(v, w0));
                s21 = f32x4.add(s21, f32x4.mul(v, w1));
                v = v128.load32_splat(a3 + k);
                s30 = f32x4.add(s30, f32x4.mul(v, w0));
                s31 = f32x4.add(s31, f32x4.mul(v, w1));
                }
                {
                const w0 = v128.load(wp, 32);
                const w1 = v128.load(wp, 48);
                let v = v128.load32_splat(a0 + k + 4);
                s00 = f32x4.add(s00, f32x4.mul(v, w0));
                s01 = f32x4.add(s01, f32x4.mul(v, w1));
                v = v128.load32_splat(a1 + k + 4);
                s10 = f32x4.add(s10, f32x4.mul(v, w0));
                s11 = f32x4.add(s11, f32x4.mul(v, w1));
                v = v128.load32_splat(a2 + k + 4);
                s20 = f32x4.add(s20, f32x4.mul(v, w0));
                s21 = f32x4.add(s21, f32x4.mul(v, w1));
                v = v128.load32_splat(a3 + k + 4);
                s30 = f32x4.add(s30, f32x4.mul(v, w0));
                s31 = f32x4.add(s31, f32x4.mul(v, w1));
                }
                wp += 64;
              }
              for (; k < runBytes; k += 4) {
                {
                const w0 = v128.load(wp);
                const w1 = v128.load(wp, 16);
                let v = v128.load32_splat(a0 + k);
                s00 = f32x4.add(s00, f32x4.mul(v, w0));
                s01 = f32x4.add(s01, f32x4.mul(v, w1));
                v = v128.load32_splat(a1 + k);
                s10 = f32x4.add(s10, f32x4.mul(v, w0));
                s11 = f32x4.add(s11, f32x4.mul(v, w1));
                v = v128.load32_splat(a2 + k);
                s20 = f32x4.add(s20, f32x4.mul(v, w0));
                s21 = f32x4.add(s21, f32x4.mul(v, w1));
                v = v128.load32_splat(a3 + k);
                s30 = f32x4.add(s30, f32x4.mul(v, w0));
                s31 = f32x4.add(s31, f32x4.mul(v, w1));
                }
                wp += 32;
              }
            }
          }
          const o = out + <usize>p * outRow + ob;
          v128.store(o, s00); v128.store(o, s01, 16);
          v128.store(o + outRow, s10); v128.store(o + outRow, s11, 16);
          v128.store(o + 2 * outRow, s20); v128.store(o + 2 * outRow, s21, 16);
          v128.store(o + 3 * outRow, s30); v128.store(o + 3 * outRow, s31, 16);
        }
        for (; p < q1; p++) {
          const x0 = xp + pixBase(p, OW, sh, sw, Wp, C) + cOff;
          let s00 = bv0, s01 = bv1;
          let wp = wb;
          for (let ky = 0; ky < KH; ky++) {
            for (let kx = 0; kx < nkx; kx++) {
              const a0 = x0 + <usize>ky * rowStep + <usize>kx * colStep;
              for (let k: usize = 0; k < runBytes; k += 4) {
                const v = v128.load32_splat(a0 + k);
                s00 = f32x4.add(s00, f32x4.mul(v, v128.load(wp)));
                s01 = f32x4.add(s01, f32x4.mul(v, v128.load(wp, 16)));
                wp += 32;
              }
            }
          }
          const o = out + <usize>p * outRow + ob;
          v128.store(o, s00); v128.store(o, s01, 16);
        }
      }
    }
  }
}

// ---- depthwise conv: 4 channels per vector, 4 vectors per step -----------------------------

/** Output pixels [p0, p1) of a depthwise conv; C is a multiple of 4. */
export function dwconv(xp: usize, wpk: usize, bias: usize, out: usize,
  C: i32, Wp: i32, KH: i32, KW: i32, sh: i32, sw: i32, dh: i32, dw: i32, OW: i32, p0: i32, p1: i32): void {
  const rowStep = <usize>(dh * Wp * C) << 2;
  const colStep = <usize>(dw * C) << 2;
  const cBytes = <usize>C << 2;
  const c16 = cBytes & ~(<usize>63);
  for (let p = p0; p < p1; p++) {
    const x0 = xp + pixBase(p, OW, sh, sw, Wp, C);
    const o = out + <usize>p * cBytes;
    let c: usize = 0;
    for (; c < c16; c += 64) {
      let s0 = v128.load(bias + c), s1 = v128.load(bias + c, 16), s2 = v128.load(bias + c, 32), s3 = v128.load(bias + c, 48);
      let wp = wpk + c;
      for (let ky = 0; ky < KH; ky++) {
        let a = x0 + <usize>ky * rowStep + c;
        for (let kx = 0; kx < KW; kx++) {
          s0 = f32x4.add(s0, f32x4.mul(v128.load(a), v128.load(wp)));
          s1 = f32x4.add(s1, f32x4.mul(v128.load(a, 16), v128.load(wp, 16)));
          s2 = f32x4.add(s2, f32x4.mul(v128.load(a, 32), v128.load(wp, 32)));
          s3 = f32x4.add(s3, f32x4.mul(v128.load(a, 48), v128.load(wp, 48)));
          a += colStep;
          wp += cBytes;
        }
      }
      v128.store(o + c, s0); v128.store(o + c, s1, 16); v128.store(o + c, s2, 32); v128.store(o + c, s3, 48);
    }
    for (; c < cBytes; c += 16) {
      let s0 = v128.load(bias + c);
      let wp = wpk + c;
      for (let ky = 0; ky < KH; ky++) {
        let a = x0 + <usize>ky * rowStep + c;
        for (let kx = 0; kx < KW; kx++) {
          s0 = f32x4.add(s0, f32x4.mul(v128.load(a), v128.load(wp)));
          a += colStep;
          wp += cBytes;
        }
      }
      v128.store(o + c, s0);
    }
  }
}

// ---- calibration statistics (quantizer observers) --------------------------------------------

/**
 * max |x| of n float32 at x (n a multiple of 4 or not). NaN or ±Inf anywhere → the result is NaN
 * or Inf (f32x4.max propagates NaN), so the caller can report the element by a scalar scan.
 */
export function maxabs(x: usize, n: i32): f32 {
  let m0 = f32x4.splat(0), m1 = f32x4.splat(0);
  const n8 = <usize>(n & ~7) << 2;
  let p: usize = 0;
  for (; p < n8; p += 32) {
    m0 = f32x4.max(m0, f32x4.abs(v128.load(x + p)));
    m1 = f32x4.max(m1, f32x4.abs(v128.load(x + p, 16)));
  }
  m0 = f32x4.max(m0, m1);
  let m = max(max(f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)), max(f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)));
  const end = <usize>n << 2;
  for (; p < end; p += 4) m = max(m, abs(load<f32>(x + p)));
  return m;
}

/**
 * Accumulates n float32 at x into per-bin moments for the `diffs` search
 * (src/quantizer/observers/diffs-fast.ts): bin f = floor(x·sc) + half, d = x − floor(x·sc)·w.
 * Two copies of the histogram (even / odd elements; copy 1 starts `stride` bytes after copy 0), each
 * bin [count, Σd] as f64 (16 bytes), so that runs of equal bins do not serialise on one memory
 * location. Returns Σd² over all elements (even and odd elements in two sums, added at the end).
 * Same f64 operations, in the same order, as the TypeScript loop it replaces. The caller
 * guarantees |x| ≤ half·w.
 */
export function diffshist(x: usize, n: i32, sc: f64, w: f64, hist: usize, half: i32, stride: usize): f64 {
  let q0: f64 = 0, q1: f64 = 0;
  const h1 = hist + stride;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const v0 = <f64>load<f32>(x + (<usize>i << 2));
    const v1 = <f64>load<f32>(x + (<usize>i << 2), 4);
    const f0 = floor(v0 * sc);
    const f1 = floor(v1 * sc);
    const d0 = v0 - f0 * w;
    const d1 = v1 - f1 * w;
    const b0 = hist + (<usize>(<i32>f0 + half) << 4);
    const b1 = h1 + (<usize>(<i32>f1 + half) << 4);
    store<f64>(b0, load<f64>(b0) + 1.0);
    store<f64>(b0, load<f64>(b0, 8) + d0, 8);
    store<f64>(b1, load<f64>(b1) + 1.0);
    store<f64>(b1, load<f64>(b1, 8) + d1, 8);
    q0 += d0 * d0;
    q1 += d1 * d1;
  }
  if (i < n) {
    const v0 = <f64>load<f32>(x + (<usize>i << 2));
    const f0 = floor(v0 * sc);
    const d0 = v0 - f0 * w;
    const b0 = hist + (<usize>(<i32>f0 + half) << 4);
    store<f64>(b0, load<f64>(b0) + 1.0);
    store<f64>(b0, load<f64>(b0, 8) + d0, 8);
    q0 += d0 * d0;
  }
  return q0 + q1;
}

/**
 * Σ over bins [j0, j1) (both histogram copies merged) of the bin's squared error at candidate scale
 * s = 2^fp (inv = 2^-fp), DPU_ROUND and int8 saturation, without the Σd² term (the caller adds it):
 * 2·o·Σd + n·o² with o = edge − q·inv, edge = (j − half)·w.
 */
export function diffssse(hist: usize, j0: i32, j1: i32, half: i32, w: f64, s: f64, inv: f64, stride: usize): f64 {
  let sum: f64 = 0;
  for (let j = j0; j < j1; j++) {
    const b = hist + (<usize>j << 4);
    const cnt = load<f64>(b) + load<f64>(b + stride);
    if (cnt == 0) continue;
    const sd = load<f64>(b, 8) + load<f64>(b + stride, 8);
    const edge = <f64>(j - half) * w;
    let q = floor(edge * s + 0.5);
    if (q < -128) q = -128;
    else if (q > 127) q = 127;
    const o = edge - q * inv;
    sum += 2 * o * sd + cnt * o * o;
  }
  return sum;
}
