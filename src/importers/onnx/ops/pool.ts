/** Pooling: MaxPool, AveragePool (with ceil_mode as extra bottom/right padding) and the global pools. */
import type { Attrs } from '../../../ir/types.js';
import type { OnnxConverter } from '../importer.js';
import { convPads } from './conv.js';
import type { OnnxNode, OnnxOpTable } from './types.js';

function pool(cx: OnnxConverter, { type, attrs, x, outs, base }: OnnxNode): void {
  const s = cx.onnxShape(x);
  if (s.length !== 4) cx.fail('E_ONNX_RANK', `${type} supports 4-D inputs only`);
  if (outs[1]) cx.fail('E_ONNX_ATTR', 'MaxPool Indices output is not supported');
  const k = attrs.ints('kernel_shape') ?? [1, 1];
  const stride = attrs.ints('strides') ?? [1, 1];
  const dil = attrs.ints('dilations') ?? [1, 1];
  if (dil.some((d) => d !== 1)) cx.fail('E_ONNX_ATTR', `${type} with dilations ${dil} is not supported`);
  const pads = convPads(attrs, [s[2]!, s[3]!], k, stride, [1, 1]);
  if (attrs.int('ceil_mode', 0)) {
    // ceil mode = extra bottom/right padding so that floor division gives the ceil size,
    // as long as the last window starts inside the input or left padding (ONNX rule).
    for (let i = 0; i < 2; i++) {
      const span = s[2 + i]! + pads[i]! + pads[i + 2]! - k[i]!;
      let outC = Math.ceil(span / stride[i]!) + 1;
      if ((outC - 1) * stride[i]! >= s[2 + i]! + pads[i]!) outC--;
      const need = (outC - 1) * stride[i]! + k[i]! - (s[2 + i]! + pads[i]! + pads[i + 2]!);
      if (need > 0) {
        if (type === 'AveragePool' && attrs.int('count_include_pad', 0)) {
          cx.fail('E_ONNX_ATTR', 'AveragePool with ceil_mode=1 and count_include_pad=1 is not supported', 'use ceil_mode=0');
        }
        pads[i + 2]! += need;
      }
    }
  }
  const at: Attrs = { kernel: [k[1]!, k[0]!], stride: [stride[1]!, stride[0]!], pad: [pads[1]!, pads[3]!, pads[0]!, pads[2]!], global: false };
  if (type === 'AveragePool') at['count_include_pad'] = attrs.int('count_include_pad', 0) !== 0;
  const op = cx.emit(type === 'MaxPool' ? 'maxpool2d' : 'avgpool2d', [cx.nhwc(x, base)], at, base);
  cx.out(outs[0]!, op.name, true);
}

function globalPool(cx: OnnxConverter, { type, x, base }: OnnxNode): void {
  const s = cx.onnxShape(x);
  if (s.length !== 4) cx.fail('E_ONNX_RANK', `${type} on a ${s.length}-D tensor is not supported (4-D expected)`);
  const xin = cx.nhwc(x, base);
  const at: Attrs = { kernel: [s[3]!, s[2]!], stride: [1, 1], pad: [0, 0, 0, 0], global: true };
  if (type === 'GlobalAveragePool') at['count_include_pad'] = true;
  const op = cx.emit(type === 'GlobalAveragePool' ? 'avgpool2d' : 'maxpool2d', [xin], at, base);
  cx.out(base, op.name, true);
}

export const poolOps: OnnxOpTable = {
  MaxPool: { convert: pool },
  AveragePool: { convert: pool },
  GlobalAveragePool: { convert: globalPool },
  GlobalMaxPool: { convert: globalPool },
};
