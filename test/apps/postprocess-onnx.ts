// The independent NMS oracle shared by test/apps/postprocess.test.ts and bench/apps.ts: a one-op ONNX
// model around onnxruntime's own NonMaxSuppression, plus the box layout conversion it needs.
import { onnxModelType, OnnxDataType } from '../../src/importers/onnx/schema.js';

/**
 * A one-op ONNX model (opset 13): NonMaxSuppression over `n` boxes and `classes` classes, IoU threshold
 * `iouT`, max_output_boxes_per_class = n (keep all), boxes scoring ≤ `scoreT` ignored when given; inputs
 * `boxes` [1, n, 4] and `scores` [1, classes, n], output `sel` [k, 3] (batch, class, box index), class by
 * class, each in selection order.
 */
export function nmsModel(n: number, iouT: number, classes = 1, scoreT?: number): Uint8Array {
  const f = (name: string, dims: number[]) => ({ name, type: { tensor_type: { elem_type: OnnxDataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } });
  const model = {
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: 'nms',
      node: [{ op_type: 'NonMaxSuppression', input: ['boxes', 'scores', 'max', 'iou', ...(scoreT === undefined ? [] : ['st'])], output: ['sel'], name: 'n' }],
      initializer: [
        { name: 'max', dims: [1], data_type: OnnxDataType.INT64, int64_data: [n] },
        { name: 'iou', dims: [1], data_type: OnnxDataType.FLOAT, float_data: [iouT] },
        ...(scoreT === undefined ? [] : [{ name: 'st', dims: [1], data_type: OnnxDataType.FLOAT, float_data: [scoreT] }]),
      ],
      input: [f('boxes', [1, n, 4]), f('scores', [1, classes, n])],
      output: [{ name: 'sel', type: { tensor_type: { elem_type: OnnxDataType.INT64 } } }],
    },
  };
  const t = onnxModelType();
  return t.encode(t.fromObject(model)).finish();
}

/** Our [x0, y0, x1, y1] boxes → ONNX center_point_box 0 layout [y1, x1, y2, x2], flat float32. */
export function onnxBoxes(boxes: readonly (readonly number[])[]): Float32Array {
  const flat = new Float32Array(boxes.length * 4);
  boxes.forEach((b, i) => flat.set([b[1]!, b[0]!, b[3]!, b[2]!], i * 4));
  return flat;
}

/** The selected box indices of NonMaxSuppression's `sel` output ([k, 3] rows of batch, class, index); of one class when given. */
export function selectedIndices(sel: BigInt64Array, cls?: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + 2 < sel.length; i += 3) if (cls === undefined || Number(sel[i + 1]!) === cls) out.push(Number(sel[i + 2]!));
  return out;
}
