import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { compile } from '../../src/compiler/compile.js';
import { Graph as XGraph } from '../../src/xir/graph.js';
import { decodeProgram, disassemble } from '../../src/isa/codec.js';
import { resolveTarget } from '../../src/dpu/arch/index.js';
import { CompileError } from '../../src/errors.js';
import { NetBuilder, ppocrDet, ppocrRec, resnet50, smallConvNet } from './nets.js';

const EXPECT = new URL('../../../test/expect/compiler/small_conv_B4096.disasm', import.meta.url);

test('golden disassembly of a small conv net (B4096) under test/expect/', () => {
  const r = compile(smallConvNet(), 'B4096');
  const x = XGraph.deserialize(r.xmodel);
  const dpu = x.getRootSubgraph().toposortChildSubgraph().find((s) => s.getAttr('device') === 'DPU')!;
  const text = disassemble(dpu.getAttr('mc_code') as Uint8Array);
  if (!existsSync(EXPECT) || process.env['UPDATE_EXPECT'] === '1') writeFileSync(EXPECT, text);
  assert.equal(text, readFileSync(EXPECT, 'utf8'));
});

test('small conv net: hand-checked instructions and REG_0 bytes', () => {
  const g = smallConvNet();
  const r = compile(g, 'B4096');
  const d = r.state.dpu[0];
  const instrs = d.instrs!;
  // conv1: 3x3, 8x8x3 → 8x8x16, pad 1, all in one tile: CONVINIT, weights LOAD, bias LOAD, input LOAD, CONV, SAVE
  assert.deepEqual(instrs.slice(0, 6).map((i) => i.cls), ['CONVINIT', 'LOAD', 'LOAD', 'LOAD', 'CONV', 'SAVE']);
  const conv = g.ops.find((o) => o.type === 'conv2d')!;
  const w = g.ops.find((o) => o.name === conv.inputs[1])!;
  assert.deepEqual(instrs[0].f, { kernel_w: 3, kernel_h: 3, stride_w: 1, stride_h: 1, has_bias: 1, act: 1, leaky_num: 0,
    shift_cut: 4 + w.output.fixPoint! - 4, shift_bias: 4 + w.output.fixPoint! - g.ops.find((o) => o.name === conv.inputs[2])!.output.fixPoint!, fp_out: 4, ic: 3 });
  // weights: 16 oc × 9 taps × 3 ic at REG_0 offset 0
  assert.deepEqual(instrs[1].f, { bank_id: 2, reg_id: 0, ddr_addr: 0, bank_addr: 0, channels: 3, rows: 16, cols: 9, row_stride: 27, pix_stride: 3 });
  // input: the whole 8x8x3 image from REG_2 (subgraph input) into FM0
  assert.deepEqual(instrs[3].f, { bank_id: 0, reg_id: 2, ddr_addr: 0, bank_addr: 0, channels: 3, rows: 8, cols: 8, row_stride: 24, pix_stride: 3 });
  assert.equal(instrs[4].f.pad_top, 1); assert.equal(instrs[4].f.pad_bottom, 1); assert.equal(instrs[4].f.pad_left, 1); assert.equal(instrs[4].f.pad_right, 1);
  assert.equal(instrs[4].f.oc, 16);
  // REG_0 starts with the weights as int8 = w · 2^fp, [oc, kh, kw, ic] order
  const reg0 = new Int8Array(d.ddr!.constBytes.buffer, d.ddr!.constBytes.byteOffset, d.ddr!.constBytes.length);
  for (const i of [0, 1, 2, 26, 27, 431]) assert.equal(reg0[i], Math.round(w.data![i] * 2 ** w.output.fixPoint!));
  assert.equal(instrs.at(-1)!.cls, 'END');
});

test('compiled xmodel reads back: USER → DPU → CPU in order, the arch fingerprint, registers, tensors with fix points and DDR addresses', () => {
  const g = ppocrRec();
  const r = compile(g, 'zcu104');
  const target = resolveTarget('zcu104');
  const x = XGraph.deserialize(r.xmodel);
  const kids = x.getRootSubgraph().toposortChildSubgraph();
  assert.deepEqual(kids.map((k) => k.getAttr('device')), ['USER', 'DPU', 'CPU']);
  const dpu = kids[1];
  assert.equal(dpu.getAttr('dpu_fingerprint'), target.fingerprint);
  assert.equal(dpu.getAttr('dpu_name'), 'DPUCZDX8G_ISA1_B4096_0101000016010407');
  assert.deepEqual(dpu.getAttr('reg_id_to_context_type'), { REG_0: 'CONST', REG_1: 'DATA_LOCAL', REG_2: 'DATA_LOCAL_INPUT', REG_3: 'DATA_LOCAL_OUTPUT' });
  const sizes = dpu.getAttr('reg_id_to_size') as Record<string, number>;
  const params = dpu.getAttr('reg_id_to_parameter_value') as Record<string, Uint8Array>;
  assert.equal(params['REG_0'].length, sizes['REG_0']);
  const prog = decodeProgram(dpu.getAttr('mc_code') as Uint8Array);
  assert.equal(prog.length, r.report.instructions);
  assert.ok((dpu.getAttr('runner') as Record<string, string>)['run']);
  const layers = JSON.parse(dpu.getAttr('dpuflow_layers') as string) as { name: string; ops: number }[];
  assert.equal(layers.length, r.state.dpu[0].layers.length);
  // the DPU output tensor: fix point, 8 bits, signed, REG_3 at address 0
  const outName = (dpu.getAttr('output_tensors') as string[])[0];
  const t = x.getTensor(outName)!;
  assert.equal(t.getAttr('fix_point'), 4);
  assert.equal(t.getAttr('bit_width'), 8);
  assert.equal(t.getAttr('if_signed'), true);
  assert.equal(t.getAttr('reg_id'), 3);
  assert.equal(t.getAttr('ddr_addr'), 0);
  // CPU ops stay float ops
  assert.equal(x.getOp(kids[2].getOps().find((o) => o.type === 'layernorm')!.name)!.getOutputTensor().dataType, 'FLOAT');
});

test('concat in place: FPN upsamples write straight into the concat buffer at their channel offsets (no copy)', () => {
  const g = ppocrDet(320);
  const r = compile(g, 'B4096');
  const d = r.state.dpu[0];
  assert.equal(d.layers.filter((l) => l.kind === 'copy').length, 0);
  const concat = g.ops.find((o) => o.type === 'concat')!;
  const buf = d.ddr!.tensors[concat.name];
  let off = 0;
  for (const inp of concat.inputs) {
    const p = d.ddr!.tensors[inp];
    assert.equal(p.offset, buf.offset + off, inp);
    assert.equal(p.pixelStride, 96);
    off += g.ops.find((o) => o.name === inp)!.output.shape[3];
  }
});

test('DDR workspace reuses memory by liveness: ResNet-50 REG_1 is far below the sum of its tensors, and live tensors never overlap', () => {
  const g = resnet50();
  // Compile time is measured by bench/compile.ts (npm run bench), not asserted here: the machine is shared.
  const r = compile(g, 'B4096');
  const d = r.state.dpu[0];
  const ddr = d.ddr!;
  const ws = Object.entries(ddr.tensors).filter(([, p]) => p.reg === 'REG_1');
  const sum = ws.reduce((a, [, p]) => a + p.size, 0);
  assert.ok(ddr.regSizes['REG_1'] < sum / 4, `REG_1 ${ddr.regSizes['REG_1']} vs ${sum}`);
  // independent liveness: a tensor lives from its producing layer to its last reader
  const idx = new Map<string, [number, number]>();
  d.layers.forEach((l, i) => {
    if (!idx.has(l.output)) idx.set(l.output, [i, i]);
    for (const x of l.inputs) { const e = idx.get(x); if (e) e[1] = i; }
  });
  const live = ws.filter(([n]) => idx.has(n)).map(([n, p]) => ({ n, p, s: idx.get(n)![0], e: idx.get(n)![1] }));
  for (const a of live) for (const b of live) {
    if (a.n >= b.n || a.e < b.s || b.e < a.s) continue;
    assert.ok(a.p.offset + a.p.size <= b.p.offset || b.p.offset + b.p.size <= a.p.offset, `${a.n} and ${b.n} overlap while both live`);
  }
  // REG_0: every weight byte of every layer, in [oc, kh, kw, ic] order (1000×2048 inner-product transposed from [K, N])
  const fc = g.ops.find((o) => o.type === 'matmul')!;
  const wOp = g.ops.find((o) => o.name === fc.inputs[1])!;
  const p = ddr.params[fc.name];
  const reg0 = new Int8Array(ddr.constBytes.buffer, ddr.constBytes.byteOffset, ddr.constBytes.length);
  for (const [o, k] of [[0, 0], [3, 5], [999, 2047]]) assert.equal(reg0[p.weights + o * 2048 + k], Math.round(wOp.data![k * 1000 + o] * 2 ** wOp.output.fixPoint!));
});

test('bad input: unknown fingerprint, a layer too big for any tiling, shifts out of range → CompileError naming op and limit', () => {
  const g = smallConvNet();
  assert.throws(() => compile(g, '0x0101000016019999'), (e: unknown) => e instanceof CompileError && e.code === 'E_ARCH' && /0x0101000016010407/.test(e.message + (e.fix ?? '')));
  const b = new NetBuilder('big');
  const y = b.conv(b.input([1, 8, 8, 2048]), 16, 16, 1, 'NONE', { pad: 0 });
  assert.throws(() => compile(b.graph([y]), 'B512'), (e: unknown) => e instanceof CompileError && e.code === 'E_TILE' && e.where === y
    && /too big for any tiling on B512: the weights of 1 output channel take 524288 bytes, half of WGT holds 65536/.test(e.message));
  const s = new NetBuilder('shift');
  const x = s.input([1, 4, 4, 8]);
  const c = s.conv(x, 8, 1, 1, 'NONE');
  s.ops.find((o) => o.name === c)!.output.fixPoint = -20;
  assert.throws(() => compile(s.graph([c]), 'B4096'), (e: unknown) => e instanceof CompileError && e.code === 'E_SHIFT' && e.where === c && /outside the DPU range 0–16/.test(e.message));
});

test('compiled xmodel op attrs are all of types Netron reads (checked on the raw protobuf bytes)', async () => {
  const { fields, sub, str, mapEntries } = await import('../xir/wire.js');
  const NETRON_OK = new Set([4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 18, 20, 22]);
  const b = new NetBuilder('attrs');
  const x = b.conv(b.input([1, 8, 8, 4]), 8, 3, 1, 'NONE');
  const y = b.act('leaky-relu', x, { alpha: 26 / 256 });
  const z = b.op('clamp', [y], { min: 0.1, max: 3.3 }, b.shape(y), true);
  const r = compile(b.graph([z]), 'B4096');
  const top = fields(r.xmodel);
  const bad: string[] = [];
  for (const o of sub(top, 5)) {
    const op = fields(o.bytes!);
    for (const [k, v] of mapEntries(op, 3)) {
      const f = fields(v);
      if (f.length !== 1 || !NETRON_OK.has(f[0]!.field)) bad.push(`${str(sub(op, 1)[0])}.${k}`);
    }
  }
  assert.deepEqual(bad, []);
  assert.ok(sub(top, 5).length >= 5);
});
