import { OnnxBuilder } from './onnx-builder.js';

/** MobileNetV2 (width 1.0) as in the paper / torchvision: inverted residuals, depthwise 3×3, ReLU6 = Clip(0, 6). */
export function mobilenetV2(b: OnnxBuilder, x: string, classes = 1000): string {
  // t (expansion), c (channels), n (repeats), s (first stride)
  const cfg: [number, number, number, number][] = [
    [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
  ];
  let t = b.convBnAct(x, 32, 3, 'relu6', { stride: 2 });
  for (const [e, c, n, s] of cfg) {
    for (let i = 0; i < n; i++) {
      const inC = b.channels(t);
      const stride = i === 0 ? s : 1;
      let y = t;
      if (e !== 1) y = b.convBnAct(y, inC * e, 1, 'relu6', { pad: 0 });
      const hid = b.channels(y);
      y = b.convBnAct(y, hid, 3, 'relu6', { stride, group: hid });
      y = b.convBnAct(y, c, 1, 'none', { pad: 0 }, 0.5);
      t = stride === 1 && inC === c ? b.add(t, y) : y;
    }
  }
  t = b.convBnAct(t, 1280, 1, 'relu6', { pad: 0 });
  return b.fc(b.flatten(b.globalAvgPool(t)), classes);
}
