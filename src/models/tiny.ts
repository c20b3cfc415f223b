import { OnnxBuilder } from './onnx-builder.js';

/**
 * A tiny conv net for golden tests (default input 1×3×16×16): conv+BN+ReLU, max pool,
 * a residual pair with a depthwise conv, concat, global average pool and a 10-way FC.
 */
export function tinyNet(b: OnnxBuilder, x: string, classes = 10): string {
  let t = b.convBnAct(x, 8, 3, 'relu');
  t = b.maxPool(t, 2, 2, 0);
  const a = b.convBnAct(t, 8, 3, 'relu6', { group: 8 });
  const r = b.act(b.add(t, b.conv(a, 8, 1, { pad: 0, bias: true })), 'relu');
  t = b.concat([r, b.conv(t, 8, 3, { stride: 1, bias: true })]);
  t = b.act(b.conv(t, 16, 3, { stride: 2, bias: true }), 'leaky');
  return b.fc(b.flatten(b.globalAvgPool(t)), classes);
}
