/** A tiny builder of TF.js graph models (model.json text + one weight shard) for the op tests. */
export type AttrJson = Record<string, unknown>;

export const A = {
  i: (n: number): AttrJson => ({ i: String(n) }),
  f: (x: number): AttrJson => ({ f: x }),
  b: (x: boolean): AttrJson => ({ b: x }),
  s: (x: string): AttrJson => ({ s: Buffer.from(x).toString('base64') }),
  is: (xs: number[]): AttrJson => ({ list: { i: xs.map(String) } }),
  ss: (xs: string[]): AttrJson => ({ list: { s: xs.map((x) => Buffer.from(x).toString('base64')) } }),
  t: (x: string): AttrJson => ({ type: x }),
};

export interface WeightOpts {
  dtype?: 'float32' | 'int32';
  /** Store quantized: uint8/uint16 with scale/min (values are snapped to the grid first), or float16. */
  quant?: 'uint8' | 'uint16' | 'float16';
}

function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const man = u & 0x7fffff;
  if (exp <= 0) return sign; // tests use normal values only
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (man >>> 13);
  if ((man & 0x1fff) > 0x1000 || ((man & 0x1fff) === 0x1000 && (h & 1))) h++;
  return h;
}

export class TfjsModelBuilder {
  nodes: Record<string, unknown>[] = [];
  weights: Record<string, unknown>[] = [];
  private bytes: number[] = [];

  input(name: string, shape: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: A.t('DT_FLOAT'), shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } } });
    return name;
  }

  const(name: string, shape: number[], data: number[], o: WeightOpts = {}): string {
    const dtype = o.dtype ?? 'float32';
    this.nodes.push({ name, op: 'Const', attr: { dtype: A.t(dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT'), value: { tensor: { dtype: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } } } });
    const spec: Record<string, unknown> = { name, shape, dtype };
    if (o.quant === 'float16') {
      spec['quantization'] = { dtype: 'float16', original_dtype: dtype };
      for (const v of data) { const h = toHalf(v); this.bytes.push(h & 0xff, h >> 8); }
    } else if (o.quant) {
      const lo = Math.min(...data), hi = Math.max(...data);
      const levels = o.quant === 'uint8' ? 255 : 65535;
      const scale = (hi - lo) / levels || 1;
      spec['quantization'] = { dtype: o.quant, scale, min: lo, original_dtype: dtype };
      for (const v of data) {
        const q = Math.round((v - lo) / scale);
        if (o.quant === 'uint8') this.bytes.push(q); else this.bytes.push(q & 0xff, q >> 8);
      }
    } else {
      const b = new Uint8Array(dtype === 'int32' ? new Int32Array(data).buffer : new Float32Array(data).buffer);
      this.bytes.push(...b);
    }
    this.weights.push(spec);
    return name;
  }

  ints(name: string, data: number[]): string {
    return this.const(name, [data.length], data, { dtype: 'int32' });
  }

  scalarInt(name: string, v: number): string {
    return this.const(name, [], [v], { dtype: 'int32' });
  }

  op(name: string, op: string, input: string[], attr: Record<string, AttrJson> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: A.t('DT_FLOAT'), ...attr } });
    return name;
  }

  build(outputs: string[], shard = 'group1-shard1of1.bin'): { json: string; shards: Record<string, Uint8Array> } {
    const json = JSON.stringify({
      format: 'graph-model', generatedBy: 'test', convertedBy: 'test',
      signature: { outputs: Object.fromEntries(outputs.map((o) => [o, { name: o }])) },
      modelTopology: { node: this.nodes, library: {}, versions: {} },
      weightsManifest: [{ paths: [shard], weights: this.weights }],
    });
    return { json, shards: { [shard]: Uint8Array.from(this.bytes) } };
  }
}

/** Deterministic values in [lo, hi). */
export function vals(n: number, seed: number, lo = -1, hi = 1): number[] {
  const out: number[] = [];
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; out.push(Math.fround(lo + (hi - lo) * (s / 4294967296))); }
  return out;
}
