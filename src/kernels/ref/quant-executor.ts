/**
 * The quantized executor ("test mode", bit-exact): runs a quantized IR graph
 * (docs/quantized-ir.md) with the DPU's integer arithmetic.
 *
 * - An op whose output has a fixPoint and whose type has an INT8 reference kernel
 *   (src/kernels/ref/int8) runs in integer arithmetic on its fixed-point inputs.
 * - An op without a fixPoint runs its float kernel (`getOpDef(type).float`, src/ops) on float
 *   inputs; fixed-point inputs are dequantized (q · 2^-fp, exact) at that fixed → float boundary.
 * - An op with a fixPoint but no INT8 kernel (e.g. a CPU op whose output the quantizer fixed,
 *   or a `data` op) computes in float and its output is quantized with DPU_ROUND + saturation:
 *   that is the float → fixed boundary, materialised on the tensor that carries the fix point.
 * - `const` ops with a fixPoint hold already-quantized values as float32; they are converted to
 *   int8 exactly (QuantizeError if a value is not an integer multiple of 2^-fp in int8 range).
 * A fixed-point op fed by a float tensor is an error (the boundary has no fix point).
 *
 * Float op kernels come from the op registry (src/ops, imported here for its registrations).
 */
import type { Graph, Op, TensorValue } from '../../ir/types.js';
import { getOpDef } from '../../ir/registry.js';
import { QuantizeError } from '../../errors.js';
import { DPU_ROUND, dequantize, quantize } from './int8/arith.js';
import { type QTensor, numel } from './int8/common.js';
import { INT8_KERNELS, hasInt8Kernel } from './int8/index.js';
import '../../ops/index.js'; // registers the float op definitions

export interface RunQuantizedOptions {
  /** Called once per op, in graph order: its value as float (dequantized for fixed-point
   * tensors) and, for fixed-point tensors, the raw int8 data. */
  onTensor?: (op: Op, value: TensorValue, q?: Int8Array) => void;
}

interface Slot {
  f?: TensorValue;
  q?: QTensor;
}

function floatOf(s: Slot): TensorValue {
  if (!s.f) {
    const q = s.q as QTensor;
    s.f = { shape: q.shape.slice(), data: dequantize(q.data, q.fixPoint) };
  }
  return s.f;
}

/** Exact int8 values of a quantized const op (data[i] · 2^fp must be an integer in [-128, 127]). */
export function constToQ(op: Op): QTensor {
  const fp = op.output.fixPoint as number;
  const d = op.data;
  if (!d) throw new QuantizeError('E_QIR_CONST_EMPTY', `const '${op.name}' has no data`, { where: op.name });
  const q = new Int8Array(d.length);
  const s = 2 ** fp;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] * s;
    if (!Number.isInteger(v) || v < -128 || v > 127) {
      throw new QuantizeError('E_QIR_CONST_NOT_Q', `const '${op.name}'[${i}] = ${d[i]} is not q·2^-${fp} with q an int8 (q = ${v})`, {
        where: op.name,
        fix: 'store weights/bias already quantized: data[i] = saturate(STD_ROUND(w·2^fp))·2^-fp',
      });
    }
    q[i] = v;
  }
  const shape = op.output.shape.length ? op.output.shape.slice() : [d.length];
  return { shape, data: q, fixPoint: fp };
}

/**
 * Runs a quantized graph. Feeds are float, keyed by `data` op name; outputs are float
 * (dequantized when the output tensor is fixed-point), keyed by output op name.
 */
export function runQuantized(graph: Graph, feeds: Record<string, TensorValue>, opts: RunQuantizedOptions = {}): Record<string, TensorValue> {
  const slots = new Map<string, Slot>();
  for (const op of graph.ops) {
    const fp = op.output.fixPoint;
    let slot: Slot;
    if (op.type === 'data') {
      const feed = feeds[op.name];
      if (!feed) {
        throw new QuantizeError('E_Q_FEED_MISSING', `no feed for graph input '${op.name}'`, {
          where: op.name,
          fix: `pass feeds for: ${graph.inputs.join(', ')}`,
        });
      }
      const want = op.output.shape;
      if (want.length && numel(want) !== feed.data.length) {
        throw new QuantizeError('E_Q_FEED_SHAPE', `feed '${op.name}' has ${feed.data.length} values, the graph input [${want}] needs ${numel(want)}`, { where: op.name });
      }
      const shape = want.length ? want.slice() : feed.shape.slice();
      slot = fp === undefined ? { f: { shape, data: feed.data } } : { q: { shape, data: quantize(feed.data, fp, DPU_ROUND), fixPoint: fp } };
    } else if (op.type === 'const') {
      if (fp === undefined) {
        if (!op.data) throw new QuantizeError('E_QIR_CONST_EMPTY', `const '${op.name}' has no data`, { where: op.name });
        slot = { f: { shape: op.output.shape.slice(), data: op.data } };
      } else slot = { q: constToQ(op) };
    } else {
      const ins = op.inputs.map((name) => {
        const s = slots.get(name);
        if (!s) throw new QuantizeError('E_QIR_ORDER', `input '${name}' of '${op.name}' is not computed before it`, { where: op.name, fix: 'ops must be topologically sorted' });
        return s;
      });
      if (fp !== undefined && hasInt8Kernel(op.type)) {
        const qs = ins.map((s, i) => {
          if (!s.q) {
            throw new QuantizeError('E_QIR_BOUNDARY', `fixed-point op '${op.name}' (${op.type}) reads float tensor '${op.inputs[i]}' which has no fix point`, {
              where: op.name,
              fix: `give '${op.inputs[i]}' a fixPoint (quantize at the boundary) or keep '${op.name}' on the CPU`,
            });
          }
          return s.q;
        });
        const q = INT8_KERNELS[op.type](qs, op);
        const want = op.output.shape;
        if (want.length && numel(want) !== q.data.length) {
          throw new QuantizeError('E_Q_SHAPE_MISMATCH', `INT8 kernel produced [${q.shape}] but the graph says [${want}]`, { where: op.name });
        }
        if (want.length) q.shape = want.slice();
        slot = { q };
      } else {
        const def = getOpDef(op.type);
        const fin = ins.map(floatOf);
        const y = def.float(fin, op.attrs, op);
        slot = fp === undefined ? { f: y } : { q: { shape: y.shape.slice(), data: quantize(y.data, fp, DPU_ROUND), fixPoint: fp } };
      }
    }
    slots.set(op.name, slot);
    if (opts.onTensor) opts.onTensor(op, floatOf(slot), slot.q?.data);
  }
  const out: Record<string, TensorValue> = {};
  for (const name of graph.outputs) {
    const s = slots.get(name);
    if (!s) throw new QuantizeError('E_QIR_OUTPUT', `graph output '${name}' is not an op`, { where: name });
    out[name] = floatOf(s);
  }
  return out;
}
