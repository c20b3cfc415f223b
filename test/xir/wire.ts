// A minimal protobuf wire walker written from the encoding spec (varint / 64-bit / length-delimited /
// 32-bit), independent of protobufjs and of src/xir's schema: the tests use it to check field
// numbers and wire types of what the writer emits against xir-format.md.
export interface WireField {
  field: number;
  wireType: number;
  /** varint value (as bigint) for wire type 0 */
  varint?: bigint;
  /** payload for wire types 1, 2, 5 */
  bytes?: Uint8Array;
}

export function readVarint(b: Uint8Array, pos: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= b.length) throw new Error('truncated varint');
    const x = b[pos++]!;
    v |= BigInt(x & 0x7f) << shift;
    if ((x & 0x80) === 0) return [v, pos];
    shift += 7n;
  }
}

export function fields(b: Uint8Array): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < b.length) {
    const [tag, p1] = readVarint(b, pos);
    pos = p1;
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (wireType === 0) {
      const [v, p2] = readVarint(b, pos);
      out.push({ field, wireType, varint: v });
      pos = p2;
    } else if (wireType === 2) {
      const [len, p2] = readVarint(b, pos);
      const end = p2 + Number(len);
      if (end > b.length) throw new Error('truncated length-delimited field');
      out.push({ field, wireType, bytes: b.subarray(p2, end) });
      pos = end;
    } else if (wireType === 1 || wireType === 5) {
      const n = wireType === 1 ? 8 : 4;
      out.push({ field, wireType, bytes: b.subarray(pos, pos + n) });
      pos += n;
    } else throw new Error(`bad wire type ${wireType}`);
  }
  return out;
}

export const sub = (fs: WireField[], n: number): WireField[] => fs.filter((f) => f.field === n);
export const str = (f: WireField | undefined): string => new TextDecoder().decode(f?.bytes ?? new Uint8Array());

/** Map entries (field 1 key string, field 2 value message) of a repeated map field. */
export function mapEntries(fs: WireField[], n: number): Array<[string, Uint8Array]> {
  return sub(fs, n).map((e) => {
    const kv = fields(e.bytes!);
    return [str(sub(kv, 1)[0]), sub(kv, 2)[0]?.bytes ?? new Uint8Array()];
  });
}
