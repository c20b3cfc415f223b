// Test/bench helper: a seeded model from src/models, imported and quantized (max-min calibration on
// one seeded random input) by src/quantizer.
import { buildModel } from '../../../src/models/index.js';
import { importOnnx } from '../../../src/importers/onnx/index.js';
import { quantize } from '../../../src/quantizer/index.js';
import type { Graph, TensorValue } from '../../../src/ir/types.js';

export function randomInput(shape: number[], seed: number): TensorValue {
  let a = seed >>> 0;
  const n = shape.reduce((x, y) => x * y, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    data[i] = (a / 2 ** 32) * 4 - 2;
  }
  return { shape, data };
}

export async function quantizedModel(name: string, inputSize: number, opts: Record<string, unknown> = {}): Promise<{ g: Graph; feeds: Record<string, TensorValue> }> {
  const m = buildModel(name, { seed: 3, inputSize, ...opts });
  const fg = importOnnx(m.onnx);
  const inName = fg.inputs[0];
  const inOp = fg.ops.find((o) => o.name === inName);
  const shape = inOp?.output.shape ?? [1, inputSize, inputSize, 3];
  const feeds = { [inName]: randomInput(shape, 11) };
  const { graph } = await quantize(fg, [feeds], { method: 'maxmin', cle: false, biasCorrection: false, skipReport: true });
  return { g: graph, feeds };
}

