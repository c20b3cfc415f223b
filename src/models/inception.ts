import { OnnxBuilder } from './onnx-builder.js';

/**
 * Inception-v1 (GoogLeNet, Szegedy et al. 2014, table 1) with BatchNormalization after each
 * conv instead of LRN, 5×5 convs in the 5×5 branch as in the paper, no auxiliary heads.
 * Max pools use padding 1 (same sizes as the paper's ceil-mode pools at 224²).
 */
export function inceptionV1(b: OnnxBuilder, x: string, classes = 1000): string {
  let t = b.convBnAct(x, 64, 7, 'relu', { stride: 2, pad: 3 });
  t = b.maxPool(t, 3, 2, 1);
  t = b.convBnAct(t, 64, 1, 'relu', { pad: 0 });
  t = b.convBnAct(t, 192, 3, 'relu');
  t = b.maxPool(t, 3, 2, 1);
  // [#1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj]
  const table: Record<string, [number, number, number, number, number, number]> = {
    '3a': [64, 96, 128, 16, 32, 32], '3b': [128, 128, 192, 32, 96, 64],
    '4a': [192, 96, 208, 16, 48, 64], '4b': [160, 112, 224, 24, 64, 64], '4c': [128, 128, 256, 24, 64, 64],
    '4d': [112, 144, 288, 32, 64, 64], '4e': [256, 160, 320, 32, 128, 128],
    '5a': [256, 160, 320, 32, 128, 128], '5b': [384, 192, 384, 48, 128, 128],
  };
  for (const key of ['3a', '3b', 'pool', '4a', '4b', '4c', '4d', '4e', 'pool', '5a', '5b']) {
    if (key === 'pool') {
      t = b.maxPool(t, 3, 2, 1);
      continue;
    }
    const [c1, r3, c3, r5, c5, pp] = table[key]!;
    const br1 = b.convBnAct(t, c1, 1, 'relu', { pad: 0 });
    const br2 = b.convBnAct(b.convBnAct(t, r3, 1, 'relu', { pad: 0 }), c3, 3, 'relu');
    const br3 = b.convBnAct(b.convBnAct(t, r5, 1, 'relu', { pad: 0 }), c5, 5, 'relu');
    const br4 = b.convBnAct(b.maxPool(t, 3, 1, 1), pp, 1, 'relu', { pad: 0 });
    t = b.concat([br1, br2, br3, br4]);
  }
  return b.fc(b.flatten(b.globalAvgPool(t)), classes);
}
