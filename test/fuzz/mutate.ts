/** Seeded mutators over real files: bit flips, truncation, splices, huge/negative varints, JSON structure edits. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 1; }
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
    switch (rng.int(6)) {
      case 0: if (f.wt === 0) f.v = rng.pick(PB_VALUES); else f.v = new Uint8Array(0); break;
      case 1: if (f.v instanceof Uint8Array) f.v = f.v.slice(0, rng.int(f.v.length + 1)); else if (Array.isArray(f.v)) f.v.splice(rng.int(f.v.length + 1)); break;
      case 2: list.splice(i, 0, { ...f }); break; // duplicated field (repeated / nesting)
      case 3: list.splice(i, 1); break; // dropped field
      case 4: f.wt = f.wt === 0 ? 2 : 0; f.v = f.wt === 0 ? rng.pick(PB_VALUES) : new TextEncoder().encode('x'); break; // wrong type
      default: { const dims: PbField[] = [{ no: f.no, wt: 0, v: rng.pick(PB_VALUES) }]; list.splice(i + 1, 0, ...dims); }
    }
  }
  const out: number[] = []; encodePb(root, out); return new Uint8Array(out);
}
