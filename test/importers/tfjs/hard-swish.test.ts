/**
 * TF's hard-swish spellings fused into the IR's `hard-swish` at import (src/ir/passes/tf-hard-swish.ts),
 * checked against @tensorflow/tfjs running the same TF.js-shaped graph: (x·1/6)·relu6(x+3) with 1/6 as
 * float32 and as float16 (0.1666259765625: the factor 6c is folded into the consuming conv's weights, so
 * the fused graph still matches TF), x·relu6(x+3)·(1/6) and x·(relu6(x+3)·1/6), operands swapped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTfjs } from '../../../src/importers/tfjs/index.js';
import { runFloat } from '../../../src/kernels/ref/float-executor.js';
import { A, TfjsModelBuilder, vals } from './builder.js';
import { maxRelError, runTfjsJson, seededInput } from './oracle.js';

const conv = (b: TfjsModelBuilder, name: string, x: string, w: string, bias: string): string =>
  b.op(name, '_FusedConv2D', [x, w, bias], {
    strides: A.is([1, 1, 1, 1]), dilations: A.is([1, 1, 1, 1]), padding: A.s('SAME'), data_format: A.s('NHWC'),
    fused_ops: A.ss(['BiasAdd']), num_args: A.i(1), epsilon: A.f(0),
  });

/** conv → one hard-swish spelling → conv (and, with `residual`, also an Add consumer). */
function model(form: 'sixth-first' | 'sixth-last' | 'hsigmoid', half: boolean, residual: boolean): { json: string; shards: Record<string, Uint8Array> } {
  const b = new TfjsModelBuilder();
  b.input('x', [1, 6, 6, 3]);
  b.const('w1', [3, 3, 3, 4], vals(108, 1, -1.5, 1.5));
  b.const('b1', [4], vals(4, 2));
  const y = conv(b, 'c1', 'x', 'w1', 'b1');
  b.const('six', [], [1 / 6], half ? { quant: 'float16' } : {});
  b.const('three', [], [3], half ? { quant: 'float16' } : {});
  const add = b.op('hs/add', 'AddV2', [y, 'three']);
  const r6 = b.op('hs/Relu6', 'Relu6', [add]);
  let hs: string;
  if (form === 'sixth-first') {
    const m = b.op('hs/mul', 'Mul', ['six', y]);
    hs = b.op('hs/mul_1', 'Mul', [m, r6]);
  } else if (form === 'sixth-last') {
    const m = b.op('hs/mul', 'Mul', [r6, y]);
    hs = b.op('hs/mul_1', 'Mul', [m, 'six']);
  } else {
    const g = b.op('hs/mul', 'Mul', ['six', r6]);
    hs = b.op('hs/mul_1', 'Mul', [y, g]);
  }
  b.const('w2', [1, 1, 4, 5], vals(20, 3));
  b.const('b2', [5], vals(5, 4));
  const out = conv(b, 'c2', hs, 'w2', 'b2');
  return b.build(residual ? [out, b.op('res', 'AddV2', [hs, y])] : [out]);
}

async function check(form: 'sixth-first' | 'sixth-last' | 'hsigmoid', half: boolean, residual = false): Promise<{ fused: number; err: number }> {
  const { json, shards } = model(form, half, residual);
  const g = importTfjs(json, shards, { fileName: `${form}.json` });
  const x = seededInput([1, 6, 6, 3], 9, -3, 3);
  const ir = runFloat(g, { x });
  const outs = residual ? ['c2', 'res'] : ['c2'];
  const ref = await runTfjsJson(json, shards, { x }, outs);
  let err = 0;
  outs.forEach((o, i) => { err = Math.max(err, maxRelError(ir[g.outputs[i]!]!, ref[o]!)); });
  return { fused: g.ops.filter((o) => o.type === 'hard-swish').length, err };
}

test('(x·1/6)·relu6(x+3) → hard-swish; float32 1/6 and float16 1/6 (factor folded into the next conv): same values as tfjs', async () => {
  for (const half of [false, true]) {
    const r = await check('sixth-first', half);
    assert.equal(r.fused, 1, `half=${half}: fused`);
    assert.ok(r.err <= 1e-5, `half=${half}: rel err ${r.err}`);
  }
});

test('x·relu6(x+3)·(1/6) and x·(relu6(x+3)·1/6), operands swapped → hard-swish, same values as tfjs', async () => {
  for (const form of ['sixth-last', 'hsigmoid'] as const) {
    const r = await check(form, false);
    assert.equal(r.fused, 1, `${form}: fused`);
    assert.ok(r.err <= 1e-5, `${form}: rel err ${r.err}`);
  }
});

test('float16 1/6 with a non-conv consumer (residual Add): fused, deviation from tfjs bounded by |6c−1| = 2.4e-4; exactFloat keeps TF exact', async () => {
  const r = await check('sixth-first', true, true);
  assert.equal(r.fused, 1);
  assert.ok(r.err > 1e-6 && r.err <= 3e-4, `rel err ${r.err} (expected ≈ 2.4e-4)`);
  const { json, shards } = model('sixth-first', true, true);
  const g = importTfjs(json, shards, { exactFloat: true });
  assert.equal(g.ops.filter((o) => o.type === 'hard-swish').length, 0);
  const x = seededInput([1, 6, 6, 3], 9, -3, 3);
  const ir = runFloat(g, { x });
  const ref = await runTfjsJson(json, shards, { x }, ['c2', 'res']);
  assert.ok(maxRelError(ir[g.outputs[1]!]!, ref['res']!) <= 1e-5);
});

test('a constant that is not 1/6 (0.2) or not 3 is left alone', () => {
  const b = new TfjsModelBuilder();
  b.input('x', [1, 4, 4, 2]);
  b.const('c', [], [0.2]);
  b.const('three', [], [3]);
  const r6 = b.op('r6', 'Relu6', [b.op('a', 'AddV2', ['x', 'three'])]);
  const out = b.op('m1', 'Mul', [b.op('m', 'Mul', ['x', 'c']), r6]);
  const { json, shards } = b.build([out]);
  const g = importTfjs(json, shards);
  assert.equal(g.ops.filter((o) => o.type === 'hard-swish').length, 0);
});
