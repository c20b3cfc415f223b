/**
 * TF.js models through the CLI entry (child process `bin/dpuflow.js`, as the user runs it): quantize,
 * eval, compile (an _int.xmodel, or the model.json itself with --calib), run (model.json on the float
 * executor — checked against @tensorflow/tfjs on the same input — and the compiled .xmodel on the virtual
 * DPU), bench/profile refusing a float model with the commands to make the .xmodel, --output cutting a
 * graph at a TopKV2 the IR has no op for, and a model.json whose weight shard is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { A, TfjsModelBuilder, vals } from './builder.js';
import { runTfjsJson } from './oracle.js';

const bin = path.resolve('bin/dpuflow.js');
// Each call starts a fresh CLI process that loads ~200 modules from dist/. In a shared working tree, a `tsc` run by
// someone else rewrites every dist file in place (no incremental build): a CLI started in that window links a
// half-written module and exits 1 with "SyntaxError: The requested module … does not provide an export named …"
// (reproduced: 3 of 25 `inspect --start-at` runs during one tsc, 0 of 20 without). That, not this test, is what failed
// "inspect --start-at / --output" once under load; the assertion messages carry the child's stderr to tell it apart.
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

/** A small classifier: conv 3×3 + relu → conv 1×1 → Mean over H,W → MatMul → Softmax; and a TopKV2 head. */
function classifier(): { json: string; shards: Record<string, Uint8Array> } {
  const b = new TfjsModelBuilder();
  b.input('x', [1, 16, 16, 3]);
  b.const('w1', [3, 3, 3, 8], vals(216, 21, -0.6, 0.6));
  b.const('b1', [8], vals(8, 22, -0.1, 0.1));
  const c1 = b.op('c1', '_FusedConv2D', ['x', 'w1', 'b1'], {
    strides: A.is([1, 1, 1, 1]), dilations: A.is([1, 1, 1, 1]), padding: A.s('SAME'), data_format: A.s('NHWC'),
    fused_ops: A.ss(['BiasAdd', 'Relu']), num_args: A.i(1), epsilon: A.f(0),
  });
  b.const('w2', [1, 1, 8, 8], vals(64, 23, -0.8, 0.8));
  const c2 = b.op('c2', 'Conv2D', [c1, 'w2'], { strides: A.is([1, 1, 1, 1]), dilations: A.is([1, 1, 1, 1]), padding: A.s('VALID'), data_format: A.s('NHWC') });
  b.ints('ax', [1, 2]);
  const m = b.op('mean', 'Mean', [c2, 'ax'], { keep_dims: A.b(false), Tidx: A.t('DT_INT32') });
  b.const('fc', [8, 5], vals(40, 24, -2, 2));
  const logits = b.op('logits', 'MatMul', [m, 'fc'], { transpose_a: A.b(false), transpose_b: A.b(false) });
  const prob = b.op('prob', 'Softmax', [logits]);
  b.scalarInt('k', 2);
  b.nodes.push({ name: 'topk', op: 'TopKV2', input: [prob, 'k'], attr: { T: A.t('DT_FLOAT'), sorted: A.b(true) } });
  return b.build(['topk']);
}

function writeModel(dir: string, m: { json: string; shards: Record<string, Uint8Array> }): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.json'), m.json);
  for (const [p, d] of Object.entries(m.shards)) fs.writeFileSync(path.join(dir, p), d);
}

async function randomPng(file: string, seed: number): Promise<Uint8Array> {
  const px = Uint8Array.from(vals(16 * 16 * 3, seed, 0, 256).map((v) => Math.floor(v)));
  await sharp(Buffer.from(px), { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(file);
  return px;
}

test('quantize / eval / compile / run / bench accept a TF.js model.json or its folder (--output cuts before TopKV2)', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-tfjs-cli-'));
  try {
    const m = classifier();
    const dir = path.join(tmp, 'tinynet');
    writeModel(dir, m);
    const calib = path.join(tmp, 'calib');
    fs.mkdirSync(calib);
    for (let i = 0; i < 4; i++) await randomPng(path.join(calib, `c${i}.png`), 100 + i);
    const img = path.join(tmp, 'img.png');
    const px = await randomPng(img, 7);

    // without --output the TopKV2 is refused, naming the op and the tensor to cut at
    const bad = cli('quantize', dir, '--calib', calib, '--out', path.join(tmp, 'q0'));
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /ImportError: .*model\.json.*TopKV2.*'prob'/);

    const q = cli('quantize', dir, '--calib', calib, '--output', 'prob', '--preprocess', 'none', '--out', path.join(tmp, 'q'), '--json');
    assert.equal(q.status, 0, q.stderr);
    const qj = JSON.parse(q.stdout) as { files: string[] };
    assert.ok(qj.files.includes(path.join(tmp, 'q', 'tinynet_int.xmodel')), 'net name = the model folder');

    const ev = cli('eval', path.join(dir, 'model.json'), '--calib', calib, '--output', 'prob', '--preprocess', 'none', '--json');
    assert.equal(ev.status, 0, ev.stderr);
    assert.ok((JSON.parse(ev.stdout) as { report: { tensors: unknown[] } }).report.tensors.length > 0);

    const c = cli('compile', path.join(tmp, 'q', 'tinynet_int.xmodel'), '--arch', 'B4096', '--out', path.join(tmp, 'c'), '--json');
    assert.equal(c.status, 0, c.stderr);
    const cj = JSON.parse(c.stdout) as { counts: { dpu: number; cpu: number }; cpuOps: { type: string }[] };
    assert.ok(cj.counts.dpu >= 1);
    // the model.json itself with --calib: quantize + compile in one step, same partition
    const c2 = cli('compile', dir, '--calib', calib, '--output', 'prob', '--preprocess', 'none', '--arch', 'B4096', '--out', path.join(tmp, 'c2'), '--json');
    assert.equal(c2.status, 0, c2.stderr);
    assert.deepEqual((JSON.parse(c2.stdout) as { counts: unknown }).counts, cj.counts);
    const noCalib = cli('compile', dir, '--arch', 'B4096', '--out', path.join(tmp, 'c3'));
    assert.equal(noCalib.status, 1);
    assert.match(noCalib.stderr, /float TF\.js model.*--calib/);

    // run the float model.json: top-1 and its probability as tfjs computes them on the same pixels
    const r = cli('run', path.join(dir, 'model.json'), '--task', 'classify', '--input', img, '--output', 'prob', '--preprocess', 'none', '--json');
    assert.equal(r.status, 0, r.stderr);
    const top = (JSON.parse(r.stdout) as { results: { classify: { top: { index: number; probability: number }[] } }[] }).results[0]!.classify.top;
    const x = { shape: [1, 16, 16, 3], data: Float32Array.from(px, (v) => v / 255) };
    const ref = (await runTfjsJson(m.json, m.shards, { x }, ['prob']))['prob']!;
    const best = ref.data.indexOf(Math.max(...ref.data));
    assert.equal(top[0]!.index, best);
    assert.ok(Math.abs(top[0]!.probability - ref.data[best]!) <= 1e-5, `${top[0]!.probability} vs tfjs ${ref.data[best]}`);
    // and the compiled model on the virtual DPU
    const rx = cli('run', path.join(tmp, 'c', 'tinynet.xmodel'), '--task', 'classify', '--input', img, '--preprocess', 'none', '--mode', 'run', '--json');
    assert.equal(rx.status, 0, rx.stderr);

    // bench / profile need the compiled model: a float model.json is refused with the commands that make it
    for (const cmd of ['bench', 'profile']) {
      const b = cli(cmd, dir);
      assert.equal(b.status, 1, `${cmd}: ${b.stderr}`);
      assert.match(b.stderr, /UsageError: .*float TF\.js model.*dpuflow quantize/);
    }
    // --output on an .xmodel is a usage error
    const ox = cli('run', path.join(tmp, 'c', 'tinynet.xmodel'), '--task', 'classify', '--input', img, '--output', 'prob');
    assert.equal(ox.status, 1);
    assert.match(ox.stderr, /--output\/--start-at cut TF\.js graphs/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('a model.json with a missing weight shard: every command exits 1 with the ImportError naming the shard file and a weight', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-tfjs-cli-'));
  try {
    await randomPng(path.join(tmp, 'img.png'), 3);
    const dir = path.join(tmp, 'broken');
    const m = classifier();
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'model.json'), m.json); // the shard is not written
    const shard = path.join(dir, 'group1-shard1of1.bin');
    const runs = [
      cli('inspect', dir),
      cli('quantize', path.join(dir, 'model.json'), '--calib', tmp, '--output', 'prob'),
      cli('compile', dir, '--calib', tmp, '--output', 'prob', '--arch', 'B4096', '--out', path.join(tmp, 'o')),
      cli('run', dir, '--task', 'classify', '--input', path.join(tmp, 'img.png'), '--output', 'prob'),
    ];
    for (const r of runs) {
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /^dpuflow: ImportError: /);
      assert.ok(r.stderr.includes(shard), r.stderr);
      assert.match(r.stderr, /'w1'|w1/);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('inspect --start-at / --output: the graph starts at a named tensor (a float input of the given NHWC shape) and stops at another', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-tfjs-cli-'));
  try {
    const dir = path.join(tmp, 'cut');
    writeModel(dir, classifier());
    const r = cli('inspect', dir, '--start-at', 'c1=1x16x16x8', '--output', 'logits', '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { inputs: { name: string; shape: number[] }[]; outputs: { name: string; shape: number[] }[]; opCounts: Record<string, number> };
    assert.deepEqual(j.inputs.map((t) => [t.name, t.shape]), [['c1', [1, 16, 16, 8]]]);
    assert.deepEqual(j.outputs.map((t) => t.shape), [[1, 5]]);
    assert.equal(j.opCounts['conv2d'], 1, 'only c2 is left of the two convs');
    const bad = cli('inspect', dir, '--start-at', 'nope=1x2x2x1', '--output', 'logits');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /ImportError: .*start tensor 'nope' is not a node/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
