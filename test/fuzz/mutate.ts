/** Seeded mutators over real files: bit flips, truncation, splices, huge/negative varints, JSON structure edits. */
import { decodeProgram, encodeProgram, type Instr } from '../../src/isa/codec.js';
import { CLASS_BY_NAME, CLASS_NAMES, ENGINE_BIT, fieldRange, type ClassName } from '../../src/isa/spec.js';

export class Rng {
  private s: number;
  constructor(seed: number) {
    // murmur3 fmix32 of the seed, then a few discarded outputs: xorshift is linear over GF(2), so nearby raw
    // seeds (input i and i+1 of a run) would otherwise give nearly the same first draws (same mutation).
    let h = seed >>> 0;
    h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b) >>> 0; h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35) >>> 0; h ^= h >>> 16;
    this.s = h || 1;
    for (let i = 0; i < 4; i++) this.next();
  }
  next(): number { // xorshift32
    let x = this.s; x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; this.s = x; return x;
  }
  int(n: number): number { return n <= 0 ? 0 : this.next() % n; }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x20];
/** Varints that decode to huge or negative (two's complement int64) values. */
const HUGE_VARINTS = [
  [0xff, 0xff, 0xff, 0xff, 0x0f], // 2^32-1
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // -1 as int64
  [0x80, 0x80, 0x80, 0x80, 0x08], // 2^31
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // 2^56-1
];

export function mutateBytes(src: Uint8Array, rng: Rng, others: readonly Uint8Array[]): Uint8Array {
  let b: Uint8Array = src.slice();
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const n = b.length;
    switch (rng.int(8)) {
      case 0: { // bit flips
        const k = 1 + rng.int(8);
        for (let i = 0; i < k && n; i++) b[rng.int(n)]! ^= 1 << rng.int(8);
        break;
      }
      case 1: if (n) b[rng.int(n)] = rng.pick(INTERESTING); break;
      case 2: b = b.slice(0, rng.int(n + 1)); break; // truncation
      case 3: { // splice a chunk of another seed (or itself) at a random place
        const o = others.length ? rng.pick(others) : b;
        const a = rng.int(o.length + 1), len = rng.int(Math.min(256, o.length - a) + 1), at = rng.int(n + 1);
        const out = new Uint8Array(n + len); out.set(b.subarray(0, at)); out.set(o.subarray(a, a + len), at); out.set(b.subarray(at), at + len); b = out;
        break;
      }
      case 4: { // overwrite with a huge / negative varint (length fields, dims)
        const v = rng.pick(HUGE_VARINTS), at = rng.int(n + 1);
        const out = new Uint8Array(Math.max(n, at + v.length)); out.set(b); out.set(v, at); b = out;
        break;
      }
      case 5: { // delete a chunk
        const a = rng.int(n + 1), len = rng.int(Math.min(64, n - a) + 1);
        const out = new Uint8Array(n - len); out.set(b.subarray(0, a)); out.set(b.subarray(a + len), a); b = out;
        break;
      }
      case 6: { // duplicate a chunk (repeated fields, nesting)
        const a = rng.int(n + 1), len = rng.int(Math.min(128, n - a) + 1);
        const out = new Uint8Array(n + len); out.set(b.subarray(0, a + len)); out.set(b.subarray(a, a + len), a + len); out.set(b.subarray(a + len), a + 2 * len); b = out;
        break;
      }
      default: { // random bytes inserted
        const len = 1 + rng.int(16), at = rng.int(n + 1);
        const out = new Uint8Array(n + len); out.set(b.subarray(0, at));
        for (let i = 0; i < len; i++) out[at + i] = rng.int(256);
        out.set(b.subarray(at), at + len); b = out;
      }
    }
  }
  return b;
}

type J = null | boolean | number | string | J[] | { [k: string]: J };
const WEIRD: J[] = [1e308, -1, -2147483649, 2 ** 53 + 1, 0, NaN as unknown as J, 1.5, '', 'x'.repeat(1000), null, true, [], {}, '0x', '0xffffffffffffffffffff', '-0x1', 'B4096', '1e9'];

const DEEP = '\u0000deep';
/** Deep nesting is spliced in as text (JSON.stringify of it would itself overflow the stack). */
function deepText(depth: number): string { let o = '', c = ''; for (let i = 0; i < depth; i++) { if (i % 2) { o += '['; c = ']' + c; } else { o += '{"a":'; c = '}' + c; } } return o + '1' + c; }

/** Structural JSON mutation: replace a random node by a wrong type, huge/negative number, or deep nesting. */
export function mutateJson(text: string, rng: Rng): string {
  let root: J;
  try { root = JSON.parse(text) as J; } catch { return text; }
  const nodes: Array<{ parent: J[] | { [k: string]: J }; key: string | number }> = [];
  (function walk(v: J) {
    if (Array.isArray(v)) v.forEach((c, i) => { nodes.push({ parent: v, key: i }); walk(c); });
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) { nodes.push({ parent: v, key: k }); walk(v[k]!); }
  })(root);
  const k = 1 + rng.int(3);
  for (let i = 0; i < k && nodes.length; i++) {
    const { parent, key } = rng.pick(nodes);
    const choice = rng.int(5);
    const val: J = choice === 0 ? `${DEEP}${rng.pick([50, 500, 5000])}` : choice === 1 ? rng.pick(WEIRD) : choice === 2 ? (rng.int(2) ? -(1 + rng.int(1000)) : 2 ** (20 + rng.int(40))) : choice === 3 ? String((parent as Record<string, J>)[key as string] ?? '') : null;
    if (choice === 4 && !Array.isArray(parent)) delete parent[key as string];
    else (parent as Record<string | number, J>)[key] = val;
  }
  if (rng.int(10) === 0) return deepText(rng.pick([1000, 20000]));
  return JSON.stringify(root).replace(/"\\u0000deep(\d+)"/g, (_m, d: string) => deepText(Number(d)));
}

/**
 * Structure-aware protobuf mutation (keeps every length prefix consistent, so the stage's semantics are
 * reached, not only its framing checks): parse the wire format (a LEN field whose payload parses as a
 * message is treated as one), change one field — varint value → huge / negative / zero, LEN payload →
 * truncated / emptied / duplicated field, wire type swapped — and re-encode.
 */
type PbField = { no: number; wt: number; v: bigint | Uint8Array | PbField[] };
function readVarint(b: Uint8Array, p: { at: number }): bigint | null {
  let r = 0n, sh = 0n;
  for (let i = 0; i < 10; i++) { if (p.at >= b.length) return null; const x = b[p.at++]!; r |= BigInt(x & 0x7f) << sh; if (!(x & 0x80)) return r; sh += 7n; }
  return null;
}
function parsePb(b: Uint8Array, depth: number): PbField[] | null {
  const out: PbField[] = []; const p = { at: 0 };
  while (p.at < b.length) {
    const tag = readVarint(b, p); if (tag === null) return null;
    const no = Number(tag >> 3n), wt = Number(tag & 7n);
    if (no === 0) return null;
    if (wt === 0) { const v = readVarint(b, p); if (v === null) return null; out.push({ no, wt, v }); }
    else if (wt === 1 || wt === 5) { const n = wt === 1 ? 8 : 4; if (p.at + n > b.length) return null; out.push({ no, wt, v: b.slice(p.at, p.at + n) }); p.at += n; }
    else if (wt === 2) {
      const len = readVarint(b, p); if (len === null || p.at + Number(len) > b.length) return null;
      const payload = b.subarray(p.at, p.at + Number(len)); p.at += Number(len);
      const sub = depth < 12 && payload.length > 1 ? parsePb(payload, depth + 1) : null;
      out.push({ no, wt, v: sub ?? payload.slice() });
    } else return null;
  }
  return out;
}
function writeVarint(v: bigint, out: number[]): void { v = BigInt.asUintN(64, v); do { let x = Number(v & 0x7fn); v >>= 7n; if (v) x |= 0x80; out.push(x); } while (v); }
function encodePb(fs: PbField[], out: number[]): void {
  for (const f of fs) {
    writeVarint(BigInt(f.no * 8 + f.wt), out);
    if (f.wt === 0) writeVarint(f.v as bigint, out);
    else if (f.wt === 1 || f.wt === 5) for (const x of f.v as Uint8Array) out.push(x);
    else { const inner: number[] = []; if (Array.isArray(f.v)) encodePb(f.v, inner); else for (const x of f.v as Uint8Array) inner.push(x); writeVarint(BigInt(inner.length), out); for (const x of inner) out.push(x); }
  }
}
const PB_VALUES = [0n, 1n, -1n, 2n ** 31n - 1n, 2n ** 32n, 2n ** 62n, -(2n ** 40n), 255n, 17n];
export function mutateProtobuf(src: Uint8Array, rng: Rng): Uint8Array | null {
  const root = parsePb(src, 0); if (!root) return null;
  const all: Array<{ list: PbField[]; i: number }> = [];
  (function walk(l: PbField[]) { l.forEach((f, i) => { all.push({ list: l, i }); if (Array.isArray(f.v)) walk(f.v); }); })(root);
  const k = 1 + rng.int(3);
  for (let r = 0; r < k && all.length; r++) {
    const { list, i } = rng.pick(all); const f = list[i]; if (!f) continue;
    // Mix tuned so most inputs still decode (issue 11 item 3): wire-type changes are 1 in 12, inserted
    // fields keep the wire type of the field they copy; the rest change values inside the schema's types.
    switch (rng.int(12)) {
      case 0: case 6: case 7: if (f.wt === 0) f.v = rng.pick(PB_VALUES); else if (f.v instanceof Uint8Array) { const c = f.v.slice(); if (c.length) c[rng.int(c.length)] = rng.pick(INTERESTING) & 0x7f; f.v = c; } else f.v = []; break;
      case 8: case 9: if (f.wt === 0) f.v = BigInt(rng.int(2) ? rng.int(64) : -1 - rng.int(4)); else if (f.wt === 5 || f.wt === 1) { const c = new Uint8Array(f.v as Uint8Array); c[c.length - 1] = rng.pick([0x7f, 0xff, 0x80, 0]); f.v = c; } else if (Array.isArray(f.v) && f.v.length) { const g = rng.pick(f.v); if (g.wt === 0) g.v = rng.pick(PB_VALUES); } break;
      case 10: if (Array.isArray(f.v)) { const other = all.map((x) => x.list[x.i]).filter((x): x is PbField => !!x && x.no === f.no && Array.isArray(x.v)); if (other.length) f.v = structuredClone(rng.pick(other).v); } break; // a sibling message's body
      case 11: if (f.wt === 0) f.v = rng.pick(PB_VALUES); else list.splice(i, 0, structuredClone(f)); break;
      case 1: if (f.v instanceof Uint8Array) f.v = f.v.slice(0, rng.int(f.v.length + 1)); else if (Array.isArray(f.v)) f.v.splice(rng.int(f.v.length + 1)); break;
      case 2: list.splice(i, 0, { ...f }); break; // duplicated field (repeated / nesting)
      case 3: list.splice(i, 1); break; // dropped field
      case 4: f.wt = f.wt === 0 ? 2 : 0; f.v = f.wt === 0 ? rng.pick(PB_VALUES) : new TextEncoder().encode('x'); break; // wrong type
      default: { const extra: PbField = f.wt === 0 ? { no: f.no, wt: 0, v: rng.pick(PB_VALUES) } : structuredClone(f); list.splice(i + 1, 0, extra); }
    }
  }
  const out: number[] = []; encodePb(root, out); return new Uint8Array(out);
}

/** Deep-nesting text for a placeholder (exported for the TF.js mutator). */
export function deepJsonText(depth: number): string { return deepText(depth); }

// ---------------------------------------------------------------------------------------------------------
// mc_code deep mutator: decode the real stream, change fields of decoded instructions, re-encode. Values are
// kept inside each field's legal range, so most inputs pass the decoder and reach `simulate`.

function legalMask(cls: ClassName, rng: Rng): number {
  const eng = CLASS_BY_NAME[cls].engine;
  const own = eng === 'END' ? 0 : ENGINE_BIT[eng];
  return rng.int(16) & ~own;
}

/** Kinds of deep mutation, named in the figures of docs/reliability.md. */
export const MC_DEEP_KINDS = ['address', 'length', 'bank', 'shift', 'channels', 'field', 'tokens', 'opcode', 'drop', 'duplicate', 'swap'] as const;

function fieldValue(v: number, lo: number, hi: number, rng: Rng): number {
  const c = rng.int(8);
  const x = c === 0 ? lo : c === 1 ? hi : c === 2 ? v + 1 : c === 3 ? v - 1 : c === 4 ? v * 2 : c === 5 ? Math.floor(v / 2) : c === 6 ? v + (1 << rng.int(20)) : lo + rng.int(Math.min(hi - lo + 1, 2 ** 31));
  return Math.max(lo, Math.min(hi, x));
}

export function mutateMcDeep(src: Uint8Array, rng: Rng): Uint8Array | null {
  let prog: Instr[];
  try { prog = decodeProgram(src).map((p) => ({ cls: p.cls, wait: p.wait, signal: p.signal, f: { ...p.f } })); } catch { return null; }
  if (!prog.length) return null;
  const k = 1 + rng.int(3);
  for (let r = 0; r < k; r++) {
    const body = Math.max(1, prog.length - 1); // END stays last unless an opcode swap / drop reaches it
    const i = rng.int(body);
    const ins = prog[i]!;
    const spec = CLASS_BY_NAME[ins.cls];
    const kind = rng.pick(MC_DEEP_KINDS);
    const pickField = (re: RegExp) => { const fs = spec.fields.filter((x) => re.test(x.name)); return fs.length ? rng.pick(fs) : spec.fields.length ? rng.pick(spec.fields) : undefined; };
    switch (kind) {
      case 'address': case 'length': case 'bank': case 'shift': case 'channels': case 'field': {
        const re = { address: /addr/, length: /rows|cols|pixels|stride|kernel/, bank: /bank|reg_id/, shift: /shift|fp_/, channels: /channels|^ic$|^oc$/, field: /./ }[kind];
        const fs = pickField(re);
        if (!fs) break;
        const [lo, hi] = fieldRange(fs);
        ins.f[fs.name] = fieldValue(ins.f[fs.name] ?? 0, lo, hi, rng);
        break;
      }
      case 'tokens':
        if (rng.int(2)) ins.wait = legalMask(ins.cls, rng); else ins.signal = ins.cls === 'END' ? 0 : legalMask(ins.cls, rng);
        break;
      case 'opcode': { // another class; same-named fields kept, the others random in range
        const cls = rng.pick(CLASS_NAMES.filter((c) => c !== 'END' && c !== ins.cls));
        const ns = CLASS_BY_NAME[cls];
        const f: Record<string, number> = {};
        for (const fs of ns.fields) { const [lo, hi] = fieldRange(fs); f[fs.name] = fs.name in ins.f ? Math.max(lo, Math.min(hi, ins.f[fs.name]!)) : lo + rng.int(Math.min(hi - lo + 1, 64)); }
        prog[i] = { cls, wait: ins.wait & ~(ns.engine === 'END' ? 0 : ENGINE_BIT[ns.engine]), signal: ins.signal & ~(ns.engine === 'END' ? 0 : ENGINE_BIT[ns.engine]), f };
        break;
      }
      case 'drop': prog.splice(i, 1); break;
      case 'duplicate': prog.splice(i, 0, { ...ins, f: { ...ins.f } }); break;
      default: { const j = rng.int(body); const t = prog[j]!; prog[j] = prog[i]!; prog[i] = t; }
    }
    if (!prog.length) return null;
  }
  try { return encodeProgram(prog); } catch { return null; }
}

// ---------------------------------------------------------------------------------------------------------
// TF.js bundle: model.json + shards in one byte string so the runner can ship it to the worker and keep it
// in the corpus. Layout: "TFJB" u32 jsonLen json u32 nShards { u32 nameLen name u32 len bytes }* (LE).
export interface TfjsBundle { json: string; shards: Record<string, Uint8Array> }
export function packTfjs(b: TfjsBundle): Uint8Array {
  const te = new TextEncoder();
  const parts: Uint8Array[] = [te.encode('TFJB')];
  const u32 = (n: number) => { const x = new Uint8Array(4); new DataView(x.buffer).setUint32(0, n, true); return x; };
  const j = te.encode(b.json); parts.push(u32(j.length), j);
  const names = Object.keys(b.shards); parts.push(u32(names.length));
  for (const n of names) { const nb = te.encode(n); parts.push(u32(nb.length), nb, u32(b.shards[n]!.length), b.shards[n]!); }
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out;
}
/** Unpack a bundle; null when the bytes are not one (the harness's own framing, not the importer's input). */
export function unpackTfjs(bytes: Uint8Array, seeds: readonly Uint8Array[] = []): TfjsBundle | null {
  const td = new TextDecoder();
  if (bytes.length < 12 || td.decode(bytes.subarray(0, 4)) !== 'TFJB') return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 4;
  const rd = (): number | null => { if (o + 4 > bytes.length) return null; const v = dv.getUint32(o, true); o += 4; return v; };
  const jl = rd(); if (jl === null || o + jl > bytes.length) return null;
  const json = td.decode(bytes.subarray(o, o + jl)); o += jl;
  const n = rd(); if (n === null) return null;
  const shards: Record<string, Uint8Array> = {};
  for (let i = 0; i < n; i++) {
    const nl = rd(); if (nl === null || o + nl > bytes.length) return null;
    const name = td.decode(bytes.subarray(o, o + nl)); o += nl;
    const l = rd(); if (l === null || o + l > bytes.length) return null;
    const ref = /^@seed:(\d+):(.*)$/s.exec(name); // corpus files refer to unchanged seed shards (compactTfjs)
    if (ref) { const s = seeds[Number(ref[1])] ? unpackTfjs(seeds[Number(ref[1])]!)?.shards[ref[2]!] : undefined; if (!s) return null; shards[ref[2]!] = s; }
    else shards[name] = bytes.slice(o, o + l);
    o += l;
  }
  return { json, shards };
}

/** Replace every shard equal to the same-named shard of a seed by a reference (keeps corpus files small). */
export function compactTfjs(bytes: Uint8Array, seeds: readonly Uint8Array[]): Uint8Array {
  const b = unpackTfjs(bytes, seeds); if (!b) return bytes;
  const seedShards = seeds.map((x) => unpackTfjs(x)?.shards ?? {});
  const eq = (a: Uint8Array, c: Uint8Array) => a.length === c.length && a.every((v, i) => v === c[i]);
  const shards: Record<string, Uint8Array> = {};
  for (const [n, d] of Object.entries(b.shards)) {
    const k = seedShards.findIndex((s) => s[n] && eq(s[n]!, d));
    if (k >= 0) shards[`@seed:${k}:${n}`] = new Uint8Array(0); else shards[n] = d;
  }
  return packTfjs({ json: b.json, shards });
}

type Obj = { [k: string]: J };
const TF_DTYPES: J[] = ['float32', 'int32', 'uint8', 'uint16', 'float16', 'bool', 'string', 'complex64', 'int64', 'float64', '', 7, null];
const DIMS: J[] = [0, -1, -2147483648, 2 ** 31, 2 ** 53, 1e308, 1.5, 'x', null, [], [1]];

/** TF.js-aware mutation: manifest (dtypes, shapes, offsets, quantization, paths), topology, shards. */
export function mutateTfjs(src: Uint8Array, rng: Rng, others: readonly Uint8Array[]): Uint8Array {
  const b = unpackTfjs(src)!;
  const m = JSON.parse(b.json) as Obj;
  const manifest = (m['weightsManifest'] as Obj[] | undefined) ?? [];
  const specs = manifest.flatMap((g) => (Array.isArray(g['weights']) ? (g['weights'] as Obj[]) : []));
  const nodes = (((m['modelTopology'] as Obj | undefined)?.['node']) as Obj[] | undefined) ?? [];
  let deep = 0;
  let jsonEdited = false;
  const k = 1 + rng.int(3);
  for (let r = 0; r < k; r++) {
    const choice = rng.int(12);
    const spec = specs.length ? rng.pick(specs) : undefined;
    if (choice <= 6 && choice !== 5) jsonEdited = true;
    switch (choice) {
      case 0: if (spec) spec['dtype'] = rng.pick(TF_DTYPES); break;
      case 1: if (spec) { // shape: huge / negative / wrong-typed dims, or a changed rank
        const sh = Array.isArray(spec['shape']) ? (spec['shape'] as J[]) : [];
        const c = rng.int(5);
        if (c === 0 && sh.length) sh[rng.int(sh.length)] = rng.pick(DIMS);
        else if (c === 1) sh.push(rng.pick([2, 1000, 2 ** 20, 2 ** 31]));
        else if (c === 2) sh.pop();
        else if (c === 3) spec['shape'] = rng.pick<J>(['x', 5, null, { a: 1 }, [[1, 2]]]);
        else if (sh.length) sh[rng.int(sh.length)] = ((sh[rng.int(sh.length)] as number) | 0) * 2;
        if (c !== 3) spec['shape'] = sh;
      } break;
      case 2: if (specs.length > 1) { // offsets: remove, duplicate or swap weight specs (every later offset moves)
        const g = rng.pick(manifest); const ws = g['weights'] as Obj[]; if (!Array.isArray(ws) || !ws.length) break;
        const i = rng.int(ws.length), c = rng.int(3);
        if (c === 0) ws.splice(i, 1); else if (c === 1) ws.splice(i, 0, JSON.parse(JSON.stringify(ws[i])) as Obj); else { const j = rng.int(ws.length); const t = ws[i]!; ws[i] = ws[j]!; ws[j] = t; }
      } break;
      case 3: if (spec) { // quantization block
        const q = (spec['quantization'] as Obj | undefined) ?? {};
        const c = rng.int(5);
        if (c === 0) q['dtype'] = rng.pick<J>(['uint8', 'uint16', 'float16', 'int8', 'x', 3]);
        else if (c === 1) q['scale'] = rng.pick<J>([0, -1, 1e308, NaN as unknown as J, 'x', null]);
        else if (c === 2) q['min'] = rng.pick<J>([0, -1e308, 'x', null]);
        else if (c === 3) q['original_dtype'] = rng.pick(TF_DTYPES);
        else q['dtype'] = 'float16';
        spec['quantization'] = q;
      } break;
      case 4: { // shard paths: missing, extra, renamed, duplicated, wrong type, path traversal
        const g = manifest.length ? rng.pick(manifest) : undefined; if (!g) break;
        const ps = Array.isArray(g['paths']) ? (g['paths'] as J[]) : [];
        const c = rng.int(5);
        if (c === 0) ps.pop(); else if (c === 1) ps.push('extra.bin'); else if (c === 2 && ps.length) ps.push(ps[0]!);
        else if (c === 3) g['paths'] = rng.pick<J>(['x', 3, null, [1], ['../../etc/passwd']]);
        else if (ps.length) ps[rng.int(ps.length)] = rng.pick<J>(['', 'nope.bin', 0]);
        if (c < 3 || c === 4) g['paths'] = ps;
        break;
      }
      case 5: { // shards themselves: missing, extra, truncated / spliced / bit-flipped bytes
        const names = Object.keys(b.shards);
        const c = rng.int(6);
        if (c === 0 && names.length) delete b.shards[rng.pick(names)];
        else if (c === 1) b.shards['extra.bin'] = new Uint8Array(rng.int(64));
        else if (names.length) { const n = rng.pick(names); const s = b.shards[n]!; b.shards[n] = c === 2 ? s.slice(0, rng.int(s.length + 1)) : mutateBytes(s, rng, others.map((o) => unpackTfjs(o)?.shards[n] ?? s)); }
        break;
      }
      case 6: if (nodes.length) { // topology: op swap, bad inputs, cycles, attr types
        const n = rng.pick(nodes); const c = rng.int(5);
        if (c === 0) n['op'] = rng.pick(nodes)['op'] ?? 'Conv2D';
        else if (c === 1) n['input'] = rng.pick<J>([[], ['nope'], [n['name'] ?? 'x'], 'x', [5]]);
        else if (c === 2 && n['attr'] && typeof n['attr'] === 'object') { const a = n['attr'] as Obj; const ks = Object.keys(a); if (ks.length) a[rng.pick(ks)] = rng.pick(WEIRD); }
        else if (c === 3) { const o = rng.pick(nodes); o['input'] = [...(Array.isArray(o['input']) ? (o['input'] as J[]) : []), String(n['name'])]; n['input'] = [...(Array.isArray(n['input']) ? (n['input'] as J[]) : []), String(o['name'])]; }
        else n['name'] = rng.pick(nodes)['name'] ?? '';
      } break;
      default: { // generic structural JSON mutation (wrong types, huge numbers, deep nesting) or text damage
        const c = rng.int(3);
        if (c === 0) { deep = rng.pick([50, 500, 5000, 20000]); }
        else { b.json = mutateJson(JSON.stringify(m), rng); return packTfjs(b); } // text may hold deep nesting: not re-parsed
      }
    }
  }
  let json = JSON.stringify(m);
  if (deep) { const keys = ['modelTopology', 'weightsManifest', 'format', 'userDefinedMetadata']; const key = rng.pick(keys); json = json.replace(`"${key}":`, `"${key}":${deepText(deep)},"${key}_":`); }
  else if (!jsonEdited && rng.int(4) === 0) json = new TextDecoder().decode(mutateBytes(new TextEncoder().encode(json), rng, []));
  b.json = json;
  return packTfjs(b);
}
