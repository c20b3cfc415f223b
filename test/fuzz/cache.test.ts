/**
 * Caches (issue 11 item 5). The only persistent cache is the demo's content-addressed artifact cache
 * (`.cache/<key>.bin`, framed by src/apps/demo/build.ts: magic | length | md5 | payload). Every truncation and
 * seeded bit flips / splices of an entry are detected (unframeEntry → undefined); buildModel given a corrupt
 * entry prints one notice line, discards it (overwrites it with the rebuilt entry) and the next build hits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { frameEntry, unframeEntry, buildModel as buildDemoModel, type ArtifactCache } from '../../src/apps/demo/build.js';
import { buildModel } from '../../src/models/index.js';
import { decodeOnnx } from '../../src/importers/onnx/index.js';
import { Rng, mutateBytes } from './mutate.js';

test('framed entries: every truncation, 3000 seeded mutations and wrong magic/length are detected', () => {
  const payload = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff);
  const e = frameEntry(payload);
  assert.deepEqual(unframeEntry(e), payload);
  // the md5 in the frame is the md5 of the payload (node:crypto as the independent check)
  assert.equal(new TextDecoder().decode(e.subarray(8, 40)), createHash('md5').update(payload).digest('hex'));
  for (let n = 0; n < e.length; n++) assert.equal(unframeEntry(e.subarray(0, n)), undefined, `truncated to ${n}`);
  let mutated = 0;
  for (let i = 0; i < 3000; i++) {
    const m = mutateBytes(e, new Rng(i + 1), [e]);
    if (m.length === e.length && m.every((v, k) => v === e[k])) continue; // mutation was a no-op
    mutated++;
    const p = unframeEntry(m);
    // accepted only with the payload intact (a mutation can only slip through by leaving the frame equal)
    if (p !== undefined) assert.deepEqual(p, payload, `input ${i}`);
  }
  assert.ok(mutated > 2500);
  const longer = new Uint8Array(e.length + 1); longer.set(e);
  assert.equal(unframeEntry(longer), undefined, 'trailing byte');
});

test('buildModel: a corrupt cache entry → one notice line, rebuilt, entry replaced; next build is a cache hit', async () => {
  const onnx = buildModel('tiny').onnx;
  const m = decodeOnnx(onnx);
  const inp = m.graph!.input![0]!;
  const dims = (inp.type?.tensor_type?.shape?.dim ?? []).map((d) => Number(d.dim_value));
  const [n, c, h, w] = dims as [number, number, number, number];
  let s = 3;
  const calib = [0, 1].map(() => ({ shape: [n, h, w, c], data: Float32Array.from({ length: n * c * h * w }, () => { s = (s * 1103515245 + 12345) >>> 0; return s / 2 ** 32 * 2 - 1; }) }));
  const store = new Map<string, Uint8Array>();
  const cache: ArtifactCache = { get: (k) => store.get(k), put: (k, b) => { store.set(k, b); } };
  const spec = { name: 'tiny', onnx, input: inp.name!, shapeNchw: dims, calib, target: 'B512', version: 'test', quantize: { biasCorrection: false } };
  const first = await buildDemoModel(spec, cache);
  assert.equal(first.cached, false);
  const key = [...store.keys()][0]!;
  // corrupt the stored entry: flip one payload byte
  const bad = store.get(key)!.slice(); bad[bad.length - 5]! ^= 0x10; store.set(key, bad);
  const notes: string[] = [];
  const second = await buildDemoModel({ ...spec, onProgress: (l) => notes.push(l) }, cache);
  assert.equal(second.cached, false);
  assert.equal(second.rebuiltCorrupt, true);
  const notice = notes.filter((l) => /corrupt/.test(l));
  assert.equal(notice.length, 1, notes.join('\n'));
  assert.ok(!notice[0]!.includes('\n') && notice[0]!.includes(key));
  assert.ok(unframeEntry(store.get(key)!), 'the corrupt entry was replaced by a valid one');
  // truncated entry: same
  store.set(key, store.get(key)!.subarray(0, 100));
  const third = await buildDemoModel(spec, cache);
  assert.equal(third.rebuiltCorrupt, true);
  const fourth = await buildDemoModel(spec, cache);
  assert.equal(fourth.cached, true);
  assert.equal(fourth.rebuiltCorrupt, false);
});
