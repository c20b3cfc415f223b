// DDR traffic and partition policy: on-chip conv+eltwise, input kept across channel tiles, DDR RAW tokens
// per overlapping SAVE, small DPU islands moved to the CPU. Oracles: the instruction simulator vs the INT8
// reference executor (checkBitExact), byte counts computed by hand from the shapes, the policy's cost
// formula evaluated by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/compiler/compile.js';
import type { Instr } from '../../src/compiler/types.js';
import { checkBitExact } from './helpers.js';
import { ENGINE_BIT } from '../../src/isa/spec.js';
import { NetBuilder } from './nets.js';

const bytes = (i: Instr) => i.f.rows * i.f.cols * i.f.channels;

test('conv + residual add run as one pass over the conv tiles (row and channel tiles, B512): bit-exact, the conv result never goes to DDR', () => {
  const b = new NetBuilder('fused', 4);
  const x = b.input([1, 24, 24, 96]);
  const y = b.conv(x, 96, 3, 1, 'NONE');
  const g = b.graph([b.add(y, x)]);
  const r = compile(g, 'B512');
  const d = r.state.dpu[0];
  const t = d.tiling[0];
  assert.ok(t.fusedEltwise, 'conv is fused with the add');
  assert.ok(t.tilesH * t.tilesW > 1 && t.tilesC > 1, `want row and channel tiles, got ${JSON.stringify(t)}`);
  assert.equal(d.tiling[1].fusedInto, d.layers[0].name);
  // SAVEs write exactly the add output once (24·24·96 bytes), nothing of the conv result
  const saves = d.instrs!.filter((i) => i.cls === 'SAVE');
  assert.equal(saves.reduce((a, i) => a + bytes(i), 0), 24 * 24 * 96);
  assert.ok(saves.every((i) => i.f.reg_id === 3), 'only the graph output is saved');
  assert.equal(d.instrs!.filter((i) => i.cls === 'ELEW').length >= t.tilesH * t.tilesW * t.tilesC, true);
  assert.equal(checkBitExact(g, 'B512'), 1);
});

test('conv result read by the add AND another op stays in DDR (no fusion) and is still bit-exact', () => {
  const b = new NetBuilder('nofuse', 5);
  const x = b.input([1, 8, 8, 16]);
  const y = b.conv(x, 16, 3, 1, 'NONE');
  const g = b.graph([b.add(y, x), b.pool('maxpool2d', y, 2, 2, 0)]);
  const r = compile(g, 'B1024');
  assert.ok(r.state.dpu[0].tiling.every((t) => !t.fusedEltwise && !t.fusedInto));
  assert.ok(checkBitExact(g, 'B1024') >= 1);
});

test('one spatial tile, 11 channel tiles (3×3, 2×2×512 → 512, B4096): the input is loaded twice (once per FM0 half), bit-exact', () => {
  const b = new NetBuilder('resident', 6);
  const x = b.input([1, 2, 2, 512]);
  const g = b.graph([b.conv(x, 512, 3, 1, 'RELU')]);
  const r = compile(g, 'B4096');
  const d = r.state.dpu[0];
  const t = d.tiling[0];
  assert.equal(t.tilesH * t.tilesW, 1);
  // WGT half = 16·16·2048/2 = 262144 bytes; 9·512 bytes per output channel → 56 → 48 (multiple of OCP 16)
  assert.equal(t.channels, 48);
  assert.equal(t.tilesC, 11);
  const fmLoads = d.instrs!.filter((i) => i.cls === 'LOAD' && i.f.bank_id === 0);
  assert.equal(fmLoads.length, 2);
  assert.equal(fmLoads.reduce((a, i) => a + bytes(i), 0), 2 * 2 * 2 * 512);
  assert.deepEqual(fmLoads.map((i) => i.f.bank_addr), [0, 131072], 'one load into each FM0 half (8·16·2048/2 bytes apart)');
  assert.equal(checkBitExact(g, 'B4096'), 1);
});

test('DDR read-after-write per overlapping SAVE: a layer loads its first row tile before the previous layer saved its last one (B512), bit-exact', () => {
  const b = new NetBuilder('rows', 7);
  let x = b.input([1, 64, 64, 32]);
  x = b.conv(x, 32, 1, 1, 'RELU');
  const g = b.graph([b.conv(x, 32, 1, 1, 'RELU')]);
  const r = compile(g, 'B512');
  const d = r.state.dpu[0];
  assert.ok(d.tiling[0].tilesH > 2, JSON.stringify(d.tiling[0]));
  const ins = d.instrs!;
  const l1 = d.layers[1].name;
  const firstLoad1 = ins.findIndex((i) => i.layer === l1 && i.cls === 'LOAD' && i.f.bank_id === 0);
  const saves0 = ins.map((i, k) => [i, k] as const).filter(([i]) => i.layer === d.layers[0].name && i.cls === 'SAVE');
  // the first input LOAD of layer 1 reads rows 0..R-1: it waits on SAVE (the row tile of layer 0 that wrote them),
  // and that SAVE is not layer 0's last one
  // layer 0 reads the graph input (REG_2), so a SAVE → LOAD token can only be layer 1's read-after-write
  const toLoad = saves0.filter(([i]) => i.signal & ENGINE_BIT.LOAD).map(([, k]) => k);
  assert.ok(toLoad.length >= 1 && toLoad[0] < saves0[saves0.length - 1][1], 'an early SAVE of layer 0 signals the LOAD engine');
  assert.ok(ins[firstLoad1].wait & ENGINE_BIT.SAVE, 'the first input LOAD of layer 1 waits for a SAVE');
  assert.ok(toLoad[0] < firstLoad1);
  assert.equal(checkBitExact(g, 'B512'), 1);
});

test('partition policy: a small DPU island between CPU ops goes to the CPU with its cost in the reason; the largest DPU subgraph stays; off by option', () => {
  const b = new NetBuilder('island', 8);
  const x = b.input([1, 8, 8, 8]);
  const a = b.conv(x, 8, 1, 1, 'NONE');
  const s = b.op('sigmoid', [a], {}, [1, 8, 8, 8]);
  const m = b.op('mul', [a, s], {}, [1, 8, 8, 8]);
  const g = b.graph([b.add(m, b.conv(x, 8, 3, 1))]);
  const r = compile(g, 'B4096');
  assert.deepEqual(r.report.counts, { dpu: 1, cpu: 1, user: 1 });
  const c = r.report.cpuOps.find((o) => o.op === a)!;
  // by hand: 8·8·8 outputs × 8 input channels = 4096 MACs → 4096 / 2000 ≈ 2 µs on the CPU; on the DPU
  // 4096 / (8·16·16·300) + 150 µs launch + (512 + 512 crossing elements)·0.004 µs ≈ 154 µs; 2 crossing tensors
  assert.match(c.reason, /^small DPU island between CPU ops \(1 op, 4096 MACs, ~2 µs on the CPU\): moved to CPU to avoid 2 DDR round trips \(1024 elements quantized\/dequantized\) and a DPU launch \(~154 µs in all\)$/);
  const off = compile(g, 'B4096', { partitionPolicy: false });
  assert.deepEqual(off.report.counts, { dpu: 2, cpu: 1, user: 1 });
});

test('1×1 conv with stride 2 loads only the pixels it reads (14×14×64 → 7×7×128, B4096): LOAD bytes by hand, bit-exact', () => {
  const b = new NetBuilder('sub', 9);
  const x = b.input([1, 14, 14, 64]);
  const y = b.conv(x, 128, 1, 2, 'RELU', { pad: 0 });
  const g = b.graph([b.add(y, b.conv(x, 128, 3, 2, 'NONE', { pad: 1 }))]);
  const r = compile(g, 'B4096');
  const d = r.state.dpu[0];
  const li = d.layers.findIndex((l) => l.kind === 'conv' && l.kernel[0] === 1);
  const loads = d.instrs!.filter((i) => i.layer === d.layers[li].name && i.cls === 'LOAD' && i.f.bank_id === 0 && i.f.reg_id === 2);
  assert.equal(loads.reduce((a, i) => a + bytes(i), 0), 7 * 7 * 64, 'every other row and column of the input, once');
  assert.ok(loads.every((i) => i.f.pix_stride === 2 * 64 && i.f.row_stride === 2 * 14 * 64));
  const init = d.instrs!.find((i) => i.layer === d.layers[li].name && i.cls === 'CONVINIT')!;
  assert.deepEqual([init.f.stride_w, init.f.stride_h], [1, 1]);
  assert.ok(checkBitExact(g, 'B4096') >= 1);
});
