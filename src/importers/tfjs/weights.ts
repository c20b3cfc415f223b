/**
 * TF.js weight manifest decoding: `weightsManifest` groups (each a list of shard `paths` whose bytes,
 * concatenated, hold the group's `weights` one after the other, little-endian), with the dtypes
 * float32 / int32 / bool and the quantized encodings the TF.js converter writes:
 *   - `quantization: { dtype: 'uint8' | 'uint16', scale, min }`  → value = q · scale + min
 *   - `quantization: { dtype: 'float16' }`                        → IEEE half → float32
 * Everything is de-quantized to float32 (int32 weights stay integers) at import.
 */
import { ImportError } from '../../errors.js';
import { numel } from '../common/const-math.js';
import { halfToFloat } from '../common/float16.js';

export interface WeightQuantization {
  dtype?: string;
  scale?: number;
  min?: number;
  original_dtype?: string;
}
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: WeightQuantization;
}
export interface WeightGroup {
  paths: string[];
  weights: WeightSpec[];
}

/** A decoded weight: values as float64 (exact for float32 and int32), its TF dtype kind and shape. */
export interface Weight {
  name: string;
  shape: number[];
  kind: 'float' | 'int' | 'bool';
  data: Float64Array;
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };
const STORED = new Set(['float32', 'int32', 'bool']);

export { halfToFloat };

/**
 * Decode every weight of the manifest. `shards` maps each path as written in the manifest to its bytes.
 * ImportError (naming the file and the weight) on a missing shard, a shard of the wrong size, or an
 * unknown dtype / quantization.
 */
export function decodeWeights(manifest: unknown, shards: Record<string, Uint8Array>, file?: string, shardName: (p: string) => string = (p) => p): Map<string, Weight> {
  const out = new Map<string, Weight>();
  if (manifest === undefined) return out;
  if (!Array.isArray(manifest)) {
    throw new ImportError('E_TFJS_MANIFEST', 'weightsManifest is not a list of groups', { file, fix: 'is this a TF.js model.json? re-convert the model with tensorflowjs_converter' });
  }
  manifest.forEach((gRaw: unknown, gi: number) => {
    const g = gRaw as Partial<WeightGroup>;
    const paths = Array.isArray(g.paths) ? g.paths : [];
    const specs = Array.isArray(g.weights) ? g.weights : [];
    // size of every weight first: unknown dtypes are reported before any byte is read
    const sizes = specs.map((w) => {
      const qd = w.quantization?.dtype;
      if (!STORED.has(w.dtype)) {
        throw new ImportError('E_TFJS_DTYPE', `weight '${w.name}' has dtype '${w.dtype}'; supported: float32, int32, bool (string/complex64 weights are not)`, {
          file, where: `weight '${w.name}'`, fix: 're-convert the model with float32 weights (tensorflowjs_converter without --quantize for this weight)',
        });
      }
      if (qd !== undefined) {
        if (!['uint8', 'uint16', 'float16'].includes(qd)) {
          throw new ImportError('E_TFJS_DTYPE', `weight '${w.name}' is quantized as '${qd}'; supported quantizations: uint8, uint16, float16`, {
            file, where: `weight '${w.name}'`, fix: 're-convert the model with --quantize_uint8, --quantize_uint16 or --quantize_float16',
          });
        }
        if (qd !== 'float16' && (typeof w.quantization!.scale !== 'number' || typeof w.quantization!.min !== 'number')) {
          throw new ImportError('E_TFJS_QUANT', `weight '${w.name}' is quantized as ${qd} without a numeric scale and min`, {
            file, where: `weight '${w.name}'`, fix: 'the model.json is damaged; re-convert the model',
          });
        }
      }
      if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new ImportError('E_TFJS_MANIFEST', `weight '${w.name}' has an invalid shape ${JSON.stringify(w.shape)}`, { file, where: `weight '${w.name}'`, fix: 'the model.json is damaged; re-convert the model' });
      }
      return numel(w.shape) * BYTES[qd ?? w.dtype]!;
    });
    const missing = paths.filter((p) => !(p in shards));
    if (missing.length) {
      throw new ImportError('E_TFJS_SHARD_MISSING', `weight shard${missing.length > 1 ? 's' : ''} ${missing.map((p) => `'${p}'`).join(', ')} of group ${gi} not found (it holds weight${specs.length > 1 ? 's' : ''} ${specs.slice(0, 3).map((w) => `'${w.name}'`).join(', ')}${specs.length > 3 ? ', …' : ''})`, {
        file: shardName(missing[0]!), where: `weight '${specs[0]?.name ?? '?'}'`, fix: 'copy every .bin file listed in weightsManifest next to model.json',
      });
    }
    const total = paths.reduce((a, p) => a + shards[p]!.length, 0);
    const need = sizes.reduce((a, b) => a + b, 0);
    if (total !== need) {
      // the first weight whose bytes are not where the manifest says (short shard) or the last one (long shard)
      let off = 0, bad = specs.length - 1;
      if (total < need) for (let i = 0; i < specs.length; i++) { if (off + sizes[i]! > total) { bad = i; break; } off += sizes[i]!; }
      const sh = shardAt(paths, shards, Math.min(total < need ? off : total, total) - (total < need ? 0 : 1));
      throw new ImportError('E_TFJS_SHARD_SIZE', `weight shards of group ${gi} hold ${total} bytes but the manifest's ${specs.length} weights need ${need} bytes; weight '${specs[bad]?.name ?? '?'}' ${total < need ? 'is cut off' : 'is followed by extra bytes'}`, {
        file: shardName(sh ?? paths[0] ?? '?'), where: `weight '${specs[bad]?.name ?? '?'}'`, fix: 'the shard is truncated or belongs to another model: re-download or re-convert the model',
      });
    }
    const buf = new Uint8Array(total);
    let pos = 0;
    for (const p of paths) { buf.set(shards[p]!, pos); pos += shards[p]!.length; }
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let off = 0;
    specs.forEach((w, i) => {
      const n = numel(w.shape);
      const data = new Float64Array(n);
      const q = w.quantization;
      if (q?.dtype === 'float16') {
        for (let k = 0; k < n; k++) data[k] = Math.fround(halfToFloat(dv.getUint16(off + 2 * k, true)));
      } else if (q) {
        const scale = q.scale!, min = q.min!, wide = q.dtype === 'uint16';
        for (let k = 0; k < n; k++) {
          const v = (wide ? dv.getUint16(off + 2 * k, true) : dv.getUint8(off + k)) * scale + min;
          data[k] = w.dtype === 'int32' ? Math.round(v) : Math.fround(v);
        }
      } else if (w.dtype === 'float32') {
        for (let k = 0; k < n; k++) data[k] = dv.getFloat32(off + 4 * k, true);
      } else if (w.dtype === 'int32') {
        for (let k = 0; k < n; k++) data[k] = dv.getInt32(off + 4 * k, true);
      } else {
        for (let k = 0; k < n; k++) data[k] = dv.getUint8(off + k) ? 1 : 0;
      }
      off += sizes[i]!;
      out.set(w.name, { name: w.name, shape: [...w.shape], kind: w.dtype === 'float32' ? 'float' : w.dtype === 'int32' ? 'int' : 'bool', data });
    });
  });
  return out;
}

function shardAt(paths: string[], shards: Record<string, Uint8Array>, byte: number): string | undefined {
  let acc = 0;
  for (const p of paths) {
    acc += shards[p]!.length;
    if (byte < acc) return p;
  }
  return paths[paths.length - 1];
}
