import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { irToXmodel } from '../../src/xir/from-ir.js';
import { Graph as XGraph } from '../../src/xir/graph.js';
import { smallConvNet } from './nets.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = process.stdout.write.bind(process.stdout), e = process.stderr.write.bind(process.stderr);
  let out = '', err = '';
  process.stdout.write = ((s: string) => { out += s; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err += s; return true; }) as typeof process.stderr.write;
  try { return { code: await main(args), out, err }; } finally { process.stdout.write = o; process.stderr.write = e; process.exitCode = undefined; }
}

test('dpuflow compile (and vai_c_xir flags -x -a -o -n with an arch.json) writes <n>.xmodel and compile_report.json', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-compile-'));
  const src = path.join(dir, 'small_int.xmodel');
  fs.writeFileSync(src, irToXmodel(smallConvNet()).serialize());
  const r1 = await run(['compile', src, '--arch', 'kv260', '--out', path.join(dir, 'a'), '--json']);
  assert.equal(r1.code, 0, r1.err);
  const rep = JSON.parse(r1.out) as { netName: string; dpuName: string; counts: { dpu: number } };
  assert.equal(rep.netName, 'small');
  assert.equal(rep.dpuName, 'DPUCZDX8G_ISA1_B4096_0101000016010407');
  assert.equal(rep.counts.dpu, 1);
  const x = XGraph.deserialize(new Uint8Array(fs.readFileSync(path.join(dir, 'a', 'small.xmodel'))));
  assert.ok(x.getRootSubgraph().toposortChildSubgraph().some((s) => s.getAttr('device') === 'DPU'));
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'a', 'compile_report.json'), 'utf8')).counts, rep.counts);

  const arch = path.join(dir, 'arch.json');
  fs.writeFileSync(arch, JSON.stringify({ fingerprint: '0x101000016010200' }));
  const r2 = await run(['compile', '-x', src, '-a', arch, '-o', path.join(dir, 'b'), '-n', 'net']);
  assert.equal(r2.code, 0, r2.err);
  assert.match(r2.out, /DPUCZDX8G_ISA1_B512_/);
  assert.ok(fs.existsSync(path.join(dir, 'b', 'net.xmodel')));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'b')).sort(), ['compile_report.json', 'net.xmodel'], 'no temporary files left');

  fs.writeFileSync(arch, JSON.stringify({ fingerprint: '0x101000016019999' }));
  const r3 = await run(['compile', src, '-a', arch, '-o', path.join(dir, 'c')]);
  assert.equal(r3.code, 1);
  assert.match(r3.err, /0x0101000016010407/, 'the error lists the known fingerprints');
  assert.ok(!fs.existsSync(path.join(dir, 'c', 'compile_report.json')));
  fs.rmSync(dir, { recursive: true, force: true });
});
