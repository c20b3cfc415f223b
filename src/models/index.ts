import { OnnxBuilder } from './onnx-builder.js';
import { resnet } from './resnet.js';
import { mobilenetV2 } from './mobilenetv2.js';
import { inceptionV1 } from './inception.js';
import { vggSmall } from './vgg.js';
import { yolov5s } from './yolov5s.js';
import { tinyNet } from './tiny.js';
import { GraphError } from '../errors.js';

export { OnnxBuilder } from './onnx-builder.js';
export type { Activation, ConvOptions, BuilderAttr } from './onnx-builder.js';
export { Prng } from './prng.js';
export { foldBatchNorm, exposeAllTensors, toQdq, type TensorRanges } from './qdq.js';

/** Names accepted by `buildModel`. */
export const MODEL_NAMES = ['tiny', 'resnet18', 'resnet50', 'mobilenetv2', 'inception-v1', 'vgg-small', 'yolov5s'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export interface BuildOptions {
  /** PRNG seed of the weights (default 1). Same seed → same bytes. */
  seed?: number;
  /** Square input side in pixels (default: 224; 640 for yolov5s; 16 for tiny). Must suit the net's strides. */
  inputSize?: number;
  /** Number of classes (classifier outputs, or detection classes for yolov5s). */
  classes?: number;
  /** yolov5s only: the SiLU replacement, 'leaky' (LeakyReLU 0.1, default) or 'hardswish' (opset 14). */
  activation?: 'leaky' | 'hardswish';
}

export interface BuiltModel {
  name: ModelName;
  /** A standard ONNX ModelProto (NCHW, opset 13, or 14 with HardSwish). */
  onnx: Uint8Array;
  inputName: string;
  /** NCHW, batch 1: [1, 3, inputSize, inputSize]. */
  inputShape: number[];
  outputNames: string[];
  /** NCHW shapes of the outputs, in order. */
  outputShapes: number[][];
}

const DEFAULT_SIZE: Record<ModelName, number> = {
  tiny: 16, resnet18: 224, resnet50: 224, mobilenetv2: 224, 'inception-v1': 224, 'vgg-small': 224, yolov5s: 640,
};
const MIN_MULTIPLE: Record<ModelName, number> = {
  tiny: 4, resnet18: 32, resnet50: 32, mobilenetv2: 32, 'inception-v1': 32, 'vgg-small': 32, yolov5s: 32,
};

/**
 * Builds one of the seeded benchmark/test models as ONNX bytes. Weights are drawn from a
 * seeded PRNG (He-normal convs, BatchNormalization with realistic running statistics) so
 * activations stay in a sane range; the shapes are those of the published networks.
 */
export function buildModel(name: string, opts: BuildOptions = {}): BuiltModel {
  if (!(MODEL_NAMES as readonly string[]).includes(name)) {
    throw new GraphError('E_MODEL_UNKNOWN', `unknown model '${name}'`, { where: name, fix: `use one of: ${MODEL_NAMES.join(', ')}` });
  }
  const model = name as ModelName;
  const size = opts.inputSize ?? DEFAULT_SIZE[model];
  const mult = MIN_MULTIPLE[model];
  if (!Number.isInteger(size) || size < mult || size % mult !== 0) {
    throw new GraphError('E_MODEL_INPUT_SIZE', `input size ${size} does not suit ${model}`, {
      where: model, fix: `use a positive multiple of ${mult} (default ${DEFAULT_SIZE[model]})`,
    });
  }
  const b = new OnnxBuilder(model, opts.seed ?? 1);
  const inputShape = [1, 3, size, size];
  const x = b.addInput('input', inputShape);
  let outs: string[];
  switch (model) {
    case 'tiny': outs = [tinyNet(b, x, opts.classes ?? 10)]; break;
    case 'resnet18': outs = [resnet(b, x, 18, opts.classes ?? 1000)]; break;
    case 'resnet50': outs = [resnet(b, x, 50, opts.classes ?? 1000)]; break;
    case 'mobilenetv2': outs = [mobilenetV2(b, x, opts.classes ?? 1000)]; break;
    case 'inception-v1': outs = [inceptionV1(b, x, opts.classes ?? 1000)]; break;
    case 'vgg-small': outs = [vggSmall(b, x, opts.classes ?? 1000)]; break;
    case 'yolov5s': outs = yolov5s(b, x, opts.classes ?? 80, opts.activation ?? 'leaky'); break;
  }
  const names = outs.length === 1 ? ['output'] : outs.map((_, i) => `output${i}`);
  outs = outs.map((o, i) => b.addOutput(o, names[i]));
  return {
    name: model,
    onnx: b.encode(),
    inputName: x,
    inputShape,
    outputNames: outs,
    outputShapes: outs.map((o) => b.shape(o)),
  };
}
