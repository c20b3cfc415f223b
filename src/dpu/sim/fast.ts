/**
 * Tile arithmetic of CONV / DPTWISE on the WebAssembly SIMD int8 kernels (src/kernels/wasm), for the
 * simulator's fast path. The simulator decides everything an instruction means (tile extents, padding,
 * strides, bank addresses, bounds checks, the output stage's parameters from the INIT fields); this file
 * only moves one tile's bytes into the kernels' layouts (int16 padded input, packed weights (int8 conv, int16 depthwise), int32
 * bias), runs the kernel and hands back the dense int8 output tile.
 *
 * The kernels accumulate in int32 (wrapping exactly like the simulator's Int32Array accumulators) and
 * apply the output stage in i64 (`stage1`, the non-`fast` path), so the result is bit-identical to the
 * JS path; test/dpu/sim-fast.test.ts checks both paths against each other and the reference kernels.
 */
import { createKernelMemory, instantiateKernels, type KernelExports, WASM_PAGE } from '../../kernels/wasm/loader.js';
import type { WasmMemory } from '../../kernels/wasm/wasm-api.js';

/** Output-stage parameters of one CONVINIT/DWINIT, in the kernels' terms. */
export interface StageParams {
  /** 0 NONE, 1 RELU, 2 RELU6, 3 LEAKYRELU, 4 HSIGMOID, 5 HSWISH (ACT_KINDS order). */
  mode: number;
  /** Total right shift of the accumulator sum. */
  cut: number;
  /** Left shift of Σx·w when the bias has more fractional bits (shift_bias < 0). */
  accShift: number;
  /** Factor on the bias (2^shift_bias, or 1 when accShift > 0). */
  biasScale: number;
  /** Fix point of the sum. */
  fa: number;
  leakyNum: number;
}

/** The stage in the kernels' terms, or undefined when the kernels cannot represent it (JS path then). */
export function stageParams(s: Record<string, number>): StageParams | undefined {
  const fa0 = s.shift_cut + s.fp_out;
  let fa = fa0, accShift = 0, biasScale = 0;
  if (s.has_bias) {
    const sb = s.shift_bias;
    if (sb >= 0) biasScale = 2 ** sb;
    else { accShift = -sb; biasScale = 1; fa = fa0 + accShift; }
  }
  if (fa < 0 || 6 * 2 ** fa >= 2 ** 52 || s.act > 5 || biasScale > 2 ** 23) return undefined;
  return { mode: s.act, cut: fa - s.fp_out, accShift, biasScale, fa, leakyNum: s.leaky_num };
}

interface Packed { bank: number; addr: number; len: number; key: string; off: number }

export class WasmTiles {
  private k: KernelExports;
  private mem: WasmMemory;
  /** Packed weights by key; bump-allocated from `packBase`, dropped when their bank bytes are rewritten. */
  private packed: Packed[] = [];
  private packTop = 0;
  private packBase = 0;
  private scratchBytes = 0;

  constructor() {
    this.mem = createKernelMemory(64, false);
    this.k = instantiateKernels(this.mem).exports;
  }

  private ensure(bytes: number): void {
    const have = this.mem.buffer.byteLength;
    if (bytes > have) this.mem.grow(Math.ceil((bytes - have) / WASM_PAGE));
  }

  /** Forget every packed weight (a new simulation starts with new banks). */
  reset(): void {
    this.packed = [];
    this.packTop = this.packBase;
  }

  /** A LOAD wrote bank bytes [addr, addr+len): forget packed weights made from them. */
  invalidate(bank: number, addr: number, len: number): void {
    if (this.packed.length === 0) return;
    this.packed = this.packed.filter((p) => p.bank !== bank || p.addr >= addr + len || addr >= p.addr + p.len);
    if (this.packed.length === 0) this.packTop = this.packBase;
  }

  /**
   * Scratch layout: [0, scratch) holds x (int8 tile), xp (int16 padded), bias (int32), out (int8);
   * packed weights live above. Growing the scratch drops the packed weights.
   */
  private layout(xBytes: number, xpBytes: number, biasBytes: number, outBytes: number): { x: number; xp: number; bias: number; out: number } {
    const al = (n: number) => (n + 15) & ~15;
    const x = 0, xp = al(xBytes), bias = xp + al(xpBytes), out = bias + al(biasBytes);
    const need = out + al(outBytes);
    if (need > this.scratchBytes) {
      this.scratchBytes = Math.max(need, this.scratchBytes * 2);
      this.packed = [];
      this.packBase = this.packTop = this.scratchBytes;
      this.ensure(this.scratchBytes);
    }
    return { x, xp, bias, out };
  }

  private weights<T extends Int8Array | Int16Array>(
    bank: number, addr: number, len: number, key: string, bytes: number,
    view: (buf: ArrayBuffer, off: number, bytes: number) => T, fill: (dst: T) => void,
  ): number {
    for (const p of this.packed) if (p.key === key && p.bank === bank && p.addr === addr) return p.off;
    if (this.packTop + bytes > this.packBase + (64 << 20)) { this.packed = []; this.packTop = this.packBase; }
    const off = this.packTop;
    this.ensure(off + bytes);
    const dst = view(this.mem.buffer as ArrayBuffer, off, bytes);
    dst.fill(0);
    fill(dst);
    this.packed.push({ bank, addr, len, key, off });
    this.packTop = (off + bytes + 15) & ~15;
    return off;
  }

  /**
   * One CONV (depthwise = false, weights [oc][kh][kw][ic]) or DPTWISE (weights [kh][kw][c]) tile.
   * X: input tile H×W×ic dense; returns the dense oh×ow×oc int8 output (a view valid until the next call).
   */
  tile(a: {
    depthwise: boolean; X: Int8Array; xa: number; H: number; W: number; ic: number; oc: number;
    kh: number; kw: number; sh: number; sw: number; pt: number; pl: number; pb: number; pr: number; oh: number; ow: number;
    Wt: Int8Array; wBank: number; wa: number; B: Int8Array | undefined; ba: number; st: StageParams;
  }): Int8Array {
    const { depthwise, H, W, ic, oc, kh, kw, oh, ow } = a;
    const Hp = H + a.pt + a.pb, Wp = W + a.pl + a.pr;
    const Cp = depthwise ? (ic + 7) & ~7 : (ic + 1) & ~1;
    const ocp = (oc + 7) & ~7;
    const lay = this.layout(H * W * ic, Hp * Wp * Cp * 2, ocp * 4, oh * ow * oc);
    const k = this.k;
    new Int8Array(this.mem.buffer, lay.x, H * W * ic).set(a.X.subarray(a.xa, a.xa + H * W * ic));
    k.widen(lay.x, H, W, ic, lay.xp, Wp, Cp, a.pt, a.pl, 0, Hp);
    const wLen = depthwise ? kh * kw * ic : oc * kh * kw * ic;
    const Wt = a.Wt, wa = a.wa;
    let wpk: number;
    if (depthwise) {
      // depthwise weights: int16 [kh·kw][Cp]
      wpk = this.weights(a.wBank, wa, wLen, `dw:${kh}:${kw}:${ic}`, kh * kw * Cp * 2, (b, o, n) => new Int16Array(b, o, n >> 1), (d) => {
        for (let t = 0; t < kh * kw; t++) for (let c = 0; c < ic; c++) d[t * Cp + c] = Wt[wa + t * ic + c];
      });
    } else {
      const pairs = Cp >> 1;
      const blkElems = kh * kw * pairs * 16;
      // conv weights: int8 (the kernel widens them as it loads) [ocBlock of 8][ky][kx][c/2][8 oc][2 c];
      // padding channels and output channels stay 0
      wpk = this.weights(a.wBank, wa, wLen, `cv:${oc}:${kh}:${kw}:${ic}`, (ocp >> 3) * blkElems, (b, o, n) => new Int8Array(b, o, n), (d) => {
        const taps = kh * kw;
        for (let o = 0; o < oc; o++) {
          const ob = o >> 3, ol = o & 7;
          for (let t = 0; t < taps; t++) {
            const src = wa + (o * taps + t) * ic;
            const dst = ob * blkElems + t * pairs * 16 + ol * 2;
            for (let c = 0; c < ic; c++) d[dst + (c >> 1) * 16 + (c & 1)] = Wt[src + c];
          }
        }
      });
    }
    const bias = new Int32Array(this.mem.buffer, lay.bias, ocp);
    bias.fill(0);
    if (a.B) for (let o = 0; o < oc; o++) bias[o] = a.B[a.ba + o] * a.st.biasScale;
    const st = a.st;
    k.setStage(st.mode, st.cut, st.accShift, BigInt(6 * 2 ** st.fa), BigInt(3 * 2 ** st.fa), st.leakyNum, st.fa + 7, 0, lay.bias);
    if (depthwise) k.dwconv(lay.xp, Wp, Cp, wpk, kh, kw, a.sh, a.sw, 1, 1, lay.out, ow, oc, 0, oh);
    else k.conv(lay.xp, Wp, Cp, wpk, kh, kw, a.sh, a.sw, 1, 1, lay.out, ow, oc, 0, oh, 0, ocp >> 3, 1);
    return new Int8Array(this.mem.buffer, lay.out, oh * ow * oc);
  }
}

let shared: WasmTiles | null | undefined;
/** The process-wide tile engine, or null when this runtime has no WebAssembly SIMD. */
export function wasmTiles(): WasmTiles | null {
  if (shared !== undefined) return shared;
  try {
    shared = new WasmTiles();
  } catch {
    shared = null;
  }
  return shared;
}
