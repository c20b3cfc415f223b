// The committed src/kernels/ref/float/wasm/float-wasm.ts must be what assembly/float/build.mjs
// builds from assembly/float/kernels.ts today (no stale embedded binary).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// dist/test/kernels/float-wasm → repo root (or test/kernels/float-wasm under tsx)
const root = here.includes(`${join('dist', 'test')}`) ? join(here, '../../../..') : join(here, '../../..');

test('embedded float kernels match assembly/float/kernels.ts', async () => {
  const build = (await import(pathToFileURL(join(root, 'assembly/float/build.mjs')).href)) as {
    buildFloatWasm(): Promise<{ shared: Uint8Array; plain: Uint8Array }>;
    renderFloatModule(b: { shared: Uint8Array; plain: Uint8Array }): string;
  };
  const text = build.renderFloatModule(await build.buildFloatWasm());
  const committed = readFileSync(join(root, 'src/kernels/ref/float/wasm/float-wasm.ts'), 'utf8');
  assert.ok(text === committed, 'src/kernels/ref/float/wasm/float-wasm.ts is stale: run node assembly/float/build.mjs');
});
