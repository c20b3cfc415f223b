/**
 * Typed XIR attribute values: a tagged union so writers say exactly which AttrValue variant
 * goes on the wire (int32 vs int64 vs uint64, bytes, maps…). 64-bit integers are bigint.
 */
import { XmodelError } from '../errors.js';

export type XAttr =
  | { type: 'bool'; value: boolean }
  | { type: 'int32' | 'uint32' | 'float' | 'double'; value: number }
  | { type: 'int64' | 'uint64'; value: bigint }
  | { type: 'string'; value: string }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'bool_vec'; value: boolean[] }
  | { type: 'int32_vec' | 'uint32_vec' | 'float_vec' | 'double_vec'; value: number[] }
  | { type: 'int64_vec' | 'uint64_vec'; value: bigint[] }
  | { type: 'string_vec'; value: string[] }
  | { type: 'bytes_vec'; value: Uint8Array[] }
  | { type: 'map_string_2_int32' | 'map_string_2_uint32'; value: Record<string, number> }
  | { type: 'map_string_2_int64' | 'map_string_2_uint64'; value: Record<string, bigint> }
  | { type: 'map_string_2_string'; value: Record<string, string> }
  | { type: 'map_string_2_bytes'; value: Record<string, Uint8Array> }
  | { type: 'map_string_2_int32_vec' | 'map_string_2_uint32_vec'; value: Record<string, number[]> }
  | { type: 'map_string_2_int64_vec' | 'map_string_2_uint64_vec'; value: Record<string, bigint[]> }
  | { type: 'map_string_2_string_vec'; value: Record<string, string[]> };

export type XAttrType = XAttr['type'];
export type XAttrPlain = XAttr['value'];

/** Every AttrValue variant, in field-number order (4…32). */
export const XATTR_TYPES: readonly XAttrType[] = [
  'bool', 'int32', 'uint32', 'int64', 'uint64', 'float', 'double', 'string', 'bytes',
  'bool_vec', 'int32_vec', 'uint32_vec', 'int64_vec', 'uint64_vec', 'float_vec', 'double_vec', 'string_vec', 'bytes_vec',
  'map_string_2_int32', 'map_string_2_uint32', 'map_string_2_int64', 'map_string_2_uint64', 'map_string_2_string',
  'map_string_2_bytes', 'map_string_2_int32_vec', 'map_string_2_uint32_vec', 'map_string_2_int64_vec',
  'map_string_2_uint64_vec', 'map_string_2_string_vec',
];

/**
 * Attr types Netron's xmodel reader accepts on op attrs and op_def defaults (xir-format.md,
 * intersected with lutzroeder/netron source/xmodel.js, which has no double/int64/uint64/bool vectors).
 */
export const NETRON_OP_ATTR_TYPES: ReadonlySet<XAttrType> = new Set<XAttrType>([
  'bool', 'int32', 'uint32', 'int64', 'uint64', 'float', 'double', 'string', 'bytes',
  'int32_vec', 'uint32_vec', 'float_vec', 'string_vec', 'map_string_2_int32',
]);

/** Constructors: `A.int32(3)`, `A.uint64(0x1234n)`, `A.mapString2Bytes({REG_0: bytes})`… */
export const A = {
  bool: (value: boolean): XAttr => ({ type: 'bool', value }),
  int32: (value: number): XAttr => ({ type: 'int32', value }),
  uint32: (value: number): XAttr => ({ type: 'uint32', value }),
  int64: (value: bigint | number): XAttr => ({ type: 'int64', value: BigInt(value) }),
  uint64: (value: bigint | number): XAttr => ({ type: 'uint64', value: BigInt(value) }),
  float: (value: number): XAttr => ({ type: 'float', value }),
  double: (value: number): XAttr => ({ type: 'double', value }),
  string: (value: string): XAttr => ({ type: 'string', value }),
  bytes: (value: Uint8Array): XAttr => ({ type: 'bytes', value }),
  boolVec: (value: boolean[]): XAttr => ({ type: 'bool_vec', value }),
  int32Vec: (value: number[]): XAttr => ({ type: 'int32_vec', value }),
  uint32Vec: (value: number[]): XAttr => ({ type: 'uint32_vec', value }),
  int64Vec: (value: bigint[]): XAttr => ({ type: 'int64_vec', value }),
  uint64Vec: (value: bigint[]): XAttr => ({ type: 'uint64_vec', value }),
  floatVec: (value: number[]): XAttr => ({ type: 'float_vec', value }),
  doubleVec: (value: number[]): XAttr => ({ type: 'double_vec', value }),
  stringVec: (value: string[]): XAttr => ({ type: 'string_vec', value }),
  bytesVec: (value: Uint8Array[]): XAttr => ({ type: 'bytes_vec', value }),
  mapString2Int32: (value: Record<string, number>): XAttr => ({ type: 'map_string_2_int32', value }),
  mapString2Uint32: (value: Record<string, number>): XAttr => ({ type: 'map_string_2_uint32', value }),
  mapString2Int64: (value: Record<string, bigint>): XAttr => ({ type: 'map_string_2_int64', value }),
  mapString2Uint64: (value: Record<string, bigint>): XAttr => ({ type: 'map_string_2_uint64', value }),
  mapString2String: (value: Record<string, string>): XAttr => ({ type: 'map_string_2_string', value }),
  mapString2Bytes: (value: Record<string, Uint8Array>): XAttr => ({ type: 'map_string_2_bytes', value }),
  mapString2Int32Vec: (value: Record<string, number[]>): XAttr => ({ type: 'map_string_2_int32_vec', value }),
  mapString2Uint32Vec: (value: Record<string, number[]>): XAttr => ({ type: 'map_string_2_uint32_vec', value }),
  mapString2Int64Vec: (value: Record<string, bigint[]>): XAttr => ({ type: 'map_string_2_int64_vec', value }),
  mapString2Uint64Vec: (value: Record<string, bigint[]>): XAttr => ({ type: 'map_string_2_uint64_vec', value }),
  mapString2StringVec: (value: Record<string, string[]>): XAttr => ({ type: 'map_string_2_string_vec', value }),
} as const;

/**
 * Infers a variant for a plain JS value (what `setAttr(name, value)` does without a tag):
 * boolean → bool; integer in int32 range → int32; other number → float when exactly
 * representable in float32, else double; bigint → int64; string → string; Uint8Array → bytes;
 * number[] → int32_vec / float_vec / double_vec by the same rule; string[] → string_vec;
 * an empty array → int32_vec.
 */
export function inferAttr(value: unknown): XAttr {
  if (typeof value === 'boolean') return A.bool(value);
  if (typeof value === 'number') {
    if (isInt32(value)) return A.int32(value);
    return Object.is(Math.fround(value), value) ? A.float(value) : A.double(value);
  }
  if (typeof value === 'bigint') return A.int64(value);
  if (typeof value === 'string') return A.string(value);
  if (value instanceof Uint8Array) return A.bytes(value);
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return value.length === 0 ? A.int32Vec([]) : A.stringVec(value as string[]);
    if (value.every((v) => typeof v === 'number')) {
      const nums = value as number[];
      if (nums.every(isInt32)) return A.int32Vec(nums);
      return nums.every((v) => Object.is(Math.fround(v), v)) ? A.floatVec(nums) : A.doubleVec(nums);
    }
    if (value.every((v) => typeof v === 'boolean')) return A.boolVec(value as boolean[]);
  }
  throw new XmodelError('E_XMODEL_ATTR_VALUE', `cannot store a value of type ${describe(value)} as an XIR attr`, {
    fix: 'pass a typed value, e.g. A.int64(…), A.mapString2Bytes({…})',
  });
}

function isInt32(v: number): boolean {
  return Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff && !Object.is(v, -0);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'mixed array';
  return v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v;
}

// ── wire conversion (protobufjs plain objects) ───────────────────────────────

type LongLike = { low: number; high: number; unsigned: boolean };

function toLong(v: bigint, unsigned: boolean): LongLike {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned };
}

function fromLong(v: unknown, unsigned: boolean): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string') return BigInt(v);
  const l = v as { low: number; high: number };
  const u = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
  return unsigned ? u : BigInt.asIntN(64, u);
}

const mapObj = <T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> => {
  const r: Record<string, U> = {};
  for (const k of Object.keys(o).sort()) r[k] = f(o[k] as T);
  return r;
};

/** XAttr → protobufjs message object of serial_v2.AttrValue. */
export function attrToWire(a: XAttr): Record<string, unknown> {
  const key = `${a.type}_value`;
  switch (a.type) {
    case 'bool': case 'int32': case 'uint32': case 'float': case 'double': case 'string':
      return { [key]: a.value };
    case 'int64': return { [key]: toLong(a.value, false) };
    case 'uint64': return { [key]: toLong(a.value, true) };
    case 'bytes': return { [key]: { value: a.value } };
    case 'bool_vec': case 'int32_vec': case 'uint32_vec': case 'float_vec': case 'double_vec': case 'string_vec':
      return { [key]: { value: a.value } };
    case 'int64_vec': return { [key]: { value: a.value.map((v) => toLong(v, false)) } };
    case 'uint64_vec': return { [key]: { value: a.value.map((v) => toLong(v, true)) } };
    case 'bytes_vec': return { [key]: { value: a.value.map((v) => ({ value: v })) } };
    case 'map_string_2_int32': case 'map_string_2_uint32': case 'map_string_2_string':
      return { [key]: { value: mapObj(a.value as Record<string, unknown>, (v) => v) } };
    case 'map_string_2_int64': return { [key]: { value: mapObj(a.value, (v) => toLong(v, false)) } };
    case 'map_string_2_uint64': return { [key]: { value: mapObj(a.value, (v) => toLong(v, true)) } };
    case 'map_string_2_bytes': return { [key]: { value: mapObj(a.value, (v) => ({ value: v })) } };
    case 'map_string_2_int32_vec': case 'map_string_2_uint32_vec': case 'map_string_2_string_vec':
      return { [key]: { value: mapObj(a.value as Record<string, unknown[]>, (v) => ({ value: v })) } };
    case 'map_string_2_int64_vec':
      return { [key]: { value: mapObj(a.value, (v) => ({ value: v.map((x) => toLong(x, false)) })) } };
    case 'map_string_2_uint64_vec':
      return { [key]: { value: mapObj(a.value, (v) => ({ value: v.map((x) => toLong(x, true)) })) } };
  }
}

interface Wrapped<T> { value?: T }

/**
 * protobufjs AttrValue message → XAttr. Returns undefined for an AttrValue with no value set
 * (which Netron rejects and XIR can't interpret); the caller reports where.
 */
export function attrFromWire(m: Record<string, unknown>): XAttr | undefined {
  const which = (m as { value?: string }).value;
  const t = (typeof which === 'string' ? which.replace(/_value$/, '') : undefined) as XAttrType | undefined;
  if (!t || !(XATTR_TYPES as readonly string[]).includes(t)) return undefined;
  const raw = m[`${t}_value`];
  const inner = <T>(): T[] => ((raw as Wrapped<T[]>)?.value ?? []);
  const innerMap = <T>(): Record<string, T> => ((raw as Wrapped<Record<string, T>>)?.value ?? {});
  switch (t) {
    case 'bool': return { type: t, value: Boolean(raw) };
    case 'int32': case 'uint32': case 'float': case 'double': return { type: t, value: Number(raw ?? 0) };
    case 'string': return { type: t, value: String(raw ?? '') };
    case 'int64': return { type: t, value: fromLong(raw ?? 0, false) };
    case 'uint64': return { type: t, value: fromLong(raw ?? 0, true) };
    case 'bytes': return { type: t, value: bytesOf((raw as Wrapped<Uint8Array>)?.value) };
    case 'bool_vec': return { type: t, value: inner<boolean>().map(Boolean) };
    case 'int32_vec': case 'uint32_vec': case 'float_vec': case 'double_vec': return { type: t, value: inner<number>().map(Number) };
    case 'string_vec': return { type: t, value: inner<string>().map(String) };
    case 'int64_vec': return { type: t, value: inner<unknown>().map((v) => fromLong(v, false)) };
    case 'uint64_vec': return { type: t, value: inner<unknown>().map((v) => fromLong(v, true)) };
    case 'bytes_vec': return { type: t, value: inner<Wrapped<Uint8Array>>().map((b) => bytesOf(b?.value)) };
    case 'map_string_2_int32': case 'map_string_2_uint32': return { type: t, value: mapObj(innerMap<number>(), Number) };
    case 'map_string_2_string': return { type: t, value: mapObj(innerMap<string>(), String) };
    case 'map_string_2_int64': return { type: t, value: mapObj(innerMap<unknown>(), (v) => fromLong(v, false)) };
    case 'map_string_2_uint64': return { type: t, value: mapObj(innerMap<unknown>(), (v) => fromLong(v, true)) };
    case 'map_string_2_bytes': return { type: t, value: mapObj(innerMap<Wrapped<Uint8Array>>(), (b) => bytesOf(b?.value)) };
    case 'map_string_2_int32_vec': case 'map_string_2_uint32_vec':
      return { type: t, value: mapObj(innerMap<Wrapped<number[]>>(), (v) => (v?.value ?? []).map(Number)) };
    case 'map_string_2_string_vec':
      return { type: t, value: mapObj(innerMap<Wrapped<string[]>>(), (v) => (v?.value ?? []).map(String)) };
    case 'map_string_2_int64_vec':
      return { type: t, value: mapObj(innerMap<Wrapped<unknown[]>>(), (v) => (v?.value ?? []).map((x) => fromLong(x, false))) };
    case 'map_string_2_uint64_vec':
      return { type: t, value: mapObj(innerMap<Wrapped<unknown[]>>(), (v) => (v?.value ?? []).map((x) => fromLong(x, true))) };
  }
}

/** A private copy as a plain Uint8Array (protobufjs hands out Buffers/views into the file). */
function bytesOf(b: Uint8Array | undefined): Uint8Array {
  return b ? new Uint8Array(b) : new Uint8Array(0);
}

/** Deep-equality of two typed attrs (used by tests and by the IR reader). */
export function attrEquals(a: XAttr, b: XAttr): boolean {
  return a.type === b.type && stableString(a.value) === stableString(b.value);
}

function stableString(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (x instanceof Uint8Array) return Array.from(x);
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      const o = x as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return x;
  });
}
