// dpuflow fast INT8 host kernels (WebAssembly SIMD 128), compiled by AssemblyScript.
//
// Every function works on raw pointers into the (imported, shareable) linear memory; nothing here
// allocates, and there is no static data, so several instances (one per worker thread) can share
// one memory. The arithmetic reproduces src/kernels/ref/int8 (docs/dpu-arithmetic.md) exactly:
// int32 accumulation of int8 products (the caller checks |Σx·w| < 2^31), output stage in i64
// (or an i32 vector path when the caller proves it cannot overflow), DPU rounding
// floor(x/2^s + 1/2) = (x + 2^(s-1)) >> s, saturation to [-128, 127].
//
// Layouts (all chosen by src/kernels/wasm/pack.ts):
//   activations   int8 NHWC, dense.
//   xp            int16 copy of a conv input with the spatial zero padding applied and the channel
//                 count rounded up to Cp (padding channels hold anything: their weights are 0).
//   conv weights  int8 [ocBlock of 8][ky][kx][c/2][8 oc][2 c], widened on load (v128.load8x8_s): one v128 holds, for one pair of
//                 input channels, 4 output channels × 2; i32x4.dot_i16x8_s against a splat of
//                 the pair (x[c], x[c+1]) gives 4 output channels' partial sums.
//   dw weights    int16 [ky][kx][Cp] (Cp multiple of 8).
//   bias          int32 per output channel (rounded up to 8): b · 2^shift_bias (or b when the
//                 accumulator is shifted left, accShift > 0).

// ---- output stage -----------------------------------------------------------------------------

const MODE_NONE: i32 = 0;
const MODE_RELU: i32 = 1;
const MODE_RELU6: i32 = 2;
const MODE_LEAKY: i32 = 3;
const MODE_HSIGMOID: i32 = 4;
const MODE_HSWISH: i32 = 5;

// @ts-ignore: decorator
@inline function sr(v: i64, s: i32): i64 {
  if (s > 0) return (v + (<i64>1 << <i64>(s - 1))) >> <i64>s;
  if (s == 0) return v;
  return v << <i64>(-s);
}

// @ts-ignore: decorator
@inline function sat(v: i64): i32 {
  return v < -128 ? -128 : v > 127 ? 127 : <i32>v;
}

// Stage parameters live in globals set once per op by setStage (per instance: each worker sets
// its own before running its share).
let gMode: i32 = 0;
let gCut: i32 = 0;
let gAccShift: i32 = 0;
let gSix: i64 = 0;
let gThree: i64 = 0;
let gLeaky: i64 = 26;
let gHswShift: i32 = 0;
let gFast: i32 = 0;
let gBias: usize = 0;

export function setStage(mode: i32, cut: i32, accShift: i32, six: i64, three: i64, leaky: i32, hswShift: i32, fast: i32, bias: usize): void {
  gMode = mode;
  gCut = cut;
  gAccShift = accShift;
  gSix = six;
  gThree = three;
  gLeaky = <i64>leaky;
  gHswShift = hswShift;
  gFast = fast;
  gBias = bias;
}

function stage1(acc: i32, o: i32): i32 {
  const a: i64 = (<i64>acc << <i64>gAccShift) + <i64>load<i32>(gBias + (<usize>o << 2));
  const cut = gCut;
  const mode = gMode;
  if (mode == MODE_NONE) return sat(sr(a, cut));
  if (mode == MODE_RELU) return a <= 0 ? 0 : sat(sr(a, cut));
  if (mode == MODE_RELU6) return a <= 0 ? 0 : sat(sr(a > gSix ? gSix : a, cut));
  if (mode == MODE_LEAKY) return a >= 0 ? sat(sr(a, cut)) : sat(sr(a * gLeaky, cut + 8));
  let r = a + gThree;
  r = r < 0 ? 0 : r > gSix ? gSix : r;
  if (mode == MODE_HSIGMOID) return sat(sr(r * 2731, cut + 14));
  const h = <i64>sat(sr(r * 2731, gHswShift));
  return sat(sr(a * h, cut + 7));
}

// Output stage of 8 channels (o .. o+7; only the first n <= 8 are stored at outp).
// @ts-ignore: decorator
@inline function stage8(a0: v128, a1: v128, o: i32, outp: usize, n: i32): void {
  if (gFast) {
    const bp = gBias + (<usize>o << 2);
    let v0 = i32x4.add(a0, v128.load(bp));
    let v1 = i32x4.add(a1, v128.load(bp, 16));
    const mode = gMode;
    if (mode == MODE_LEAKY) {
      // a ≥ 0: (a + 2^(cut-1)) >> cut; a < 0: (a·k + 2^(cut+7)) >> (cut + 8) (caller bounds |a·k| < 2^31)
      const cut = gCut;
      const k = i32x4.splat(<i32>gLeaky);
      const hp = i32x4.splat(cut > 0 ? 1 << (cut - 1) : 0);
      const hn = i32x4.splat(1 << (cut + 7));
      const z = i32x4.splat(0);
      const p0 = i32x4.shr_s(i32x4.add(v0, hp), cut);
      const p1 = i32x4.shr_s(i32x4.add(v1, hp), cut);
      const q0 = i32x4.shr_s(i32x4.add(i32x4.mul(v0, k), hn), cut + 8);
      const q1 = i32x4.shr_s(i32x4.add(i32x4.mul(v1, k), hn), cut + 8);
      v0 = v128.bitselect(p0, q0, i32x4.ge_s(v0, z));
      v1 = v128.bitselect(p1, q1, i32x4.ge_s(v1, z));
      const n16 = i16x8.narrow_i32x4_s(v0, v1);
      const n8 = i8x16.narrow_i16x8_s(n16, n16);
      if (n == 8) {
        v128.store64_lane(outp, n8, 0);
      } else {
        const lo = i64x2.extract_lane(n8, 0);
        for (let i = 0; i < n; i++) store<i8>(outp + i, <i8>(lo >> (<i64>i * 8)));
      }
      return;
    }
    if (mode != MODE_NONE) {
      const z = i32x4.splat(0);
      v0 = i32x4.max_s(v0, z);
      v1 = i32x4.max_s(v1, z);
      if (mode == MODE_RELU6) {
        const six = i32x4.splat(<i32>gSix);
        v0 = i32x4.min_s(v0, six);
        v1 = i32x4.min_s(v1, six);
      }
    }
    const cut = gCut;
    if (cut > 0) {
      const half = i32x4.splat(1 << (cut - 1));
      v0 = i32x4.shr_s(i32x4.add(v0, half), cut);
      v1 = i32x4.shr_s(i32x4.add(v1, half), cut);
    }
    const n16 = i16x8.narrow_i32x4_s(v0, v1);
    const n8 = i8x16.narrow_i16x8_s(n16, n16);
    if (n == 8) {
      v128.store64_lane(outp, n8, 0);
    } else {
      const lo = i64x2.extract_lane(n8, 0);
      for (let i = 0; i < n; i++) store<i8>(outp + i, <i8>(lo >> (<i64>i * 8)));
    }
    return;
  }
  stage8slow(a0, a1, o, outp, n);
}

function stage8slow(a0: v128, a1: v128, o: i32, outp: usize, n: i32): void {
  store<i8>(outp, <i8>stage1(i32x4.extract_lane(a0, 0), o));
  if (n > 1) store<i8>(outp + 1, <i8>stage1(i32x4.extract_lane(a0, 1), o + 1));
  if (n > 2) store<i8>(outp + 2, <i8>stage1(i32x4.extract_lane(a0, 2), o + 2));
  if (n > 3) store<i8>(outp + 3, <i8>stage1(i32x4.extract_lane(a0, 3), o + 3));
  if (n > 4) store<i8>(outp + 4, <i8>stage1(i32x4.extract_lane(a1, 0), o + 4));
  if (n > 5) store<i8>(outp + 5, <i8>stage1(i32x4.extract_lane(a1, 1), o + 5));
  if (n > 6) store<i8>(outp + 6, <i8>stage1(i32x4.extract_lane(a1, 2), o + 6));
  if (n > 7) store<i8>(outp + 7, <i8>stage1(i32x4.extract_lane(a1, 3), o + 7));
}

// ---- input widening with zero padding -----------------------------------------------------------

/**
 * xp rows [r0, r1) of the padded int16 copy of x (H×W×C int8): xp is Hp×Wp×Cp, the image sits at
 * (pt, pl). Spatial padding is zero; channels C..Cp-1 of real pixels are zero too.
 */
export function widen(x: usize, H: i32, W: i32, C: i32, xp: usize, Wp: i32, Cp: i32, pt: i32, pl: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>Wp * <usize>Cp * 2;
  const c8 = C & ~7;
  for (let r = r0; r < r1; r++) {
    const dst = xp + <usize>r * rowBytes;
    const iy = r - pt;
    if (iy < 0 || iy >= H) {
      memory.fill(dst, 0, rowBytes);
      continue;
    }
    // left / right padding columns
    if (pl > 0) memory.fill(dst, 0, <usize>pl * <usize>Cp * 2);
    const right = Wp - pl - W;
    if (right > 0) memory.fill(dst + <usize>(pl + W) * <usize>Cp * 2, 0, <usize>right * <usize>Cp * 2);
    let s = x + <usize>iy * <usize>W * <usize>C;
    let d = dst + <usize>pl * <usize>Cp * 2;
    for (let ix = 0; ix < W; ix++) {
      let c = 0;
      for (; c < c8; c += 8) v128.store(d + (<usize>c << 1), v128.load8x8_s(s + c));
      for (; c < C; c++) store<i16>(d + (<usize>c << 1), <i16>load<i8>(s + c));
      for (; c < Cp; c++) store<i16>(d + (<usize>c << 1), 0);
      s += C;
      d += <usize>Cp * 2;
    }
  }
}

// ---- conv2d -------------------------------------------------------------------------------------

/**
 * conv2d output rows [oy0, oy1) for output-channel blocks [ob0, ob1) (blocks of 8).
 * xp: padded int16 input (Wp columns, Cp channels, Cp even). wpk: packed weights (see top).
 * out: int8 NHWC (OW × OC per row). Register tile: 4 output pixels × 8 output channels.
 */
export function conv(xp: usize, Wp: i32, Cp: i32, wpk: usize, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  out: usize, OW: i32, OC: i32, oy0: i32, oy1: i32, ob0: i32, ob1: i32, rowsOuter: i32): void {
  // rowsOuter: every output-channel block of a row before the next row (weights of all blocks
  // stay in cache, the input streams once); otherwise one block over all rows (its weights stay in L1).
  if (rowsOuter) {
    for (let oy = oy0; oy < oy1; oy++)
      for (let ob = ob0; ob < ob1; ob++) convRow(xp, Wp, Cp, wpk, kh, kw, sh, sw, dh, dw, out, OW, OC, oy, ob);
  } else {
    for (let ob = ob0; ob < ob1; ob++)
      for (let oy = oy0; oy < oy1; oy++) convRow(xp, Wp, Cp, wpk, kh, kw, sh, sw, dh, dw, out, OW, OC, oy, ob);
  }
}

// One output row × one block of 8 output channels.
function convRow(xp: usize, Wp: i32, Cp: i32, wpk: usize, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  out: usize, OW: i32, OC: i32, oy: i32, ob: i32): void {
  const pairs = Cp >> 1;
  const blk = <usize>kh * <usize>kw * <usize>pairs * 16;
  const pix = <usize>Cp * 2; // bytes per padded pixel
  const xstep = <usize>sw * pix; // next output pixel
  const rowB = <usize>Wp * pix;
  const o = ob << 3;
  const n = OC - o < 8 ? OC - o : 8;
  const wblk = wpk + <usize>ob * blk;
  // dilation 1: the kw taps of a kernel row are contiguous in xp (and in the packed weights), so
  // one loop runs over kw × Cp/2 channel pairs.
  const kxn = dw == 1 ? 1 : kw;
  const span: usize = dw == 1 ? <usize>kw * (<usize>pairs << 2) : <usize>pairs << 2;
  const orow = out + <usize>oy * <usize>OW * <usize>OC + <usize>o;
  const xrow = xp + <usize>(oy * sh) * rowB;
  let ox = 0;
  for (; ox + 4 <= OW; ox += 4) {
    let a00 = i32x4.splat(0), a01 = i32x4.splat(0);
    let a10 = i32x4.splat(0), a11 = i32x4.splat(0);
    let a20 = i32x4.splat(0), a21 = i32x4.splat(0);
    let a30 = i32x4.splat(0), a31 = i32x4.splat(0);
    let wp = wblk;
    const xpix = xrow + <usize>ox * xstep;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kxn; kx++) {
        let xa = xpix + <usize>(ky * dh) * rowB + <usize>(kx * dw) * pix;
        const xend = xa + span;
        for (; xa < xend; xa += 4) {
          // int8 weights widened to int16 by the load itself (pmovsxbw)
          const w0 = v128.load8x8_s(wp);
          const w1 = v128.load8x8_s(wp, 8);
          wp += 16;
          const x0 = v128.load32_splat(xa);
          a00 = i32x4.add(a00, i32x4.dot_i16x8_s(x0, w0));
          a01 = i32x4.add(a01, i32x4.dot_i16x8_s(x0, w1));
          const x1 = v128.load32_splat(xa + xstep);
          a10 = i32x4.add(a10, i32x4.dot_i16x8_s(x1, w0));
          a11 = i32x4.add(a11, i32x4.dot_i16x8_s(x1, w1));
          const x2 = v128.load32_splat(xa + 2 * xstep);
          a20 = i32x4.add(a20, i32x4.dot_i16x8_s(x2, w0));
          a21 = i32x4.add(a21, i32x4.dot_i16x8_s(x2, w1));
          const x3 = v128.load32_splat(xa + 3 * xstep);
          a30 = i32x4.add(a30, i32x4.dot_i16x8_s(x3, w0));
          a31 = i32x4.add(a31, i32x4.dot_i16x8_s(x3, w1));
        }
      }
    }
    const op = orow + <usize>ox * <usize>OC;
    stage8(a00, a01, o, op, n);
    stage8(a10, a11, o, op + <usize>OC, n);
    stage8(a20, a21, o, op + 2 * <usize>OC, n);
    stage8(a30, a31, o, op + 3 * <usize>OC, n);
  }
  for (; ox < OW; ox++) {
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0);
    let wp = wblk;
    const xpix = xrow + <usize>ox * xstep;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kxn; kx++) {
        let xa = xpix + <usize>(ky * dh) * rowB + <usize>(kx * dw) * pix;
        const xend = xa + span;
        for (; xa < xend; xa += 4) {
          const x0 = v128.load32_splat(xa);
          a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x0, v128.load8x8_s(wp)));
          a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x0, v128.load8x8_s(wp, 8)));
          wp += 16;
        }
      }
    }
    stage8(a0, a1, o, orow + <usize>ox * <usize>OC, n);
  }
}

// ---- depthwise conv2d ---------------------------------------------------------------------------

/** depthwise conv2d output rows [oy0, oy1); xp padded int16 (Cp multiple of 8), wpk int16 [kh][kw][Cp]. */
export function dwconv(xp: usize, Wp: i32, Cp: i32, wpk: usize, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  out: usize, OW: i32, C: i32, oy0: i32, oy1: i32): void {
  const pix = <usize>Cp * 2;
  const rowB = <usize>Wp * pix;
  const cb = Cp >> 3;
  if (kh == 3 && kw == 3) {
    dw3x3(xp, rowB, pix, cb, wpk, sh, sw, dh, dw, out, OW, C, oy0, oy1);
    return;
  }
  for (let oy = oy0; oy < oy1; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      const xpix = xp + <usize>(oy * sh) * rowB + <usize>(ox * sw) * pix;
      const op = out + (<usize>oy * <usize>OW + <usize>ox) * <usize>C;
      for (let b = 0; b < cb; b++) {
        const coff = <usize>b << 4;
        let a0 = i32x4.splat(0), a1 = i32x4.splat(0);
        let wp = wpk + coff;
        for (let ky = 0; ky < kh; ky++) {
          let xa = xpix + <usize>(ky * dh) * rowB + coff;
          for (let kx = 0; kx < kw; kx++) {
            const xv = v128.load(xa);
            const wv = v128.load(wp);
            a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(xv, wv));
            a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(xv, wv));
            xa += <usize>dw * pix;
            wp += pix;
          }
        }
        const o = b << 3;
        stage8(a0, a1, o, op + <usize>o, C - o < 8 ? C - o : 8);
      }
    }
  }
}

// 3×3 depthwise: the weights of a channel block stay in registers across all pixels. Taps are taken
// in pairs (t, t+1): the two input vectors are interleaved per channel (x_t[c], x_t+1[c]) with a
// 16-bit lane shuffle (punpck{l,h}wd) and multiplied by the likewise interleaved weights with
// i32x4.dot_i16x8_s, which sums x_t[c]·w_t[c] + x_t+1[c]·w_t+1[c] exactly in one int32 lane — 8 MACs
// per dot instead of 4 per extmul (which V8 lowers to 3 instructions). The 9th tap uses extmul.
// @ts-ignore: decorator
@inline function ilo(a: v128, b: v128): v128 { return v128.shuffle<i16>(a, b, 0, 8, 1, 9, 2, 10, 3, 11); }
// @ts-ignore: decorator
@inline function ihi(a: v128, b: v128): v128 { return v128.shuffle<i16>(a, b, 4, 12, 5, 13, 6, 14, 7, 15); }

function dw3x3(xp: usize, rowB: usize, pix: usize, cb: i32, wpk: usize, sh: i32, sw: i32, dh: i32, dw: i32,
  out: usize, OW: i32, C: i32, oy0: i32, oy1: i32): void {
  const cx = <usize>dw * pix;
  const ry = <usize>dh * rowB;
  const xs = <usize>sw * pix;
  for (let b = 0; b < cb; b++) {
    const coff = <usize>b << 4;
    const w0 = v128.load(wpk + coff), w1 = v128.load(wpk + coff + pix), w2 = v128.load(wpk + coff + 2 * pix);
    const w3 = v128.load(wpk + coff + 3 * pix), w4 = v128.load(wpk + coff + 4 * pix), w5 = v128.load(wpk + coff + 5 * pix);
    const w6 = v128.load(wpk + coff + 6 * pix), w7 = v128.load(wpk + coff + 7 * pix), w8 = v128.load(wpk + coff + 8 * pix);
    // pairs (0,1) (2,3) (4,5) (6,7): taps 0..2 row 0, 3..5 row 1, 6..8 row 2
    const p0l = ilo(w0, w1), p0h = ihi(w0, w1), p1l = ilo(w2, w3), p1h = ihi(w2, w3);
    const p2l = ilo(w4, w5), p2h = ihi(w4, w5), p3l = ilo(w6, w7), p3h = ihi(w6, w7);
    const o = b << 3;
    const n = C - o < 8 ? C - o : 8;
    for (let oy = oy0; oy < oy1; oy++) {
      let xa = xp + <usize>(oy * sh) * rowB + coff;
      let op = out + <usize>oy * <usize>OW * <usize>C + <usize>o;
      for (let ox = 0; ox < OW; ox++) {
        const r1 = xa + ry;
        const r2 = r1 + ry;
        const x0 = v128.load(xa), x1 = v128.load(xa + cx), x2 = v128.load(xa + 2 * cx);
        const x3 = v128.load(r1), x4 = v128.load(r1 + cx), x5 = v128.load(r1 + 2 * cx);
        const x6 = v128.load(r2), x7 = v128.load(r2 + cx), x8 = v128.load(r2 + 2 * cx);
        let a0 = i32x4.extmul_low_i16x8_s(x8, w8), a1 = i32x4.extmul_high_i16x8_s(x8, w8);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(ilo(x0, x1), p0l)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(ihi(x0, x1), p0h));
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(ilo(x2, x3), p1l)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(ihi(x2, x3), p1h));
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(ilo(x4, x5), p2l)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(ihi(x4, x5), p2h));
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(ilo(x6, x7), p3l)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(ihi(x6, x7), p3h));
        stage8(a0, a1, o, op, n);
        xa += xs;
        op += <usize>C;
      }
    }
  }
}

// ---- pooling ------------------------------------------------------------------------------------

/** maxpool2d output rows [oy0, oy1) on int8 NHWC; padding ignored; re-quantized by shift s. */
export function maxpool(x: usize, H: i32, W: i32, C: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
  out: usize, OW: i32, s: i32, oy0: i32, oy1: i32): void {
  const c16 = C & ~15;
  for (let oy = oy0; oy < oy1; oy++) {
    let y0 = oy * sh - pt, y1 = y0 + kh;
    if (y0 < 0) y0 = 0;
    if (y1 > H) y1 = H;
    for (let ox = 0; ox < OW; ox++) {
      let x0 = ox * sw - pl, x1 = x0 + kw;
      if (x0 < 0) x0 = 0;
      if (x1 > W) x1 = W;
      const op = out + (<usize>oy * <usize>OW + <usize>ox) * <usize>C;
      let c = 0;
      for (; c < c16; c += 16) {
        let m = i8x16.splat(-128);
        for (let iy = y0; iy < y1; iy++)
          for (let ix = x0; ix < x1; ix++) m = i8x16.max_s(m, v128.load(x + (<usize>iy * <usize>W + <usize>ix) * <usize>C + <usize>c));
        v128.store(op + c, m);
        // re-quantize the 16 maxima (rare: fi != fo)
        if (s != 0) for (let i = 0; i < 16; i++) store<i8>(op + c + i, <i8>sat(sr(<i64>load<i8>(op + c + i), s)));
      }
      for (; c < C; c++) {
        let m: i32 = -128;
        for (let iy = y0; iy < y1; iy++)
          for (let ix = x0; ix < x1; ix++) {
            const v = <i32>load<i8>(x + (<usize>iy * <usize>W + <usize>ix) * <usize>C + <usize>c);
            if (v > m) m = v;
          }
        store<i8>(op + c, <i8>sat(sr(<i64>m, s)));
      }
    }
  }
}

/**
 * avgpool2d output rows [oy0, oy1): integer window sum S over the valid taps (padding counts as
 * zero), y = sat(DPU_ROUND(S·mult / 2^shift)) (shift may be ≤ 0: exact left shift).
 */
export function avgpool(x: usize, H: i32, W: i32, C: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32,
  out: usize, OW: i32, mult: i32, shift: i32, oy0: i32, oy1: i32): void {
  const c8 = C & ~7;
  const m = <i64>mult;
  for (let oy = oy0; oy < oy1; oy++) {
    let y0 = oy * sh - pt, y1 = y0 + kh;
    if (y0 < 0) y0 = 0;
    if (y1 > H) y1 = H;
    for (let ox = 0; ox < OW; ox++) {
      let x0 = ox * sw - pl, x1 = x0 + kw;
      if (x0 < 0) x0 = 0;
      if (x1 > W) x1 = W;
      const op = out + (<usize>oy * <usize>OW + <usize>ox) * <usize>C;
      let c = 0;
      for (; c < c8; c += 8) {
        let s0 = i32x4.splat(0), s1 = i32x4.splat(0);
        for (let iy = y0; iy < y1; iy++)
          for (let ix = x0; ix < x1; ix++) {
            const v = v128.load8x8_s(x + (<usize>iy * <usize>W + <usize>ix) * <usize>C + <usize>c);
            s0 = i32x4.add(s0, i32x4.extend_low_i16x8_s(v));
            s1 = i32x4.add(s1, i32x4.extend_high_i16x8_s(v));
          }
        store<i8>(op + c, <i8>sat(sr(<i64>i32x4.extract_lane(s0, 0) * m, shift)));
        store<i8>(op + c + 1, <i8>sat(sr(<i64>i32x4.extract_lane(s0, 1) * m, shift)));
        store<i8>(op + c + 2, <i8>sat(sr(<i64>i32x4.extract_lane(s0, 2) * m, shift)));
        store<i8>(op + c + 3, <i8>sat(sr(<i64>i32x4.extract_lane(s0, 3) * m, shift)));
        store<i8>(op + c + 4, <i8>sat(sr(<i64>i32x4.extract_lane(s1, 0) * m, shift)));
        store<i8>(op + c + 5, <i8>sat(sr(<i64>i32x4.extract_lane(s1, 1) * m, shift)));
        store<i8>(op + c + 6, <i8>sat(sr(<i64>i32x4.extract_lane(s1, 2) * m, shift)));
        store<i8>(op + c + 7, <i8>sat(sr(<i64>i32x4.extract_lane(s1, 3) * m, shift)));
      }
      for (; c < C; c++) {
        let s: i32 = 0;
        for (let iy = y0; iy < y1; iy++)
          for (let ix = x0; ix < x1; ix++) s += <i32>load<i8>(x + (<usize>iy * <usize>W + <usize>ix) * <usize>C + <usize>c);
        store<i8>(op + c, <i8>sat(sr(<i64>s * m, shift)));
      }
    }
  }
}

// ---- element-wise -------------------------------------------------------------------------------

/**
 * add / sub of two same-shape int8 tensors, elements [i0, i1): s = (a << sa) ± (b << sb);
 * relu: s ≤ 0 → 0; y = sat((s + 2^(cut-1)) >> cut), cut ≥ 0. The caller keeps |s| < 2^30.
 */
export function addq(a: usize, b: usize, out: usize, i0: i32, i1: i32, sa: i32, sb: i32, sub: i32, cut: i32, relu: i32): void {
  let i = i0;
  const half = i32x4.splat(cut > 0 ? 1 << (cut - 1) : 0);
  const z = i32x4.splat(0);
  for (; i + 16 <= i1; i += 16) {
    const va = v128.load(a + i);
    const vb = v128.load(b + i);
    const al = i16x8.extend_low_i8x16_s(va), ah = i16x8.extend_high_i8x16_s(va);
    const bl = i16x8.extend_low_i8x16_s(vb), bh = i16x8.extend_high_i8x16_s(vb);
    let r0 = i32x4.shl(i32x4.extend_low_i16x8_s(al), sa);
    let r1 = i32x4.shl(i32x4.extend_high_i16x8_s(al), sa);
    let r2 = i32x4.shl(i32x4.extend_low_i16x8_s(ah), sa);
    let r3 = i32x4.shl(i32x4.extend_high_i16x8_s(ah), sa);
    const q0 = i32x4.shl(i32x4.extend_low_i16x8_s(bl), sb);
    const q1 = i32x4.shl(i32x4.extend_high_i16x8_s(bl), sb);
    const q2 = i32x4.shl(i32x4.extend_low_i16x8_s(bh), sb);
    const q3 = i32x4.shl(i32x4.extend_high_i16x8_s(bh), sb);
    if (sub) {
      r0 = i32x4.sub(r0, q0); r1 = i32x4.sub(r1, q1); r2 = i32x4.sub(r2, q2); r3 = i32x4.sub(r3, q3);
    } else {
      r0 = i32x4.add(r0, q0); r1 = i32x4.add(r1, q1); r2 = i32x4.add(r2, q2); r3 = i32x4.add(r3, q3);
    }
    if (relu) {
      r0 = i32x4.max_s(r0, z); r1 = i32x4.max_s(r1, z); r2 = i32x4.max_s(r2, z); r3 = i32x4.max_s(r3, z);
    }
    r0 = i32x4.shr_s(i32x4.add(r0, half), cut);
    r1 = i32x4.shr_s(i32x4.add(r1, half), cut);
    r2 = i32x4.shr_s(i32x4.add(r2, half), cut);
    r3 = i32x4.shr_s(i32x4.add(r3, half), cut);
    v128.store(out + i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(r0, r1), i16x8.narrow_i32x4_s(r2, r3)));
  }
  for (; i < i1; i++) {
    const x = <i64>(<i32>load<i8>(a + i) << sa);
    const y = <i64>(<i32>load<i8>(b + i) << sb);
    let s = sub ? x - y : x + y;
    if (relu && s <= 0) s = 0;
    store<i8>(out + i, <i8>sat(sr(s, cut)));
  }
}

/** mul of two same-shape int8 tensors, elements [i0, i1): y = sat(DPU_ROUND(a·b / 2^cut)), cut ≥ 0. */
export function mulq(a: usize, b: usize, out: usize, i0: i32, i1: i32, cut: i32, relu: i32): void {
  let i = i0;
  const half = i32x4.splat(cut > 0 ? 1 << (cut - 1) : 0);
  const z = i32x4.splat(0);
  for (; i + 16 <= i1; i += 16) {
    const va = v128.load(a + i);
    const vb = v128.load(b + i);
    const pl = i16x8.extmul_low_i8x16_s(va, vb);
    const ph = i16x8.extmul_high_i8x16_s(va, vb);
    let r0 = i32x4.extend_low_i16x8_s(pl);
    let r1 = i32x4.extend_high_i16x8_s(pl);
    let r2 = i32x4.extend_low_i16x8_s(ph);
    let r3 = i32x4.extend_high_i16x8_s(ph);
    if (relu) {
      r0 = i32x4.max_s(r0, z); r1 = i32x4.max_s(r1, z); r2 = i32x4.max_s(r2, z); r3 = i32x4.max_s(r3, z);
    }
    r0 = i32x4.shr_s(i32x4.add(r0, half), cut);
    r1 = i32x4.shr_s(i32x4.add(r1, half), cut);
    r2 = i32x4.shr_s(i32x4.add(r2, half), cut);
    r3 = i32x4.shr_s(i32x4.add(r3, half), cut);
    v128.store(out + i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(r0, r1), i16x8.narrow_i32x4_s(r2, r3)));
  }
  for (; i < i1; i++) {
    let s = <i64>(<i32>load<i8>(a + i) * <i32>load<i8>(b + i));
    if (relu && s <= 0) s = 0;
    store<i8>(out + i, <i8>sat(sr(s, cut)));
  }
}

/** Re-quantize n int8 values by shift s (s may be < 0: left shift), saturating; in place allowed. */
export function requant(src: usize, dst: usize, n: i32, s: i32): void {
  for (let i = 0; i < n; i++) store<i8>(dst + i, <i8>sat(sr(<i64>load<i8>(src + i), s)));
}

// ---- micro-benchmark ----------------------------------------------------------------------------

/**
 * Peak of the conv inner loop's instruction mix without memory traffic: `iters` × 12 independent
 * i32x4.dot_i16x8_s + i32x4.add (8 int8 MACs each). Returns a checksum so nothing is elided.
 */
export function peakDot(iters: i32, seed: i32): i32 {
  const x = i16x8.splat(<i16>seed);
  const w = i16x8.splat(<i16>(seed + 1));
  let a0 = i32x4.splat(0), a1 = i32x4.splat(1), a2 = i32x4.splat(2), a3 = i32x4.splat(3);
  let a4 = i32x4.splat(4), a5 = i32x4.splat(5), a6 = i32x4.splat(6), a7 = i32x4.splat(7);
  let a8 = i32x4.splat(8), a9 = i32x4.splat(9), a10 = i32x4.splat(10), a11 = i32x4.splat(11);
  for (let i = 0; i < iters; i++) {
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(a0, w));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(a1, x));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(a2, w));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(a3, x));
    a4 = i32x4.add(a4, i32x4.dot_i16x8_s(a4, w));
    a5 = i32x4.add(a5, i32x4.dot_i16x8_s(a5, x));
    a6 = i32x4.add(a6, i32x4.dot_i16x8_s(a6, w));
    a7 = i32x4.add(a7, i32x4.dot_i16x8_s(a7, x));
    a8 = i32x4.add(a8, i32x4.dot_i16x8_s(a8, w));
    a9 = i32x4.add(a9, i32x4.dot_i16x8_s(a9, x));
    a10 = i32x4.add(a10, i32x4.dot_i16x8_s(a10, w));
    a11 = i32x4.add(a11, i32x4.dot_i16x8_s(a11, x));
  }
  let s = i32x4.add(i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3)), i32x4.add(i32x4.add(a4, a5), i32x4.add(a6, a7)));
  s = i32x4.add(s, i32x4.add(i32x4.add(a8, a9), i32x4.add(a10, a11)));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 3);
}

/** relu on int8, elements [i0, i1): y = sat(DPU_ROUND(max(q, 0) / 2^s)) (s < 0: left shift). */
export function reluq(src: usize, dst: usize, i0: i32, i1: i32, s: i32): void {
  let i = i0;
  if (s == 0) {
    const z = i8x16.splat(0);
    for (; i + 16 <= i1; i += 16) v128.store(dst + i, i8x16.max_s(v128.load(src + i), z));
  }
  for (; i < i1; i++) {
    const q = <i64>load<i8>(src + i);
    store<i8>(dst + i, <i8>(q <= 0 ? 0 : sat(sr(q, s))));
  }
}

// ---- resize (assembly/resize.ts) ---------------------------------------------------------------
export { resize_bilinear } from "./resize";
