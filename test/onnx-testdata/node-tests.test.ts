/** ONNX operator conformance vectors (libonnx-testdata): no failure in a supported op. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { formatTable, runAll, TESTDATA_ROOT } from './conformance.js';

test('ONNX node conformance tests: every supported case passes', { skip: !existsSync(TESTDATA_ROOT) && 'libonnx-testdata not installed' }, () => {
  const results = runAll();
  const table = formatTable(results);
  console.log(table.split('\n').map((l) => `# ${l}`).join('\n'));
  const failed = results.filter((r) => r.status === 'failed');
  const passed = results.filter((r) => r.status === 'passed');
  assert.ok(passed.length > 50, `only ${passed.length} cases ran`);
  assert.equal(failed.length, 0, `failed: ${failed.map((f) => `${f.name} (${f.reason})`).join('; ')}`);
});
