// The fast executor's extra planners (src/kernels/wasm/plan-extra.ts): broadcasting add/sub/mul,
// transposed-conv2d with kernel = stride, nearest resize — byte for byte against the INT8 reference
// executor (runQuantized), on odd shapes (channels 1, 3, 17, 33; odd sizes; every coordinate mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs, Graph, Op, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { dataOp, feed, qconst, randInt, rng } from '../helpers.js';

const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const op = (name: string, type: string, inputs: string[], attrs: Attrs, shape: number[], fp: number): Op => ({ name, type, inputs, attrs, output: { shape, dtype: 'int8', fixPoint: fp } });

function compare(g: Graph, feeds: Record<string, TensorValue>, label: string): void {
  const ref = new Map<string, Int8Array>();
  runQuantized(g, feeds, { onTensor: (o, _v, q) => { if (q) ref.set(o.name, q); } });
  const ex = createFastExecutor(g);
  assert.deepEqual(ex.stats.fallbacks, [], `${label}: fallbacks`);
  assert.deepEqual(ex.stats.refTypes, {}, `${label}: reference kernels used`);
  for (let rep = 0; rep < 2; rep++) {
    ex.run(feeds);
    for (const o of g.ops) {
      if (o.type === 'const' || o.type === 'data') continue;
      const want = ref.get(o.name) as Int8Array;
      const got = ex.tensor(o.name);
      assert.ok(want && got, `${label}: ${o.name} missing`);
      const i = want.findIndex((v, j) => v !== got[j]);
      assert.equal(i, -1, `${label}: ${o.name} differs at ${i}: got ${got[i]}, want ${want[i]} (of ${want.length})`);
      assert.equal(got.length, want.length);
    }
    assert.deepEqual(ex.checkBounds(), [], `${label}: out-of-bounds write`);
  }
}

test('broadcast add/sub/mul (scalar, per-channel, [1,H,1,C], a or b the small one) == runQuantized', () => {
  let seed = 1;
  for (const C of [1, 3, 17, 33]) {
    for (const [H, W] of [[5, 7], [1, 9]]) {
      const full = [1, H, W, C];
      for (const small of [[1], [], [C], [1, 1, 1, C], [1, H, 1, C], [1, H, W, 1], [W, 1]]) {
        for (const type of ['add', 'sub', 'mul']) {
          for (const swap of [false, true]) {
            const r = rng(seed++);
            const fa = randInt(r, 2, 6), fb = randInt(r, 2, 7);
            const fo = type === 'mul' ? randInt(r, 0, fa + fb - 1) : randInt(r, Math.max(fa, fb) - 4, Math.max(fa, fb));
            const nl = r() < 0.3 ? 'RELU' : 'NONE';
            const x = dataOp('x', full, fa);
            const c = small.length === 0 ? { ...qconst('c', [], fb, r), output: { shape: [], dtype: 'int8' as const, fixPoint: fb } } : qconst('c', small, fb, r);
            const ins = swap ? ['c', 'x'] : ['x', 'c'];
            const g: Graph = { name: 'bc', ops: [x, c, op('y', type, ins, { nonlinear: nl }, full, fo)], inputs: ['x'], outputs: ['y'], meta: {} };
            compare(g, { x: feed(full, fa, r) }, `${type} [${full}] ${swap ? '∘' : ''} [${small}] fo ${fo} ${nl}`);
          }
        }
      }
    }
  }
});

test('broadcast of two activations ([1,H,W,C] + [1,1,1,C] from a pool) == runQuantized', () => {
  for (const C of [1, 3, 17, 33]) {
    const r = rng(100 + C);
    const full = [1, 5, 3, C];
    const g: Graph = {
      name: 'se',
      ops: [
        dataOp('x', full, 5),
        op('p', 'avgpool2d', ['x'], { global: true }, [1, 1, 1, C], 5),
        op('y', 'mul', ['x', 'p'], {}, full, 4),
        op('z', 'add', ['p', 'y'], {}, full, 4),
      ],
      inputs: ['x'], outputs: ['z'], meta: {},
    };
    compare(g, { x: feed(full, 5, r) }, `se C ${C}`);
  }
});

test('transposed-conv2d kernel = stride (2×2, 3×2, 1×1; pads; bias; nonlinear) == runQuantized', () => {
  let seed = 200;
  for (const [C, OC] of [[1, 1], [3, 17], [17, 3], [33, 33], [16, 8]]) {
    for (const [kw, kh] of [[2, 2], [3, 2], [1, 1]]) {
      for (const pad of [[0, 0, 0, 0], [1, 0, 1, 1], [0, 1, 0, 1], [2, 1, 2, 0], [3, 3, 1, 2], [4, 0, 0, 3]]) {
        const r = rng(seed++);
        const [H, W] = [randInt(r, 1, 6), randInt(r, 1, 7)];
        const OH = kh * H - pad[2] - pad[3];
        const OW = kw * W - pad[0] - pad[1];
        if (OH < 1 || OW < 1) continue;
        const fi = randInt(r, 3, 6), fw = randInt(r, 5, 8);
        const fo = randInt(r, 2, 5);
        const bias = r() < 0.7;
        const nl = ['NONE', 'RELU', 'LEAKYRELU', 'RELU6', 'HSWISH'][randInt(r, 0, 4)];
        const attrs: Attrs = { kernel: [kw, kh], stride: [kw, kh], dilation: [1, 1], pad, output_padding: [0, 0], group: 1, nonlinear: nl };
        if (nl === 'LEAKYRELU') attrs.alpha = 26 / 256;
        const ops: Op[] = [dataOp('x', [1, H, W, C], fi), qconst('w', [OC, kh, kw, C], fw, r)];
        if (bias) ops.push(qconst('b', [OC], randInt(r, fi + fw - 4, fi + fw), r));
        ops.push(op('y', 'transposed-conv2d', bias ? ['x', 'w', 'b'] : ['x', 'w'], attrs, [1, OH, OW, OC], fo));
        const g: Graph = { name: 'tconv', ops, inputs: ['x'], outputs: ['y'], meta: {} };
        compare(g, { x: feed([1, H, W, C], fi, r) }, `tconv C ${C} OC ${OC} k ${kw}×${kh} pad [${pad}] ${nl} bias ${bias}`);
      }
    }
  }
});

test('resize NEAREST, every coordinate × nearest mode, up and down, fo ≠ fi == runQuantized', () => {
  let seed = 300;
  for (const C of [1, 3, 17, 33]) {
    for (const coordinate of ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel']) {
      for (const nearest_mode of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']) {
        const r = rng(seed++);
        const [H, W] = [randInt(r, 1, 7), randInt(r, 1, 9)];
        const [OH, OW] = r() < 0.5 ? [2 * H, 2 * W] : [randInt(r, 1, 13), randInt(r, 1, 11)];
        const fi = randInt(r, 2, 6);
        const fo = r() < 0.5 ? fi : fi + randInt(r, -2, 2);
        const g: Graph = {
          name: 'rs',
          ops: [dataOp('x', [1, H, W, C], fi), op('y', 'resize', ['x'], { size: [OW, OH], mode: 'NEAREST', coordinate, nearest_mode }, [1, OH, OW, C], fo)],
          inputs: ['x'], outputs: ['y'], meta: {},
        };
        compare(g, { x: feed([1, H, W, C], fi, r) }, `resize C ${C} ${H}×${W}→${OH}×${OW} ${coordinate} ${nearest_mode} fi ${fi} fo ${fo}`);
      }
    }
  }
});

test('transpose, ranks 1–5, every permutation of rank ≤ 4 and random ones of rank 5, fo ≠ fi == runQuantized', () => {
  const perms = (n: number): number[][] => (n === 0 ? [[]] : perms(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])));
  let seed = 400;
  for (let r = 1; r <= 5; r++) {
    const all = perms(r);
    const list = r <= 4 ? all : all.filter((_, i) => i % 17 === 0);
    for (const order of list) {
      const rnd = rng(seed++);
      const shape = Array.from({ length: r }, () => [1, 3, 17, 2, 5, 33][randInt(rnd, 0, 5)]);
      if (numel(shape) > 40000) shape[0] = 1;
      const fi = randInt(rnd, 2, 6);
      const fo = rnd() < 0.5 ? fi : fi + randInt(rnd, -2, 2);
      const g: Graph = {
        name: 'tr',
        ops: [dataOp('x', shape, fi), op('y', 'transpose', ['x'], { order }, order.map((a) => shape[a]), fo)],
        inputs: ['x'], outputs: ['y'], meta: {},
      };
      compare(g, { x: feed(shape, fi, rnd) }, `transpose [${shape}] order [${order}] fi ${fi} fo ${fo}`);
    }
  }
});

test('resize BILINEAR (WASM resize_bilinear), every coordinate mode, up / down / odd sizes, fo ≠ fi, saturation == runQuantized', () => {
  let seed = 500;
  for (const C of [1, 3, 17, 33]) {
    for (const coordinate of ['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel']) {
      for (let rep = 0; rep < 3; rep++) {
        const r = rng(seed++);
        const [H, W] = [randInt(r, 1, 7), randInt(r, 1, 9)];
        const [OH, OW] = rep === 0 ? [2 * H, 2 * W] : [randInt(r, 1, 13), randInt(r, 1, 11)];
        const fi = randInt(r, 2, 6);
        const fo = rep === 2 ? fi + randInt(r, 1, 3) : fi + randInt(r, -3, 0); // fo > fi saturates
        const g: Graph = {
          name: 'rsb',
          ops: [dataOp('x', [1, H, W, C], fi), op('y', 'resize', ['x'], { size: [OW, OH], mode: 'BILINEAR', coordinate }, [1, OH, OW, C], fo)],
          inputs: ['x'], outputs: ['y'], meta: {},
        };
        compare(g, { x: feed([1, H, W, C], fi, r) }, `bilinear C ${C} ${H}×${W}→${OH}×${OW} ${coordinate} fi ${fi} fo ${fo}`);
      }
    }
  }
});

test('broadcast where both operands are expanded ([1,H,1,C] ∘ [1,1,W,1], [H,1] ∘ [1,W]) == runQuantized', () => {
  let seed = 600;
  for (const C of [1, 3, 17, 33]) {
    for (const type of ['add', 'sub', 'mul']) {
      const r = rng(seed++);
      const [H, W] = [randInt(r, 1, 6), randInt(r, 2, 7)];
      const fa = randInt(r, 2, 6), fb = randInt(r, 2, 6);
      const fo = type === 'mul' ? randInt(r, 0, fa + fb - 1) : Math.max(fa, fb) - randInt(r, 0, 3);
      for (const [sa, sb, so] of [[[1, H, 1, C], [1, 1, W, 1], [1, H, W, C]], [[H, 1], [1, W], [H, W]]]) {
        const g: Graph = {
          name: 'bb',
          ops: [dataOp('a', sa, fa), dataOp('b', sb, fb), op('y', type, ['a', 'b'], {}, so, fo)],
          inputs: ['a', 'b'], outputs: ['y'], meta: {},
        };
        compare(g, { a: feed(sa, fa, r), b: feed(sb, fb, r) }, `${type} [${sa}] ∘ [${sb}]`);
      }
    }
  }
});
