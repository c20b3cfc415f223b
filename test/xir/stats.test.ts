// src/ir/stats.ts: MACs checked against hand-computed values and ResNet-50's published 8.2 GOP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { graphStats } from '../../src/ir/stats.js';
import type { Graph, Op } from '../../src/ir/types.js';
import { floatNet } from './nets.js';
import { resnet50 } from '../compiler/nets.js';

test('hand-computed MACs of the small float net', () => {
  const s = graphStats(floatNet());
  // conv: 4·4·2 outputs × 3·3·3 = 864; depthwise: 2·2·2 × 3·3 = 72; matmul: 5 × 8 = 40
  assert.deepEqual(s.macsByOp, { conv: 864, dw: 72, fc: 40 });
  assert.equal(s.macs, 976);
  assert.equal(s.gops, 1952e-9);
  assert.deepEqual(s.opCounts, { const: 4, conv2d: 1, data: 1, 'depthwise-conv2d': 1, identity: 1, matmul: 1, reshape: 1, softmax: 1 });
  assert.equal(s.params, 54 + 2 + 18 + 40);
});

test('grouped conv, transposed conv and transposed batched matmul', () => {
  const t = (shape: number[]): Op['output'] => ({ shape, dtype: 'float32' });
  const ops: Op[] = [
    { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, 5, 5, 8] }, output: t([1, 5, 5, 8]) },
    { name: 'gw', type: 'const', inputs: [], attrs: {}, output: t([8, 3, 3, 2]) },
    { name: 'g', type: 'conv2d', inputs: ['x', 'gw'], attrs: { group: 4 }, output: t([1, 5, 5, 8]) },
    { name: 'y', type: 'data', inputs: [], attrs: { shape: [1, 2, 2, 3] }, output: t([1, 2, 2, 3]) },
    { name: 'tw', type: 'const', inputs: [], attrs: {}, output: t([4, 3, 3, 3]) },
    { name: 'tc', type: 'transposed-conv2d', inputs: ['y', 'tw'], attrs: { stride: [2, 2] }, output: t([1, 4, 4, 4]) },
    { name: 'a', type: 'data', inputs: [], attrs: { shape: [2, 7, 3] }, output: t([2, 7, 3]) },
    { name: 'b', type: 'data', inputs: [], attrs: { shape: [2, 7, 5] }, output: t([2, 7, 5]) },
    { name: 'mm', type: 'matmul', inputs: ['a', 'b'], attrs: { transpose_a: true, transpose_b: false }, output: t([2, 3, 5]) },
  ];
  const g: Graph = { name: 'm', ops, inputs: ['x', 'y', 'a', 'b'], outputs: ['g', 'tc', 'mm'], meta: {} };
  // grouped: 200 outputs × 3·3·2 = 3600; transposed: 2·2·3 inputs × 3·3·4 = 432; matmul: 30 outputs × K=7 = 210
  assert.deepEqual(graphStats(g).macsByOp, { g: 3600, tc: 432, mm: 210 });
});

test('ResNet-50 at 224² is ≈ 8.2 GOP (±3 %)', () => {
  // IR graph with ResNet-50's shapes (test/compiler/nets.ts); the published figure is 4.1 GMAC.
  const s = graphStats(resnet50(224));
  assert.ok(Math.abs(s.gops - 8.2) / 8.2 <= 0.03, `${s.gops} GOP`);
  assert.equal(s.opCounts.conv2d, 53);
});
