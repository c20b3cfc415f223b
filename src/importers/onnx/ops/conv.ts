/** Convolutions: Conv (regular, grouped, depthwise) and ConvTranspose; convPads resolves auto_pad. */
import type { Attrs } from '../../../ir/types.js';
import type { NodeAttrs } from '../attrs.js';
import { nodeOutput } from './emit.js';
import type { OnnxOpTable } from './types.js';

/** ONNX pads [t, l, b, r] after auto_pad. */
export function convPads(attrs: NodeAttrs, hw: number[], k: number[], stride: number[], dil: number[]): number[] {
  const auto = attrs.str('auto_pad', 'NOTSET');
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const p = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) {
      const out = Math.ceil(hw[i]! / stride[i]!);
      const total = Math.max(0, (out - 1) * stride[i]! + (k[i]! - 1) * dil[i]! + 1 - hw[i]!);
      const small = Math.floor(total / 2);
      p[i] = auto === 'SAME_UPPER' ? small : total - small;
      p[i + 2] = total - p[i]!;
    }
    return p;
  }
  if (auto === 'VALID') return [0, 0, 0, 0];
  return attrs.ints('pads') ?? [0, 0, 0, 0];
}

export const convOps: OnnxOpTable = {
  Conv: {
    convert(cx, { attrs, ins, x, base }) {
      const s = cx.onnxShape(x);
      if (s.length !== 4) cx.fail('E_ONNX_RANK', `Conv on a ${s.length}-D input is not supported (2-D convolution on NCHW only)`, 'reshape 1-D/3-D convolutions to 2-D before export');
      const w = cx.constIn(1, 'Conv weights')!;
      const [O, Ig, KH, KW] = w.dims as [number, number, number, number];
      const group = attrs.int('group', 1);
      const C = s[1]!;
      const stride = attrs.ints('strides') ?? [1, 1];
      const dil = attrs.ints('dilations') ?? [1, 1];
      const pads = convPads(attrs, [s[2]!, s[3]!], [KH, KW], stride, dil);
      const at: Attrs = {
        kernel: [KW, KH], stride: [stride[1]!, stride[0]!], dilation: [dil[1]!, dil[0]!],
        pad: [pads[1]!, pads[3]!, pads[0]!, pads[2]!],
      };
      const xin = cx.nhwc(x, base);
      let wName: string;
      let type: string;
      if (group > 1 && group === C && O === C && Ig === 1) {
        type = 'depthwise-conv2d';
        wName = cx.constOp(w, `${base}/weights`, [1, 2, 3, 0]); // [C,1,kh,kw] → [1,kh,kw,C]
      } else {
        type = 'conv2d';
        at['group'] = group;
        wName = cx.constOp(w, `${base}/weights`, [0, 2, 3, 1]);
      }
      const inputs = [xin, wName];
      if (ins[2]) inputs.push(cx.constOp(cx.constIn(2, 'Conv bias')!, `${base}/bias`));
      const op = cx.emit(type, inputs, at, base);
      cx.out(nodeOutput(cx), op.name, true);
    },
  },
  ConvTranspose: {
    convert(cx, { attrs, ins, x, base }) {
      const s = cx.onnxShape(x);
      if (s.length !== 4) cx.fail('E_ONNX_RANK', 'ConvTranspose supports 4-D inputs only');
      const w = cx.constIn(1, 'ConvTranspose weights')!;
      const group = attrs.int('group', 1);
      if (group !== 1) cx.fail('E_ONNX_ATTR', `ConvTranspose with group ${group} is not supported`, 'use group 1');
      if (attrs.has('output_shape')) cx.fail('E_ONNX_ATTR', 'ConvTranspose output_shape is not supported', 'export with explicit pads');
      const auto = attrs.str('auto_pad', 'NOTSET');
      if (auto !== 'NOTSET' && auto !== 'VALID') cx.fail('E_ONNX_ATTR', `ConvTranspose auto_pad ${auto} is not supported`, 'export with explicit pads');
      const [, , KH, KW] = w.dims as [number, number, number, number];
      const stride = attrs.ints('strides') ?? [1, 1];
      const dil = attrs.ints('dilations') ?? [1, 1];
      const pads = auto === 'VALID' ? [0, 0, 0, 0] : attrs.ints('pads') ?? [0, 0, 0, 0];
      const op0 = attrs.ints('output_padding') ?? [0, 0];
      const inputs = [cx.nhwc(x, base), cx.constOp(w, `${base}/weights`, [1, 2, 3, 0])]; // [ic,oc,kh,kw] → [oc,kh,kw,ic]
      if (ins[2]) inputs.push(cx.constOp(cx.constIn(2, 'ConvTranspose bias')!, `${base}/bias`));
      const op = cx.emit('transposed-conv2d', inputs, {
        kernel: [KW, KH], stride: [stride[1]!, stride[0]!], dilation: [dil[1]!, dil[0]!],
        pad: [pads[1]!, pads[3]!, pads[0]!, pads[2]!], output_padding: [op0[1]!, op0[0]!],
      }, base);
      cx.out(nodeOutput(cx), op.name, true);
    },
  },
};
