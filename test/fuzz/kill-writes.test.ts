/**
 * Issue 11 item 3: SIGKILL the CLI at seeded random moments during `quantize` and `compile` writing into a
 * folder that holds a previous complete result. Afterwards every output file must be byte-equal to the
 * previous complete file or to the new complete file (both produced by uninterrupted runs) — never partial.
 * Leftover hidden temp files (.<name>.<pid>.<rand>.tmp) are allowed and counted: they are not outputs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, cpSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../../src/models/index.js';
import { Rng } from './mutate.js';

const bin = fileURLToPath(new URL('../../../bin/dpuflow.js', import.meta.url));
let dir: string;

function run(args: string[]): void {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, `dpuflow ${args.join(' ')}: ${r.stderr}`);
}
function snapshot(d: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  if (existsSync(d)) for (const f of readdirSync(d)) if (!f.startsWith('.')) m.set(f, readFileSync(join(d, f)));
  return m;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dpuflow-kill-'));
  writeFileSync(join(dir, 'tiny.onnx'), buildModel('tiny').onnx);
  const n = 4 * 3 * 16 * 16, a = new Float32Array(n);
  let s = 3;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; a[i] = (s / 2 ** 32) * 2 - 1; }
  writeFileSync(join(dir, 'calib.bin'), new Uint8Array(a.buffer));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function killLoop(name: string, oldArgs: string[], newArgs: (out: string) => string[], kills: number, seed: number): Promise<{ kills: number; old: number; new: number; mixed: number; tmpLeft: number }> {
  // previous complete result, and the new complete result (twice, to know which files are deterministic)
  run([...oldArgs, join(dir, `${name}_old`)]);
  run(newArgs(join(dir, `${name}_new`)));
  run(newArgs(join(dir, `${name}_new2`)));
  const oldS = snapshot(join(dir, `${name}_old`)), newS = snapshot(join(dir, `${name}_new`)), new2 = snapshot(join(dir, `${name}_new2`));
  assert.ok(newS.size > 0);
  const rng = new Rng(seed);
  const st = { kills: 0, old: 0, new: 0, mixed: 0, tmpLeft: 0 };
  for (let k = 0; k < kills; k++) {
    const out = join(dir, `${name}_k${k}`);
    cpSync(join(dir, `${name}_old`), out, { recursive: true });
    const child = spawn(process.execPath, [bin, ...newArgs(out)], { cwd: dir, stdio: 'ignore' });
    const delay = 150 + rng.int(900);
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), delay);
      child.on('exit', () => { clearTimeout(t); resolve(); });
    });
    st.kills++;
    const got = snapshot(out);
    let fromOld = 0, fromNew = 0;
    for (const [f, bytes] of got) {
      const o = oldS.get(f), nw = newS.get(f);
      const deterministic = nw !== undefined && new2.get(f)?.equals(nw);
      if (o?.equals(bytes)) fromOld++;
      else if (nw?.equals(bytes)) fromNew++;
      else if (nw && !deterministic && f.endsWith('.json')) { JSON.parse(bytes.toString('utf8')); fromNew++; } // complete JSON (has timings)
      else assert.fail(`${name} kill ${k} at ${delay} ms: ${f} (${bytes.length} B) is neither the old nor the new complete file`);
    }
    for (const f of oldS.keys()) assert.ok(got.has(f), `${name} kill ${k}: previous ${f} vanished`);
    st.tmpLeft += readdirSync(out).filter((f) => f.startsWith('.') && f.endsWith('.tmp')).length;
    if (fromNew === 0) st.old++; else if (fromOld === 0) st.new++; else st.mixed++;
    rmSync(out, { recursive: true, force: true });
  }
  return st;
}

test('SIGKILL during quantize: output folder holds only complete old or complete new files', async () => {
  const st = await killLoop('q', ['quantize', 'tiny.onnx', '--calib', 'calib.bin', '--method', 'maxmin', '--out'],
    (out) => ['quantize', 'tiny.onnx', '--calib', 'calib.bin', '--method', 'diffs', '--out', out], 8, 11);
  console.log(`quantize kills: ${JSON.stringify(st)}`);
  assert.equal(st.kills, 8);
});

test('SIGKILL during compile: output folder holds only complete old or complete new files', async () => {
  run(['quantize', 'tiny.onnx', '--calib', 'calib.bin', '--out', join(dir, 'qq')]);
  const st = await killLoop('c', ['compile', join(dir, 'qq', 'tiny_int.xmodel'), '-a', 'B512', '-o'],
    (out) => ['compile', join(dir, 'qq', 'tiny_int.xmodel'), '-a', 'B1024', '-o', out], 8, 12);
  console.log(`compile kills: ${JSON.stringify(st)}`);
  assert.equal(st.kills, 8);
});
