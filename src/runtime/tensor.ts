/** What a runner says about one of its input or output tensors (VART's xir::Tensor view). */
export interface RunnerTensor {
  name: string;
  /** NHWC dims, batch first. */
  dims: number[];
  /** 'xint8' for DPU-side tensors (value = q · 2^-fix_point), 'float32' for CPU-side ones. */
  dtype: 'xint8' | 'float32';
  /** Present on xint8 tensors: VART's `fix_point` tensor attr. */
  fixPoint?: number;
}

/** A buffer handed to executeAsync: the tensor it is for and its data (Int8Array for xint8). */
export interface TensorBuffer {
  tensor: RunnerTensor;
  data: Int8Array | Float32Array;
}

export const elementCount = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Allocates buffers matching a runner's tensors (VART's `alloc` helpers). */
export function allocBuffers(tensors: readonly RunnerTensor[]): TensorBuffer[] {
  return tensors.map((tensor) => ({
    tensor,
    data: tensor.dtype === 'xint8' ? new Int8Array(elementCount(tensor.dims)) : new Float32Array(elementCount(tensor.dims)),
  }));
}

/** An xint8 tensor value: int8 data at a fix point (value = q · 2^-fixPoint), as VART hands them out. */
export interface XintValue {
  shape: number[];
  data: Int8Array;
  fixPoint: number;
}
