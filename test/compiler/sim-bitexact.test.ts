import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBitExact } from './helpers.js';
import { mobilenetV2, ppocrDet, smallConvNet, NetBuilder, ACT_FP } from './nets.js';

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

test('bit-exact: hard-swish/hard-sigmoid output stages, an SE block (per-channel broadcast mul) and constant scale/bias on B800 — one DPU subgraph', () => {
  const b = new NetBuilder('se', 9);
  let x = b.conv(b.input([1, 24, 30, 8]), 24, 3, 2, 'HSWISH');
  x = b.conv(x, 0, 3, 1, 'HSWISH', { dw: true });
  const s1 = b.pool('avgpool2d', x, 0, 1, 0, true);
  const s2 = b.conv(b.conv(s1, 8, 1, 1, 'RELU'), 24, 1, 1, 'HSIGMOID');
  const y = b.op('mul', [s2, x], {}, b.shape(x));
  // learnable affine (PP-LCNet): scalar scale and per-channel bias constants, broadcast from REG_0
  const z = b.op('add', [b.constant([24], 0.5), b.op('mul', [y, b.constant([1], 1.5)], {}, b.shape(y))], {}, b.shape(y));
  const r = checkBitExact(b.graph([b.conv(z, 16, 1, 1, 'NONE')]), 'B800');
  assert.equal(r, 1);
});

test('bit-exact: an add of two rank-3 views ([1, H·W, C], as transformer blocks reshape) covers every element, not one row', () => {
  const b = new NetBuilder('rank3', 11);
  const x = b.conv(b.input([1, 6, 10, 16]), 16, 3, 1);
  const y = b.conv(x, 16, 1, 1, 'NONE');
  const xr = b.op('reshape', [x], { shape: [1, 60, 16] }, [1, 60, 16]);
  const yr = b.op('reshape', [y], { shape: [1, 60, 16] }, [1, 60, 16]);
  const s = b.op('reshape', [b.add(xr, yr)], { shape: [1, 6, 10, 16] }, [1, 6, 10, 16]);
  assert.equal(checkBitExact(b.graph([b.conv(s, 8, 3, 1)]), 'B1024'), 1);
});
