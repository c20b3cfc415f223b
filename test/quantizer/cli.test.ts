/** `dpuflow quantize` / `eval` end to end on PP-OCR cls (small): outputs, determinism, bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { assetPath, packageDir } from '../../src/runtime/node/assets.js';
import { Graph as XGraph, xmodelToIr } from '../../src/xir/index.js';
import { parseQuantInfo } from '../../src/quantizer/quant-info.js';
import { parseNpy } from '../../src/apps/preprocess/node/calib.js';

const BIN = path.resolve('bin/dpuflow.js');
const MODEL = assetPath('ppocr-cls');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-q-'));
const calibDir = path.join(tmp, 'calib');
const IMG = `${packageDir('@vladmandic/human')}/assets/`;

function cli(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test.before(async () => {
  fs.mkdirSync(calibDir);
  for (const [i, f] of ['screenshot-typedoc.png', 'screenshot-menu.png', 'screenshot-results.png'].entries()) {
    await sharp(IMG + f).extract({ left: 0, top: 40 * i, width: 200, height: 50 }).png().toFile(path.join(calibDir, `c${i}.png`));
  }
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('quantize writes <net>_int.xmodel, quant_info.json, quant_report.json; same inputs → identical bytes', () => {
  const outs = ['a', 'b'].map((d) => path.join(tmp, d));
  for (const out of outs) {
    const r = cli('quantize', MODEL, '--calib', calibDir, '--preprocess', 'half,resize=192x48', '--out', out, '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { report: { warnings: string[] } };
    assert.ok(j.report.warnings.some((w) => /100/.test(w)), 'warns about < 100 calibration images');
  }
  const net = 'ch_ppocr_mobile_v2.0_cls_infer';
  for (const f of [`${net}_int.xmodel`, 'quant_info.json', 'quant_report.json']) {
    assert.ok(fs.existsSync(path.join(outs[0], f)), f);
  }
  assert.deepEqual(fs.readFileSync(path.join(outs[0], `${net}_int.xmodel`)), fs.readFileSync(path.join(outs[1], `${net}_int.xmodel`)));
  assert.equal(fs.readFileSync(path.join(outs[0], 'quant_info.json'), 'utf8'), fs.readFileSync(path.join(outs[1], 'quant_info.json'), 'utf8'));
  // the xmodel reads back (xir reader) with the fix points of quant_info.json
  const qi = parseQuantInfo(fs.readFileSync(path.join(outs[0], 'quant_info.json'), 'utf8'));
  const ir = xmodelToIr(XGraph.deserialize(new Uint8Array(fs.readFileSync(path.join(outs[0], `${net}_int.xmodel`)))));
  const byName = new Map(ir.ops.map((o) => [o.name, o]));
  let checked = 0;
  for (const [name, [[, fp]]] of Object.entries(qi.output)) {
    const op = byName.get(name);
    if (op) {
      assert.equal(op.output.fixPoint, fp, name);
      checked++;
    }
  }
  assert.ok(checked > 20, `checked ${checked} tensors`);
  // no temporary files left behind
  assert.deepEqual(fs.readdirSync(outs[0]).filter((f) => f.endsWith('.tmp')), []);
});

test('bad input → QuantizeError naming the file and the fix (exit 1)', async () => {
  const empty = path.join(tmp, 'empty');
  fs.mkdirSync(empty);
  let r = cli('quantize', MODEL, '--calib', empty, '--input-shape', '1,3,48,192', '--out', path.join(tmp, 'x'));
  assert.equal(r.code, 1);
  assert.match(r.err, /QuantizeError: .*empty: no images/);
  r = cli('quantize', MODEL, '--calib', calibDir, '--calib-count', '7', '--preprocess', 'resize=192x48', '--out', path.join(tmp, 'x'));
  assert.equal(r.code, 1);
  assert.match(r.err, /--calib-count 7 is larger than the 3 input/);
  r = cli('quantize', MODEL, '--calib', calibDir, '--input-shape', '1,3,48,192', '--out', path.join(tmp, 'x'));
  assert.equal(r.code, 1);
  assert.match(r.err, /c0\.png: image is 200×50, the model input is 192×48 — pass --preprocess resize=192x48/);
  // grey images on a 3-channel input are repeated to RGB (issue 9): test/apps/grey-channels covers them
  const qi = path.join(tmp, 'qi.json');
  fs.writeFileSync(qi, JSON.stringify({ param: {}, output: { nosuch: [[8, 3]] }, input: {} }));
  r = cli('quantize', MODEL, '--calib', calibDir, '--preprocess', 'resize=192x48', '--quant-info', qi, '--out', path.join(tmp, 'x'));
  assert.equal(r.code, 1);
  assert.match(r.err, /does not match the graph — .*output: unknown nosuch.*missing/);
  assert.equal(fs.existsSync(path.join(tmp, 'x')), false, 'a failed run writes nothing');
});

test('.npy calibration tensors (NCHW float32) and eval (test mode) table', () => {
  // two inputs [2,3,48,192] of a smooth ramp, written as .npy by hand
  const n = 2 * 3 * 48 * 192;
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 48, 192), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = `${header}${' '.repeat(pad)}\n`;
  const bytes = new Uint8Array(10 + h.length + n * 4);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  bytes.set(new TextEncoder().encode(h), 10);
  const data = new Float32Array(n).map((_, i) => Math.sin(i / 97));
  bytes.set(new Uint8Array(data.buffer), 10 + h.length);
  const npy = path.join(tmp, 'calib.npy');
  fs.writeFileSync(npy, bytes);
  const t = parseNpy(new Uint8Array(fs.readFileSync(npy)));
  assert.deepEqual(t.shape, [2, 3, 48, 192]);
  assert.equal(t.data[5], data[5]);
  const r = cli('eval', MODEL, '--calib', npy, '--input-shape', '1,3,48,192');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /SQNR dB/);
  assert.match(r.out, /softmax_0\.tmp_0/);
});

test('--split-channel-groups N splits conv → depthwise blocks into N weight fix-point groups; a bad N is a usage error', () => {
  const out = path.join(tmp, 'split');
  const r = cli('quantize', MODEL, '--calib', calibDir, '--preprocess', 'half,resize=192x48', '--out', out, '--split-channel-groups', '2', '--json');
  assert.equal(r.code, 0, r.err);
  const ir = xmodelToIr(XGraph.deserialize(new Uint8Array(fs.readFileSync(path.join(out, 'ch_ppocr_mobile_v2.0_cls_infer_int.xmodel')))));
  const groups = ir.ops.filter((o) => o.type === 'conv2d' && /_g1$/.test(o.name));
  assert.ok(groups.length >= 1, 'split conv branches <conv>_g1 in the quantized model');
  for (const g1 of groups) {
    const g0 = ir.ops.find((o) => o.name === g1.name.replace(/_g1$/, '_g0'));
    assert.ok(g0, `${g1.name} has its sibling group 0`);
  }
  const bad = cli('quantize', MODEL, '--calib', calibDir, '--preprocess', 'half,resize=192x48', '--out', path.join(tmp, 'bad'), '--split-channel-groups', '0');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--split-channel-groups must be an integer 1–64/);
});

test("--diffs-batches pooled quantizes; an unknown rule is a usage error naming the choices", () => {
  const out = path.join(tmp, 'pooled');
  const r = cli('quantize', MODEL, '--calib', calibDir, '--preprocess', 'half,resize=192x48', '--out', out, '--diffs-batches', 'pooled', '--json');
  assert.equal(r.code, 0, r.err);
  assert.ok(fs.existsSync(path.join(out, 'quant_info.json')));
  const bad = cli('quantize', MODEL, '--calib', calibDir, '--preprocess', 'half,resize=192x48', '--out', path.join(tmp, 'bad2'), '--diffs-batches', 'median');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /unknown --diffs-batches 'median'/);
  assert.match(bad.err, /pooled/);
  assert.ok(!fs.existsSync(path.join(tmp, 'bad2')), 'nothing written on a usage error');
});

test('--fix-point-search N searches on N calibration inputs (its changes are listed in quant_report.json); a bad N is a usage error', () => {
  const out = path.join(tmp, 'search');
  const r = cli('quantize', MODEL, '--calib', calibDir, '--preprocess', 'half,resize=192x48', '--out', out, '--fix-point-search', '2', '--json');
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'quant_report.json'), 'utf8')) as { adjustments: { tensor: string; rule: string; to: number }[] };
  const info = JSON.parse(fs.readFileSync(path.join(out, 'quant_info.json'), 'utf8')) as { output: Record<string, [number, number][]> };
  for (const a of report.adjustments.filter((x) => x.rule.startsWith('output-aware search'))) {
    assert.ok(a.tensor in info.output || a.tensor === 'x', `${a.tensor} is a quantized tensor`);
  }
  const bad = cli('quantize', MODEL, '--calib', calibDir, '--preprocess', 'half,resize=192x48', '--out', path.join(tmp, 'bad4'), '--fix-point-search', '0');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--fix-point-search must be an integer 1–64/);
  assert.ok(!fs.existsSync(path.join(tmp, 'bad4')), 'nothing written on a usage error');
});

test('--split-channel-groups-by output groups by the calibrated output range; an unknown key is a usage error', () => {
  const out = path.join(tmp, 'split-out');
  const r = cli('quantize', MODEL, '--calib', calibDir, '--preprocess', 'half,resize=192x48', '--out', out, '--split-channel-groups', '2', '--split-channel-groups-by', 'output', '--json');
  assert.equal(r.code, 0, r.err);
  const ir = xmodelToIr(XGraph.deserialize(new Uint8Array(fs.readFileSync(path.join(out, 'ch_ppocr_mobile_v2.0_cls_infer_int.xmodel')))));
  assert.ok(ir.ops.some((o) => o.type === 'conv2d' && /_g1$/.test(o.name)), 'split branches');
  const bad = cli('quantize', MODEL, '--calib', calibDir, '--preprocess', 'half,resize=192x48', '--out', path.join(tmp, 'bad3'), '--split-channel-groups', '2', '--split-channel-groups-by', 'size');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /unknown --split-channel-groups-by 'size'/);
});
