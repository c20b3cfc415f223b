import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mobilenetV2 } from './nets.js';
import { compileEveryArch, PRESETS } from './helpers.js';

test('mobilenetv2 compiles for every arch; the checker holds and encode∘decode is the identity on every instruction', () => {
  const r = compileEveryArch(mobilenetV2());
  assert.equal(r.length, PRESETS.length);
  assert.equal(PRESETS.length, 8);
  for (const x of r) assert.ok(x.instructions > 10, x.preset);
  // smaller arches need more tiles, so at least as many instructions as B4096
  const byName = Object.fromEntries(r.map((x) => [x.preset, x.instructions]));
  assert.ok(byName['B512'] >= byName['B4096']);
});
