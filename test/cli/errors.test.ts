import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImportError } from '../../src/errors.js';

test('stage errors carry file, where and fix in one line', () => {
  const e = new ImportError('E_TEST', 'unknown op', { file: 'm.onnx', where: 'node conv1 (Conv)', fix: 'do X' });
  assert.equal(e.message, 'm.onnx: [node conv1 (Conv)] unknown op — do X');
  assert.equal(e.name, 'ImportError');
  assert.equal(e.code, 'E_TEST');
});
