import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/compiler/compile.js';
import { simulate } from '../../src/dpu/sim/index.js';
import type { DpuArch } from '../../src/dpu/arch/index.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import { quantize, DPU_ROUND } from '../../src/kernels/ref/int8/arith.js';
import type { Graph } from '../../src/ir/types.js';
import { mobilenetV2, ppocrDet, smallConvNet, NetBuilder, ACT_FP } from './nets.js';

/** Every DPU subgraph output of the compiled graph, from the simulator running our mc_code, equals the INT8 reference executor's. */
function checkBitExact(g: Graph, preset: string, seed = 3): number {
  const r = compile(g, preset);
  const input = g.ops.find((o) => o.type === 'data')!;
  let s = seed;
  const feed = new Float32Array(input.output.shape.reduce((a, b) => a * b, 1)).map(() => { s = (s * 1103515245 + 12345) >>> 0; return (s / 2 ** 32) * 8 - 4; });
  const ref = new Map<string, Int8Array>();
  runQuantized(g, { [input.name]: { shape: input.output.shape, data: feed } }, { onTensor: (op, _v, q) => { if (q) ref.set(op.name, q); } });
  let checked = 0;
  for (const d of r.state.dpu) {
    const sg = r.state.subgraphs.find((x) => x.name === d.subgraph)!;
    const ddr = d.ddr!;
    const regs: Record<number, Uint8Array> = {};
    for (const [k, size] of Object.entries(ddr.regSizes)) regs[Number(k.slice(4))] = new Uint8Array(size);
    regs[0].set(ddr.constBytes);
    for (const t of sg.inputs) {
      const p = ddr.tensors[t];
      const q = t === input.name ? quantize(feed, input.output.fixPoint!, DPU_ROUND) : ref.get(t)!;
      new Int8Array(regs[Number(p.reg.slice(4))].buffer).set(q, p.offset);
    }
    simulate(d.mcCode ?? new Uint8Array(0), { arch: r.arch as unknown as DpuArch, regs });
    for (const t of sg.outputs) {
      const p = ddr.tensors[t];
      const want = ref.get(t)!;
      const c = g.ops.find((o) => o.name === t)!.output.shape.at(-1)!;
      const mem = new Int8Array(regs[Number(p.reg.slice(4))].buffer);
      const got = new Int8Array(want.length);
      for (let px = 0; px < want.length / c; px++) for (let ch = 0; ch < c; ch++) got[px * c + ch] = mem[p.offset + px * p.pixelStride + ch];
      let diff = 0;
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) diff++;
      assert.equal(diff, 0, `${preset} ${d.subgraph} output '${t}': ${diff}/${want.length} bytes differ from the INT8 reference`);
      checked++;
    }
  }
  return checked;
}

test('simulator runs our mc_code bit-exactly: small conv net (conv+relu, maxpool, conv, add+relu, global avgpool)', () => {
  for (const p of ['B512', 'B4096']) assert.equal(checkBitExact(smallConvNet(), p), 1);
});

test('bit-exact with many tiles: a wide conv stack on B512 (row, column and channel tiles, double buffering)', () => {
  const b = new NetBuilder('tiles', 5);
  let x = b.conv(b.input([1, 40, 200, 16]), 48, 3, 1);
  x = b.conv(x, 40, 3, 2, 'RELU6');
  x = b.conv(x, 0, 3, 1, 'RELU', { dw: true });
  const y = b.pool('avgpool2d', x, 3, 1, 1);
  assert.equal(checkBitExact(b.graph([b.add(x, y)]), 'B512'), 1);
});

test('bit-exact: MobileNetV2 (depthwise, relu6, residual adds, inner-product) at 32×32 on B1024', () => {
  assert.ok(checkBitExact(mobilenetV2(32), 'B1024') >= 1);
});

test('bit-exact: PP-OCR det at 64×64 on B4096 (FPN upsample by SAVE, concat in place, avgpool shortcut)', () => {
  assert.ok(checkBitExact(ppocrDet(64), 'B4096') >= 1);
  void ACT_FP;
});
