/** Pad (constant, reflect, edge; pads from attributes before opset 11, from inputs after). */
import { NCHW_TO_NHWC } from '../layout.js';
import { nodeOutput } from './emit.js';
import type { OnnxOpTable } from './types.js';

export const padOps: OnnxOpTable = {
  Pad: {
    convert(cx, { attrs, ins, x, base }) {
      const s = cx.onnxShape(x);
      const r = s.length;
      let pads: number[];
      let value = 0;
      if (cx.opset < 11) {
        pads = attrs.ints('pads') ?? attrs.ints('paddings') ?? [];
        value = attrs.float('value', 0);
      } else {
        pads = [...cx.constIn(1, 'Pad pads')!.data];
        if (ins[2]) value = cx.constIn(2, 'Pad constant_value')!.data[0] ?? 0;
      }
      let axes = s.map((_, i) => i);
      if (ins[3]) axes = [...cx.constIn(3, 'Pad axes')!.data].map((a) => (a < 0 ? a + r : a));
      const before = s.map(() => 0), after = s.map(() => 0);
      axes.forEach((a, i) => { before[a] = pads[i]!; after[a] = pads[i + axes.length]!; });
      if ([...before, ...after].some((p) => p < 0)) cx.fail('E_ONNX_ATTR', 'Pad with negative pads (cropping) is not supported', 'use Slice');
      const modeStr = attrs.str('mode', 'constant');
      const mode = ({ constant: 'CONSTANT', reflect: 'REFLECT', edge: 'EDGE' } as Record<string, string>)[modeStr];
      if (!mode) cx.fail('E_ONNX_ATTR', `Pad mode '${modeStr}' is not supported`);
      const nh = x.k === 'ir' && x.nhwc;
      const P = nh ? NCHW_TO_NHWC : s.map((_, i) => i);
      const paddings = P.flatMap((a) => [before[a]!, after[a]!]);
      const op = cx.emit('pad', [nh ? (x as { name: string }).name : cx.nchw(x, base)], { paddings, mode, constant_value: value }, base);
      cx.out(nodeOutput(cx), op.name, nh);
    },
  },
};
