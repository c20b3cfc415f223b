/** Element-wise ops: activations (unary) and broadcasting arithmetic (binary). */
import { binaryOp, unaryOp } from './emit.js';
import type { OnnxOp, OnnxOpTable } from './types.js';

const FLOAT_MAX = 3.4028234663852886e38;

const UNARY: Record<string, string> = {
  Relu: 'relu', Sigmoid: 'sigmoid', Tanh: 'tanh', Sqrt: 'sqrt', Exp: 'exp', Erf: 'erf', Neg: 'neg', Abs: 'abs',
  Reciprocal: 'reciprocal', HardSwish: 'hard-swish',
};
const BINARY: Record<string, string> = { Add: 'add', Sub: 'sub', Mul: 'mul', Div: 'div', Pow: 'pow', Max: 'max', Min: 'min' };

const unary = (irType: string): OnnxOp => ({ convert: (cx, { x, base }) => void unaryOp(cx, irType, x, {}, base) });
const binary = (irType: string): OnnxOp => ({
  convert(cx, { type, ins, x, base }) {
    if (ins.length !== 2) cx.fail('E_ONNX_ARITY', `${type} with ${ins.length} inputs is not supported (2 expected)`, 'split it into binary ops');
    binaryOp(cx, irType, x, ins[1]!, base);
  },
});

export const elementwiseOps: OnnxOpTable = {
  ...Object.fromEntries(Object.entries(UNARY).map(([t, ir]) => [t, unary(ir)])),
  ...Object.fromEntries(Object.entries(BINARY).map(([t, ir]) => [t, binary(ir)])),
  LeakyRelu: { convert: (cx, { attrs, x, base }) => void unaryOp(cx, 'leaky-relu', x, { alpha: attrs.float('alpha', 0.01) }, base) },
  HardSigmoid: {
    convert: (cx, { attrs, x, base }) => void unaryOp(cx, 'hard-sigmoid', x, { alpha: attrs.float('alpha', 0.2), beta: attrs.float('beta', 0.5) }, base),
  },
  Clip: {
    convert(cx, { attrs, x, base }) {
      let lo: number, hi: number;
      if (cx.opset < 11) { lo = attrs.float('min', -FLOAT_MAX); hi = attrs.float('max', FLOAT_MAX); }
      else { lo = cx.constIn(1, 'Clip min')?.data[0] ?? -FLOAT_MAX; hi = cx.constIn(2, 'Clip max')?.data[0] ?? FLOAT_MAX; }
      if (lo === 0 && hi === 6) unaryOp(cx, 'relu6', x, {}, base);
      else if (lo === 0 && hi >= FLOAT_MAX) unaryOp(cx, 'relu', x, {}, base);
      else unaryOp(cx, 'clamp', x, { min: Math.max(lo, -FLOAT_MAX), max: Math.min(hi, FLOAT_MAX) }, base);
    },
  },
  PRelu: {
    convert(cx, { ins, x, base }) {
      // prelu(x) = relu(x) − slope·relu(−x)   (exact in float)
      const slope = ins[1]!;
      const pos = unaryOp(cx, 'relu', x, {}, `${base}/pos`, true)!;
      const negx = unaryOp(cx, 'neg', x, {}, `${base}/negx`, true)!;
      const rn = unaryOp(cx, 'relu', negx, {}, `${base}/relu_neg`, true)!;
      const sc = binaryOp(cx, 'mul', rn, slope, `${base}/scaled`, true)!;
      binaryOp(cx, 'sub', pos, sc, base);
    },
  },
};
