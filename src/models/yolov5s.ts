import { Activation, OnnxBuilder } from './onnx-builder.js';

/**
 * A YOLOv5s-shaped detector (the v6.0 layout: depth 0.33, width 0.50): 6×6 stem, C3 blocks,
 * SPPF (three chained 5×5 max pools), a PAN neck with nearest 2× upsample + concat, and three
 * 1×1 detect heads of 3·(5+classes) channels at strides 8, 16, 32. SiLU is replaced by
 * LeakyReLU(0.1) (default) or HardSwish, as DPU deployments of YOLOv5 do.
 * Returns the three raw head outputs [P3, P4, P5] (NCHW, before the sigmoid/decode).
 */
export function yolov5s(b: OnnxBuilder, x: string, classes = 80, act: Activation = 'leaky'): string[] {
  const conv = (t: string, c: number, k: number, s = 1, pad?: number): string =>
    b.convBnAct(t, c, k, act, pad === undefined ? { stride: s } : { stride: s, pad });
  const c3 = (t: string, c2: number, n: number, shortcut: boolean): string => {
    const h = c2 / 2;
    let m = conv(t, h, 1);
    for (let i = 0; i < n; i++) {
      const y = conv(conv(m, h, 1), h, 3);
      m = shortcut ? b.add(m, y) : y;
    }
    return conv(b.concat([m, conv(t, h, 1)]), c2, 1);
  };
  const sppf = (t: string, c2: number): string => {
    const y0 = conv(t, b.channels(t) / 2, 1);
    const y1 = b.maxPool(y0, 5, 1, 2);
    const y2 = b.maxPool(y1, 5, 1, 2);
    const y3 = b.maxPool(y2, 5, 1, 2);
    return conv(b.concat([y0, y1, y2, y3]), c2, 1);
  };
  // backbone
  let t = conv(x, 32, 6, 2, 2);
  t = conv(t, 64, 3, 2);
  t = c3(t, 64, 1, true);
  t = conv(t, 128, 3, 2);
  const p3 = c3(t, 128, 2, true);
  t = conv(p3, 256, 3, 2);
  const p4 = c3(t, 256, 3, true);
  t = conv(p4, 512, 3, 2);
  t = c3(t, 512, 1, true);
  t = sppf(t, 512);
  // neck
  const h10 = conv(t, 256, 1);
  t = c3(b.concat([b.upsample2x(h10), p4]), 256, 1, false);
  const h14 = conv(t, 128, 1);
  const o3 = c3(b.concat([b.upsample2x(h14), p3]), 128, 1, false);
  const o4 = c3(b.concat([conv(o3, 128, 3, 2), h14]), 256, 1, false);
  const o5 = c3(b.concat([conv(o4, 256, 3, 2), h10]), 512, 1, false);
  const no = 3 * (5 + classes);
  return [o3, o4, o5].map((o) => b.conv(o, no, 1, { pad: 0, bias: true, std: 0.01 }));
}
