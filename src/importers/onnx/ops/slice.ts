/** Taking tensors apart and joining them: Slice, Split, Gather, Concat. */
import { evalConst, resolveSliceParams } from '../fold.js';
import type { OnnxConverter } from '../importer.js';
import { TO_IR, type Val } from '../layout.js';
import { numel } from '../tensor.js';
import { reshape, stridedSlice } from './emit.js';
import type { OnnxNode, OnnxOpTable } from './types.js';

function split(cx: OnnxConverter, { attrs, ins, outs }: OnnxNode): void {
  const x = ins[0]!;
  const s = cx.onnxShape(x);
  let ax = attrs.int('axis', 0);
  if (ax < 0) ax += s.length;
  let sizes: number[] | undefined = cx.opset >= 13 ? (ins[1] ? [...cx.constIn(1, 'Split sizes')!.data] : undefined) : attrs.ints('split');
  const nOut = outs.length;
  if (!sizes || sizes.length === 0) {
    const each = Math.ceil(s[ax]! / nOut);
    sizes = outs.map((_, i) => Math.min(each, s[ax]! - each * i));
  }
  if (sizes.reduce((p, q) => p + q, 0) !== s[ax]) cx.fail('E_ONNX_SHAPE', `Split sizes [${sizes}] do not sum to dim ${ax} = ${s[ax]} of [${s.join(',')}]`);
  let off = 0;
  outs.forEach((o, i) => {
    const begin = s.map(() => 0), end = [...s], strides = s.map(() => 1);
    begin[ax] = off; end[ax] = off + sizes![i]!;
    off += sizes![i]!;
    if (!o) return;
    if (x.k === 'const') {
      const r = evalConst('Slice', [x.c, { dims: [1], kind: 'int', data: Float64Array.of(begin[ax]!) }, { dims: [1], kind: 'int', data: Float64Array.of(end[ax]!) }, { dims: [1], kind: 'int', data: Float64Array.of(ax) }], attrs, 13);
      cx.setVal(o, { k: 'const', c: r![0]! });
      return;
    }
    stridedSlice(cx, x, begin, end, strides, o, o);
  });
}

export const sliceOps: OnnxOpTable = {
  Split: { convert: split },
  Slice: {
    convert(cx, { attrs, ins, x, base }) {
      const s = cx.onnxShape(x);
      let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
      if (cx.opset < 10) {
        starts = attrs.ints('starts') ?? []; ends = attrs.ints('ends') ?? []; axes = attrs.ints('axes');
      } else {
        starts = [...cx.constIn(1, 'Slice starts')!.data]; ends = [...cx.constIn(2, 'Slice ends')!.data];
        axes = ins[3] ? [...cx.constIn(3, 'Slice axes')!.data] : undefined;
        steps = ins[4] ? [...cx.constIn(4, 'Slice steps')!.data] : undefined;
      }
      const p = resolveSliceParams(s, starts, ends, axes, steps);
      if (!p) return cx.fail('E_ONNX_ATTR', `invalid Slice parameters for [${s.join(',')}]: starts ${starts} ends ${ends} axes ${axes} steps ${steps}`);
      stridedSlice(cx, x, p.begin, p.end, p.strides, base, base);
    },
  },
  Gather: {
    convert(cx, { attrs, x, base }) {
      const s = cx.onnxShape(x);
      let ax = attrs.int('axis', 0);
      if (ax < 0) ax += s.length;
      const idx = cx.constIn(1, 'Gather indices')!;
      const ids = [...idx.data].map((i) => (i < 0 ? i + s[ax]! : i));
      if (ids.some((i) => i < 0 || i >= s[ax]!)) cx.fail('E_ONNX_ATTR', `Gather index out of range for axis ${ax} of [${s.join(',')}]`);
      const outDims = [...s.slice(0, ax), ...idx.dims, ...s.slice(ax + 1)];
      if (idx.dims.length === 0) {
        const begin = s.map(() => 0), end = [...s], strides = s.map(() => 1);
        begin[ax] = ids[0]!; end[ax] = ids[0]! + 1;
        const sl = stridedSlice(cx, x, begin, end, strides, `${base}/slice`, undefined);
        reshape(cx, sl, outDims, base);
        return;
      }
      const op = cx.emit('gather', [cx.nchw(x, base)], { axis: ax, indices: ids }, idx.dims.length === 1 ? base : `${base}/g`);
      const v: Val = { k: 'ir', name: op.name, shape: [...op.output.shape], nhwc: false };
      if (idx.dims.length === 1) return cx.out(base, op.name, false);
      reshape(cx, v, outDims, base);
    },
  },
  Concat: {
    convert(cx, { attrs, ins, base }) {
      const vals = ins.filter((v): v is Val => v !== undefined && numel(cx.onnxShape(v)) > 0);
      const r = cx.onnxShape(vals[0]!).length;
      let ax = attrs.int('axis', 0);
      if (ax < 0) ax += r;
      const useNhwc = r === 4 && vals.some((v) => v.k === 'ir' && v.nhwc);
      const names = vals.map((v, i) => (useNhwc ? cx.nhwc(v, `${base}/in${i}`) : cx.nchw(v, `${base}/in${i}`)));
      const op = cx.emit('concat', names, { axis: useNhwc ? TO_IR[ax]! : ax }, base);
      cx.out(base, op.name, useNhwc);
    },
  },
};
