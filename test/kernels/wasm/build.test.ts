// The committed src/kernels/wasm/kernels-wasm.ts (the embedded .wasm) must be what
// assembly/build.mjs produces from assembly/kernels.ts today.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('embedded kernels-wasm.ts is up to date with assembly/kernels.ts', () => {
  const r = spawnSync(process.execPath, ['assembly/build.mjs', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('the module compiles and its SIMD peak loop runs', async () => {
  const { createKernelMemory, instantiateKernels } = await import('../../../src/kernels/wasm/loader.js');
  const k = instantiateKernels(createKernelMemory(1)).exports;
  // 12 lanes-chains of a0 += dot(a0, w): deterministic integer result (wrapping i32)
  assert.equal(typeof k.peakDot(10, 1), 'number');
  assert.equal(k.peakDot(10, 1), k.peakDot(10, 1));
});
