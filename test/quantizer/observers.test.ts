import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffsFixPoint, maxminFixPoint, percentileFixPoint, entropyFixPoint, modeOf, DiffsObserver, AbsHistogram } from '../../src/quantizer/observers/index.js';
import { ACT_ROUND, PARAM_ROUND, fpForMaxAbs, fakeQuant, quantSse } from '../../src/quantizer/fixpoint.js';
import { QuantizeError } from '../../src/errors.js';
import { setFloatWasmEnabled } from '../../src/kernels/ref/float/wasm/instance.js';
import { convBnReluConv, seeded } from './helpers.js';
import { quantize } from '../../src/quantizer/quantize.js';

test('fpForMaxAbs: 2^(7-fp) is the smallest power of two ≥ max|x| (hand values)', () => {
  assert.equal(fpForMaxAbs(1), 7); // range 1 → q·2^-7
  assert.equal(fpForMaxAbs(1.5), 6);
  assert.equal(fpForMaxAbs(100), 0);
  assert.equal(fpForMaxAbs(128), 0);
  assert.equal(fpForMaxAbs(129), -1);
  assert.equal(fpForMaxAbs(0.01), 13);
});

test('maxmin picks the no-clip fix point; diffs trades one outlier for resolution (hand-computed)', () => {
  // 1000 values of ±0.1 and a single 3.9: maxmin fp = 7 − ceil(log2 3.9) = 5 (step 1/32: 0.1 → 3/32, err 0.00625 each).
  // At fp 8 (step 1/256) 0.1 → 26/256 (err 0.0015625), 3.9 clips to 127/256 (err 3.404): total 1000·0.0015625² + 3.404² ≈ 11.59
  // vs fp 5: 1000·0.00625² = 0.039 — so diffs keeps fp 5 here; with 100000 small values resolution wins.
  const few = new Float32Array(1001).fill(0.1);
  few[1000] = 3.9;
  assert.equal(maxminFixPoint(few), 5);
  assert.equal(diffsFixPoint(few, PARAM_ROUND), 5);
  const many = new Float32Array(400001).fill(0.1);
  many[0] = 3.9;
  // fp 9: 0.1 → 51/512 (err 0.000390625²·4e5 = 0.061) + (3.9 − 127/512)² = 13.34 → worse;
  // fp 6: 0.1 → 6/64 (err 0.00625)²·4e5 = 15.6 + 0 → worse than fp 7: (0.1−13/128=0.0015625)²·4e5=0.977 + (3.9−127/128)² = 8.46 → 9.43;
  // fp 8: (0.1 − 26/256)² = 0.0015625² ·4e5 = 0.977 + (3.9 − 127/256)² = 11.59 → 12.56; fp 5: (0.00625)²·4e5 = 15.6. → fp 7.
  assert.equal(diffsFixPoint(many, PARAM_ROUND), 7);
  assert.ok(quantSse(many, 7, PARAM_ROUND) < quantSse(many, 5, PARAM_ROUND));
});

test('rounding modes: activations round ties up, params half away from zero', () => {
  const x = Float32Array.from([-2.5 / 4, 2.5 / 4, -0.5 / 4]); // at fp 2: −2.5, 2.5, −0.5
  assert.deepEqual([...fakeQuant(x, 2, ACT_ROUND)], [-2 / 4, 3 / 4, 0]);
  assert.deepEqual([...fakeQuant(x, 2, PARAM_ROUND)], [-3 / 4, 3 / 4, -1 / 4]);
  // saturation to [−128, 127]
  assert.deepEqual([...fakeQuant(Float32Array.from([10, -10]), 4, ACT_ROUND)], [127 / 16, -128 / 16]);
});

test('diffs for activations: final fix point is the mode over batches', () => {
  assert.equal(modeOf([3, 4, 4, 5, 5]), 4); // tie → smaller
  const o = new DiffsObserver({ tensor: 't', round: ACT_ROUND });
  const batch = (m: number) => Float32Array.from({ length: 5000 }, (_, i) => ((i % 100) / 100) * m);
  o.observe(batch(0.9)); // max 0.891 → fp_maxabs 7
  o.observe(batch(3.0)); // max 2.97 → fp_maxabs 5
  o.observe(batch(0.7)); // max 0.693 → fp_maxabs 8
  const hist = o.history();
  assert.equal(hist.length, 3);
  assert.equal(o.fixPoint(), modeOf(hist));
});

test('diffs pools tensors with few values per batch (hand-computed)', () => {
  const o = new DiffsObserver({ tensor: 'se', round: ACT_ROUND });
  o.observe(Float32Array.from([0.9, -0.5]));
  o.observe(Float32Array.from([3.0, 1]));
  // all four values: max 3 → fp_maxabs 5; at fp 5 only 0.9 rounds (28.8 → 29); at fp 6, 3.0 clips to 127/64 (err ≈ 1.03)
  assert.equal(o.fixPoint(), 5);
});

test('percentile ignores a rare outlier; entropy picks a clipping threshold for a long tail', () => {
  const x = new Float32Array(100000);
  for (let i = 0; i < x.length; i++) x[i] = ((i % 1000) / 1000) * 0.9; // uniform [0, 0.9)
  x[5] = 100;
  assert.equal(maxminFixPoint(x), 0);
  assert.equal(percentileFixPoint(x, 99.99), 7); // 99.99 % of |x| < 0.9 → range 1
  const e = entropyFixPoint(x);
  assert.ok(e >= 4, `entropy fp ${e} should clip the lone outlier`);
});

test('histogram grows by exact pairwise merges', () => {
  const h = new AbsHistogram(8);
  h.add(Float32Array.from([0.1, 0.3, 0.9])); // range 1, bins of 1/8
  h.add(Float32Array.from([1.5])); // range 2: bins of 1/4
  assert.equal(h.range, 2);
  assert.deepEqual([...h.bins], [1, 1, 0, 1, 0, 0, 1, 0]);
});

test('NaN/Inf in a tensor → QuantizeError naming it', () => {
  assert.throws(() => diffsFixPoint(Float32Array.from([1, NaN]), ACT_ROUND, 'conv3'), (e: unknown) => e instanceof QuantizeError && e.code === 'E_Q_NONFINITE' && e.where === 'conv3');
  assert.throws(() => maxminFixPoint(Float32Array.from([Infinity]), 'w'), QuantizeError);
});

/** The batches of one tensor as one array (the oracle searches it directly with quantSse sums). */
function concat(batches: Float32Array[]): Float32Array {
  const all = new Float32Array(batches.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const b of batches) {
    all.set(b, o);
    o += b.length;
  }
  return all;
}

test("diffs 'pooled' = the diffs search over all batches' values together; 'mode' is outvoted by batches that miss the range", () => {
  // three batches of |x| ≤ 1 and one that reaches 12 (a real screenshot's neck activation vs resized calibration images):
  // each small batch picks fp 7 (range ±1), the big one a coarse fp; the mode keeps 7 and clips the big batch at 1,
  // the pooled search weighs the big batch's clipping error (≈ 11² per clipped value) against the others' resolution.
  const rnd = seeded(21);
  const small = (): Float32Array => Float32Array.from({ length: 8192 }, () => rnd() * 2 * 0.99);
  const big = Float32Array.from({ length: 8192 }, (_, i) => (i % 16 === 0 ? rnd() * 2 * 12 : rnd() * 2 * 0.99));
  const batches = [small(), small(), big, small()];
  const oracle = diffsFixPoint(concat(batches), ACT_ROUND);
  // hand check of the oracle's reason: fp 7 clips the 512 big values (error ≫ the resolution lost at fp 3..4)
  assert.ok(quantSse(concat(batches), 7, ACT_ROUND) > 10 * quantSse(concat(batches), oracle, ACT_ROUND));
  assert.ok(oracle <= 4, `pooled oracle fp ${oracle}`);
  for (const wasm of [true, false]) {
    const prev = setFloatWasmEnabled(wasm);
    try {
      const mode = new DiffsObserver({ tensor: 't', round: ACT_ROUND });
      const pooled = new DiffsObserver({ tensor: 't', round: ACT_ROUND, diffsBatches: 'pooled' });
      for (const b of batches) {
        mode.observe(b);
        pooled.observe(b);
      }
      assert.equal(mode.fixPoint(), 7, `mode (wasm ${wasm})`);
      assert.equal(pooled.fixPoint(), oracle, `pooled (wasm ${wasm})`);
      // the report's per-batch history is the per-batch search either way
      assert.deepEqual([...pooled.history()], batches.map((b) => diffsFixPoint(b, ACT_ROUND)));
    } finally {
      setFloatWasmEnabled(prev);
    }
  }
});

test("diffs 'pooled' = the search over the concatenation on random batch sets (ranges up to 2^7 apart, small tensors, zeros)", () => {
  const rnd = seeded(5);
  for (let trial = 0; trial < 40; trial++) {
    const nb = 1 + (trial % 5);
    const batches: Float32Array[] = [];
    for (let b = 0; b < nb; b++) {
      const scale = 2 ** ((rnd() + 0.5) * 7 - 3);
      const n = trial % 3 === 0 ? 64 + Math.floor(rnd() * 500) : 4096 + Math.floor(rnd() * 4096);
      const heavy = rnd() < 0.5;
      batches.push(Float32Array.from({ length: n }, () => {
        const u = rnd() * 2; // seeded: uniform in [−0.5, 0.5)
        return (heavy ? u * u * u : u) * scale;
      }));
    }
    if (trial === 7) batches.push(new Float32Array(5000));
    const oracle = diffsFixPoint(concat(batches), ACT_ROUND);
    for (const wasm of [true, false]) {
      const prev = setFloatWasmEnabled(wasm);
      try {
        const o = new DiffsObserver({ tensor: 't', round: ACT_ROUND, diffsBatches: 'pooled' });
        for (const b of batches) o.observe(b);
        assert.equal(o.fixPoint(), oracle, `trial ${trial} (wasm ${wasm})`);
      } finally {
        setFloatWasmEnabled(prev);
      }
    }
  }
});

test("quantize({ diffsBatches }): the graph input's fix point by each rule (diffs oracles); an unknown rule → QuantizeError", async () => {
  const rnd = seeded(31);
  const g = convBnReluConv(rnd, 40, 40, 3, 4, 2);
  const n = 40 * 40 * 3; // ≥ DIFFS_POOL_BELOW values per batch: 'mode' really votes per batch
  const batch = (scale: number, outliers: number): Float32Array => Float32Array.from({ length: n }, (_, i) => rnd() * 2 * (i % 97 < outliers ? 12 : scale));
  const xs = [batch(0.99, 0), batch(0.99, 0), batch(0.99, 6)];
  const feeds = xs.map((x) => ({ x: { shape: [1, 40, 40, 3], data: x } }));
  const fpOf = async (diffsBatches: 'mode' | 'pooled'): Promise<number | undefined> =>
    (await quantize(g, feeds, { diffsBatches, skipReport: true, biasCorrection: false, cle: false })).graph.ops.find((o) => o.name === 'x')?.output.fixPoint;
  assert.equal(await fpOf('mode'), modeOf(xs.map((x) => diffsFixPoint(x, ACT_ROUND))));
  assert.equal(await fpOf('pooled'), diffsFixPoint(concat(xs), ACT_ROUND));
  assert.notEqual(await fpOf('mode'), await fpOf('pooled'), 'the case separates the rules');
  await assert.rejects(quantize(g, feeds, { diffsBatches: 'median' as 'mode', skipReport: true }), (e: Error) => e instanceof QuantizeError && /unknown diffsBatches rule 'median'/.test(e.message));
});
