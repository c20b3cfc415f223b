/**
 * The INT8 reference kernels by IR op type: the living definition of DPU arithmetic
 * (docs/dpu-arithmetic.md). `INT8_KERNELS[type](inputs, op)` runs one fixed-point op: inputs
 * are the op's inputs as fixed-point tensors (weights/bias included, in the op's argument
 * order), the output fix point is `op.output.fixPoint`.
 */
import type { Op } from '../../../ir/types.js';
import { type QTensor, attrBool, attrNum, attrNums, attrStr, qerr, requantData } from './common.js';
import { NONLINEARS, type Nonlinear, conv2dInt8, depthwiseConv2dInt8, matmulInt8, transposedConv2dInt8 } from './conv.js';
import { addInt8, clampInt8, hardSigmoidInt8, hardSwishInt8, leakyReluInt8, mulInt8, relu6Int8, reluInt8 } from './eltwise.js';
import { type Coordinate, type NearestMode, type PadMode, concatInt8, padInt8, reshapeInt8, resizeInt8, stridedSliceInt8, transposeInt8 } from './movement.js';
import { avgpool2dInt8, maxpool2dInt8 } from './pool.js';

export * from './arith.js';
export * from './common.js';
export * from './conv.js';
export * from './eltwise.js';
export * from './movement.js';
export * from './pool.js';

/** Runs one fixed-point op on fixed-point inputs. */
export type Int8Kernel = (inputs: QTensor[], op: Op) => QTensor;

function fpOut(op: Op): number {
  const fp = op.output.fixPoint;
  if (fp === undefined || !Number.isInteger(fp)) {
    throw qerr('E_Q_NO_FIXPOINT', `op '${op.name}' (${op.type}) has no integer output fix point`, op.name, 'run the quantizer on the graph first');
  }
  return fp;
}

function nonlinearOf(op: Op): Nonlinear {
  const nl = attrStr(op.attrs, 'nonlinear', 'NONE').toUpperCase();
  if (!(NONLINEARS as readonly string[]).includes(nl)) {
    throw qerr('E_Q_NONLINEAR', `nonlinear '${nl}' is not one of ${NONLINEARS.join(', ')}`, op.name);
  }
  return nl as Nonlinear;
}

function need(inputs: QTensor[], n: number, op: Op): void {
  if (inputs.length < n) throw qerr('E_Q_INPUTS', `${op.type} needs ${n} inputs, got ${inputs.length}`, op.name);
}

function convParams(op: Op, w: QTensor) {
  const a = op.attrs;
  // kernel attr defaults to the weights' spatial size [w, h] when absent
  const kdef = w.shape.length === 4 ? [w.shape[2], w.shape[1]] : [1, 1];
  return {
    kernel: attrNums(a, 'kernel', kdef),
    stride: attrNums(a, 'stride', [1, 1]),
    dilation: attrNums(a, 'dilation', [1, 1]),
    pad: attrNums(a, 'pad', [0, 0, 0, 0]),
    nonlinear: nonlinearOf(op),
    alpha: a.alpha === undefined ? undefined : attrNum(a, 'alpha', 26 / 256),
    fpOut: fpOut(op),
    where: op.name,
  };
}

function eltNonlinear(op: Op): 'NONE' | 'RELU' {
  const nl = nonlinearOf(op);
  if (nl !== 'NONE' && nl !== 'RELU') throw qerr('E_Q_NONLINEAR', `eltwise supports only RELU, got ${nl}`, op.name);
  return nl;
}

export const INT8_KERNELS: Record<string, Int8Kernel> = {
  conv2d(inputs, op) {
    need(inputs, 2, op);
    if (attrNum(op.attrs, 'group', 1) !== 1) throw qerr('E_Q_GROUP', 'grouped conv2d has no DPU form', op.name, 'keep it on the CPU');
    return conv2dInt8(inputs[0], inputs[1], inputs[2], convParams(op, inputs[1]));
  },
  'depthwise-conv2d'(inputs, op) {
    need(inputs, 2, op);
    return depthwiseConv2dInt8(inputs[0], inputs[1], inputs[2], convParams(op, inputs[1]));
  },
  'transposed-conv2d'(inputs, op) {
    need(inputs, 2, op);
    return transposedConv2dInt8(inputs[0], inputs[1], inputs[2], { ...convParams(op, inputs[1]), outputPadding: attrNums(op.attrs, 'output_padding', [0, 0]) });
  },
  matmul(inputs, op) {
    need(inputs, 2, op);
    return matmulInt8(inputs[0], inputs[1], inputs[2], {
      transposeA: attrBool(op.attrs, 'transpose_a', false),
      transposeB: attrBool(op.attrs, 'transpose_b', false),
      nonlinear: nonlinearOf(op),
      alpha: op.attrs.alpha === undefined ? undefined : attrNum(op.attrs, 'alpha', 26 / 256),
      fpOut: fpOut(op),
      where: op.name,
    });
  },
  maxpool2d(inputs, op) {
    need(inputs, 1, op);
    return maxpool2dInt8(inputs[0], poolParams(op));
  },
  avgpool2d(inputs, op) {
    need(inputs, 1, op);
    return avgpool2dInt8(inputs[0], poolParams(op));
  },
  add(inputs, op) {
    need(inputs, 2, op);
    return addInt8(inputs[0], inputs[1], { fpOut: fpOut(op), nonlinear: eltNonlinear(op), where: op.name });
  },
  sub(inputs, op) {
    need(inputs, 2, op);
    return addInt8(inputs[0], inputs[1], { fpOut: fpOut(op), nonlinear: eltNonlinear(op), where: op.name }, true);
  },
  mul(inputs, op) {
    need(inputs, 2, op);
    return mulInt8(inputs[0], inputs[1], { fpOut: fpOut(op), nonlinear: eltNonlinear(op), where: op.name });
  },
  relu(inputs, op) {
    need(inputs, 1, op);
    return reluInt8(inputs[0], fpOut(op));
  },
  relu6(inputs, op) {
    need(inputs, 1, op);
    return relu6Int8(inputs[0], fpOut(op));
  },
  clamp(inputs, op) {
    need(inputs, 1, op);
    return clampInt8(inputs[0], attrNum(op.attrs, 'min', -Infinity), attrNum(op.attrs, 'max', Infinity), fpOut(op));
  },
  'leaky-relu'(inputs, op) {
    need(inputs, 1, op);
    return leakyReluInt8(inputs[0], attrNum(op.attrs, 'alpha', 26 / 256), fpOut(op), op.name);
  },
  'hard-sigmoid'(inputs, op) {
    need(inputs, 1, op);
    const alpha = attrNum(op.attrs, 'alpha', 1 / 6);
    const beta = attrNum(op.attrs, 'beta', 0.5);
    if (Math.abs(alpha - 1 / 6) > 1e-6 || Math.abs(beta - 0.5) > 1e-6) {
      throw qerr('E_Q_HSIGMOID', `hard-sigmoid alpha ${alpha} beta ${beta} is not the DPU form relu6(x+3)/6`, op.name, 'keep it on the CPU');
    }
    return hardSigmoidInt8(inputs[0], fpOut(op));
  },
  'hard-swish'(inputs, op) {
    need(inputs, 1, op);
    return hardSwishInt8(inputs[0], fpOut(op));
  },
  identity(inputs, op) {
    need(inputs, 1, op);
    return { shape: inputs[0].shape.slice(), data: requantData(inputs[0], fpOut(op), op.name), fixPoint: fpOut(op) };
  },
  concat(inputs, op) {
    return concatInt8(inputs, attrNum(op.attrs, 'axis', -1), fpOut(op), op.name);
  },
  reshape(inputs, op) {
    need(inputs, 1, op);
    return reshapeInt8(inputs[0], attrNums(op.attrs, 'shape', op.output.shape), fpOut(op), op.name);
  },
  transpose(inputs, op) {
    need(inputs, 1, op);
    return transposeInt8(inputs[0], attrNums(op.attrs, 'order', []), fpOut(op), op.name);
  },
  strided_slice(inputs, op) {
    need(inputs, 1, op);
    return stridedSliceInt8(inputs[0], attrNums(op.attrs, 'begin', []), attrNums(op.attrs, 'end', []), attrNums(op.attrs, 'strides', []), fpOut(op), op.name);
  },
  pad(inputs, op) {
    need(inputs, 1, op);
    return padInt8(inputs[0], attrNums(op.attrs, 'paddings', []), attrStr(op.attrs, 'mode', 'CONSTANT').toUpperCase() as PadMode,
      attrNum(op.attrs, 'constant_value', 0), fpOut(op), op.name);
  },
  resize(inputs, op) {
    need(inputs, 1, op);
    const mode = attrStr(op.attrs, 'mode', 'NEAREST').toUpperCase();
    if (mode !== 'NEAREST' && mode !== 'BILINEAR') throw qerr('E_Q_ATTR', `resize mode '${mode}' has no INT8 definition`, op.name, 'keep it on the CPU');
    return resizeInt8(inputs[0], {
      size: attrNums(op.attrs, 'size', []),
      mode,
      coordinate: attrStr(op.attrs, 'coordinate', 'half_pixel') as Coordinate,
      nearestMode: attrStr(op.attrs, 'nearest_mode', 'round_prefer_floor') as NearestMode,
      fpOut: fpOut(op),
      where: op.name,
    });
  },
};

function poolParams(op: Op) {
  return {
    kernel: attrNums(op.attrs, 'kernel', [1, 1]),
    stride: attrNums(op.attrs, 'stride', [1, 1]),
    pad: attrNums(op.attrs, 'pad', [0, 0, 0, 0]),
    global: attrBool(op.attrs, 'global', false),
    countIncludePad: attrBool(op.attrs, 'count_include_pad', true),
    fpOut: fpOut(op),
    where: op.name,
  };
}

/** True when `type` has an INT8 reference kernel. */
export function hasInt8Kernel(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(INT8_KERNELS, type);
}
