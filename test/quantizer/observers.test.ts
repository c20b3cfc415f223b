import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffsFixPoint, maxminFixPoint, percentileFixPoint, entropyFixPoint, modeOf, DiffsObserver, AbsHistogram } from '../../src/quantizer/observers/index.js';
import { ACT_ROUND, PARAM_ROUND, fpForMaxAbs, fakeQuant, quantSse } from '../../src/quantizer/fixpoint.js';
import { QuantizeError } from '../../src/errors.js';

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
