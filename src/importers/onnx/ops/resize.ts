/** Resize and Upsample (nearest / bilinear over H and W; scales resolved to output sizes). */
import type { OnnxConverter } from '../importer.js';
import { nodeOutput } from './emit.js';
import type { OnnxNode, OnnxOpTable } from './types.js';

function resize(cx: OnnxConverter, { type, attrs, ins, x, base }: OnnxNode): void {
  const s = cx.onnxShape(x);
  if (s.length !== 4) cx.fail('E_ONNX_RANK', `${type} supports 4-D inputs only`);
  let scales: number[] | undefined, sizes: number[] | undefined;
  const mode = attrs.str('mode', 'nearest');
  if (type === 'Upsample') {
    scales = cx.opset >= 9 ? [...cx.constIn(1, 'Upsample scales')!.data] : attrs.floats('scales');
  } else if (cx.opset < 11) {
    scales = [...cx.constIn(1, 'Resize scales')!.data];
  } else {
    const sc = ins[2] ? cx.constIn(2, 'Resize scales') : undefined;
    const sz = ins[3] ? cx.constIn(3, 'Resize sizes') : undefined;
    if (sz && sz.data.length) sizes = [...sz.data];
    else if (sc && sc.data.length) scales = [...sc.data];
  }
  if (!sizes) {
    if (!scales || scales.length !== 4) cx.fail('E_ONNX_ATTR', `${type} needs 4 scales or sizes`);
    sizes = s.map((d, i) => Math.floor(d * scales![i]! + 1e-9));
    const exact = s.every((d, i) => Math.abs(d * scales![i]! - sizes![i]!) < 1e-6);
    if (!exact && mode !== 'nearest') {
      cx.fail('E_ONNX_ATTR', `${type} scales [${scales}] give a non-integral output size for [${s}]; the IR resize maps coordinates by size ratio`, 'export the model with Resize sizes instead of scales');
    }
  }
  if (sizes[0] !== s[0] || sizes[1] !== s[1]) cx.fail('E_ONNX_ATTR', `${type} may only scale H and W (sizes [${sizes}] for input [${s}])`);
  if (cx.opset >= 18 && attrs.int('antialias', 0)) cx.fail('E_ONNX_ATTR', 'Resize antialias is not supported');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') cx.fail('E_ONNX_ATTR', `${type} mode '${mode}' is not supported (nearest, linear)`, 'use nearest or linear');
  const old = type === 'Upsample' || cx.opset < 11;
  const coord = old ? 'asymmetric' : attrs.str('coordinate_transformation_mode', 'half_pixel');
  if (!['half_pixel', 'asymmetric', 'align_corners', 'pytorch_half_pixel'].includes(coord)) {
    cx.fail('E_ONNX_ATTR', `Resize coordinate_transformation_mode '${coord}' is not supported`, 'use half_pixel, asymmetric, align_corners or pytorch_half_pixel');
  }
  const nearest = old ? 'floor' : attrs.str('nearest_mode', 'round_prefer_floor');
  const op = cx.emit('resize', [cx.nhwc(x, base)], {
    size: [sizes[3]!, sizes[2]!], mode: mode === 'nearest' ? 'NEAREST' : 'BILINEAR', coordinate: coord, nearest_mode: nearest,
  }, base);
  cx.out(nodeOutput(cx), op.name, true);
}

export const resizeOps: OnnxOpTable = { Resize: { convert: resize }, Upsample: { convert: resize } };
