/** Bad TF.js input: each case is one ImportError naming the file and the weight / node, with a fix. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImportError } from '../../../src/errors.js';
import { importModel, detectModelFormat } from '../../../src/importers/index.js';
import { loadModelFile } from '../../../src/importers/node/load-model.js';
import { importTfjs } from '../../../src/importers/tfjs/index.js';
import { decodeWeights, halfToFloat } from '../../../src/importers/tfjs/weights.js';
import { A, TfjsModelBuilder, vals } from './builder.js';
import { HUMAN } from './oracle.js';

function tiny(): TfjsModelBuilder {
  const b = new TfjsModelBuilder();
  b.input('x', [1, 4, 4, 2]);
  b.const('w', [1, 1, 2, 3], vals(6, 1));
  b.const('bias', [3], vals(3, 2));
  b.op('c', '_FusedConv2D', ['x', 'w', 'bias'], {
    strides: A.is([1, 1, 1, 1]), dilations: A.is([1, 1, 1, 1]), padding: A.s('SAME'), data_format: A.s('NHWC'), fused_ops: A.ss(['BiasAdd']), num_args: A.i(1),
  });
  return b;
}

function importErr(fn: () => unknown): ImportError {
  try { fn(); } catch (e) {
    assert.ok(e instanceof ImportError, `expected ImportError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an ImportError');
}

test('a missing weight shard: ImportError naming the shard file and a weight it holds', () => {
  const { json } = tiny().build(['c']);
  const e = importErr(() => importTfjs(json, {}, { fileName: 'model.json' }));
  assert.equal(e.code, 'E_TFJS_SHARD_MISSING');
  assert.equal(e.file, 'group1-shard1of1.bin');
  assert.match(e.message, /'w'/);
  assert.ok(e.fix);
});

test('a shard of the wrong size (short, long): ImportError naming the shard and the weight cut off', () => {
  const { json, shards } = tiny().build(['c']);
  const bin = shards['group1-shard1of1.bin']!;
  assert.equal(bin.length, (6 + 3) * 4);
  const short = importErr(() => importTfjs(json, { 'group1-shard1of1.bin': bin.subarray(0, 30) }, { fileName: 'model.json' }));
  assert.equal(short.code, 'E_TFJS_SHARD_SIZE');
  assert.equal(short.file, 'group1-shard1of1.bin');
  assert.equal(short.where, "weight 'bias'"); // 'w' takes bytes 0..24, 'bias' needs 24..36
  assert.match(short.message, /30 bytes .* need 36 bytes/);
  const long = importErr(() => importTfjs(json, { 'group1-shard1of1.bin': new Uint8Array(40) }, { fileName: 'model.json' }));
  assert.equal(long.code, 'E_TFJS_SHARD_SIZE');
  assert.match(long.message, /extra bytes/);
});

test('an unknown dtype or quantization: ImportError naming the weight', () => {
  const { json, shards } = tiny().build(['c']);
  const m = JSON.parse(json);
  m.weightsManifest[0].weights[1].dtype = 'complex64';
  const e = importErr(() => importTfjs(JSON.stringify(m), shards, { fileName: 'model.json' }));
  assert.equal(e.code, 'E_TFJS_DTYPE');
  assert.equal(e.where, "weight 'bias'");
  assert.equal(e.file, 'model.json');
  const m2 = JSON.parse(json);
  m2.weightsManifest[0].weights[0].quantization = { dtype: 'int4', scale: 1, min: 0 };
  const e2 = importErr(() => importTfjs(JSON.stringify(m2), shards, { fileName: 'model.json' }));
  assert.equal(e2.code, 'E_TFJS_DTYPE');
  assert.equal(e2.where, "weight 'w'");
});

test('weight decoding by hand: uint8 (q·scale+min), uint16, float16, int32 and float32 little-endian', () => {
  const bytes = new Uint8Array([0, 255, 10, /* uint16 */ 0x00, 0x01, /* f16 1.5 */ 0x00, 0x3e, /* f16 -2^-14 */ 0x00, 0x84, /* int32 -2 */ 0xfe, 0xff, 0xff, 0xff, /* f32 0.25 */ 0, 0, 0x80, 0x3e]);
  const w = decodeWeights([{ paths: ['a.bin', 'b.bin'], weights: [
    { name: 'u8', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
    { name: 'u16', shape: [1], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.25, min: 0 } },
    { name: 'h', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
    { name: 'i', shape: [], dtype: 'int32' },
    { name: 'f', shape: [1, 1], dtype: 'float32' },
  ] }], { 'a.bin': bytes.subarray(0, 5), 'b.bin': bytes.subarray(5) });
  assert.deepEqual([...w.get('u8')!.data], [-1, 126.5, 4]);
  assert.deepEqual([...w.get('u16')!.data], [64]);
  assert.deepEqual([...w.get('h')!.data], [1.5, -(2 ** -14)]);
  assert.deepEqual([...w.get('i')!.data], [-2]);
  assert.equal(w.get('i')!.kind, 'int');
  assert.deepEqual([...w.get('f')!.data], [0.25]);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
});

test('unsupported ops are listed all at once, with the tensors to cut at', () => {
  const b = tiny();
  b.scalarInt('k', 2);
  b.op('top', 'TopKV2', ['c', 'k'], { sorted: A.b(true) });
  b.op('nms', 'NonMaxSuppressionV5', ['c', 'c', 'k', 'k', 'k', 'k']);
  b.op('out', 'AddV2', ['top', 'nms']);
  const { json, shards } = b.build(['out']);
  const e = importErr(() => importTfjs(json, shards, { fileName: 'model.json' }));
  assert.equal(e.code, 'E_TFJS_UNSUPPORTED');
  assert.match(e.message, /TopKV2 \(1×, e\.g\. 'top'\)/);
  assert.match(e.message, /NonMaxSuppressionV5/);
  assert.match(e.fix!, /outputs: \['c'\]/);
  // and the cut works
  const g = importTfjs(json, shards, { fileName: 'model.json', outputs: ['c'] });
  assert.deepEqual(g.outputs, ['c']);
});

test('dynamic dims other than batch need --input-shape; batch -1 becomes 1; a conflicting shape is refused', () => {
  const b = new TfjsModelBuilder();
  b.nodes.push({ name: 'x', op: 'Placeholder', attr: { dtype: A.t('DT_FLOAT'), shape: { shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }] } } } });
  b.op('y', 'Relu', ['x']);
  const { json, shards } = b.build(['y']);
  const e = importErr(() => importTfjs(json, shards, { fileName: 'model.json' }));
  assert.equal(e.code, 'E_TFJS_DYNAMIC_SHAPE');
  assert.match(e.message, /--input-shape x=1x224x224x3/);
  const g = importTfjs(json, shards, { inputShapes: { x: [1, 32, 48, 3] } });
  assert.deepEqual(g.ops.find((o) => o.name === 'x')!.output.shape, [1, 32, 48, 3]);
  const bad = importErr(() => importTfjs(json, shards, { fileName: 'model.json', inputShapes: { x: [1, 32, 48, 4] } }));
  assert.equal(bad.code, 'E_TFJS_INPUT_SHAPE');
  const em = loadModelFile(join(HUMAN, 'emotion.json'));
  assert.deepEqual(em.ops.find((o) => o.name === 'input_1')!.output.shape, [1, 64, 64, 1]);
});

test('not a graph model: invalid JSON, a layers model, no topology', () => {
  assert.equal(importErr(() => importTfjs('{"modelTopology": ', {}, { fileName: 'm.json' })).code, 'E_TFJS_JSON');
  assert.equal(importErr(() => importTfjs(JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential' } }), {})).code, 'E_TFJS_LAYERS_MODEL');
  assert.equal(importErr(() => importTfjs(JSON.stringify({ weightsManifest: [] }), {})).code, 'E_TFJS_NOT_MODEL');
});

test('loadModelFile reads model.json + shards from disk (missing shard names the file), and dispatches ONNX by content', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dpuflow-tfjs-'));
  try {
    const { json, shards } = tiny().build(['c']);
    writeFileSync(join(dir, 'model.json'), json);
    const e = importErr(() => loadModelFile(join(dir, 'model.json')));
    assert.equal(e.code, 'E_TFJS_SHARD_MISSING');
    assert.equal(e.file, join(dir, 'group1-shard1of1.bin'));
    assert.equal(e.where, "weight 'w'");
    assert.match(e.message, /^\S+group1-shard1of1\.bin: \[weight 'w'\] weight shard 'group1-shard1of1\.bin' of group 0 not found .* — copy every/);
    writeFileSync(join(dir, 'group1-shard1of1.bin'), shards['group1-shard1of1.bin']!);
    const g = loadModelFile(dir); // a folder means its model.json
    assert.equal(g.meta['format'], 'tfjs');
    assert.equal(g.meta['source'], join(dir, 'model.json'));
    assert.equal(detectModelFormat(new TextEncoder().encode(json)), 'tfjs');
    assert.equal(importModel({ json, shards }).outputs[0], 'c');
    const onnx = join(HUMAN, '..', '..', '..', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
    assert.equal(detectModelFormat(new Uint8Array(readFileSync(onnx))), 'onnx');
    assert.equal(loadModelFile(onnx, { inputShapes: { x: [1, 3, 48, 192] } }).meta['format'], 'onnx');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
