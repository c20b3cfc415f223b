/**
 * Registers every op type of src/ir/catalog.ts (one file per type) in the op registry.
 * Importing this module (or the package root) is enough; `ALL_OP_DEFS` lists them.
 */
import { hasOpDef, registerOp, type OpDef } from '../ir/registry.js';
import { absOp } from './abs.js';
import { addOp } from './add.js';
import { avgpool2dOp } from './avgpool2d.js';
import { batchnormOp } from './batchnorm.js';
import { clampOp } from './clamp.js';
import { concatOp } from './concat.js';
import { constOp } from './const.js';
import { conv2dOp } from './conv2d.js';
import { dataOp } from './data.js';
import { depthwiseConv2dOp } from './depthwise-conv2d.js';
import { divOp } from './div.js';
import { erfOp } from './erf.js';
import { expOp } from './exp.js';
import { gatherOp } from './gather.js';
import { hardSigmoidOp } from './hard-sigmoid.js';
import { hardSwishOp } from './hard-swish.js';
import { identityOp } from './identity.js';
import { layernormOp } from './layernorm.js';
import { leakyReluOp } from './leaky-relu.js';
import { matmulOp } from './matmul.js';
import { maxOp } from './max.js';
import { maxpool2dOp } from './maxpool2d.js';
import { minOp } from './min.js';
import { mulOp } from './mul.js';
import { negOp } from './neg.js';
import { padOp } from './pad.js';
import { powOp } from './pow.js';
import { reciprocalOp } from './reciprocal.js';
import { reductionMaxOp } from './reduction_max.js';
import { reductionMeanOp } from './reduction_mean.js';
import { reductionSumOp } from './reduction_sum.js';
import { reluOp } from './relu.js';
import { relu6Op } from './relu6.js';
import { reshapeOp } from './reshape.js';
import { resizeOp } from './resize.js';
import { sigmoidOp } from './sigmoid.js';
import { softmaxOp } from './softmax.js';
import { sqrtOp } from './sqrt.js';
import { stridedSliceOp } from './strided_slice.js';
import { subOp } from './sub.js';
import { tanhOp } from './tanh.js';
import { transposeOp } from './transpose.js';
import { transposedConv2dOp } from './transposed-conv2d.js';

export const ALL_OP_DEFS: readonly OpDef[] = [
  absOp,
  addOp,
  avgpool2dOp,
  batchnormOp,
  clampOp,
  concatOp,
  constOp,
  conv2dOp,
  dataOp,
  depthwiseConv2dOp,
  divOp,
  erfOp,
  expOp,
  gatherOp,
  hardSigmoidOp,
  hardSwishOp,
  identityOp,
  layernormOp,
  leakyReluOp,
  matmulOp,
  maxOp,
  maxpool2dOp,
  minOp,
  mulOp,
  negOp,
  padOp,
  powOp,
  reciprocalOp,
  reductionMaxOp,
  reductionMeanOp,
  reductionSumOp,
  reluOp,
  relu6Op,
  reshapeOp,
  resizeOp,
  sigmoidOp,
  softmaxOp,
  sqrtOp,
  stridedSliceOp,
  subOp,
  tanhOp,
  transposeOp,
  transposedConv2dOp,
];

for (const def of ALL_OP_DEFS) if (!hasOpDef(def.type)) registerOp(def);
