// The native feed quantization (native/dpu_kernels.cc quantizeV: float32, 16 values per step, when the scale 2^fp
// is a normal float32; the double path otherwise) against the executor's JS loop, written out here as the oracle:
// q = NaN ? 0 : clamp(floor(x · 2^fp + 0.5), −128, 127) in double precision. Ties (x.5 both signs), values one
// float32 ulp either side of them, ±Inf, NaN, subnormal products, |x · 2^fp| ≥ 2^23, lengths with every tail
// (0..15 values after the 16-value steps), fix points −60..60 (all the addon accepts; every 2^fp of them is a normal
// float32, so the double path stays only as a guard).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNativeKernels, nativeStatus } from '../../../src/kernels/native/node.js';
import { mulberry32 } from '../../../src/models/prng.js';

const nk = loadNativeKernels({ isa: 'avx512vnni' });
const skip = nk?.quantize ? false : `native AVX-512 quantize unavailable: ${nk ? 'no quantize' : nativeStatus().reason}`;

const oracle = (x: number, fp: number): number => {
  const v = x * 2 ** fp;
  return Number.isNaN(v) ? 0 : Math.max(-128, Math.min(127, Math.floor(v + 0.5)));
};

test('native quantize (float32, 16 per step) == floor(x·2^fp + 0.5) clamped, NaN → 0: ties, ulps around them, ±Inf, subnormals, ≥ 2^23, all tails', { skip }, () => {
  const f32 = new Float32Array(1);
  const near = (v: number, d: number): number => {
    // the float32 d ulps from v (v a float32)
    f32[0] = v;
    const u = new Int32Array(f32.buffer);
    u[0] = u[0]! + (v < 0 ? -d : d);
    return f32[0];
  };
  for (const fp of [-60, -20, -7, -1, 0, 3, 8, 14, 60]) {
    const r = mulberry32(fp + 1000);
    const vals: number[] = [NaN, Infinity, -Infinity, 0, -0, 2 ** 23 + 0.5, -(2 ** 23) - 0.5, 2 ** 24 + 2, 3.4e38, -3.4e38, 1e-45, -1e-45, 1.2e-38, -1.2e-38];
    for (let k = -130; k <= 130; k++) {
      const t = (k + 0.5) * 2 ** -fp; // a tie after scaling
      vals.push(t, near(t, 1), near(t, -1), -t);
    }
    while (vals.length < 4096) {
      const a = r();
      vals.push(a < 0.4 ? (r() - 0.5) * 600 * 2 ** -fp : a < 0.7 ? (r() - 0.5) * 2 ** (Math.floor(r() * 80) - 40) : (Math.round((r() - 0.5) * 600) + 0.5) * 2 ** -fp);
    }
    const x = Float32Array.from(vals);
    for (const [off, len] of [[0, x.length], [1, x.length - 1], [5, 16 * 7 + 9], [3, 15], [0, 1]] as [number, number][]) {
      const xs = x.subarray(off, off + len);
      const mem = new Int8Array(len + 32).fill(77);
      nk!.quantize!(xs, mem, 16, len, fp);
      for (let i = 0; i < len; i++) {
        const want = oracle(xs[i]!, fp);
        if (mem[16 + i] !== want) assert.fail(`fp ${fp}, offset ${off}, length ${len}: x[${i}] = ${xs[i]} → ${mem[16 + i]}, want ${want}`);
      }
      assert.ok(mem.subarray(0, 16).every((b) => b === 77) && mem.subarray(16 + len).every((b) => b === 77), `fp ${fp}: wrote outside [off, off + n)`);
    }
  }
});
