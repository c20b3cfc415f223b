/**
 * docs/quantized-ir.md rule 5 on the real PP-OCR models: no fixed-point op that runs in integer
 * arithmetic reads a tensor without a fix point. Checked edge by edge here (independently of
 * boundaryViolations) and by running the bit-exact executor, which rejects such an edge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { quantize, boundaryViolations } from '../../src/quantizer/index.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { hasInt8Kernel } from '../../src/kernels/ref/int8/index.js';
import { readAsset, assetPath } from '../../src/runtime/node/assets.js';
import type { Graph } from '../../src/ir/types.js';
import { seeded } from './helpers.js';

function unfixedEdges(q: Graph): string[] {
  const byName = new Map(q.ops.map((o) => [o.name, o]));
  const bad: string[] = [];
  for (const op of q.ops) {
    if (op.type === 'data' || op.type === 'const' || op.output.fixPoint === undefined || !hasInt8Kernel(op.type)) continue;
    for (const n of op.inputs) if (byName.get(n)?.output.fixPoint === undefined) bad.push(`${n} → ${op.name} (${op.type})`);
  }
  return bad;
}

for (const [asset, shape] of [['ppocr-det', [1, 3, 64, 64]], ['ppocr-rec', [1, 3, 48, 160]], ['ppocr-cls', [1, 3, 48, 192]]] as const) {
  test(`${asset}: every fixed-point op reads fixed-point tensors only; runQuantized accepts the graph`, async () => {
    const g = importOnnx(readAsset(asset), { fileName: assetPath(asset), inputShapes: { x: [...shape] } });
    const inp = g.ops.find((o) => o.type === 'data')!;
    const n = inp.output.shape.reduce((a, b) => a * b, 1);
    const rnd = seeded(11);
    const feeds = { [inp.name]: { shape: inp.output.shape, data: Float32Array.from({ length: n }, () => rnd() * 2) } };
    const q = (await quantize(g, [feeds], { skipReport: true, biasCorrection: false })).graph;
    const fixedOps = q.ops.filter((o) => o.type !== 'const' && o.output.fixPoint !== undefined).length;
    assert.ok(fixedOps > 20, `${fixedOps} fixed-point ops`);
    assert.deepEqual(unfixedEdges(q), []);
    assert.deepEqual(boundaryViolations(q), []);
    const out = runQuantized(q, feeds)[q.outputs[0]].data;
    assert.ok(out.every(Number.isFinite));
  });
}

test('boundaryViolations names a fixed op reading an un-fixed tensor', () => {
  const q: Graph = {
    name: 't', inputs: ['x'], outputs: ['r'], meta: {},
    ops: [
      { name: 'x', type: 'data', inputs: [], attrs: { shape: [1, 2] }, output: { shape: [1, 2], dtype: 'float32' } },
      { name: 's', type: 'sigmoid', inputs: ['x'], attrs: {}, output: { shape: [1, 2], dtype: 'float32' } },
      { name: 'r', type: 'relu', inputs: ['s'], attrs: {}, output: { shape: [1, 2], dtype: 'int8', fixPoint: 7 } },
    ],
  };
  assert.deepEqual(boundaryViolations(q), [{ op: 'r', input: 's' }]);
  assert.throws(() => runQuantized(q, { x: { shape: [1, 2], data: new Float32Array([0, 1]) } }), /E_QIR_BOUNDARY|no fix point/);
});
