/** Matrix products: MatMul and Gemm (alpha folded into a constant B, beta·C into the bias when it can be). */
import type { OnnxConverter } from '../importer.js';
import type { Val } from '../layout.js';
import { numel } from '../tensor.js';
import { binaryOp, nodeOutput } from './emit.js';
import type { OnnxNode, OnnxOpTable } from './types.js';

function gemm(cx: OnnxConverter, { attrs, ins, base }: OnnxNode): void {
  const [a, b, c] = ins;
  const alpha = attrs.float('alpha', 1), beta = attrs.float('beta', 1);
  const ta = attrs.int('transA', 0) !== 0, tb = attrs.int('transB', 0) !== 0;
  let bName: string;
  if (b!.k === 'const' && alpha !== 1) {
    bName = cx.constOp({ dims: b!.c.dims, kind: 'float', data: b!.c.data.map((v) => Math.fround(v * alpha)) }, `${base}/b`);
  } else bName = cx.nchw(b!, `${base}/b`);
  const sa = cx.onnxShape(a!);
  const sb = cx.onnxShape(b!);
  const M = ta ? sa[1]! : sa[0]!;
  const N = tb ? sb[0]! : sb[1]!;
  const inputs = [cx.nchw(a!, `${base}/a`), bName];
  let addC: Val | undefined;
  if (c) {
    const cs = cx.onnxShape(c);
    if (c.k === 'const' && numel(cs) === N && (cs.length === 1 || cs[cs.length - 1] === N) && (M === 1 || cs.length === 1 || cs[0] === 1)) {
      inputs.push(cx.constOp({ dims: [N], kind: 'float', data: c.c.data.map((v) => Math.fround(v * beta)) }, `${base}/bias`));
    } else addC = c;
  }
  const needScale = alpha !== 1 && b!.k !== 'const';
  const mm = cx.emit('matmul', inputs, { transpose_a: ta, transpose_b: tb }, needScale || addC ? `${base}/mm` : base);
  let v: Val = { k: 'ir', name: mm.name, shape: [...mm.output.shape], nhwc: false };
  if (needScale) v = binaryOp(cx, 'mul', v, { k: 'const', c: { dims: [], kind: 'float', data: Float64Array.of(alpha) } }, addC ? `${base}/scaled` : base, true)!;
  if (addC) {
    const cv: Val = beta === 1 || addC.k !== 'const' ? addC : { k: 'const', c: { dims: addC.c.dims, kind: 'float', data: addC.c.data.map((x) => Math.fround(x * beta)) } };
    if (beta !== 1 && addC.k !== 'const') cx.fail('E_ONNX_ATTR', 'Gemm with beta≠1 on a run-time C is not supported');
    v = binaryOp(cx, 'add', v, cv, base, true)!;
  }
  cx.setVal(nodeOutput(cx), v);
}

export const matmulOps: OnnxOpTable = {
  Gemm: { convert: gemm },
  MatMul: {
    convert(cx, { ins, x, base }) {
      const a = cx.nchw(x, `${base}/a`);
      const b = cx.nchw(ins[1]!, `${base}/b`);
      const op = cx.emit('matmul', [a, b], { transpose_a: false, transpose_b: false }, base);
      cx.out(base, op.name, false);
    },
  },
};
