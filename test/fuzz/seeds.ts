/** Real seed files per target: seeded model builders, compiled xmodels, quantize output, arch.json, a PNG. */
import { buildModel } from '../../src/models/index.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { quantize, stringifyQuantInfo } from '../../src/quantizer/index.js';
import { irToXmodel } from '../../src/xir/from-ir.js';
import { Graph as XGraph } from '../../src/xir/graph.js';
import { xmodelToIr } from '../../src/xir/to-ir.js';
import { compile } from '../../src/compiler/compile.js';
import type { TargetName, TargetContext } from './targets.js';
import { packTfjs } from './mutate.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/**
 * Real TF.js graph models of @vladmandic/human (emotion, blazeface), each as shipped (one shard) and
 * emotion also re-sharded into 3 files (manifest paths rewritten; TF.js concatenates shards in order).
 */
function tfjsSeeds(): Uint8Array[] {
  const dir = fileURLToPath(new URL('../../../node_modules/@vladmandic/human/models/', import.meta.url)); // from dist/test/fuzz
  const out: Uint8Array[] = [];
  for (const n of ['emotion', 'blazeface']) {
    const json = readFileSync(join(dir, `${n}.json`), 'utf8');
    const bin = new Uint8Array(readFileSync(join(dir, `${n}.bin`)));
    const m = JSON.parse(json) as { weightsManifest: Array<{ paths: string[] }> };
    out.push(packTfjs({ json, shards: { [m.weightsManifest[0]!.paths[0]!]: bin } }));
    if (n === 'emotion') {
      const cut = [0, Math.floor(bin.length / 3), Math.floor((2 * bin.length) / 3), bin.length];
      const paths = [1, 2, 3].map((k) => `group1-shard${k}of3.bin`);
      m.weightsManifest[0]!.paths = paths;
      out.push(packTfjs({ json: JSON.stringify(m), shards: Object.fromEntries(paths.map((p, k) => [p, bin.slice(cut[k], cut[k + 1])])) }));
    }
  }
  return out;
}

export interface Seeds { files: Record<TargetName, Uint8Array[]>; ctx: TargetContext }

const enc = new TextEncoder();

/** A valid 2×2 RGB PNG written by hand (independent of sharp), CRCs computed here. */
function tinyPng(): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Uint8Array) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length); const dv = new DataView(out.buffer);
    dv.setUint32(0, data.length); out.set(enc.encode(type), 4); out.set(data, 8); dv.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length))); return out;
  };
  const ihdr = new Uint8Array(13); const dv = new DataView(ihdr.buffer); dv.setUint32(0, 2); dv.setUint32(4, 2); ihdr[8] = 8; ihdr[9] = 2;
  // zlib stored block of 2 rows × (filter byte + 6 bytes)
  const raw = new Uint8Array([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  let a = 1, b = 0; for (const x of raw) { a = (a + x) % 65521; b = (b + a) % 65521; }
  const z = new Uint8Array([0x78, 0x01, 0x01, raw.length, 0, ~raw.length & 0xff, 0xff, ...raw, b >> 8, b & 0xff, a >> 8, a & 0xff]);
  const parts = [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', z), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out;
}

export async function makeSeeds(): Promise<Seeds> {
  const onnx = buildModel('tiny').onnx;
  const g = importOnnx(onnx);
  const inp = g.ops.find((o) => o.type === 'data')!;
  const n = inp.output.shape.reduce((x, y) => x * y, 1);
  let s = 7;
  const batches = [0, 1].map(() => ({ [inp.name]: { shape: inp.output.shape, data: new Float32Array(n).map(() => { s = (s * 1103515245 + 12345) >>> 0; return (s / 2 ** 32) * 2 - 1; }) } }));
  const q = await quantize(g, batches, { skipReport: true, biasCorrection: false });
  const intXmodel = irToXmodel(q.graph).serialize();
  const compiled = compile(xmodelToIr(XGraph.deserialize(intXmodel)), 'B512').xmodel;
  const mc: Uint8Array[] = [];
  const regSizes: Record<number, number> = {};
  for (const sg of XGraph.deserialize(compiled).getRootSubgraph().getChildren()) {
    if (!sg.hasAttr('mc_code')) continue;
    const v = sg.getAttr('mc_code');
    if (v instanceof Uint8Array) mc.push(v);
    for (const [k, n] of Object.entries(sg.getAttr('reg_id_to_size') as Record<string, number>)) regSizes[Number(k.replace(/\D/g, ''))] = Math.max(regSizes[Number(k.replace(/\D/g, ''))] ?? 0, n);
  }
  const tfjs = tfjsSeeds();
  const qi = stringifyQuantInfo(q.quantInfo);
  const parsed = JSON.parse(qi) as Record<string, Record<string, unknown>>;
  const names = (sec: string) => Object.keys(parsed[sec] ?? {});
  const files: Record<TargetName, Uint8Array[]> = {
    onnx: [onnx, buildModel('tiny', { seed: 3 }).onnx],
    xmodel: [intXmodel, compiled],
    mccode: mc,
    mcdeep: mc,
    tfjs,
    quantinfo: [enc.encode(qi)],
    archjson: [enc.encode('{"fingerprint": "0x101000016010407"}'), enc.encode('{"target": "DPUCZDX8G_ISA1_B4096"}')],
    image: [tinyPng()],
  };
  // plain Uint8Arrays (never Node Buffers: Buffer#slice is a view, and the mutators rely on slice() copying)
  for (const t of Object.keys(files) as TargetName[]) files[t] = files[t].map((b) => new Uint8Array(b));
  return {
    files,
    ctx: { tfjsSeeds: tfjs, regSizes, quantNames: { param: names('param'), output: names('output'), input: names('input') } },
  };
}
