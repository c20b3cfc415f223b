import { OnnxBuilder } from './onnx-builder.js';

/** A small VGG-style net: 3×3 conv (+bias) + ReLU stacks and 2×2 max pools, GAP, one FC layer. */
export function vggSmall(b: OnnxBuilder, x: string, classes = 1000): string {
  const cfg: (number | 'M')[] = [32, 32, 'M', 64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 256, 'M'];
  let t = x;
  for (const c of cfg) t = c === 'M' ? b.maxPool(t, 2, 2, 0) : b.act(b.conv(t, c, 3, { bias: true }), 'relu');
  return b.fc(b.flatten(b.globalAvgPool(t)), classes);
}
