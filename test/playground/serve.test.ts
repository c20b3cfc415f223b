import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { defaultServeDir, startStaticServer } from '../../src/cli/commands/serve.js';

test('static server: index, content types, 404, no escape from the folder', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-serve-'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<p>hi</p>');
  fs.writeFileSync(path.join(dir, 'a.wasm'), new Uint8Array([0, 97, 115, 109]));
  fs.writeFileSync(path.join(path.dirname(dir), `${path.basename(dir)}-secret.txt`), 'secret');
  const s = await startStaticServer(dir, 0);
  const base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  try {
    const r1 = await fetch(`${base}/`);
    assert.equal(r1.status, 200);
    assert.equal(await r1.text(), '<p>hi</p>');
    assert.match(r1.headers.get('content-type') ?? '', /text\/html/);
    const r2 = await fetch(`${base}/a.wasm`);
    assert.equal(r2.headers.get('content-type'), 'application/wasm');
    assert.deepEqual([...new Uint8Array(await r2.arrayBuffer())], [0, 97, 115, 109]);
    assert.equal((await fetch(`${base}/nope.js`)).status, 404);
    const r3 = await fetch(`${base}/..%2F${path.basename(dir)}-secret.txt`);
    assert.notEqual(r3.status, 200);
  } finally {
    s.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(path.dirname(dir), `${path.basename(dir)}-secret.txt`), { force: true });
  }
});

test('serve without --dir: ./playground/dist when built there, else the package\'s own playground/dist', () => {
  const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const cwd = process.cwd();
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-cwd-'));
  try {
    process.chdir(elsewhere);
    assert.equal(defaultServeDir(), path.join(pkg, 'playground', 'dist'));
    fs.mkdirSync(path.join(elsewhere, 'playground', 'dist'), { recursive: true });
    fs.writeFileSync(path.join(elsewhere, 'playground', 'dist', 'index.html'), '<p>local</p>');
    assert.equal(fs.realpathSync(defaultServeDir()), fs.realpathSync(path.join(elsewhere, 'playground', 'dist')));
  } finally {
    process.chdir(cwd);
    fs.rmSync(elsewhere, { recursive: true, force: true });
  }
});
