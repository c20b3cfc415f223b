/**
 * The IR: an XIR-shaped graph. Every op produces exactly one tensor, named like the op
 * (as in XIR). Ops are kept in topological order. Activations are NHWC; batch is 1.
 * Parameters that ONNX passes as constant inputs (reshape shape, slice bounds, resize
 * sizes…) are attrs here, so every runtime tensor is a plain float32/int8 array.
 */
export type DType = 'float32' | 'int8' | 'int32';

export interface TensorInfo {
  shape: number[];
  dtype: DType;
  /**
   * Power-of-two fix point set by the quantizer: value = q · 2^-fixPoint, q int8.
   * Absent on float tensors (float graph, or ops left to the CPU).
   */
  fixPoint?: number;
}

export type AttrValue = number | boolean | string | number[] | string[];
export type Attrs = Record<string, AttrValue>;

export interface Op {
  /** Unique; also the name of the op's output tensor. */
  name: string;
  /** XIR op type: 'data', 'const', 'conv2d', 'depthwise-conv2d', … (see src/ir/catalog.ts). */
  type: string;
  /** Names of the producing ops of each input, in the op's argument order. */
  inputs: string[];
  attrs: Attrs;
  output: TensorInfo;
  /** Payload of a 'const' op, float32 in the float graph (weights [oc,kh,kw,ic]). */
  data?: Float32Array;
}

export interface Graph {
  name: string;
  /** Topologically sorted. */
  ops: Op[];
  /** Names of 'data' ops, in model input order. */
  inputs: string[];
  /** Names of output ops, in model output order. */
  outputs: string[];
  /** Free-form provenance: source file, producer, opset… (strings only). */
  meta: Record<string, string>;
}

/** A runtime tensor value: shape + dense row-major data (NHWC for 4-D activations). */
export interface TensorValue {
  shape: number[];
  data: Float32Array;
}
