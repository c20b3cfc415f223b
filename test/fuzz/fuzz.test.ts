/**
 * Reliability (issue 11 item 1): replays every regression input in test/fuzz/corpus/ (<target>-*.bin) and runs
 * a short seeded fuzz of each harness. Each input must be accepted or rejected with the stage's named error
 * class, within its time budget and heap cap — never another exception, a hang or an out-of-memory.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeSeeds, type Seeds } from './seeds.js';
import { FuzzWorker, fuzzTarget, makeInput } from './runner.js';
import { createHash } from 'node:crypto';
import { TARGETS, type TargetName } from './targets.js';

const corpusDir = fileURLToPath(new URL('../../../test/fuzz/corpus/', import.meta.url));
let seeds: Seeds;
let w: FuzzWorker;
before(async () => { seeds = await makeSeeds(); w = new FuzzWorker(seeds.ctx); });
after(async () => { await w.close(); });

test('seed files are real and accepted unmutated (the harness does not reject everything)', async () => {
  for (const t of TARGETS) {
    assert.ok(seeds.files[t].length > 0, `${t} has seeds`);
    for (const b of seeds.files[t]) assert.deepEqual(await w.run(t, b, 20000), { kind: 'accepted' }, t);
  }
});

test('mutators never write into a seed, even a Node Buffer seed (Buffer#slice is a view)', () => {
  const h = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');
  for (const t of TARGETS) {
    const bufs = seeds.files[t].map((b) => Buffer.from(b)); // Buffers on purpose
    const before = bufs.map(h);
    for (let i = 0; i < 60; i++) makeInput(t, bufs, 5, i);
    assert.deepEqual(bufs.map(h), before, t);
  }
});

test('corpus: every regression input is accepted or rejected with the stage error', async () => {
  const files = readdirSync(corpusDir).filter((f) => f.endsWith('.bin') || f.endsWith('.json'));
  assert.ok(files.length > 0);
  for (const f of files) {
    const t = f.split('-')[0] as TargetName;
    assert.ok(TARGETS.includes(t), `corpus file ${f} names a target`);
    const o = await w.run(t, new Uint8Array(readFileSync(corpusDir + f)), 10000);
    assert.ok(o.kind === 'accepted' || o.kind === 'rejected', `${f}: ${JSON.stringify(o)}`);
  }
});

for (const t of TARGETS) {
  test(`seeded fuzz (seed 42, 150 inputs): ${t}`, async () => {
    const st = await fuzzTarget(w, t, seeds.files[t], { seed: 42, count: 150, budgetMs: 10000 });
    assert.equal(st.inputs, 150);
    assert.deepEqual(st.findings.map((f) => `${f.kind} #${f.index}: ${f.detail.split('\n')[0]}`), []);
    assert.equal(st.accepted + st.rejected, 150);
  });
}
