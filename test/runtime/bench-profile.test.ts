// bench / profile: the modeled figures obey physics (never above the arch's peak ops × clock × cores;
// more threads never lower; one core saturates, three cores scale), per-layer workload equals 2·MACs
// computed by hand from the layer shapes, and the CLI prints xdputil's line, the JSON shape and a trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { compile } from '../../src/compiler/compile.js';
import { Graph } from '../../src/xir/graph.js';
import { modelThroughput, profileModel } from '../../src/profile/profile.js';
import { chromeTrace } from '../../src/profile/trace.js';
import { findBoard, findPreset } from '../../src/dpu/arch/index.js';
import { mobilenetV2, ppocrRec } from '../compiler/nets.js';

const q = mobilenetV2(64);
const bytes = compile(q, 'B4096').xmodel;
const g = Graph.deserialize(bytes);
const peakOpsPerCycle = 2 * 8 * 16 * 16; // B4096: PP 8 × ICP 16 × OCP 16, 2 ops per MAC (dpu.md)
assert.equal(findPreset('B4096')!.peakOpsPerCycle, peakOpsPerCycle);

test('modeled throughput: never above peak, monotone in threads, KV260 saturates, ZCU102 scales', () => {
  const ops = profileModel(g, 'kv260').subgraphs.reduce((s, x) => s + (x.gop ?? 0) * 1e9, 0);
  for (const name of ['kv260', 'zcu104', 'zcu102']) {
    const b = findBoard(name)!;
    let prev = 0;
    for (let t = 1; t <= 4; t++) {
      const r = modelThroughput(g, name, t);
      const peakFps = (b.cores * peakOpsPerCycle * b.clockMHz * 1e6) / ops;
      assert.ok(r.fps <= peakFps, `${name} ${t}T: ${r.fps} fps ≤ peak ${peakFps}`);
      assert.ok(r.efficiency <= 100);
      assert.ok(r.fps >= prev, `${name}: ${t} threads never lower than ${t - 1}`);
      prev = r.fps;
    }
  }
  const kv1 = modelThroughput(g, 'kv260', 1), kv4 = modelThroughput(g, 'kv260', 4);
  assert.equal(kv4.fps, kv1.fps, 'KV260 has one core: 4 threads = 1 thread, never 4×');
  assert.equal(kv4.activeCores, 1);
  const z1 = modelThroughput(g, 'zcu102', 1), z3 = modelThroughput(g, 'zcu102', 3);
  assert.ok(z3.fps > 1.5 * z1.fps, `ZCU102 3 cores scale: ${z1.fps.toFixed(0)} → ${z3.fps.toFixed(0)}`);
  assert.ok(z3.fps <= 3 * z1.fps * (281 / 281) + 1e-9, 'three cores at most triple one core');
});

test('profile: each conv layer\'s workload is 2·MACs from its shapes; totals add up', () => {
  const p = profileModel(g, 'zcu104');
  const dpu = p.subgraphs.filter((s) => s.device === 'DPU');
  assert.ok(dpu.length >= 1);
  const byName = new Map(q.ops.map((o) => [o.name, o]));
  let checked = 0;
  for (const sg of dpu) {
    let cyc = 0, gop = 0;
    for (const l of sg.layers!) {
      cyc += l.cycles; gop += l.gop;
      const op = byName.get(l.name);
      if (!op || (op.type !== 'conv2d' && op.type !== 'depthwise-conv2d')) continue;
      const w = byName.get(op.inputs[1]!)!.output.shape; // [oc, kh, kw, ic] or [1, kh, kw, c]
      const [, oh, ow, oc] = op.output.shape as [number, number, number, number];
      const macs = op.type === 'conv2d' ? oh * ow * oc * w[1]! * w[2]! * w[3]! : oh * ow * oc * w[1]! * w[2]!;
      // an add fused into this conv runs in its tiles: one ELEW op per output element (src/dpu/work.ts)
      const elew = l.fused ? oh * ow * oc : 0;
      assert.equal(l.ops, 2 * macs + elew, `${l.name}: ${l.ops} ops = 2·${macs} MACs + ${elew} fused eltwise`);
      assert.ok(l.efficiency <= 100 + 1e-9);
      checked++;
    }
    assert.equal(cyc, sg.cycles, 'layer cycles add up to the subgraph');
    assert.ok(Math.abs(gop - sg.gop!) < 1e-12);
  }
  assert.ok(checked >= 10, `${checked} conv layers checked`);
  assert.ok(p.dpuFps > 0 && p.fps <= p.dpuFps);
});

test('trace: engines as tracks, events inside the modeled time', () => {
  const p = profileModel(Graph.deserialize(compile(ppocrRec(), 'B4096').xmodel), 'kv260', { subgraph_cpu_0: 2 });
  const t = chromeTrace(p);
  const names = new Set(t.traceEvents.filter((e) => e.name === 'thread_name').map((e) => String(e.args?.name)));
  for (const e of ['LOAD', 'SAVE', 'CONV', 'MISC', 'layers']) assert.ok(names.has(e), `track ${e}`);
  assert.ok(names.has('CPU (host-measured)'));
  const endUs = p.totalMs * 1e3;
  for (const e of t.traceEvents) if (e.ph === 'X') assert.ok(e.ts! >= 0 && e.ts! + e.dur! <= endUs + 1e-6, `${e.name} inside [0, ${endUs}]`);
});

test('CLI: bench prints xdputil\'s FPS line and the JSON shape; profile writes a trace', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-bench-'));
  const file = path.join(dir, 'm.xmodel');
  fs.writeFileSync(file, bytes);
  const cli = path.resolve('bin/dpuflow.js');
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60000 });
  const a = run(['bench', file, '--seconds', '0.3', '--mode', 'ref', '--board', 'zcu102']);
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout, /^FPS= \d+\.\d\d number_of_frames= \d+ time= \d+\.\d\d seconds\.$/m);
  const b = run(['bench', file, '--seconds', '0.3', '--mode', 'sim', '--threads', '2', '--json']);
  assert.equal(b.status, 0, b.stderr);
  const j = JSON.parse(b.stdout) as { host: Record<string, unknown>; board: Record<string, unknown> };
  assert.deepEqual(Object.keys(j.host).sort(), ['fps', 'frames', 'mode', 'seconds', 'threads']);
  assert.deepEqual(Object.keys(j.board).sort(), ['clockMHz', 'cores', 'efficiency', 'fps', 'latencyMs', 'name']);
  assert.equal(j.host.threads, 2);
  assert.equal(j.host.mode, 'sim');
  assert.ok((j.host.frames as number) >= 2);
  assert.equal(j.board.name, 'kv260');
  const trace = path.join(dir, 't.json');
  const c = run(['profile', file, '--board', 'zcu104', '--trace', trace, '--json']);
  assert.equal(c.status, 0, c.stderr);
  const pj = JSON.parse(c.stdout) as { board: { name: string }; subgraphs: Array<{ device: string; layers?: unknown[] }> };
  assert.equal(pj.board.name, 'zcu104');
  assert.ok(pj.subgraphs.some((s) => s.device === 'DPU' && (s.layers?.length ?? 0) > 5));
  assert.ok(Array.isArray((JSON.parse(fs.readFileSync(trace, 'utf8')) as { traceEvents: unknown[] }).traceEvents));
  const d = run(['bench', file, '--mode', 'nope', '--seconds', '0.1']);
  assert.notEqual(d.status, 0);
  assert.match(d.stderr, /--mode must be one of run, sim, ref/);
  fs.rmSync(dir, { recursive: true, force: true });
});
