/** The quantizer: calibration to power-of-two INT8 fix points (see docs/quantizer.md). */
export { quantize, legalizeFixPoints, applyFixPoints, MIN_CALIB_RECOMMENDED } from './quantize.js';
export type { QuantizeOptions, QuantizeResult, QuantizeTimings, CalibBatch, CalibSource, FixPoints } from './quantize.js';
export { isQuantizableOp, notQuantizableReason, quantizationPlan, RESHAPE_LIKE, SAME_FP_AS_INPUT } from './quantizable.js';
export type { QuantDecision } from './quantizable.js';
export { resolveBoundaries, boundaryViolations } from './boundary.js';
export type { BoundaryViolation } from './boundary.js';
export { foldBatchNorm } from './fold-bn.js';
export { fuseActivations, DPU_LEAKY_ALPHA } from './fuse-act.js';
export { crossLayerEqualize } from './cle.js';
export { fastFinetune } from './finetune.js';
export { parseQuantInfo, stringifyQuantInfo, checkQuantInfo, graphMd5, QUANT_INFO_VERSION } from './quant-info.js';
export type { QuantInfo } from './quant-info.js';
export { formatReportTable, ErrorStats, sortWorstFirst } from './report.js';
export type { QuantReport, TensorReport, FixAdjustment } from './report.js';
export * from './observers/index.js';
export { fakeQuant, fpForMaxAbs, PARAM_ROUND, ACT_ROUND } from './fixpoint.js';
export { md5Hex } from './md5.js';
