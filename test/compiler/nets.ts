/**
 * Quantized IR graphs for compiler tests, built directly (no importer, no calibration): weights
 * are seeded random values quantized with STD_ROUND at the fix point their range gives; every
 * activation gets fix point ACT_FP (compile tests need legal fix points, not accurate ones).
 * Shapes follow the published networks (ResNet-50, MobileNetV2, PP-OCR det (ResNet18_vd + DB) and
 * PP-OCR rec (conv backbone + SVTR-style transformer + CTC head)).
 */
import type { Graph, Op, TensorInfo } from '../../src/ir/types.js';

export const ACT_FP = 4;

class Rng {
  constructor(private s: number) {}
  next(): number {
    this.s = (this.s * 1664525 + 1013904223) >>> 0;
    return this.s / 2 ** 32;
  }
}

function wFix(data: Float32Array): number {
  let m = 0;
  for (const v of data) m = Math.max(m, Math.abs(v));
  return m === 0 ? 7 : Math.max(0, Math.min(12, Math.floor(Math.log2(127 / m))));
}
function quant(data: Float32Array, fp: number): Float32Array {
  const s = 2 ** fp;
  return data.map((v) => { const x = v * s; return Math.max(-128, Math.min(127, Math.sign(x) * Math.round(Math.abs(x)))) / s; });
}

export class NetBuilder {
  ops: Op[] = [];
  private rng: Rng;
  private n = 0;
  constructor(public name: string, seed = 1) { this.rng = new Rng(seed); }

  private info(name: string): TensorInfo { return this.ops.find((o) => o.name === name)!.output; }
  shape(name: string): number[] { return this.info(name).shape; }
  private uniq(p: string): string { return `${p}_${this.n++}`; }
  private q(shape: number[], float = false): TensorInfo { return float ? { shape, dtype: 'float32' } : { shape, dtype: 'int8', fixPoint: ACT_FP }; }

  input(shape: number[], name = 'input'): string {
    this.ops.push({ name, type: 'data', inputs: [], attrs: { shape }, output: this.q(shape) });
    return name;
  }
  constant(shape: number[], scale: number, quantized = true): string {
    const n = shape.reduce((a, b) => a * b, 1);
    const d = new Float32Array(n).map(() => (this.rng.next() * 2 - 1) * scale);
    const fp = wFix(d);
    const name = this.uniq('const');
    this.ops.push({ name, type: 'const', inputs: [], attrs: {}, output: quantized ? { shape, dtype: 'int8', fixPoint: fp } : { shape, dtype: 'float32' }, data: quantized ? quant(d, fp) : d });
    return name;
  }
  op(type: string, inputs: string[], attrs: Op['attrs'], shape: number[], float = false, prefix = type): string {
    const name = this.uniq(prefix);
    this.ops.push({ name, type, inputs, attrs, output: this.q(shape, float) });
    return name;
  }
  conv(x: string, oc: number, k: number, s = 1, act = 'RELU', opts: { dw?: boolean; pad?: number; dilation?: number } = {}): string {
    const [, h, w, ic] = this.shape(x);
    const d = opts.dilation ?? 1;
    const p = opts.pad ?? Math.floor(((k - 1) * d) / 2);
    const oh = Math.floor((h + 2 * p - ((k - 1) * d + 1)) / s) + 1;
    const ow = Math.floor((w + 2 * p - ((k - 1) * d + 1)) / s) + 1;
    const dw = opts.dw === true;
    const wt = this.constant(dw ? [1, k, k, ic] : [oc, k, k, ic], Math.sqrt(2 / (k * k * (dw ? 1 : ic))));
    const b = this.constant([dw ? ic : oc], 0.1);
    return this.op(dw ? 'depthwise-conv2d' : 'conv2d', [x, wt, b], {
      kernel: [k, k], stride: [s, s], dilation: [d, d], pad: [p, p, p, p], ...(dw ? {} : { group: 1 }), nonlinear: act,
    }, [1, oh, ow, dw ? ic : oc]);
  }
  act(type: string, x: string, attrs: Op['attrs'] = {}): string { return this.op(type, [x], attrs, this.shape(x)); }
  add(a: string, b: string): string { return this.op('add', [a, b], {}, this.shape(a)); }
  pool(kind: 'maxpool2d' | 'avgpool2d', x: string, k: number, s: number, p = 0, global = false): string {
    const [, h, w, c] = this.shape(x);
    const oh = global ? 1 : Math.floor((h + 2 * p - k) / s) + 1, ow = global ? 1 : Math.floor((w + 2 * p - k) / s) + 1;
    return this.op(kind, [x], { kernel: global ? [w, h] : [k, k], stride: global ? [1, 1] : [s, s], pad: [p, p, p, p], global, ...(kind === 'avgpool2d' ? { count_include_pad: true } : {}) }, [1, oh, ow, c]);
  }
  upsample(x: string, f: number): string {
    const [, h, w, c] = this.shape(x);
    return this.op('resize', [x], { size: [w * f, h * f], mode: 'NEAREST', coordinate: 'asymmetric', nearest_mode: 'floor' }, [1, h * f, w * f, c]);
  }
  concat(xs: string[]): string {
    const s = this.shape(xs[0]);
    return this.op('concat', xs, { axis: -1 }, [s[0], s[1], s[2], xs.reduce((a, x) => a + this.shape(x)[3], 0)]);
  }
  graph(outputs: string[]): Graph {
    return { name: this.name, ops: this.ops, inputs: this.ops.filter((o) => o.type === 'data').map((o) => o.name), outputs, meta: { producer: 'test/compiler/nets.ts' } };
  }
}

export function resnet50(size = 224): Graph {
  const b = new NetBuilder('resnet50');
  let x = b.conv(b.input([1, size, size, 3]), 64, 7, 2);
  x = b.pool('maxpool2d', x, 3, 2, 1);
  const stages: [number, number, number][] = [[64, 3, 1], [128, 4, 2], [256, 6, 2], [512, 3, 2]];
  for (const [mid, blocks, stride] of stages) {
    for (let i = 0; i < blocks; i++) {
      const s = i === 0 ? stride : 1;
      let y = b.conv(x, mid, 1, 1);
      y = b.conv(y, mid, 3, s);
      y = b.conv(y, mid * 4, 1, 1, 'NONE');
      const sc = i === 0 ? b.conv(x, mid * 4, 1, s, 'NONE') : x;
      x = b.act('relu', b.add(y, sc));
    }
  }
  x = b.pool('avgpool2d', x, 7, 1, 0, true);
  x = b.op('reshape', [x], { shape: [1, 2048] }, [1, 2048]);
  const w = b.constant([2048, 1000], 0.03), bias = b.constant([1000], 0.1);
  x = b.op('matmul', [x, w, bias], { transpose_a: false, transpose_b: false }, [1, 1000]);
  return b.graph([x]);
}

export function mobilenetV2(size = 224): Graph {
  const b = new NetBuilder('mobilenetv2');
  let x = b.conv(b.input([1, size, size, 3]), 32, 3, 2, 'RELU6');
  const cfg: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
  let c = 32;
  for (const [t, oc, n, s] of cfg) {
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1;
      let y = t === 1 ? x : b.conv(x, c * t, 1, 1, 'RELU6');
      y = b.conv(y, 0, 3, stride, 'RELU6', { dw: true });
      y = b.conv(y, oc, 1, 1, 'NONE');
      x = stride === 1 && c === oc ? b.add(x, y) : y;
      c = oc;
    }
  }
  x = b.conv(x, 1280, 1, 1, 'RELU6');
  x = b.pool('avgpool2d', x, 7, 1, 0, true);
  x = b.op('reshape', [x], { shape: [1, 1280] }, [1, 1280]);
  x = b.op('matmul', [x, b.constant([1280, 1000], 0.03), b.constant([1000], 0.1)], { transpose_a: false, transpose_b: false }, [1, 1000]);
  return b.graph([x]);
}

/** PP-OCR det (server): ResNet18_vd backbone, DB FPN neck, DB head (first transposed conv quantized; the last one and sigmoid float, on CPU). */
export function ppocrDet(size = 640): Graph {
  const b = new NetBuilder('ppocr_det');
  let x = b.conv(b.input([1, size, size, 3]), 32, 3, 2);
  x = b.conv(x, 32, 3, 1);
  x = b.conv(x, 64, 3, 1);
  x = b.pool('maxpool2d', x, 3, 2, 1);
  const feats: string[] = [];
  const stages: [number, number][] = [[64, 1], [128, 2], [256, 2], [512, 2]];
  let c = 64;
  for (const [oc, s] of stages) {
    for (let i = 0; i < 2; i++) {
      const st = i === 0 ? s : 1;
      let y = b.conv(x, oc, 3, st);
      y = b.conv(y, oc, 3, 1, 'NONE');
      let sc = x;
      if (st !== 1 || c !== oc) sc = b.conv(st === 2 ? b.pool('avgpool2d', x, 2, 2) : x, oc, 1, 1, 'NONE');
      x = b.act('relu', b.add(y, sc));
      c = oc;
    }
    feats.push(x);
  }
  const inner = feats.map((f) => b.conv(f, 96, 1, 1, 'NONE'));
  const p5 = inner[3];
  const p4 = b.add(inner[2], b.upsample(p5, 2));
  const p3 = b.add(inner[1], b.upsample(p4, 2));
  const p2 = b.add(inner[0], b.upsample(p3, 2));
  const outs = [p5, p4, p3, p2].map((p, i) => { const y = b.conv(p, 24, 3, 1, 'NONE'); return i < 3 ? b.upsample(y, [8, 4, 2][i]) : y; });
  const fuse = b.concat(outs.reverse());
  let h = b.conv(fuse, 24, 3, 1);
  const [, hh, hw] = b.shape(h);
  const w1 = b.constant([24, 2, 2, 24], 0.2), b1 = b.constant([24], 0.1);
  h = b.op('transposed-conv2d', [h, w1, b1], { kernel: [2, 2], stride: [2, 2], dilation: [1, 1], pad: [0, 0, 0, 0], output_padding: [0, 0] }, [1, hh * 2, hw * 2, 24]);
  h = b.op('relu', [h], {}, [1, hh * 2, hw * 2, 24]);
  const w2 = b.constant([1, 2, 2, 24], 0.2, false), b2 = b.constant([1], 0.1, false);
  h = b.op('transposed-conv2d', [h, w2, b2], { kernel: [2, 2], stride: [2, 2], dilation: [1, 1], pad: [0, 0, 0, 0], output_padding: [0, 0] }, [1, hh * 4, hw * 4, 1], true);
  h = b.op('sigmoid', [h], {}, [1, hh * 4, hw * 4, 1], true);
  return b.graph([h]);
}

/** PP-OCR rec (SVTR-shaped): conv backbone on DPU → sequence → transformer block + CTC head on CPU. */
export function ppocrRec(): Graph {
  const b = new NetBuilder('ppocr_rec');
  let x = b.conv(b.input([1, 48, 320, 3]), 16, 3, 2);
  for (const [oc, s] of [[32, 1], [64, 2], [128, 1], [128, 2], [256, 1]] as [number, number][]) {
    x = b.conv(x, 0, 3, s, 'RELU', { dw: true });
    x = b.conv(x, oc, 1, 1);
  }
  x = b.pool('maxpool2d', x, 2, 2); // [1, 3, 20, 256]
  x = b.conv(x, 256, 1, 1, 'NONE', {});
  x = b.pool('avgpool2d', x, 3, 3); // [1, 1, 6, 256]: a sequence of 6
  const [, , w, c] = b.shape(x);
  let seq = b.op('reshape', [x], { shape: [1, w, c] }, [1, w, c], true);
  const ln = (t: string) => b.op('layernorm', [t, b.constant([c], 1, false), b.constant([c], 0.1, false)], { axis: [-1], epsilon: 1e-5 }, [1, w, c], true);
  const mm = (t: string, n: number) => b.op('matmul', [t, b.constant([c, n], 0.05, false)], { transpose_a: false, transpose_b: false }, [1, w, n], true);
  const h = ln(seq);
  const q = mm(h, c), k = mm(h, c), v = mm(h, c);
  const kt = b.op('transpose', [k], { order: [0, 2, 1] }, [1, c, w], true);
  const att = b.op('softmax', [b.op('matmul', [q, kt], { transpose_a: false, transpose_b: false }, [1, w, w], true)], { axis: -1 }, [1, w, w], true);
  const ctxv = b.op('matmul', [att, v], { transpose_a: false, transpose_b: false }, [1, w, c], true);
  seq = b.op('add', [seq, ctxv], {}, [1, w, c], true);
  const h2 = ln(seq);
  const leaky = b.op('leaky-relu', [mm(h2, c)], { alpha: 0.2 }, [1, w, c], true);
  seq = b.op('add', [seq, leaky], {}, [1, w, c], true);
  const logits = b.op('matmul', [seq, b.constant([c, 97], 0.05, false)], { transpose_a: false, transpose_b: false }, [1, w, 97], true);
  return b.graph([b.op('softmax', [logits], { axis: -1 }, [1, w, 97], true)]);
}

/** A small conv net for the golden disassembly: conv+relu → maxpool → conv → add → avgpool. */
export function smallConvNet(): Graph {
  const b = new NetBuilder('small_conv', 7);
  const x = b.conv(b.input([1, 8, 8, 3]), 16, 3, 1);
  const p = b.pool('maxpool2d', x, 2, 2);
  const y = b.conv(p, 16, 3, 1, 'NONE');
  const z = b.act('relu', b.add(p, y));
  return b.graph([b.pool('avgpool2d', z, 4, 1, 0, true)]);
}
