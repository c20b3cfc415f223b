// Runs the example of docs/runtime.md as written (only the 'dpuflow' import is pointed at this build)
// on a compiled model; its first output must equal runQuantized (the independent oracle).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { compile } from '../../src/compiler/compile.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { smallConvNet } from '../compiler/nets.js';

test('docs/runtime.md example runs and prints runQuantized\'s values', () => {
  const md = fs.readFileSync('docs/runtime.md', 'utf8');
  const m = /<!-- example -->\s*```js\n([\s\S]*?)```/.exec(md);
  assert.ok(m, 'the example block is in docs/runtime.md');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-doc-'));
  const q = smallConvNet();
  const model = path.join(dir, 'net.xmodel');
  fs.writeFileSync(model, compile(q, 'B4096').xmodel);
  const index = pathToFileURL(path.resolve('dist/src/index.js')).href;
  const script = path.join(dir, 'example.mjs');
  fs.writeFileSync(script, m![1]!.replace(/from 'dpuflow'/g, `from '${index}'`));
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, MODEL: model }, timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const x = Float32Array.from({ length: 8 * 8 * 3 }, (_, i) => Math.sin(i));
  const want = runQuantized(q, { input: { shape: [1, 8, 8, 3], data: x } })[q.outputs[0]!]!;
  const first = r.stdout.split('\n')[0]!;
  assert.ok(first.startsWith(q.outputs[0]!), first);
  for (const v of Array.from(want.data.slice(0, 4))) assert.ok(first.includes(String(v)), `${first} has ${v}`);
  assert.match(r.stdout, /subgraph_dpu_0/);
  assert.match(r.stdout, /fps/);
  fs.rmSync(dir, { recursive: true, force: true });
});
