/**
 * src/importers/common: the constant arithmetic and the graph-output naming both importers share, checked
 * against values worked out by hand; and the TF.js Transpose of a constant with a perm that is not a
 * permutation (now an ImportError instead of a garbage constant).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImportError } from '../../src/errors.js';
import {
  broadcastDims, concatData, expandData, gatherData, numel, reduceData, roundHalfEven, sliceData, stridesOf, transposeData,
} from '../../src/importers/common/const-math.js';
import { nameGraphOutput } from '../../src/importers/common/graph.js';
import { importTfjs } from '../../src/importers/tfjs/index.js';
import type { Op } from '../../src/ir/types.js';
import { TfjsModelBuilder } from './tfjs/builder.js';

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);
const M = f64([1, 2, 3, 4, 5, 6]); // [[1,2,3],[4,5,6]]

test('const-math by hand: strides, broadcast, expand, transpose, slice', () => {
  assert.equal(numel([2, 3, 4]), 24);
  assert.equal(numel([]), 1);
  assert.deepEqual(stridesOf([2, 3, 4]), [12, 4, 1]);
  assert.deepEqual(broadcastDims([2, 1, 3], [4, 1]), [2, 4, 3]);
  assert.equal(broadcastDims([2, 3], [4]), undefined);
  assert.deepEqual([...expandData(f64([10, 20, 30]), [3], [2, 3])], [10, 20, 30, 10, 20, 30]);
  assert.deepEqual([...expandData(f64([1, 2]), [2, 1], [2, 3])], [1, 1, 1, 2, 2, 2]);
  assert.deepEqual([...transposeData(M, [2, 3], [1, 0])], [1, 4, 2, 5, 3, 6]);
  // [2,3,1] → perm [2,0,1] = [1,2,3], same order
  assert.deepEqual([...transposeData(Float32Array.from(M), [2, 3, 1], [2, 0, 1])], [1, 2, 3, 4, 5, 6]);
  // row 1, columns 2, 0 (start 2, step −2)
  assert.deepEqual([...sliceData(M, [2, 3], [1, 2], [1, -2], [1, 2])], [6, 4]);
});

test('const-math by hand: concat, gather (negative index), reductions, round half to even', () => {
  const c = concatData([{ dims: [2, 1], data: f64([7, 8]) }, { dims: [2, 3], data: M }], 1);
  assert.deepEqual(c.dims, [2, 4]);
  assert.deepEqual([...c.data], [7, 1, 2, 3, 8, 4, 5, 6]);
  const g = gatherData(M, [2, 3], 1, [-1, 0], [2]);
  assert.deepEqual(g.dims, [2, 2]);
  assert.deepEqual([...g.data], [3, 1, 6, 4]);
  const g0 = gatherData(M, [2, 3], 0, [1], []);
  assert.deepEqual([g0.dims, [...g0.data]], [[3], [4, 5, 6]]);
  const want: Record<string, number[]> = { sum: [6, 15], mean: [2, 5], max: [3, 6], min: [1, 4], prod: [6, 120] };
  for (const [fn, v] of Object.entries(want)) {
    const r = reduceData(M, [2, 3], [1], fn as 'sum');
    assert.deepEqual([r.keepDims, [...r.data]], [[2, 1], v], fn);
  }
  const all = reduceData(M, [2, 3], [0, 1], 'sum');
  assert.deepEqual([all.keepDims, [...all.data]], [[1, 1], [21]]);
  const cols = reduceData(M, [2, 3], [0], 'max');
  assert.deepEqual([...cols.data], [4, 5, 6]);
  assert.deepEqual([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, -2.6].map(roundHalfEven), [-2, -2, 0, 0, 2, 2, 2, -3]);
});

test('nameGraphOutput: renames to the model name, moves a clashing op aside, copies inputs and repeated outputs', () => {
  const op = (name: string, type: string, inputs: string[]): Op => ({ name, type, inputs, attrs: {}, output: { shape: [1], dtype: 'float32' } });
  const ops = [op('x', 'data', []), op('y', 'relu', ['x']), op('relu_out', 'neg', ['y']), op('z', 'sigmoid', ['relu_out'])];
  const g = { ops, byName: new Map(ops.map((o) => [o.name, o])) };
  let n = 0;
  const identity = (src: string): string => {
    const o = op(`id${n++}`, 'identity', [src]);
    g.ops.push(o);
    g.byName.set(o.name, o);
    return o.name;
  };
  const outs: string[] = [];
  // 'relu_out' (the neg op) becomes the output 'y': the relu op already called 'y' moves to 'y__pre'
  outs.push(nameGraphOutput(g, 'relu_out', 'y', outs, identity));
  assert.deepEqual(outs, ['y']);
  assert.deepEqual(g.ops.map((o) => [o.name, o.type, o.inputs]), [
    ['x', 'data', []], ['y__pre', 'relu', ['x']], ['y', 'neg', ['y__pre']], ['z', 'sigmoid', ['y']],
  ]);
  // the same op a second time, and the graph input itself: each through an identity
  outs.push(nameGraphOutput(g, 'y', 'y2', outs, identity));
  outs.push(nameGraphOutput(g, 'x', 'x_out', outs, identity));
  assert.deepEqual(outs, ['y', 'y2', 'x_out']);
  assert.deepEqual(g.ops.slice(4).map((o) => [o.name, o.type, o.inputs]), [['y2', 'identity', ['y']], ['x_out', 'identity', ['x']]]);
  assert.deepEqual([...g.byName.keys()].sort(), ['x', 'x_out', 'y', 'y2', 'y__pre', 'z']);
  // already named right: unchanged
  assert.equal(nameGraphOutput(g, 'z', 'z', outs, identity), 'z');
  assert.equal(g.ops.length, 6);
});

test('TF.js: Transpose of a constant by a perm that is not a permutation → ImportError E_TFJS_ATTR naming the node', () => {
  for (const perm of [[0, 0], [1, 2], [0]]) {
    const b = new TfjsModelBuilder();
    b.input('x', [1, 2, 3]);
    b.const('c', [2, 3], [1, 2, 3, 4, 5, 6]);
    b.ints('perm', perm);
    b.op('t', 'Transpose', ['c', 'perm']);
    b.op('y', 'AddV2', ['x', 't']);
    const { json, shards } = b.build(['y']);
    assert.throws(() => importTfjs(json, shards, { fileName: 'm.json' }), (e: unknown) => {
      assert.ok(e instanceof ImportError);
      assert.equal(e.code, 'E_TFJS_ATTR');
      assert.match(e.message, /node 't'/);
      return true;
    }, `perm [${perm}]`);
  }
  // a real permutation still folds: x + cᵀ with x [1,3,2]
  const b = new TfjsModelBuilder();
  b.input('x', [1, 3, 2]);
  b.const('c', [2, 3], [1, 2, 3, 4, 5, 6]);
  b.ints('perm', [1, 0]);
  b.op('t', 'Transpose', ['c', 'perm']);
  b.op('y', 'AddV2', ['x', 't']);
  const { json, shards } = b.build(['y']);
  const g = importTfjs(json, shards, { fileName: 'm.json' });
  const k = g.ops.find((o) => o.type === 'const')!;
  assert.deepEqual([k.output.shape, [...k.data!]], [[3, 2], [1, 4, 2, 5, 3, 6]]);
});
