/**
 * ModelExecutor over onnxruntime-node (Node only): the FP32 reference the tests and `dpuflow run
 * --engine ort` use. NHWC feeds are transposed to NCHW for 4-D inputs, 4-D outputs back to NHWC.
 */
import type ort from 'onnxruntime-node';
import { AppError } from '../../errors.js';
import type { TensorValue } from '../../ir/types.js';
import type { ExecutorTiming, ModelExecutor } from '../executor.js';

function toNchw(t: TensorValue): { data: Float32Array; dims: number[] } {
  if (t.shape.length !== 4) return { data: t.data, dims: [...t.shape] };
  const [n, h, w, c] = t.shape as [number, number, number, number];
  const out = new Float32Array(t.data.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    out[((b * c + k) * h + y) * w + x] = t.data[((b * h + y) * w + x) * c + k]!;
  }
  return { data: out, dims: [n, c, h, w] };
}

function toNhwc(data: Float32Array, dims: readonly number[]): TensorValue {
  if (dims.length !== 4) return { shape: [...dims], data };
  const [n, c, h, w] = dims as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((b * h + y) * w + x) * c + k] = data[((b * c + k) * h + y) * w + x]!;
  }
  return { shape: [n, h, w, c], data: out };
}

export async function ortExecutor(onnx: Uint8Array, opts: { name?: string; threads?: number } = {}): Promise<ModelExecutor> {
  let session: ort.InferenceSession;
  // loaded on first use: importing dpuflow must not load onnxruntime's native binary
  const rt = (await import('onnxruntime-node')).default;
  try {
    session = await rt.InferenceSession.create(onnx, { intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1 });
  } catch (err) {
    throw new AppError('E_APP_MODEL', `onnxruntime cannot load the model: ${(err as Error).message}`, { where: opts.name, cause: err });
  }
  const name = opts.name ?? 'onnx';
  const inputs = session.inputNames.map((n, i) => {
    const meta = session.inputMetadata[i] as { shape?: readonly (number | string)[] } | undefined;
    const s = (meta?.shape ?? []).map((d) => (typeof d === 'number' && d > 0 ? d : -1));
    return { name: n, shape: s.length === 4 ? [s[0]!, s[2]!, s[3]!, s[1]!] : s };
  });
  let last: ExecutorTiming[] = [];
  return {
    name,
    inputs,
    outputs: [...session.outputNames],
    backend: 'onnxruntime',
    async run(feeds) {
      const f: Record<string, ort.Tensor> = {};
      for (const i of inputs) {
        const v = feeds[i.name];
        if (!v) throw new AppError('E_APP_FEED', `no feed for model input '${i.name}'`, { where: name });
        const { data, dims } = toNchw(v);
        f[i.name] = new rt.Tensor('float32', data, dims);
      }
      const t0 = performance.now();
      const r = await session.run(f);
      last = [{ name, device: 'HOST', ms: performance.now() - t0 }];
      const out: Record<string, TensorValue> = {};
      for (const n of session.outputNames) {
        const t = r[n]!;
        out[n] = toNhwc(t.data as Float32Array, t.dims);
      }
      return out;
    },
    lastTimings: () => last,
    close: () => { void session.release(); },
  };
}
