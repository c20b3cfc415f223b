// Seeded random nets (odd sizes, channel counts off the parallelism, strides, asymmetric pads,
// every DPU layer kind) on random arches: the checker holds and the simulator running our mc_code
// equals the INT8 reference on every DPU subgraph output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetBuilder } from './nets.js';
import { checkBitExact, PRESETS } from './helpers.js';

class R {
  constructor(private s: number) {}
  next(): number { this.s = (this.s * 1664525 + 1013904223) >>> 0; return this.s / 2 ** 32; }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]!; }
}

function randomNet(seed: number, big = false) {
  const r = new R(seed);
  const b = new NetBuilder(`fuzz${seed}`, seed);
  let x = big ? b.input([1, r.int(30, 90), r.int(30, 130), r.int(8, 64)]) : b.input([1, r.int(4, 36), r.int(4, 44), r.int(1, 40)]);
  const area = big ? 20000 : 400;
  const pool: string[] = [x];
  const layers = r.int(3, 7);
  for (let i = 0; i < layers; i++) {
    const [, h, w, c] = b.shape(x);
    const kind = r.pick(['conv', 'conv', 'dw', 'pool', 'add', 'concat', 'up', 'convT', 'se'] as const);
    if (kind === 'conv') {
      const k = r.pick([1, 3, 5].filter((v) => v <= Math.min(h, w)));
      const s = r.pick([1, 1, 2]);
      const p = r.int(0, k - 1);
      x = b.conv(x, r.int(1, 70), k, s, r.pick(['NONE', 'RELU', 'RELU6', 'LEAKYRELU', 'HSWISH']), { pad: p });
    } else if (kind === 'dw') {
      x = b.conv(x, 0, r.pick([3, 5].filter((v) => v <= Math.min(h, w) + 2)), r.pick([1, 2]), r.pick(['NONE', 'RELU6', 'HSIGMOID']), { dw: true });
    } else if (kind === 'pool' && Math.min(h, w) >= 3) {
      x = b.pool(r.pick(['maxpool2d', 'avgpool2d'] as const), x, r.pick([2, 3]), r.pick([1, 2]), r.pick([0, 1]));
    } else if (kind === 'add') {
      const same = pool.filter((t) => b.shape(t).join() === b.shape(x).join() && t !== x);
      x = same.length ? b.add(r.pick(same), x) : b.act('relu', x);
    } else if (kind === 'concat') {
      const y = b.conv(x, r.int(1, 20), 1, 1, 'RELU');
      x = b.concat([y, b.conv(x, r.int(1, 20), 3, 1, 'NONE')]);
    } else if (kind === 'up' && h * w < area) {
      x = b.upsample(x, 2);
    } else if (kind === 'convT' && h * w < area) {
      const oc = r.int(1, 24);
      x = b.op('transposed-conv2d', [x, b.constant([oc, 2, 2, c], 0.3), b.constant([oc], 0.1)], { kernel: [2, 2], stride: [2, 2], dilation: [1, 1], pad: [0, 0, 0, 0], output_padding: [0, 0], nonlinear: 'RELU' }, [1, h * 2, w * 2, oc]);
    } else if (kind === 'se') {
      const s1 = b.pool('avgpool2d', x, 0, 1, 0, true);
      x = b.op('mul', [x, b.conv(s1, c, 1, 1, 'HSIGMOID')], {}, b.shape(x));
    } else {
      x = b.act('relu6', x);
    }
    pool.push(x);
  }
  return b.graph([x]);
}

test('fuzz: 16 seeded random nets on random arches run bit-exactly from our mc_code', () => {
  const r = new R(2024);
  for (let seed = 1; seed <= 16; seed++) {
    const preset = r.pick(PRESETS);
    const g = randomNet(seed);
    try {
      assert.ok(checkBitExact(g, preset, seed) >= 1);
    } catch (e) {
      assert.fail(`seed ${seed} on ${preset}: ${(e as Error).message}`);
    }
  }
});

test('fuzz: 5 larger random nets on the small arches (row, column and channel tiles everywhere)', () => {
  const r = new R(77);
  for (let seed = 101; seed <= 105; seed++) {
    const preset = r.pick(['B512', 'B800', 'B1152']);
    try {
      assert.ok(checkBitExact(randomNet(seed, true), preset, seed) >= 1);
    } catch (e) {
      assert.fail(`seed ${seed} (big) on ${preset}: ${(e as Error).message}`);
    }
  }
});
