/**
 * One op of a quantized graph evaluated as the DPU computes it, for the passes that walk the graph op by op on
 * calibration batches (sequential bias correction, fast finetune): INT8 kernels where the op has a fix point and
 * an INT8 kernel, otherwise the float op on dequantized inputs, re-quantized when the output carries a fix point.
 */
import type { Op, TensorValue } from '../ir/types.js';
import { getOpDef } from '../ir/registry.js';
import { DPU_ROUND, dequantize, quantize as quantizeQ } from '../kernels/ref/int8/arith.js';
import type { QTensor } from '../kernels/ref/int8/common.js';
import { INT8_KERNELS, hasInt8Kernel } from '../kernels/ref/int8/index.js';
import { constToQ } from '../kernels/ref/quant-executor.js';

/** A tensor value during the walk: INT8 (`q`) when it carries a fix point, float (`f`, cached dequantization) otherwise. */
export type QSlot = { f?: TensorValue; q?: QTensor };

/** The float value of a slot (dequantized once and cached). */
export function slotFloat(s: QSlot): TensorValue {
  if (!s.f) s.f = { shape: (s.q as QTensor).shape.slice(), data: dequantize((s.q as QTensor).data, (s.q as QTensor).fixPoint) };
  return s.f;
}

/** The slot of a const op (its current data: re-read after a pass changed it). */
export function constSlot(op: Op): QSlot {
  return op.output.fixPoint === undefined ? { f: { shape: op.output.shape.slice(), data: op.data as Float32Array } } : { q: constToQ(op) };
}

/** Evaluates `op` on its input slots (`slotOf(name)`); `feed` is the batch's value for a data op. */
export function quantizedStep(op: Op, slotOf: (name: string) => QSlot, feed?: TensorValue): QSlot {
  const fp = op.output.fixPoint;
  if (op.type === 'data') {
    const f = feed as TensorValue;
    const shape = op.output.shape.length ? op.output.shape.slice() : f.shape.slice();
    return fp === undefined ? { f: { shape, data: f.data } } : { q: { shape, data: quantizeQ(f.data, fp, DPU_ROUND), fixPoint: fp } };
  }
  if (op.type === 'const') return constSlot(op);
  const ins = op.inputs.map(slotOf);
  if (fp !== undefined && hasInt8Kernel(op.type)) {
    const q = INT8_KERNELS[op.type](ins.map((x) => x.q as QTensor), op);
    if (op.output.shape.length) q.shape = op.output.shape.slice();
    return { q };
  }
  const y = getOpDef(op.type).float(ins.map(slotFloat), op.attrs, op);
  return fp === undefined ? { f: y } : { q: { shape: y.shape.slice(), data: quantizeQ(y.data, fp, DPU_ROUND), fixPoint: fp } };
}
