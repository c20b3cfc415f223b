/**
 * Stated limits (issue 11 item 4, src/limits.ts): model bytes, tensor elements, image pixels — each entry point
 * refuses an input over the limit with its stage's error naming the limit and how to raise it; at the limit
 * the input is accepted. Sizes are known by hand (file lengths, a 2×2 PNG, the tiny model's input shape).
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppError, ImportError, XmodelError } from '../../src/errors.js';
import { DEFAULT_LIMITS, LIMIT_ENV, checkLimit, limits, setLimits } from '../../src/limits.js';
import { buildModel } from '../../src/models/index.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { importTfjs } from '../../src/importers/tfjs/index.js';
import { Graph as XGraph } from '../../src/xir/graph.js';
import { readImage } from '../../src/apps/node/image-io.js';
import { makeSeeds } from './seeds.js';

afterEach(() => { setLimits({}); for (const v of Object.values(LIMIT_ENV)) delete process.env[v]; });

const human = fileURLToPath(new URL('../../../node_modules/@vladmandic/human/models/', import.meta.url));
const isLimit = (Cls: abstract new (...a: never[]) => Error, code: string, name: string, env: string) => (e: unknown) =>
  e instanceof Cls && (e as Error & { code: string }).code === code && (e as Error).message.includes(name) && (e as Error).message.includes(env);

test('defaults and precedence: setLimits > environment > default; bad env values ignored', () => {
  assert.deepEqual(limits(), { maxModelBytes: 0x7fffffff, maxTensorElements: 2 ** 28, maxImagePixels: 64 * 1024 * 1024 });
  process.env.DPUFLOW_MAX_TENSOR_ELEMENTS = '500';
  assert.equal(limits().maxTensorElements, 500);
  setLimits({ maxTensorElements: 700 });
  assert.equal(limits().maxTensorElements, 700);
  assert.equal(limits({ maxTensorElements: 9 }).maxTensorElements, 9);
  setLimits({});
  process.env.DPUFLOW_MAX_TENSOR_ELEMENTS = 'lots';
  assert.equal(limits().maxTensorElements, DEFAULT_LIMITS.maxTensorElements);
  assert.throws(() => checkLimit('maxModelBytes', NaN, ImportError), isLimit(ImportError, 'E_LIMIT_MODEL_BYTES', 'maxModelBytes', 'DPUFLOW_MAX_MODEL_BYTES'));
  assert.throws(() => checkLimit('maxModelBytes', -1, ImportError), /over the limit/);
});

test('ONNX: model bytes over the limit (environment) → ImportError naming maxModelBytes; at the limit accepted', () => {
  const onnx = buildModel('tiny').onnx;
  process.env.DPUFLOW_MAX_MODEL_BYTES = String(onnx.length - 1);
  assert.throws(() => importOnnx(onnx, { fileName: 'tiny.onnx' }), isLimit(ImportError, 'E_LIMIT_MODEL_BYTES', `${onnx.length} bytes`, 'DPUFLOW_MAX_MODEL_BYTES'));
  process.env.DPUFLOW_MAX_MODEL_BYTES = String(onnx.length);
  importOnnx(onnx, { fileName: 'tiny.onnx' });
});

test('ONNX: a tensor over maxTensorElements → ImportError naming the tensor and its shape', () => {
  const onnx = buildModel('tiny').onnx;
  const g = importOnnx(onnx);
  const input = g.ops.find((o) => o.type === 'data')!;
  const n = input.output.shape.reduce((a, b) => a * b, 1); // the input: NHWC of the model's declared input
  setLimits({ maxTensorElements: n - 1 });
  assert.throws(() => importOnnx(onnx, { fileName: 'tiny.onnx' }), (e: unknown) =>
    isLimit(ImportError, 'E_LIMIT_TENSOR_ELEMENTS', 'maxTensorElements', 'DPUFLOW_MAX_TENSOR_ELEMENTS')(e) && /tensor '.*' \[\d+(,\d+)*\]/.test((e as Error).message));
});

test('TF.js: model.json + shards over maxModelBytes → ImportError (emotion: json + bin bytes)', () => {
  const json = readFileSync(`${human}emotion.json`, 'utf8');
  const bin = new Uint8Array(readFileSync(`${human}emotion.bin`));
  setLimits({ maxModelBytes: json.length + bin.length - 1 });
  assert.throws(() => importTfjs(json, { 'emotion.bin': bin }, { fileName: 'emotion.json' }), isLimit(ImportError, 'E_LIMIT_MODEL_BYTES', 'maxModelBytes', 'DPUFLOW_MAX_MODEL_BYTES'));
  setLimits({ maxModelBytes: json.length + bin.length });
  importTfjs(json, { 'emotion.bin': bin }, { fileName: 'emotion.json' });
});

test('xmodel: file over maxModelBytes → XmodelError; images over maxImagePixels → AppError before decoding', async () => {
  const seeds = await makeSeeds();
  const x = seeds.files.xmodel[0]!;
  setLimits({ maxModelBytes: x.length - 1 });
  assert.throws(() => XGraph.deserialize(x, { file: 'm.xmodel' }), isLimit(XmodelError, 'E_LIMIT_MODEL_BYTES', 'maxModelBytes', 'DPUFLOW_MAX_MODEL_BYTES'));
  setLimits({});
  XGraph.deserialize(x, { file: 'm.xmodel' });
  const png = seeds.files.image[0]!; // 2×2 written by hand
  process.env.DPUFLOW_MAX_IMAGE_PIXELS = '3';
  await assert.rejects(readImage(png, 'tiny.png'), isLimit(AppError, 'E_LIMIT_IMAGE_PIXELS', '4 pixels', 'DPUFLOW_MAX_IMAGE_PIXELS'));
  process.env.DPUFLOW_MAX_IMAGE_PIXELS = '4';
  assert.equal((await readImage(png, 'tiny.png')).width, 2);
});
