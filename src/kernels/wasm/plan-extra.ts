/**
 * Extra planners of the fast executor ('run' mode) for the ops the PP-OCR models need beyond
 * conv / pool / same-shape eltwise: broadcasting add / sub / mul (PP-LCNet's learnable affine
 * scale + bias, SE multiplies), transposed-conv2d with kernel = stride (the DB head's
 * up-sampling) and nearest resize. Each is bit-exact with the INT8 reference kernel
 * (src/kernels/ref/int8) — the arithmetic is done by the existing WASM kernels:
 *
 * - broadcast eltwise: the smaller operand is expanded into a full-size arena buffer (memory copies:
 *   `fill` for a scalar, doubling `copyWithin` for a trailing-dims tile, one run copy per outer index
 *   otherwise), then the same-shape WASM `addq` / `mulq` runs. Expansion is exact (copies only).
 * - transposed-conv2d, kernel = stride, dilation 1, no output padding: every output pixel receives
 *   exactly one (input pixel, tap) product sum, so it is a 1×1 conv with kh·kw·oc output channels
 *   (WASM conv kernel + the same output stage, bias repeated per tap) followed by a scatter of
 *   kw·oc-byte runs into the output (cropped by the pads).
 * - resize BILINEAR: the WASM kernel `resize_bilinear` (assembly/resize.ts), exact rational weights.
 * - resize NEAREST: pure index mapping (the reference's exact integer coordinate rounding,
 *   `nearestIndex`) done with copies; re-quantized first with WASM `requant` when fo ≠ fi.
 *
 * Stage code: no fs / worker_threads.
 */
import type { Op } from '../../ir/types.js';
import { type QTensor, attrNums, attrStr, numel } from '../ref/int8/common.js';
import { nearestIndex, sourceCoordinate, type Coordinate, type NearestMode } from '../ref/int8/movement.js';
import { checkShift } from '../ref/int8/arith.js';

/** A fixed-point arena slot (the executor's QSlot). */
export interface ExtraSlot {
  kind: 'q';
  off: number;
  shape: number[];
  fp: number;
  n: number;
}

type Step = () => void;

/** A step that does nothing (an alias): marked so the native plan's fuse() drops it instead of ending a dispatch there. */
export type NoopStep = Step & { noop: true };
export function noopStep(): NoopStep {
  return Object.assign((): void => undefined, { noop: true as const });
}
export function isNoop(s: Step): boolean {
  return (s as Partial<NoopStep>).noop === true;
}

/** What the executor hands the extra planners. */
export interface ExtraContext {
  /** A new arena slot (with canary slack). */
  qslot(shape: number[], fp: number): ExtraSlot;
  /** Registers the slot that holds op `name`'s output. */
  setSlot(name: string, s: ExtraSlot): void;
  /** The fixed-point slot registered under `name`. */
  slot(name: string): ExtraSlot | undefined;
  /** The arena as int8 (re-read every call: the memory may grow while planning). */
  i8(): Int8Array;
  /** An export of the WASM kernel module by name (kernels added in assembly/*.ts). */
  wasm(name: string): ((...args: number[]) => void) | undefined;
  /** WASM `requant(src, dst, n, shift)`. */
  requant(src: number, dst: number, n: number, shift: number): void;
  /** The executor's conv planner (WASM or native kernels). */
  planConv(op: Op, x: ExtraSlot, depthwise: boolean, w: QTensor, bias: QTensor | undefined): Step;
  /** The executor's same-shape eltwise planner. */
  planEltwise(op: Op, a: ExtraSlot, b: ExtraSlot): Step;
  /** Throws the executor's "no fast kernel" signal (the op then runs its reference kernel). */
  unsupported(reason: string): never;
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** A step that writes `src` broadcast to `shape` into `dst` (numel(shape) bytes). */
export function expandStep(ctx: ExtraContext, src: ExtraSlot, shape: number[], dst: ExtraSlot): Step {
  const r = shape.length;
  const s = [...new Array<number>(r - src.shape.length).fill(1), ...src.shape];
  const n = numel(shape);
  if (src.n === 1) return () => ctx.i8().fill(ctx.i8()[src.off], dst.off, dst.off + n);
  // j: first axis of the trailing run where the source is not broadcast
  let j = r;
  while (j > 0 && s[j - 1] === shape[j - 1]) j--;
  const L = numel(shape.slice(j));
  const outer = n / L;
  if (s.slice(0, j).every((d) => d === 1)) {
    // a pure tile of L bytes: doubling copies
    return () => {
      const m = ctx.i8();
      m.copyWithin(dst.off, src.off, src.off + L);
      let have = L;
      while (have < n) {
        const c = Math.min(have, n - have);
        m.copyWithin(dst.off + have, dst.off, dst.off + c);
        have += c;
      }
    };
  }
  // general: one run of L bytes per outer index (source strides 0 on broadcast axes)
  const srcOff = new Int32Array(outer);
  const st = new Array<number>(r).fill(0);
  let acc = 1;
  for (let d = r - 1; d >= 0; d--) {
    st[d] = s[d] === 1 ? 0 : acc;
    acc *= s[d];
  }
  const idx = new Array<number>(j).fill(0);
  for (let o = 0; o < outer; o++) {
    let off = 0;
    for (let d = 0; d < j; d++) off += idx[d] * st[d];
    srcOff[o] = off;
    for (let d = j - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return () => {
    const m = ctx.i8();
    if (L === 1) for (let o = 0; o < outer; o++) m[dst.off + o] = m[src.off + srcOff[o]];
    else for (let o = 0; o < outer; o++) m.copyWithin(dst.off + o * L, src.off + srcOff[o], src.off + srcOff[o] + L);
  };
}

/** add / sub / mul with numpy broadcasting: expand, then the same-shape WASM kernel. */
export function planBroadcastEltwise(ctx: ExtraContext, op: Op, a: ExtraSlot, b: ExtraSlot): Step {
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) ctx.unsupported('shapes do not broadcast');
  const pre: Step[] = [];
  const full = (x: ExtraSlot): ExtraSlot => {
    if (x.n === numel(shape) && x.shape.length === shape.length) return x;
    const e = ctx.qslot(shape.slice(), x.fp);
    pre.push(expandStep(ctx, x, shape, e));
    return e;
  };
  const A = full(a);
  const B = full(b);
  const step = ctx.planEltwise(op, A, B);
  if (pre.length === 1) {
    const p0 = pre[0];
    return () => {
      p0();
      step();
    };
  }
  return () => {
    for (const p of pre) p();
    step();
  };
}

/** transposed-conv2d with kernel = stride: a 1×1 conv to kh·kw·oc channels + a scatter. */
export function planTransposedConv(ctx: ExtraContext, op: Op, x: ExtraSlot, w: QTensor, bias: QTensor | undefined): Step {
  if (x.shape.length !== 4 || x.shape[0] !== 1) ctx.unsupported('input is not NHWC batch 1');
  const [, H, W, C] = x.shape;
  if (w.shape.length !== 4 || w.shape[3] !== C) ctx.unsupported(`weights [${w.shape}] do not fit ${C} input channels`);
  const [OC, kh, kw] = w.shape;
  const [akw, akh] = attrNums(op.attrs, 'kernel', [kw, kh]);
  const [sw, sh] = attrNums(op.attrs, 'stride', [1, 1]);
  const [dw, dh] = attrNums(op.attrs, 'dilation', [1, 1]);
  const [pl, pr, pt, pb] = attrNums(op.attrs, 'pad', [0, 0, 0, 0]);
  const [opw, oph] = attrNums(op.attrs, 'output_padding', [0, 0]);
  if (akw !== kw || akh !== kh) ctx.unsupported('kernel attr differs from the weights');
  if (sw !== kw || sh !== kh) ctx.unsupported('kernel ≠ stride (overlapping taps)');
  if (dw !== 1 || dh !== 1) ctx.unsupported('dilation');
  if (opw !== 0 || oph !== 0) ctx.unsupported('output_padding');
  if ([pl, pr, pt, pb].some((p) => p < 0)) ctx.unsupported('negative pad');
  if (Number(op.attrs.group ?? 1) !== 1) ctx.unsupported('grouped transposed conv');
  const OH = sh * H - pt - pb;
  const OW = sw * W - pl - pr;
  if (OH < 1 || OW < 1) ctx.unsupported('empty output');
  const T = kh * kw;
  // 1×1 weights: output channel (ky·kw + kx)·OC + o ← w[o, ky, kx, :]
  const w1 = new Int8Array(T * OC * C);
  for (let t = 0; t < T; t++) for (let o = 0; o < OC; o++) w1.set(w.data.subarray((o * T + t) * C, (o * T + t + 1) * C), (t * OC + o) * C);
  let b1: QTensor | undefined;
  if (bias) {
    if (bias.data.length !== OC) ctx.unsupported(`bias has ${bias.data.length} values for ${OC} channels`);
    const bd = new Int8Array(T * OC);
    for (let t = 0; t < T; t++) bd.set(bias.data, t * OC);
    b1 = { shape: [T * OC], data: bd, fixPoint: bias.fixPoint };
  }
  const tmpName = `${op.name}#as-1x1`;
  const conv: Op = {
    ...op,
    name: tmpName,
    type: 'conv2d',
    attrs: { ...op.attrs, kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], group: 1 },
    output: { ...op.output, shape: [1, H, W, T * OC] },
  };
  const convStep = ctx.planConv(conv, x, false, { shape: [T * OC, 1, 1, C], data: w1, fixPoint: w.fixPoint }, b1);
  const fo = op.output.fixPoint as number;
  const convOut = ctx.slot(tmpName);
  if (!convOut) ctx.unsupported('the conv planner registered no output');
  const out = ctx.qslot([1, OH, OW, OC], fo);
  const runLen = kw * OC;
  // scatter plan: for every (iy, ky) one output row oy; for every ix a run of kw·OC bytes cropped to [0, OW)
  const x0 = Math.floor(pl / sw); // first input column whose run reaches output column 0 (kw = sw)
  const steps: Step = () => {
    const m = ctx.i8();
    const src = convOut;
    for (let iy = 0; iy < H; iy++) {
      for (let ky = 0; ky < kh; ky++) {
        const oy = iy * sh + ky - pt;
        if (oy < 0 || oy >= OH) continue;
        const rowOut = out.off + oy * OW * OC;
        const rowIn = src.off + iy * W * T * OC + ky * runLen;
        for (let ix = x0; ix < W; ix++) {
          let ox0 = ix * sw - pl;
          let b0 = 0;
          let len = runLen;
          if (ox0 < 0) {
            b0 = -ox0 * OC;
            len -= b0;
            ox0 = 0;
          }
          if (ox0 * OC + len > OW * OC) len = OW * OC - ox0 * OC;
          if (len <= 0) break;
          const s0 = rowIn + ix * T * OC + b0;
          m.copyWithin(rowOut + ox0 * OC, s0, s0 + len);
        }
      }
    }
  };
  ctx.setSlot(op.name, out);
  return () => {
    convStep();
    steps();
  };
}

/** resize: NEAREST as copies, BILINEAR on the WASM `resize_bilinear` kernel (assembly/resize.ts). */
export function planResize(ctx: ExtraContext, op: Op, x: ExtraSlot): Step {
  const mode = attrStr(op.attrs, 'mode', 'NEAREST').toUpperCase();
  if (mode === 'BILINEAR') return planResizeBilinear(ctx, op, x);
  return planResizeNearest(ctx, op, x);
}

/** BILINEAR with the reference's exact rational weights (sourceCoordinate clamped to [0, in−1]). */
function planResizeBilinear(ctx: ExtraContext, op: Op, x: ExtraSlot): Step {
  const kernel = ctx.wasm('resize_bilinear');
  if (!kernel) ctx.unsupported('no resize_bilinear kernel');
  if (x.shape.length !== 4 || x.shape[0] !== 1) ctx.unsupported('input is not NHWC batch 1');
  const [, h, w, c] = x.shape;
  const [ow, oh] = attrNums(op.attrs, 'size', []);
  if (!(ow >= 1 && oh >= 1)) ctx.unsupported('no size');
  const coord = attrStr(op.attrs, 'coordinate', 'half_pixel') as Coordinate;
  const fo = op.output.fixPoint as number;
  const dfp = fo - x.fp;
  if (Math.abs(dfp) > 16) ctx.unsupported('fix point difference out of the kernel range');
  const table = (inSize: number, outSize: number, stride: number): Int32Array => {
    const t = new Int32Array(outSize * 5);
    for (let o = 0; o < outSize; o++) {
      let [num, den] = sourceCoordinate(o, inSize, outSize, coord);
      if (num < 0) num = 0;
      if (num > (inSize - 1) * den) num = (inSize - 1) * den;
      const i0 = Math.floor(num / den);
      const rem = num - i0 * den;
      t.set([i0 * stride, Math.min(i0 + 1, inSize - 1) * stride, den - rem, rem, den], o * 5);
    }
    return t;
  };
  const yt = table(h, oh, w * c);
  const xt = table(w, ow, c);
  // |S·2^dfp| ≤ 128·den_y·den_x·2^dfp must stay far inside i64
  if (Math.max(...yt.filter((_, i) => i % 5 === 4)) * Math.max(...xt.filter((_, i) => i % 5 === 4)) * 2 ** Math.max(0, dfp) * 512 >= 2 ** 62) ctx.unsupported('weights too large');
  const ys = ctx.qslot([yt.byteLength], 0);
  const xs = ctx.qslot([xt.byteLength], 0);
  const out = ctx.qslot([1, oh, ow, c], fo);
  ctx.setSlot(op.name, out);
  return () => {
    const m = ctx.i8();
    new Int32Array(m.buffer, m.byteOffset + ys.off, yt.length).set(yt);
    new Int32Array(m.buffer, m.byteOffset + xs.off, xt.length).set(xt);
    kernel(x.off, c, out.off, ow, ys.off, xs.off, dfp, 0, oh);
  };
}

/** resize NEAREST (as the reference defines it): copies, after a WASM re-quantization when fo ≠ fi. */
function planResizeNearest(ctx: ExtraContext, op: Op, x: ExtraSlot): Step {
  if (x.shape.length !== 4 || x.shape[0] !== 1) ctx.unsupported('input is not NHWC batch 1');
  const [, h, w, c] = x.shape;
  const [ow, oh] = attrNums(op.attrs, 'size', []);
  if (!(ow >= 1 && oh >= 1)) ctx.unsupported('no size');
  const coord = attrStr(op.attrs, 'coordinate', 'half_pixel') as Coordinate;
  const nm = attrStr(op.attrs, 'nearest_mode', 'round_prefer_floor') as NearestMode;
  const ys = Array.from({ length: oh }, (_, o) => nearestIndex(o, h, oh, coord, nm));
  const xs = Array.from({ length: ow }, (_, o) => nearestIndex(o, w, ow, coord, nm));
  const fo = op.output.fixPoint as number;
  const sft = x.fp - fo;
  checkShift(sft, op.name);
  if (Math.abs(sft) > 30) ctx.unsupported('shift out of range');
  const src = sft === 0 ? x : ctx.qslot(x.shape.slice(), fo);
  const out = ctx.qslot([1, oh, ow, c], fo);
  ctx.setSlot(op.name, out);
  const rowBytes = ow * c;
  return () => {
    if (sft !== 0) ctx.requant(x.off, src.off, x.n, sft);
    const m = ctx.i8();
    for (let oy = 0; oy < oh; oy++) {
      const d = out.off + oy * rowBytes;
      if (oy > 0 && ys[oy] === ys[oy - 1]) {
        m.copyWithin(d, d - rowBytes, d);
        continue;
      }
      const srow = src.off + ys[oy] * w * c;
      for (let ox = 0; ox < ow; ox++) {
        const s0 = srow + xs[ox] * c;
        if (c === 1) m[d + ox] = m[s0];
        else m.copyWithin(d + ox * c, s0, s0 + c);
      }
    }
  };
}

/** transpose (any rank): a precomputed source offset per output run, copies (WASM `requant` first when fo ≠ fi). */
export function planTranspose(ctx: ExtraContext, op: Op, x: ExtraSlot): Step {
  const r = x.shape.length;
  const order = attrNums(op.attrs, 'order', []);
  if (order.length !== r || [...order].sort((a, b) => a - b).some((a, i) => a !== i)) ctx.unsupported(`order [${order}] is not a permutation of rank ${r}`);
  const shape = order.map((a) => x.shape[a]);
  const fo = op.output.fixPoint as number;
  const sft = x.fp - fo;
  checkShift(sft, op.name);
  if (Math.abs(sft) > 30) ctx.unsupported('shift out of range');
  const inS = new Array<number>(r).fill(1);
  for (let a = r - 2; a >= 0; a--) inS[a] = inS[a + 1] * x.shape[a + 1];
  // trailing output axes that stay in place and in order form contiguous runs of L bytes
  let j = r;
  while (j > 0 && order[j - 1] === j - 1 && (j === r || order[j] === j)) j--;
  const L = numel(shape.slice(j));
  const outer = x.n / L;
  if (outer > 1 << 24) ctx.unsupported('too many runs');
  const srcOff = new Int32Array(outer);
  const idx = new Array<number>(j).fill(0);
  for (let o = 0; o < outer; o++) {
    let off = 0;
    for (let a = 0; a < j; a++) off += idx[a] * inS[order[a]];
    srcOff[o] = off;
    for (let a = j - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  // a byte-identity (the axes longer than 1 keep their order, e.g. [1,1,1,C] NHWC → [1,C,1,1] NCHW) at the same fix
  // point: the output aliases the input's bytes, no step runs (a no-op the native plan does not cut a dispatch at)
  const big = order.filter((a) => x.shape[a] > 1);
  if (sft === 0 && big.every((a, i) => i === 0 || big[i - 1] < a)) {
    ctx.setSlot(op.name, { kind: 'q', off: x.off, shape, fp: fo, n: x.n });
    return noopStep();
  }
  const src = sft === 0 ? x : ctx.qslot(x.shape.slice(), fo);
  const out = ctx.qslot(shape, fo);
  ctx.setSlot(op.name, out);
  return () => {
    if (sft !== 0) ctx.requant(x.off, src.off, x.n, sft);
    const m = ctx.i8();
    const so = src.off, d = out.off;
    if (L === 1) for (let o = 0; o < outer; o++) m[d + o] = m[so + srcOff[o]];
    else for (let o = 0; o < outer; o++) m.copyWithin(d + o * L, so + srcOff[o], so + srcOff[o] + L);
  };
}
