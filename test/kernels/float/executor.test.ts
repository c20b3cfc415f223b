// runFloat: order, freeing, onTensor, keep:'all', feed checks — on a small hand-computed graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFloat } from '../../../src/kernels/ref/float-executor.js';
import { GraphError } from '../../../src/errors.js';
import type { Graph, Op } from '../../../src/ir/types.js';

const op = (name: string, type: string, inputs: string[], shape: number[], attrs: Op['attrs'] = {}, data?: number[]): Op => ({
  name, type, inputs, attrs, output: { shape, dtype: 'float32' }, ...(data ? { data: Float32Array.from(data) } : {}),
});

// x [1,1,2,2] → conv 1x1 (w = 2, b = 1) → relu → add(relu, x) → out
// x = [-1, 0, 1, 2]: conv = [-1, 1, 3, 5]; relu = [0, 1, 3, 5]; out = [-1, 1, 4, 7]
const graph: Graph = {
  name: 'g', inputs: ['x'], outputs: ['out'], meta: {},
  ops: [
    op('x', 'data', [], [1, 2, 2, 1], { shape: [1, 2, 2, 1] }),
    op('w', 'const', [], [1, 1, 1, 1], {}, [2]),
    op('b', 'const', [], [1], {}, [1]),
    op('conv', 'conv2d', ['x', 'w', 'b'], [1, 2, 2, 1], { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], group: 1 }),
    op('r', 'relu', ['conv'], [1, 2, 2, 1]),
    op('out', 'add', ['r', 'x'], [1, 2, 2, 1]),
  ],
};
const x = { shape: [1, 2, 2, 1], data: Float32Array.from([-1, 0, 1, 2]) };

test('runFloat computes the outputs and reports every tensor', () => {
  const seen: string[] = [];
  const res = runFloat(graph, { x }, { onTensor: (o, v) => { seen.push(o.name); assert.deepEqual(v.shape, o.output.shape); } });
  assert.deepEqual(Object.keys(res), ['out']);
  assert.deepEqual([...res['out']!.data], [-1, 1, 4, 7]);
  assert.deepEqual(seen, ['x', 'conv', 'r', 'out']);
});

test("keep: 'all' returns intermediates", () => {
  const res = runFloat(graph, { x }, { keep: 'all' });
  assert.deepEqual([...res['conv']!.data], [-1, 1, 3, 5]);
  assert.deepEqual([...res['r']!.data], [0, 1, 3, 5]);
});

test('feed errors name the input and the expected shape', () => {
  assert.throws(() => runFloat(graph, {}), (e: unknown) => e instanceof GraphError && /'x'/.test(e.message) && /\[1,2,2,1\]/.test(e.message));
  assert.throws(() => runFloat(graph, { x: { shape: [1, 2, 2, 2], data: new Float32Array(8) } }),
    (e: unknown) => e instanceof GraphError && e.code === 'E_FEED_SHAPE' && /\[1,2,2,1\]/.test(e.message));
  assert.throws(() => runFloat(graph, { x, y: x }), /not a graph input/);
});

test('unsorted graph is a GraphError, not a crash', () => {
  const bad: Graph = { ...graph, ops: [graph.ops[0]!, graph.ops[4]!, ...graph.ops.slice(1, 4), graph.ops[5]!] };
  assert.throws(() => runFloat(bad, { x }), (e: unknown) => e instanceof GraphError && e.code === 'E_ORDER');
});
