/**
 * xmodelToIr(g, { int8Consts: 'lazy' }): int8 const payloads stay Int8Array views of the xmodel bytes
 * and `data` decodes on read. Oracles: the hand-listed q values of test/xir/nets.ts, the eager
 * decoder, and runQuantized / the fast executor on the eagerly read graph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Graph, irToXmodel, xmodelToIr } from '../../src/xir/index.js';
import { constInt8, copyConstData } from '../../src/xir/to-ir.js';
import type { Op } from '../../src/ir/types.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../src/kernels/wasm/executor.js';
import { createThreadedExecutor } from '../../src/kernels/wasm/node/pool.js';
import { loadNativeKernels } from '../../src/kernels/native/node.js';
import { quantizedModel } from '../kernels/wasm/helpers.js';
import { quantNet, QNET_W_Q, QNET_B_Q } from './nets.js';

const bytes = irToXmodel(quantNet()).serialize();

test('lazy int8 consts: the q values are a view of the xmodel bytes, data decodes to q·2^-fp', () => {
  const g = xmodelToIr(Graph.deserialize(bytes), { int8Consts: 'lazy' });
  const w = g.ops.find((o) => o.name === 'w')!;
  const b = g.ops.find((o) => o.name === 'b')!;
  assert.deepEqual([...constInt8(w)!], QNET_W_Q);
  assert.deepEqual([...constInt8(b)!], QNET_B_Q);
  assert.equal(constInt8(w)!.byteLength, 54); // no copy of another size
  assert.deepEqual([...w.data!], QNET_W_Q.map((q) => q / 128));
  assert.deepEqual([...b.data!], QNET_B_Q.map((q) => q / 32));
  // repeated reads in one task return the same array (a loop over op.data[i] decodes once)
  assert.equal(w.data, w.data);
  // the eager reader gives the same graph value for value; constInt8 is only set in lazy mode
  const eager = xmodelToIr(Graph.deserialize(bytes));
  assert.equal(constInt8(eager.ops.find((o) => o.name === 'w')!), undefined);
  assert.deepStrictEqual(JSON.parse(JSON.stringify({ ...g, ops: g.ops.map((o) => ({ ...o, data: o.data && [...o.data] })) })),
    JSON.parse(JSON.stringify({ ...eager, ops: eager.ops.map((o) => ({ ...o, data: o.data && [...o.data] })) })));
});

test('lazy int8 consts: nothing decoded is kept after the task; assigning data replaces the accessor', async () => {
  const g = xmodelToIr(Graph.deserialize(bytes), { int8Consts: 'lazy' });
  const w = g.ops.find((o) => o.name === 'w')!;
  const first = w.data;
  await new Promise((r) => setTimeout(r, 0));
  assert.notEqual(w.data, first); // decoded again: the previous array was not retained
  assert.deepEqual([...w.data!], [...first!]);
  const mine = new Float32Array(54).fill(1 / 128);
  w.data = mine;
  assert.equal(w.data, mine);
  assert.equal(constInt8(w), undefined);
});

test('lazy int8 consts: runQuantized and the fast executor give the same bytes as on the eager graph', () => {
  const eager = xmodelToIr(Graph.deserialize(bytes));
  const lazy = xmodelToIr(Graph.deserialize(bytes), { int8Consts: 'lazy' });
  const x = { shape: [1, 4, 4, 3], data: Float32Array.from({ length: 48 }, (_, i) => ((i * 37) % 97 - 48) / 40) };
  const ref = runQuantized(eager, { x });
  const a = runQuantized(lazy, { x });
  const fast = createFastExecutor(lazy).run({ x });
  for (const n of eager.outputs) {
    assert.deepEqual([...a[n]!.data], [...ref[n]!.data], `runQuantized ${n}`);
    assert.deepEqual([...fast[n]!.data], [...ref[n]!.data], `fast executor ${n}`);
  }
});

test('copyConstData keeps a lazy payload lazy; copies a plain one by value', () => {
  const g = xmodelToIr(Graph.deserialize(bytes), { int8Consts: 'lazy' });
  const w = g.ops.find((o) => o.name === 'w')!;
  const to: Op = { ...w, data: undefined };
  delete to.data;
  copyConstData(w, to);
  assert.equal(constInt8(to), constInt8(w));
  assert.deepEqual([...to.data!], QNET_W_Q.map((q) => q / 128));
  const eager = xmodelToIr(Graph.deserialize(bytes)).ops.find((o) => o.name === 'w')!;
  const to2: Op = { name: 'c', type: 'const', inputs: [], attrs: {}, output: eager.output };
  copyConstData(eager, to2);
  assert.equal(to2.data, eager.data);
  assert.equal(constInt8(to2), undefined);
});

test('lazy int8 consts: a bad size is still reported at read time', () => {
  const g = irToXmodel(quantNet());
  g.getOp('w')!.setAttr('data', new Uint8Array(53));
  assert.throws(() => xmodelToIr(Graph.deserialize(g.serialize()), { int8Consts: 'lazy' }), /E_XMODEL_CONST_SIZE|53 bytes/);
});

test('lazy int8 consts: whole MobileNetV2 (32²) from an .xmodel, fast executor 1T / 2 threads / native == runQuantized on the eager graph', async () => {
  const { g, feeds } = await quantizedModel('mobilenetv2', 32);
  const xm = irToXmodel(g).serialize();
  const eager = xmodelToIr(Graph.deserialize(xm));
  const lazy = xmodelToIr(Graph.deserialize(xm), { int8Consts: 'lazy' });
  const lazyConsts = lazy.ops.filter((o) => constInt8(o) !== undefined).length;
  assert.ok(lazyConsts >= 100, `${lazyConsts} lazy consts`);
  const ref = runQuantized(eager, feeds);
  const runs: [string, Record<string, { data: Float32Array }>][] = [['fast 1T', createFastExecutor(lazy).run(feeds)]];
  const pool = await createThreadedExecutor(lazy, { threads: 2 });
  try {
    runs.push(['fast 2 threads', pool.run(feeds)]);
  } finally {
    await pool.close();
  }
  const nk = loadNativeKernels();
  if (nk) runs.push(['native', createFastExecutor(lazy, { native: { kernels: nk } }).run(feeds)]);
  for (const [label, out] of runs) {
    for (const n of eager.outputs) assert.deepEqual([...out[n]!.data], [...ref[n]!.data], `${label} ${n}`);
  }
});
