import { OnnxBuilder } from './onnx-builder.js';

/**
 * ResNet-18 / ResNet-50 as torchvision defines them (v1.5: the stride of a bottleneck is on
 * its 3×3 conv), BatchNormalization kept as separate nodes, as an exporter writes them.
 */
export function resnet(b: OnnxBuilder, x: string, depth: 18 | 50, classes = 1000): string {
  let t = b.convBnAct(x, 64, 7, 'relu', { stride: 2, pad: 3 });
  t = b.maxPool(t, 3, 2, 1);
  const blocks = depth === 18 ? [2, 2, 2, 2] : [3, 4, 6, 3];
  const widths = [64, 128, 256, 512];
  for (let stage = 0; stage < 4; stage++) {
    for (let i = 0; i < blocks[stage]!; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1;
      t = depth === 18 ? basic(b, t, widths[stage]!, stride) : bottleneck(b, t, widths[stage]!, stride);
    }
  }
  return b.fc(b.flatten(b.globalAvgPool(t)), classes);
}

function shortcut(b: OnnxBuilder, x: string, outC: number, stride: number): string {
  if (stride === 1 && b.channels(x) === outC) return x;
  return b.convBnAct(x, outC, 1, 'none', { stride, pad: 0 });
}

function basic(b: OnnxBuilder, x: string, c: number, stride: number): string {
  let t = b.convBnAct(x, c, 3, 'relu', { stride });
  t = b.convBnAct(t, c, 3, 'none', {}, 0.3);
  return b.act(b.add(t, shortcut(b, x, c, stride)), 'relu');
}

function bottleneck(b: OnnxBuilder, x: string, c: number, stride: number): string {
  let t = b.convBnAct(x, c, 1, 'relu', { pad: 0 });
  t = b.convBnAct(t, c, 3, 'relu', { stride });
  t = b.convBnAct(t, 4 * c, 1, 'none', { pad: 0 }, 0.3);
  return b.act(b.add(t, shortcut(b, x, 4 * c, stride)), 'relu');
}
