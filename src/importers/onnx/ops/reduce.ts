/** Reductions over run-time data: ReduceMean, ReduceMax, ReduceSum (ReduceProd/ReduceMin only fold, see constant.ts). */
import type { OnnxConverter } from '../importer.js';
import { TO_IR, TO_ONNX } from '../layout.js';
import type { OnnxNode, OnnxOpTable } from './types.js';

const IR_TYPE: Record<string, string> = { ReduceMean: 'reduction_mean', ReduceMax: 'reduction_max', ReduceSum: 'reduction_sum' };

function reduce(cx: OnnxConverter, { type, attrs, ins, x, base }: OnnxNode): void {
  const s = cx.onnxShape(x);
  const r = s.length;
  const axesFromInput = (type === 'ReduceSum' && cx.opset >= 13) || cx.opset >= 18;
  let axes = axesFromInput ? (ins[1] ? [...cx.constIn(1, `${type} axes`)!.data] : undefined) : attrs.ints('axes');
  if (!axes || axes.length === 0) {
    if (attrs.int('noop_with_empty_axes', 0)) { cx.setVal(base, x); return; }
    axes = s.map((_, i) => i);
  }
  axes = axes.map((a) => (a < 0 ? a + r : a)).sort((a, b) => a - b);
  const keep = attrs.int('keepdims', 1) !== 0;
  const irType = IR_TYPE[type]!;
  let useNhwc = x.k === 'ir' && x.nhwc;
  if (useNhwc && !keep) {
    // without keepdims the NHWC order of the remaining axes must still be the ONNX order
    const irAxes = axes.map((a) => TO_IR[a]!);
    const remain = [0, 1, 2, 3].filter((i) => !irAxes.includes(i)).map((i) => TO_ONNX[i]!);
    if (!remain.every((v, i) => i === 0 || v > remain[i - 1]!)) useNhwc = false;
  }
  if (useNhwc && x.k === 'ir') {
    const irAxes = axes.map((a) => TO_IR[a]!).sort((a, b) => a - b);
    const op = cx.emit(irType, [x.name], { axis: irAxes, keep_dims: keep }, base);
    return cx.out(base, op.name, keep);
  }
  const op = cx.emit(irType, [cx.nchw(x, base)], { axis: axes, keep_dims: keep }, base);
  cx.out(base, op.name, false);
}

export const reduceOps: OnnxOpTable = Object.fromEntries(Object.keys(IR_TYPE).map((t) => [t, { convert: reduce }]));
