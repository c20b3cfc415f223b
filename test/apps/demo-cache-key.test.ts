// The demo's cache key covers the stage code: editing any compiled quantizer/compiler/... file gives a new key
// (so artifacts built by older code are not reused); files outside the stage folders do not matter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stageCodeHash } from '../../src/cli/commands/demo.js';

test('stageCodeHash: changes with the stage code, not with other files', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-codehash-'));
  try {
    fs.mkdirSync(path.join(root, 'quantizer/observers'), { recursive: true });
    fs.mkdirSync(path.join(root, 'cli'), { recursive: true });
    fs.writeFileSync(path.join(root, 'quantizer/observers/diffs.js'), 'export const a = 1;\n');
    fs.writeFileSync(path.join(root, 'cli/main.js'), 'x\n');
    const h0 = stageCodeHash(root);
    assert.match(h0, /^[0-9a-f]{12}$/);
    assert.equal(stageCodeHash(root), h0, 'deterministic');
    fs.writeFileSync(path.join(root, 'cli/main.js'), 'y\n');
    assert.equal(stageCodeHash(root), h0, 'CLI code is not part of the key');
    fs.writeFileSync(path.join(root, 'quantizer/observers/diffs.js'), 'export const a = 2;\n');
    assert.notEqual(stageCodeHash(root), h0, 'a quantizer change gives a new key');
    assert.notEqual(stageCodeHash(path.resolve('dist/src')), h0);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
