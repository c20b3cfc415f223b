// Bilinear resize on NHWC int8 with the INT8 reference's exact definition (src/kernels/ref/int8/movement.ts
// resizeInt8): S = Σ q·wy·wx over the 4 neighbours (integers), y = sat(floor((2·S·2^dfp + D) / (2·D)))
// with D = den_y·den_x (·2^−dfp when dfp < 0). Imported by kernels.ts.

/**
 * Output rows [oy0, oy1). ytab: per output row 5 × i32 (byte offset of source row i0, of row i1, w0, w1, den);
 * xtab: per output column 5 × i32 (byte offset of source pixel i0 within a row, of i1, w0, w1, den).
 */
export function resize_bilinear(src: usize, c: i32, dst: usize, ow: i32, ytab: usize, xtab: usize, dfp: i32, oy0: i32, oy1: i32): void {
  const mul: i64 = dfp >= 0 ? (<i64>1) << dfp : 1;
  const dsh: i64 = dfp < 0 ? <i64>(-dfp) : 0;
  for (let oy = oy0; oy < oy1; oy++) {
    const yt = ytab + <usize>oy * 20;
    const r0 = src + <usize>load<i32>(yt);
    const r1 = src + <usize>load<i32>(yt + 4);
    const wy0 = <i64>load<i32>(yt + 8);
    const wy1 = <i64>load<i32>(yt + 12);
    const dy = <i64>load<i32>(yt + 16);
    let op = dst + <usize>oy * <usize>ow * <usize>c;
    for (let ox = 0; ox < ow; ox++) {
      const xt = xtab + <usize>ox * 20;
      const x0 = <usize>load<i32>(xt);
      const x1 = <usize>load<i32>(xt + 4);
      const wx0 = <i64>load<i32>(xt + 8);
      const wx1 = <i64>load<i32>(xt + 12);
      const d = (dy * <i64>load<i32>(xt + 16)) << dsh;
      const w00 = wy0 * wx0, w01 = wy0 * wx1, w10 = wy1 * wx0, w11 = wy1 * wx1;
      const d2 = d * 2;
      for (let ch = 0; ch < c; ch++) {
        const s = <i64>load<i8>(r0 + x0 + ch) * w00 + <i64>load<i8>(r0 + x1 + ch) * w01 +
          <i64>load<i8>(r1 + x0 + ch) * w10 + <i64>load<i8>(r1 + x1 + ch) * w11;
        const n = 2 * s * mul + d;
        let q = n / d2;
        if (q * d2 > n) q -= 1; // floor for negative n
        store<i8>(op + ch, <i8>(q < -128 ? -128 : q > 127 ? 127 : q));
      }
      op += <usize>c;
    }
  }
}
