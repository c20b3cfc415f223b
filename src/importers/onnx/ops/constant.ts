/**
 * Constants and ops that never reach the IR: Constant, the pass-through ops (Identity, Dropout in eval
 * mode, Cast to float) and the ops supported only when folded at import (shape arithmetic and integer
 * math: fold.ts evaluates them; Shape and Size also read a run-time input's shape).
 */
import { dtypeName, numel, type ConstVal } from '../tensor.js';
import type { OnnxOpTable } from './types.js';

const FOLD_ONLY = [
  'ConstantOfShape', 'Range', 'Expand', 'Where', 'Equal', 'Less', 'LessOrEqual', 'Greater',
  'GreaterOrEqual', 'And', 'Or', 'Not', 'Floor', 'Ceil', 'Round', 'ReduceProd', 'ReduceMin', 'Mod', 'Log',
] as const;

export const constantOps: OnnxOpTable = {
  Constant: {
    source(cx, attrs, outs) {
      let c: ConstVal | undefined = attrs.tensor('value');
      if (!c) {
        if (attrs.has('value_float')) c = { dims: [], kind: 'float', data: Float64Array.of(Math.fround(attrs.float('value_float', 0))) };
        else if (attrs.has('value_floats')) { const f = attrs.floats('value_floats')!; c = { dims: [f.length], kind: 'float', data: Float64Array.from(f, Math.fround) }; }
        else if (attrs.has('value_int')) c = { dims: [], kind: 'int', data: Float64Array.of(attrs.int('value_int', 0)) };
        else if (attrs.has('value_ints')) { const f = attrs.ints('value_ints')!; c = { dims: [f.length], kind: 'int', data: Float64Array.from(f) }; }
        else return cx.fail('E_ONNX_CONSTANT', `Constant has no supported value attribute (${attrs.names().join(', ')})`, 'use a tensor/float/int value');
      }
      cx.setVal(outs[0] ?? '', { k: 'const', c });
    },
  },
  Shape: {
    foldOnly: true,
    fromShape(dims, attrs) {
      const r = dims.length;
      let s = attrs.int('start', 0), e = attrs.int('end', r);
      if (s < 0) s += r;
      if (e < 0) e += r;
      const sl = dims.slice(Math.max(0, s), Math.min(r, e));
      return { dims: [sl.length], kind: 'int', data: Float64Array.from(sl) };
    },
  },
  Size: { foldOnly: true, fromShape: (dims) => ({ dims: [], kind: 'int', data: Float64Array.of(numel(dims)) }) },
  ...Object.fromEntries(FOLD_ONLY.map((t) => [t, { foldOnly: true } as const])),
  Identity: { convert: (cx, { x, base }) => cx.setVal(base, x) },
  Dropout: {
    convert(cx, { ins, x, base }) {
      if (ins[2] && (ins[2].k !== 'const' || ins[2].c.data[0])) {
        cx.fail('E_ONNX_ATTR', 'Dropout in training mode is not supported (random)', 'export the model in eval mode');
      }
      cx.setVal(base, x);
    },
  },
  Cast: {
    convert(cx, { attrs, x, base }) {
      if (attrs.int('to', 1) === 1) return cx.setVal(base, x);
      cx.fail('E_ONNX_CAST', `Cast of run-time data to ${dtypeName(attrs.int('to', 0))} is not supported (the IR is float32)`, 'remove the cast or make its input constant');
    },
  },
};
