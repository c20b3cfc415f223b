/** Bad input: each case is one ImportError naming the file, the node and the fix — never a protobufjs stack, never a hang. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImportError, UsageError } from '../../src/errors.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { onnxModelType } from '../../src/importers/onnx/schema.js';
import { parseInputShapes } from '../../src/cli/input-shape.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLS = join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');

type Dim = number | string;
const vi = (name: string, dims: Dim[]): Record<string, unknown> => ({
  name, type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
});
const floatInit = (name: string, dims: number[], fill = 0.5): Record<string, unknown> => ({
  name, dims, data_type: 1, float_data: new Array(dims.reduce((a, b) => a * b, 1)).fill(fill),
});
interface N { op: string; inputs: string[]; outputs: string[]; name?: string; attrs?: Record<string, unknown>[] }
function model(nodes: N[], inputs: Record<string, unknown>[], outputs: Record<string, unknown>[], inits: Record<string, unknown>[] = []): Uint8Array {
  const T = onnxModelType();
  return T.encode(T.fromObject({
    ir_version: 8, opset_import: [{ domain: '', version: 13 }], producer_name: 'test',
    graph: {
      name: 'g', input: inputs, output: outputs, initializer: inits,
      node: nodes.map((n, i) => ({ op_type: n.op, input: n.inputs, output: n.outputs, name: n.name ?? `${n.op.toLowerCase()}_${i}`, attribute: n.attrs ?? [] })),
    },
  })).finish();
}

function expectImportError(fn: () => unknown, code: string, ...mustContain: string[]): ImportError {
  let err: unknown;
  const t0 = performance.now();
  try { fn(); } catch (e) { err = e; }
  assert.ok(performance.now() - t0 < 5000, 'took too long');
  assert.ok(err instanceof ImportError, `expected ImportError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  for (const s of mustContain) assert.ok(err.message.includes(s), `message lacks '${s}': ${err.message}`);
  assert.ok(err.fix && err.fix.length > 5, 'no fix given');
  assert.ok(!/protobufjs|RangeError|index out of range|wire type/i.test(err.message), `raw decoder text in message: ${err.message}`);
  return err;
}

test('truncated ONNX file → ImportError naming the file', () => {
  const bytes = new Uint8Array(readFileSync(CLS));
  const cut = bytes.subarray(0, Math.floor(bytes.length / 3));
  const e = expectImportError(() => importOnnx(cut, { fileName: 'cls_truncated.onnx', inputShapes: { x: [1, 3, 48, 192] } }), 'E_ONNX_DECODE', 'cls_truncated.onnx');
  assert.equal(e.file, 'cls_truncated.onnx');
});

test('random bytes and an empty file → ImportError', () => {
  let s = 12345;
  const rnd = new Uint8Array(4096).map(() => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24));
  let err: unknown;
  try { importOnnx(rnd, { fileName: 'noise.bin' }); } catch (e) { err = e; }
  assert.ok(err instanceof ImportError, String(err));
  assert.ok(['E_ONNX_DECODE', 'E_ONNX_NOT_MODEL'].includes(err.code), err.code);
  assert.ok(err.message.startsWith('noise.bin:'), err.message);
  expectImportError(() => importOnnx(new Uint8Array(0), { fileName: 'empty.onnx' }), 'E_ONNX_EMPTY', 'empty.onnx');
  // a valid protobuf that is not a model (a text file)
  const text = new TextEncoder().encode('hello, this is not a model\n');
  let err2: unknown;
  try { importOnnx(text, { fileName: 'readme.txt' }); } catch (e) { err2 = e; }
  assert.ok(err2 instanceof ImportError && err2.message.includes('readme.txt'), String(err2));
});

test('unknown ops: two kinds listed at once, with counts and a node name each', () => {
  const b = model([
    { op: 'FancyOp', inputs: ['x'], outputs: ['a'], name: 'fancy_1' },
    { op: 'Relu', inputs: ['a'], outputs: ['b'] },
    { op: 'FancyOp', inputs: ['b'], outputs: ['c'], name: 'fancy_2' },
    { op: 'WeirdOp', inputs: ['c'], outputs: ['y'], name: 'weird_1' },
  ], [vi('x', [1, 4])], [vi('y', [1, 4])]);
  expectImportError(() => importOnnx(b, { fileName: 'm.onnx' }), 'E_ONNX_UNSUPPORTED_OPS', 'm.onnx', 'FancyOp ×2', "'fancy_1'", 'WeirdOp ×1', "'weird_1'");
});

test('missing initializer → names node, op and tensor', () => {
  const b = model([{ op: 'Conv', inputs: ['x', 'conv_w'], outputs: ['y'], name: 'conv_a' }], [vi('x', [1, 3, 8, 8])], [vi('y', [1, 4, 8, 8])]);
  expectImportError(() => importOnnx(b, { fileName: 'm.onnx' }), 'E_ONNX_MISSING_INPUT', 'm.onnx', "conv_a' (Conv)", "'conv_w'");
});

test('a cycle → ImportError, no hang', () => {
  const b = model([
    { op: 'Add', inputs: ['x', 'b'], outputs: ['a'], name: 'add_a' },
    { op: 'Relu', inputs: ['a'], outputs: ['b'], name: 'relu_b' },
  ], [vi('x', [1, 4])], [vi('a', [1, 4])]);
  expectImportError(() => importOnnx(b, { fileName: 'm.onnx' }), 'E_ONNX_CYCLE', 'm.onnx', 'cycle', 'add_a');
});

test('duplicate output names → ImportError', () => {
  const b = model([
    { op: 'Relu', inputs: ['x'], outputs: ['a'], name: 'r1' },
    { op: 'Sigmoid', inputs: ['x'], outputs: ['a'], name: 's1' },
  ], [vi('x', [1, 4])], [vi('a', [1, 4])]);
  expectImportError(() => importOnnx(b, { fileName: 'm.onnx' }), 'E_ONNX_DUP_OUTPUT', "'a'", 's1');
});

test('shape mismatch (conv weights vs input channels, from the shape rule) → ImportError naming the node', () => {
  const b = model([{ op: 'Conv', inputs: ['x', 'w'], outputs: ['y'], name: 'conv_bad', attrs: [{ name: 'kernel_shape', type: 7, ints: [3, 3] }, { name: 'pads', type: 7, ints: [1, 1, 1, 1] }] }],
    [vi('x', [1, 3, 8, 8])], [vi('y', [1, 4, 8, 8])], [floatInit('w', [4, 5, 3, 3])]);
  expectImportError(() => importOnnx(b, { fileName: 'm.onnx' }), 'E_ONNX_SHAPE', 'm.onnx', "conv_bad' (Conv)", 'channels');
  const b2 = model([{ op: 'Add', inputs: ['x', 'z'], outputs: ['y'], name: 'add_bad' }], [vi('x', [1, 3, 4, 4]), vi('z', [1, 5, 4, 4])], [vi('y', [1, 3, 4, 4])]);
  expectImportError(() => importOnnx(b2, { fileName: 'm.onnx' }), 'E_ONNX_SHAPE', "add_bad' (Add)", '[1,3,4,4]', '[1,5,4,4]');
});

test('dynamic H/W without --input-shape → ImportError naming the input and the fix; batch becomes 1', () => {
  const b = model([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], [vi('x', ['N', 3, 'H', 'W'])], [vi('y', ['N', 3, 'H', 'W'])]);
  const e = expectImportError(() => importOnnx(b, { fileName: 'det.onnx' }), 'E_ONNX_DYNAMIC_SHAPE', 'det.onnx', "input 'x'", '[N,3,H,W]', '--input-shape x=1x3x640x640', 'max shape and pad');
  assert.equal(e.file, 'det.onnx');
  const g = importOnnx(b, { fileName: 'det.onnx', inputShapes: parseInputShapes('x=1x3x32x48') });
  const x = g.ops.find((o) => o.name === 'x')!;
  assert.deepEqual(x.output.shape, [1, 32, 48, 3]); // NHWC in the IR
  // only the batch is dynamic → fixed to 1, no option needed
  const b2 = model([{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], [vi('x', ['batch', 3, 8, 8])], [vi('y', ['batch', 3, 8, 8])]);
  assert.deepEqual(importOnnx(b2).ops.find((o) => o.name === 'x')!.output.shape, [1, 8, 8, 3]);
  // a conflicting --input-shape is rejected
  expectImportError(() => importOnnx(b2, { fileName: 'm.onnx', inputShapes: { x: [1, 4, 8, 8] } }), 'E_ONNX_INPUT_SHAPE', 'dim 1 = 3');
});

test('external data → ImportError with a fix', () => {
  const b = model([{ op: 'Add', inputs: ['x', 'w'], outputs: ['y'] }], [vi('x', [1, 4])], [vi('y', [1, 4])],
    [{ name: 'w', dims: [4], data_type: 1, data_location: 1, external_data: [{ key: 'location', value: 'weights.bin' }] }]);
  expectImportError(() => importOnnx(b, { fileName: 'm.onnx' }), 'E_ONNX_EXTERNAL_DATA', "'w'", 'external');
});

test('parseInputShapes', () => {
  assert.deepEqual(parseInputShapes('x=1x3x640x640'), { x: [1, 3, 640, 640] });
  assert.deepEqual(parseInputShapes('x=1x3x48x320, y=1x10'), { x: [1, 3, 48, 320], y: [1, 10] });
  assert.deepEqual(parseInputShapes(['a=1x2', 'b=3']), { a: [1, 2], b: [3] });
  assert.deepEqual(parseInputShapes(undefined), {});
  assert.throws(() => parseInputShapes('x=1x3xHx640'), UsageError);
  assert.throws(() => parseInputShapes('1x3x640x640'), UsageError);
  assert.throws(() => parseInputShapes('x=1x0'), UsageError);
});
