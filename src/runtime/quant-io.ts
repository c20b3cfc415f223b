/**
 * The runtime's per-frame conversions between float and xint8 (graph inputs quantized with DPU_ROUND +
 * saturation, graph outputs dequantized with 2^-fix_point), written into the caller's buffers: no
 * allocation per frame. In Node, src/runtime/node/native-run.ts installs the native addon's loops (the
 * fast executor's feed/output arithmetic, tested equal to the JS loops in test/kernels/native); without it
 * (browser, DPUFLOW_NATIVE=0) monomorphic JS loops with the same arithmetic run.
 *
 *   q = NaN ? 0 : clamp(floor(x · 2^fp + 1/2), −128, 127)        x = q · 2^−fp   (exact in float32)
 */
import { RuntimeError } from '../errors.js';

/** The native entry points this module uses (a subset of src/kernels/native/types.ts NativeKernels). */
export interface HostQuantKernels {
  quantize?(src: Float32Array, mem: Int8Array, off: number, n: number, fp: number): void;
  dequantize?(mem: Int8Array, off: number, n: number, fp: number, dst: Float32Array): void;
}

let provider: (() => HostQuantKernels | undefined) | undefined;

/** Installs (or removes) the native conversion loops; read when a GraphRunner is created. */
export function setHostQuantKernels(p: (() => HostQuantKernels | undefined) | undefined): void {
  provider = p;
}

/** The conversions a runner uses: native when installed and available, else JS. */
export interface QuantIo {
  /** 'native' or 'js'. */
  readonly impl: 'native' | 'js';
  /** dst[i] = DPU_ROUND-quantized src[i] at fix point fp (src.length === dst.length). */
  quantizeInto(src: Float32Array, dst: Int8Array, fp: number): void;
  /** dst[i] = src[i] · 2^−fp (src.length === dst.length). */
  dequantizeInto(src: Int8Array, dst: Float32Array, fp: number): void;
}

function checkFix(fp: number): void {
  if (!Number.isInteger(fp) || fp < -60 || fp > 60) {
    throw new RuntimeError('E_FIX_POINT', `fix point ${fp} is outside [-60, 60]`, { fix: 're-quantize the model' });
  }
}

/** JS: one multiply, floor and compare per value; NaN stores as 0 in an Int8Array. */
export function quantizeIntoJs(src: Float32Array, dst: Int8Array, fp: number): void {
  const s = 2 ** fp;
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const r = Math.floor(src[i]! * s + 0.5);
    dst[i] = r > 127 ? 127 : r < -128 ? -128 : r;
  }
}

const luts = new Map<number, Float32Array>();
/** JS: a 256-entry table per fix point (the products are exact, so the table is too). */
export function dequantizeIntoJs(src: Int8Array, dst: Float32Array, fp: number): void {
  let lut = luts.get(fp);
  if (!lut) {
    lut = new Float32Array(256);
    const s = 2 ** -fp;
    for (let q = -128; q < 128; q++) lut[q + 128] = q * s;
    luts.set(fp, lut);
  }
  const n = src.length;
  for (let i = 0; i < n; i++) dst[i] = lut[src[i]! + 128]!;
}

const JS_IO: QuantIo = {
  impl: 'js',
  quantizeInto(src, dst, fp) { checkFix(fp); quantizeIntoJs(src, dst, fp); },
  dequantizeInto(src, dst, fp) { checkFix(fp); dequantizeIntoJs(src, dst, fp); },
};

/** Below this many values the JS loop is as fast as crossing into the addon. */
const NATIVE_MIN = 256;

export function hostQuantIo(): QuantIo {
  const k = provider?.();
  const nq = k?.quantize;
  const ndq = k?.dequantize;
  if (!nq || !ndq) return JS_IO;
  return {
    impl: 'native',
    quantizeInto(src, dst, fp) {
      checkFix(fp);
      if (src.length < NATIVE_MIN) quantizeIntoJs(src, dst, fp);
      else nq(src, dst, 0, src.length, fp);
    },
    dequantizeInto(src, dst, fp) {
      checkFix(fp);
      if (src.length < NATIVE_MIN) dequantizeIntoJs(src, dst, fp);
      else ndq(src, 0, src.length, fp, dst);
    },
  };
}
