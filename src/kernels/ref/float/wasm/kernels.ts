/**
 * Wrappers that run the float SIMD kernels (assembly/float/kernels.ts) on plain Float32Arrays:
 * they pack weights (once per weights array, cached), lay out the padded input, weights, bias and
 * output in the module's memory, call the kernel and copy the result out.
 * Each returns null when WebAssembly is unavailable/disabled or the problem does not fit in the
 * module's memory; the caller then runs the scalar kernel.
 */
import { ensureMemory, floatWasm, Layout, runKernel } from './instance.js';
import type { FloatWasm } from './instance.js';

/** Spatial conv geometry (XIR order: pads l, r, t, b). */
export interface ConvGeom {
  H: number; W: number; C: number;
  KH: number; KW: number;
  sh: number; sw: number; dh: number; dw: number;
  pl: number; pr: number; pt: number; pb: number;
  OH: number; OW: number;
}

interface PackedW { key: string; data: Float32Array }
const convPackCache = new WeakMap<Float32Array, PackedW>();
const gemmPackCache = new WeakMap<Float32Array, PackedW>();

/** Pixels per cache tile of the conv kernel (weights of one 8-oc block are reused across a tile). */
const TILE = 64;

/**
 * Conv weights [OC, KH, KW, ICg] → [group][ocBlock][tap][icg][8] with zero lanes past OCg.
 * Cached per weights array (the same array must not be mutated afterwards: consts are immutable).
 */
export function packConvWeights8(w: Float32Array, OC: number, KH: number, KW: number, ICg: number, G: number): Float32Array {
  const key = `c8:${OC},${KH},${KW},${ICg},${G}`;
  const hit = convPackCache.get(w);
  if (hit && hit.key === key) return hit.data;
  const OCg = OC / G;
  const nb = Math.ceil(OCg / 8);
  const T = KH * KW;
  const out = new Float32Array(G * nb * T * ICg * 8);
  for (let g = 0; g < G; g++) {
    for (let o = 0; o < OCg; o++) {
      const oc = g * OCg + o;
      const b = o >> 3, lane = o & 7;
      for (let t = 0; t < T; t++) {
        const src = (oc * T + t) * ICg;
        const dst = ((g * nb + b) * T + t) * ICg * 8 + lane;
        for (let c = 0; c < ICg; c++) out[dst + c * 8] = w[src + c]!;
      }
    }
  }
  convPackCache.set(w, { key, data: out });
  return out;
}

/**
 * Writes x [H][W][C] zero-padded (pads may be negative = crop) into `dst` as [Hp][Wp][Cp]
 * (Cp ≥ C; the extra channels are zero).
 */
function writePadded(dst: Float32Array, x: Float32Array, g: ConvGeom, Cp: number): { Hp: number; Wp: number } {
  const { H, W, C, pl, pr, pt, pb } = g;
  const Hp = H + pt + pb, Wp = W + pl + pr;
  const simple = Cp === C && pl >= 0 && pt >= 0;
  if (simple && pr >= 0 && pb >= 0) {
    // zero only the border: top and bottom pad rows, left and right pad columns
    const row = Wp * C;
    if (pt > 0) dst.fill(0, 0, pt * row);
    if (pb > 0) dst.fill(0, (pt + H) * row, Hp * row);
    if (pl > 0 || pr > 0) {
      for (let y = pt; y < pt + H; y++) {
        if (pl > 0) dst.fill(0, y * row, y * row + pl * C);
        if (pr > 0) dst.fill(0, y * row + (pl + W) * C, (y + 1) * row);
      }
    }
  } else if (pl !== 0 || pr !== 0 || pt !== 0 || pb !== 0 || Cp !== C) {
    dst.fill(0, 0, Hp * Wp * Cp);
  }
  if (simple && pl === 0 && pr === 0) {
    // rows are contiguous: one copy of the cropped/padded row range
    const y0 = Math.max(0, -pt), y1 = Math.min(H, Hp - pt);
    if (y1 > y0) dst.set(x.subarray(y0 * W * C, y1 * W * C), (y0 + pt) * W * C);
    return { Hp, Wp };
  }
  for (let y = 0; y < Hp; y++) {
    const iy = y - pt;
    if (iy < 0 || iy >= H) continue;
    const x0 = Math.max(0, -pl), x1 = Math.min(W, Wp - pl);
    if (x1 <= x0) continue;
    if (Cp === C) {
      dst.set(x.subarray((iy * W + x0) * C, (iy * W + x1) * C), (y * Wp + x0 + pl) * C);
    } else {
      for (let ix = x0; ix < x1; ix++) dst.set(x.subarray((iy * W + ix) * C, (iy * W + ix + 1) * C), (y * Wp + ix + pl) * Cp);
    }
  }
  return { Hp, Wp };
}

function f32(w: FloatWasm, off: number, n: number): Float32Array {
  return new Float32Array(w.memory.buffer, off, n);
}

/**
 * conv2d (NHWC, batch 1) on WebAssembly: x [H,W,C], w [OC,KH,KW,C/G], bias [OC]? → [OH·OW·OC]
 * (no nonlinearity). Null when the WASM path is unavailable.
 */
export function conv2dWasm(x: Float32Array, w: Float32Array, bias: Float32Array | undefined, OC: number, G: number, g: ConvGeom): Float32Array | null {
  const wasm = floatWasm();
  if (!wasm) return null;
  const { C, KH, KW, OH, OW } = g;
  const ICg = C / G, OCg = OC / G;
  const nb = Math.ceil(OCg / 8);
  const ocTot = G * nb * 8;
  const Hp = g.H + g.pt + g.pb, Wp = g.W + g.pl + g.pr;
  const P = OH * OW;
  const packed = packConvWeights8(w, OC, KH, KW, ICg, G);
  const L = new Layout();
  const xOff = L.take(Hp * Wp * C), wOff = L.take(packed.length), bOff = L.take(ocTot), oOff = L.take(P * ocTot);
  if (!ensureMemory(wasm.memory, L.bytes)) return null;
  writePadded(f32(wasm, xOff, Hp * Wp * C), x, g, C);
  f32(wasm, wOff, packed.length).set(packed);
  const bv = f32(wasm, bOff, ocTot);
  bv.fill(0);
  if (bias) for (let gi = 0; gi < G; gi++) bv.set(bias.subarray(gi * OCg, (gi + 1) * OCg), gi * nb * 8);
  runKernel(wasm, 'conv', [xOff, wOff, bOff, oOff, C, Wp, KH, KW, ICg, G, nb, g.sh, g.sw, g.dh, g.dw, OW, 0, P, TILE], 16, P * OC * KH * KW * ICg);
  return unpad(f32(wasm, oOff, P * ocTot), P, OC, G, nb);
}

/** Copies [P][G·nb·8] (padded lanes per group) into a fresh [P][OC]. */
function unpad(src: Float32Array, P: number, OC: number, G: number, nb: number): Float32Array {
  const ocTot = G * nb * 8;
  const out = new Float32Array(P * OC);
  if (ocTot === OC) { out.set(src); return out; }
  const OCg = OC / G;
  for (let p = 0; p < P; p++) {
    for (let gi = 0; gi < G; gi++) {
      const s = p * ocTot + gi * nb * 8;
      out.set(src.subarray(s, s + OCg), p * OC + gi * OCg);
    }
  }
  return out;
}

/** depthwise conv2d on WebAssembly: x [H,W,C], w [KH,KW,C], bias [C]? → [OH·OW·C]. */
export function depthwiseWasm(x: Float32Array, w: Float32Array, bias: Float32Array | undefined, g: ConvGeom): Float32Array | null {
  const wasm = floatWasm();
  if (!wasm) return null;
  const { C, KH, KW, OH, OW } = g;
  const Cp = (C + 3) & ~3;
  const Hp = g.H + g.pt + g.pb, Wp = g.W + g.pl + g.pr;
  const P = OH * OW, T = KH * KW;
  const L = new Layout();
  const xOff = L.take(Hp * Wp * Cp), wOff = L.take(T * Cp), bOff = L.take(Cp), oOff = L.take(P * Cp);
  if (!ensureMemory(wasm.memory, L.bytes)) return null;
  writePadded(f32(wasm, xOff, Hp * Wp * Cp), x, g, Cp);
  const wv = f32(wasm, wOff, T * Cp);
  if (Cp === C) wv.set(w.subarray(0, T * C));
  else { wv.fill(0); for (let t = 0; t < T; t++) wv.set(w.subarray(t * C, (t + 1) * C), t * Cp); }
  const bv = f32(wasm, bOff, Cp);
  bv.fill(0);
  if (bias) bv.set(bias.subarray(0, C));
  runKernel(wasm, 'dwconv', [xOff, wOff, bOff, oOff, Cp, Wp, KH, KW, g.sh, g.sw, g.dh, g.dw, OW, 0, P], 13, P * Cp * T);
  const src = f32(wasm, oOff, P * Cp);
  if (Cp === C) return src.slice();
  const out = new Float32Array(P * C);
  for (let p = 0; p < P; p++) out.set(src.subarray(p * Cp, p * Cp + C), p * C);
  return out;
}

/**
 * Packs B(k, n) = b[off + k·rowStride + n·colStride] (K×N) into [N/8 blocks][K][8].
 * `cacheKey` set: cached per `b` array (use it only for constant B).
 */
export function packGemmB(b: Float32Array, off: number, K: number, N: number, rowStride: number, colStride: number, cache: boolean): Float32Array {
  const key = `g8:${off},${K},${N},${rowStride},${colStride}`;
  if (cache) {
    const hit = gemmPackCache.get(b);
    if (hit && hit.key === key) return hit.data;
  }
  const nb = Math.ceil(N / 8);
  const out = new Float32Array(nb * K * 8);
  for (let n = 0; n < N; n++) {
    const blk = (n >> 3) * K * 8 + (n & 7);
    const src = off + n * colStride;
    for (let k = 0; k < K; k++) out[blk + k * 8] = b[src + k * rowStride]!;
  }
  if (cache) gemmPackCache.set(b, { key, data: out });
  return out;
}

/**
 * C[M×N] = A·B on WebAssembly, A(i, k) = a[aOff + i·aRow + k·aCol], B packed by packGemmB.
 * Writes C row-major into `out` at `oOff`. False when the WASM path is unavailable.
 */
export function gemmWasm(a: Float32Array, aOff: number, aRow: number, aCol: number, M: number, K: number,
  bPacked: Float32Array, N: number, out: Float32Array, oOff: number): boolean {
  const wasm = floatWasm();
  if (!wasm) return false;
  const nb = Math.ceil(N / 8);
  const Np = nb * 8;
  const L = new Layout();
  const xOff = L.take(M * K), wOff = L.take(bPacked.length), bOff = L.take(Np), cOff = L.take(M * Np);
  if (!ensureMemory(wasm.memory, L.bytes)) return false;
  const av = f32(wasm, xOff, M * K);
  if (aCol === 1 && aRow === K) av.set(a.subarray(aOff, aOff + M * K));
  else for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) av[i * K + k] = a[aOff + i * aRow + k * aCol]!;
  f32(wasm, wOff, bPacked.length).set(bPacked);
  f32(wasm, bOff, Np).fill(0);
  // M "pixels" of K channels: Wp = 1, OW = 1, stride 1
  runKernel(wasm, 'conv', [xOff, wOff, bOff, cOff, K, 1, 1, 1, K, 1, nb, 1, 1, 1, 1, 1, 0, M, TILE], 16, M * Np * K);
  const cv = f32(wasm, cOff, M * Np);
  if (Np === N) out.set(cv, oOff);
  else for (let i = 0; i < M; i++) out.set(cv.subarray(i * Np, i * Np + N), oOff + i * N);
  return true;
}

/**
 * Transposed-conv weights [OC, KH, KW, IC] as the GEMM B matrix [IC][T·OC] (n = tap·OC + oc),
 * packed like packGemmB and cached per weights array.
 */
export function packTransposedB(w: Float32Array, OC: number, T: number, IC: number): Float32Array {
  const key = `t8:${OC},${T},${IC}`;
  const hit = gemmPackCache.get(w);
  if (hit && hit.key === key) return hit.data;
  const N = T * OC;
  const out = new Float32Array(Math.ceil(N / 8) * IC * 8);
  for (let oc = 0; oc < OC; oc++) {
    for (let t = 0; t < T; t++) {
      const n = t * OC + oc;
      const blk = (n >> 3) * IC * 8 + (n & 7);
      const src = (oc * T + t) * IC;
      for (let c = 0; c < IC; c++) out[blk + c * 8] = w[src + c]!;
    }
  }
  gemmPackCache.set(w, { key, data: out });
  return out;
}

/**
 * transposed-conv2d on WebAssembly as GEMM + scatter: cols[H·W][T·OC] = x[H·W][IC] · B, then every
 * input pixel's tap row is added to the output pixel it reaches. Output [OH·OW·OC] (no nonlinearity).
 */
export function transposedConvWasm(x: Float32Array, w: Float32Array, bias: Float32Array | undefined, OC: number, IC: number, g: ConvGeom): Float32Array | null {
  const { H, W, KH, KW, OH, OW } = g;
  const T = KH * KW, N = T * OC, P = H * W;
  const cols = new Float32Array(P * N);
  if (!gemmWasm(x, 0, IC, 1, P, IC, packTransposedB(w, OC, T, IC), N, cols, 0)) return null;
  const out = new Float32Array(OH * OW * OC);
  if (bias) for (let p = 0; p < OH * OW; p++) out.set(bias.subarray(0, OC), p * OC);
  for (let iy = 0; iy < H; iy++) {
    for (let ky = 0; ky < KH; ky++) {
      const oy = iy * g.sh - g.pt + ky * g.dh;
      if (oy < 0 || oy >= OH) continue;
      for (let ix = 0; ix < W; ix++) {
        const src0 = (iy * W + ix) * N;
        for (let kx = 0; kx < KW; kx++) {
          const ox = ix * g.sw - g.pl + kx * g.dw;
          if (ox < 0 || ox >= OW) continue;
          const s = src0 + (ky * KW + kx) * OC, d = (oy * OW + ox) * OC;
          for (let c = 0; c < OC; c++) out[d + c] += cols[s + c]!;
        }
      }
    }
  }
  return out;
}
