// dpuflow public API: re-exports only. Each stage adds its exports here.
export * from './errors.js';
export type { Graph, Op, TensorInfo, TensorValue, Attrs, AttrValue, DType } from './ir/types.js';
export { getOpDef, registeredOpTypes } from './ir/registry.js';
export { runFloat, type RunFloatOptions } from './kernels/ref/float-executor.js';
export { runQuantized, type RunQuantizedOptions } from './kernels/ref/quant-executor.js';
export { createFastExecutor, type FastExecutor, type FastExecutorOptions, type FastExecutorStats } from './kernels/wasm/executor.js';
export { buildModel, MODEL_NAMES, OnnxBuilder, type BuildOptions, type BuiltModel, type ModelName } from './models/index.js';
export { importOnnx, decodeOnnx, nchwToNhwc, nhwcToNchw, supportedOnnxOps, type ImportOptions } from './importers/onnx/index.js';
export { ARCH_PRESETS, BOARDS, resolveTarget, resolveBoard, parseArchJson, decodeFingerprint, knownFingerprints, simulate, modelProgram, boardThroughput, coreDdrBytesPerCycle, type DpuArch, type DpuTarget, type Board, type SimResult, type ProgramPerf, type BoardThroughput } from './dpu/index.js'; export { ISA, encode, decode, encodeProgram, decodeProgram, disassemble, type Instr, type PlacedInstr } from './isa/index.js';
export { optimizeForInference, OPTIMIZE_PASSES, foldBatchnorm, foldConvAffine, fuseConvActivation, type OptimizePass } from './ir/passes/optimize/index.js';
export * as xir from './xir/index.js'; export { graphStats, opMacs, type GraphStats } from './ir/stats.js';
export { Runner, GraphRunner, allocBuffers, checkFingerprint, RUNNER_MODES, type RunnerMode, type RunnerTensor, type TensorBuffer, type GraphRunnerOptions, type SubgraphTiming } from './runtime/index.js'; export { profileModel, modelThroughput, chromeTrace, type ModelProfile, type ModelThroughput } from './profile/index.js';
export { pipelines } from './apps/index.js'; export * as apps from './apps/index.js'; export { readImage, imageInputs, writeAnnotatedPng, openModel, loadOcrModels, closeOcrModels, readKeys, ortExecutor } from './apps/node/index.js';
export { compile, runPipeline, PASSES, toCompilerArch, installDpuRules, checkDpuSupport, DPU_RULES, checkInstructions, type CompileResult, type CompileReport, type CompilerArch, type DpuRule, type CpuOpReason } from './compiler/index.js';
export { quantize, isQuantizableOp, quantizationPlan, parseQuantInfo, stringifyQuantInfo, formatReportTable, type QuantizeOptions, type QuantizeResult, type QuantInfo, type QuantReport, type CalibMethod } from './quantizer/index.js'; export * as quantizer from './quantizer/index.js';
export { setFloatWasmEnabled, floatWasmStatus, floatWasmThreads } from './kernels/ref/float/wasm/index.js'; export { enableFloatThreads, type FloatThreads } from './kernels/ref/float/wasm/node/pool.js';
export { importModel, detectModelFormat, type ImportModelOptions, type ModelInput } from './importers/index.js'; export { importTfjs, parseTfjsModel, supportedTfjsOps, tfjsModelOutputs, tfjsShardPaths, type TfjsImportOptions } from './importers/tfjs/index.js'; export { loadModelFile, readTfjsFiles, type LoadModelOptions } from './importers/node/load-model.js';
export { loadNativeKernels, nativeStatus, type NativeStatus } from './kernels/native/node.js'; export type { NativeKernels, NativeOption } from './kernels/native/types.js'; import './runtime/node/native-run.js';
