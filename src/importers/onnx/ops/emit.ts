/**
 * IR building blocks several op families share: an element-wise unary or broadcasting binary op, a
 * reshape and a strided slice, each keeping a 4-D NHWC activation NHWC where it can. With `inner` the
 * value is returned for further use; otherwise it becomes the node's first output.
 */
import type { Attrs } from '../../../ir/types.js';
import { broadcastDims } from '../fold.js';
import type { OnnxConverter } from '../importer.js';
import { NCHW_TO_NHWC, NHWC_TO_NCHW, permute, type Val } from '../layout.js';
import { numel } from '../tensor.js';

/** The current node's first output as the node lists it (the table's `base` is the same name, or '' when absent). */
export const nodeOutput = (cx: OnnxConverter): string => cx.current!.output![0]!;
const setOutput = (cx: OnnxConverter, v: Val): void => cx.setVal(nodeOutput(cx), v);

export function unaryOp(cx: OnnxConverter, irType: string, x: Val, attrs: Attrs, base: string, inner = false): Val | undefined {
  const nh = x.k === 'ir' && x.nhwc;
  const op = cx.emit(irType, [nh ? (x as { name: string }).name : cx.nchw(x, base)], attrs, base);
  const v: Val = { k: 'ir', name: op.name, shape: nh ? permute(op.output.shape, NHWC_TO_NCHW) : [...op.output.shape], nhwc: nh };
  if (!inner) setOutput(cx, v);
  return inner ? v : undefined;
}

export function binaryOp(cx: OnnxConverter, irType: string, a: Val, b: Val, base: string, inner = false): Val | undefined {
  const sa = cx.onnxShape(a), sb = cx.onnxShape(b);
  const outDims = broadcastDims(sa, sb);
  if (!outDims) cx.fail('E_ONNX_SHAPE', `${cx.current?.op_type} operands [${sa.join(',')}] and [${sb.join(',')}] do not broadcast`, 'check the model\'s shapes and --input-shape');
  const useNhwc = outDims.length === 4 && [a, b].some((v) => v.k === 'ir' && v.nhwc);
  const names = [a, b].map((v, i) => {
    const s = cx.onnxShape(v);
    if (!useNhwc) return cx.nchw(v, `${base}/in${i}`);
    if (v.k === 'const') {
      if (numel(s) === 1) return cx.constOp(v.c, `${base}/c${i}`);
      const d4 = [...new Array<number>(4 - s.length).fill(1), ...s];
      return cx.constOp(v.c, `${base}/c${i}`, NCHW_TO_NHWC, d4);
    }
    if (s.length === 4) return cx.nhwc(v, base);
    if (numel(s) === 1) return v.name;
    const d4 = [...new Array<number>(4 - s.length).fill(1), ...s];
    const r = cx.emit('reshape', [v.name], { shape: d4 }, `${base}/in${i}_4d`);
    return cx.emit('transpose', [r.name], { order: NCHW_TO_NHWC }, `${base}/in${i}_nhwc`).name;
  });
  const op = cx.emit(irType, names, {}, base);
  const v: Val = { k: 'ir', name: op.name, shape: useNhwc ? permute(op.output.shape, NHWC_TO_NCHW) : [...op.output.shape], nhwc: useNhwc };
  if (!inner) setOutput(cx, v);
  return inner ? v : undefined;
}

export function reshape(cx: OnnxConverter, x: Val, dims: number[], base: string, inner = false): Val {
  const s = cx.onnxShape(x);
  if (numel(s) !== numel(dims)) cx.fail('E_ONNX_SHAPE', `cannot reshape [${s.join(',')}] to [${dims.join(',')}]`);
  let v: Val;
  if (x.k === 'const') v = { k: 'const', c: { dims, kind: x.c.kind, data: x.c.data } };
  else {
    const op = cx.emit('reshape', [cx.nchw(x, base)], { shape: dims }, base);
    v = { k: 'ir', name: op.name, shape: [...op.output.shape], nhwc: false };
  }
  if (!inner) setOutput(cx, v);
  return v;
}

/** begin/end/strides per ONNX axis; the value goes to `outName` when given. */
export function stridedSlice(cx: OnnxConverter, x: Val, begin: number[], end: number[], strides: number[], base: string, outName: string | undefined): Val {
  const nh = x.k === 'ir' && x.nhwc;
  const P = nh ? NCHW_TO_NHWC : begin.map((_, i) => i);
  const op = cx.emit('strided_slice', [nh ? (x as { name: string }).name : cx.nchw(x, base)],
    { begin: permute(begin, P), end: permute(end, P), strides: permute(strides, P) }, base);
  const v: Val = { k: 'ir', name: op.name, shape: nh ? permute(op.output.shape, NHWC_TO_NCHW) : [...op.output.shape], nhwc: nh };
  if (outName) cx.setVal(outName, v);
  return v;
}
