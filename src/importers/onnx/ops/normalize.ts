/** Normalizations: BatchNormalization, LayerNormalization and Softmax. */
import { TO_IR } from '../layout.js';
import { numel } from '../tensor.js';
import { reshape } from './emit.js';
import type { OnnxOpTable } from './types.js';

export const normalizeOps: OnnxOpTable = {
  BatchNormalization: {
    convert(cx, { attrs, outs, x, base }) {
      if (outs.slice(1).some((o) => o)) cx.fail('E_ONNX_BN_TRAINING', 'BatchNormalization in training mode (extra outputs) is not supported', 'export the model in eval mode');
      const r = cx.onnxShape(x).length;
      const xin = r === 4 ? cx.nhwc(x, base) : cx.nchw(x, base);
      const params = [1, 2, 3, 4].map((i) => cx.constOp(cx.constIn(i, 'BatchNormalization parameter')!, `${base}/p${i}`));
      const op = cx.emit('batchnorm', [xin, ...params], { epsilon: attrs.float('epsilon', 1e-5), axis: r === 4 ? -1 : 1 }, base);
      cx.out(base, op.name, r === 4);
    },
  },
  LayerNormalization: {
    convert(cx, { attrs, ins, outs, x, base }) {
      const s = cx.onnxShape(x);
      let ax = attrs.int('axis', -1);
      if (ax < 0) ax += s.length;
      const gamma = cx.constIn(1, 'LayerNormalization scale')!;
      const betaC = ins[2] ? cx.constIn(2, 'LayerNormalization bias')! : { dims: gamma.dims, kind: 'float' as const, data: new Float64Array(numel(gamma.dims)) };
      if (outs.slice(1).some((o) => o)) cx.fail('E_ONNX_LN_OUTPUTS', 'LayerNormalization Mean/InvStdDev outputs are not supported', 'use only the first output');
      const axes = s.map((_, i) => i).filter((i) => i >= ax);
      const op = cx.emit('layernorm', [cx.nchw(x, base), cx.constOp(gamma, `${base}/gamma`), cx.constOp(betaC, `${base}/beta`)],
        { axis: axes, epsilon: attrs.float('epsilon', 1e-5) }, base);
      cx.out(base, op.name, false);
    },
  },
  Softmax: {
    convert(cx, { attrs, x, base }) {
      const s = cx.onnxShape(x);
      const r = s.length;
      let ax = attrs.int('axis', cx.opset >= 13 ? -1 : 1);
      if (ax < 0) ax += r;
      if (cx.opset < 13 && ax !== r - 1) {
        // before opset 13 Softmax works on the input flattened to 2-D at axis
        const flat = reshape(cx, x, [numel(s.slice(0, ax)), numel(s.slice(ax))], `${base}/2d`, true);
        const sm = cx.emit('softmax', [cx.nchw(flat, base)], { axis: 1 }, `${base}/sm`);
        reshape(cx, { k: 'ir', name: sm.name, shape: [...sm.output.shape], nhwc: false }, s, base);
        return;
      }
      if (x.k === 'ir' && x.nhwc) return cx.out(base, cx.emit('softmax', [x.name], { axis: TO_IR[ax]! }, base).name, true);
      cx.out(base, cx.emit('softmax', [cx.nchw(x, base)], { axis: ax }, base).name, false);
    },
  },
};
