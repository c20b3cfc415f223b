// Aliases in the native plan (src/kernels/wasm/executor.ts planAlias, plan-extra.ts planTranspose, plan-native.ts
// fuse): a reshape, and a transpose that moves only axes of length 1 at the same fix point (MobileNetV2's and
// ResNet-50's [1,1,1,C] NHWC → [1,C,1,1] NCHW after the global average pool), are no-op steps that alias the input's
// arena bytes; the plan's fuse() drops them, so the classifier tail conv → avgpool → transpose → reshape → matmul is
// ONE native dispatch per frame (it was two, with a JS copy between). Checked against the INT8 reference executor
// (runQuantized, the independent oracle): the output and every aliased tensor byte for byte at 1 / 2 / 3 threads on
// two feeds, the number of native run() calls per frame, and a transpose that really moves bytes (a 2×2 map, or a
// fix-point change) still copied, as a step of its own between two dispatches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Op, TensorValue } from '../../../src/ir/types.js';
import { runQuantized } from '../../../src/kernels/ref/quant-executor.js';
import { createFastExecutor } from '../../../src/kernels/wasm/executor.js';
import { loadNativeKernels, nativeStatus } from '../../../src/kernels/native/node.js';
import type { NativeKernels } from '../../../src/kernels/native/types.js';
import { dataOp, feed, qconst, rng } from '../helpers.js';

const nk = loadNativeKernels();
const skip = nk?.run ? false : `native program API unavailable: ${nk ? 'old addon' : nativeStatus().reason}`;

const q = (name: string, type: string, inputs: string[], attrs: Op['attrs'], shape: number[], fp: number): Op => ({
  name, type, inputs, attrs, output: { shape, dtype: 'int8', fixPoint: fp },
});

/** x [1,H,W,C] → 1×1 conv (relu) → global avgpool → transpose [0,3,1,2] (fix point fpT) → reshape [1, C·H'·W'] → matmul → out */
function tail(H: number, W: number, C: number, N: number, pool: number, fpT: number | undefined, seed: number): { g: Graph; feeds: Record<string, TensorValue> } {
  const r = rng(seed);
  const fi = 4, fw = 7, fc = 6; // conv: cut 5
  const OH = H / pool, OW = W / pool;
  const fT = fpT ?? fc;
  const K = C * OH * OW;
  const ops: Op[] = [
    dataOp('x', [1, H, W, C], fi),
    qconst('w', [C, 1, 1, C], fw, r),
    qconst('b', [C], fi + fw - 2, r),
    q('c', 'conv2d', ['x', 'w', 'b'], { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pad: [0, 0, 0, 0], nonlinear: 'RELU', group: 1 }, [1, H, W, C], fc),
    q('p', 'avgpool2d', ['c'], { global: pool === H, kernel: [pool, pool], stride: [pool, pool], pad: [0, 0, 0, 0], count_include_pad: true }, [1, OH, OW, C], fc),
    q('t', 'transpose', ['p'], { order: [0, 3, 1, 2] }, [1, C, OH, OW], fT),
    q('f', 'reshape', ['t'], { shape: [1, K] }, [1, K], fT),
    qconst('mw', [N, K], 7, r),
    qconst('mb', [N], fT + 7 - 3, r),
    q('out', 'matmul', ['f', 'mw', 'mb'], { transpose_a: false, transpose_b: true }, [1, N], fT + 7 - 6),
  ];
  return { g: { name: 'tail', ops, inputs: ['x'], outputs: ['out'], meta: {} }, feeds: { x: feed([1, H, W, C], fi, r) } };
}

function refTensors(g: Graph, feeds: Record<string, TensorValue>): Map<string, Int8Array> {
  const m = new Map<string, Int8Array>();
  runQuantized(g, feeds, { onTensor: (o, _v, qv) => { if (qv) m.set(o.name, qv.slice()); } });
  return m;
}

test('byte-identity transpose + reshape: aliases, one native dispatch per frame, == runQuantized (1/2/3 threads)', { skip }, () => {
  const cases = [
    { label: 'global pool 7×7×40 → [1,40,1,1] (alias)', H: 7, W: 7, C: 40, N: 33, pool: 7, fpT: undefined, dispatches: 1 },
    { label: 'global pool 5×5×17 → [1,17,1,1] (alias)', H: 5, W: 5, C: 17, N: 19, pool: 5, fpT: undefined, dispatches: 1 },
    { label: 'pool 2 → 2×2 map: the transpose moves bytes', H: 4, W: 4, C: 24, N: 16, pool: 2, fpT: undefined, dispatches: 2 },
    { label: 'global pool, transpose to another fix point: re-quantized', H: 7, W: 7, C: 40, N: 33, pool: 7, fpT: 5, dispatches: 2 },
  ];
  for (const [ci, c] of cases.entries()) {
    const { g, feeds } = tail(c.H, c.W, c.C, c.N, c.pool, c.fpT, 70 + ci);
    const feeds2 = { x: feed([1, c.H, c.W, c.C], 4, rng(170 + ci)) };
    const want = [refTensors(g, feeds), refTensors(g, feeds2)];
    assert.notDeepEqual(want[0].get('out'), want[1].get('out'), `${c.label}: the two feeds give the same output`);
    for (const threads of [1, 2, 3]) {
      let runs = 0;
      const counted: NativeKernels = { ...nk!, run: (...a: Parameters<NonNullable<NativeKernels['run']>>) => { runs++; return nk!.run!(...a); } };
      const ex = createFastExecutor(g, { native: { kernels: counted, threads } });
      for (const [fi, f] of [feeds, feeds2].entries()) {
        runs = 0;
        const y = ex.run(f).out!;
        assert.equal(runs, c.dispatches, `${c.label} ${threads}T: native dispatches per frame`);
        const w = want[fi]!;
        assert.deepEqual(y.data, Float32Array.from(w.get('out')!, (v) => v * 2 ** -(c.fpT ?? 6) * 2 ** -1), `${c.label} ${threads}T feed ${fi}: output`);
        for (const name of ['c', 'p', 't', 'f', 'out']) assert.deepEqual(ex.tensor(name), w.get(name), `${c.label} ${threads}T feed ${fi}: tensor ${name}`);
      }
      assert.deepEqual(ex.checkBounds(), []);
    }
  }
});
