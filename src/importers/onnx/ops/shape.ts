/** Reshapes and transposes: Flatten, Reshape, Squeeze, Unsqueeze, Transpose. */
import { resolveReshape } from '../fold.js';
import type { OnnxConverter } from '../importer.js';
import { NHWC_TO_NCHW } from '../layout.js';
import { numel } from '../tensor.js';
import { reshape } from './emit.js';
import type { OnnxNode, OnnxOpTable } from './types.js';

function squeezeOrUnsqueeze(cx: OnnxConverter, { type, attrs, ins, x, base }: OnnxNode): void {
  const s = cx.onnxShape(x);
  const axesIn = cx.opset >= 13 ? (ins[1] ? [...cx.constIn(1, `${type} axes`)!.data] : undefined) : attrs.ints('axes');
  let dims: number[];
  if (type === 'Squeeze') {
    const ax = axesIn ? axesIn.map((a) => (a < 0 ? a + s.length : a)) : s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
    for (const a of ax) if (s[a] !== 1) cx.fail('E_ONNX_SHAPE', `Squeeze axis ${a} of [${s.join(',')}] is not 1`);
    dims = s.filter((_, i) => !ax.includes(i));
  } else {
    if (!axesIn) cx.fail('E_ONNX_ATTR', 'Unsqueeze needs axes');
    const r = s.length + axesIn.length;
    const ax = axesIn.map((a) => (a < 0 ? a + r : a));
    dims = [];
    let j = 0;
    for (let i = 0; i < r; i++) dims.push(ax.includes(i) ? 1 : s[j++]!);
  }
  reshape(cx, x, dims, base);
}

export const shapeOps: OnnxOpTable = {
  Flatten: {
    convert(cx, { attrs, x, base }) {
      const s = cx.onnxShape(x);
      let ax = attrs.int('axis', 1);
      if (ax < 0) ax += s.length;
      reshape(cx, x, [numel(s.slice(0, ax)), numel(s.slice(ax))], base);
    },
  },
  Reshape: {
    convert(cx, { attrs, x, base }) {
      const target = cx.opset >= 5 ? [...cx.constIn(1, 'Reshape shape')!.data] : attrs.ints('shape') ?? [];
      const dims = resolveReshape(cx.onnxShape(x), target, attrs.int('allowzero', 0) !== 0);
      if (!dims) return cx.fail('E_ONNX_SHAPE', `cannot reshape [${cx.onnxShape(x).join(',')}] to [${target.join(',')}]`, 'the element counts differ; check --input-shape');
      reshape(cx, x, dims, base);
    },
  },
  Squeeze: { convert: squeezeOrUnsqueeze },
  Unsqueeze: { convert: squeezeOrUnsqueeze },
  Transpose: {
    convert(cx, { attrs, x, base }) {
      const s = cx.onnxShape(x);
      const perm = attrs.ints('perm') ?? s.map((_, i) => s.length - 1 - i);
      if (x.k === 'ir' && x.nhwc) {
        // compose with the layout: y = x_nhwc.transpose(TO_ONNX∘perm)
        const order = perm.map((p) => NHWC_TO_NCHW[p]!);
        const op = cx.emit('transpose', [x.name], { order }, base);
        return cx.out(base, op.name, false);
      }
      const op = cx.emit('transpose', [cx.nchw(x, base)], { order: perm }, base);
      cx.out(base, op.name, false);
    },
  },
};
