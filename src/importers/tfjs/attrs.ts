/**
 * TF NodeDef attrs as the TF.js converter writes them (protobuf JSON mapping of AttrValue):
 * `{ i: "3" }` (int64 as string), `{ f: 0.5 }`, `{ b: true }`, `{ s: "<base64>" }`, `{ type: "DT_FLOAT" }`,
 * `{ shape: { dim: [{ size: "1" }] } }`, `{ list: { i: [...], s: [...], f: [...] } }`.
 */
export interface AttrValueJson {
  i?: string | number;
  f?: number | string;
  b?: boolean;
  s?: string;
  type?: string;
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  list?: { i?: (string | number)[]; f?: (number | string)[]; s?: string[]; b?: boolean[]; type?: string[] };
  tensor?: unknown;
}
export interface NodeDefJson {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValueJson>;
  device?: string;
}

function b64(s: string): string {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

export class TfAttrs {
  constructor(private readonly a: Record<string, AttrValueJson> = {}) {}
  has(k: string): boolean {
    return k in this.a;
  }
  int(k: string, def: number): number {
    const v = this.a[k]?.i;
    return v === undefined ? def : Number(v);
  }
  float(k: string, def: number): number {
    const v = this.a[k]?.f;
    return v === undefined ? def : Number(v);
  }
  bool(k: string, def: boolean): boolean {
    const v = this.a[k]?.b;
    return v === undefined ? def : v;
  }
  str(k: string, def: string): string {
    const v = this.a[k]?.s;
    return v === undefined ? def : b64(v);
  }
  type(k: string): string | undefined {
    return this.a[k]?.type;
  }
  ints(k: string): number[] | undefined {
    const l = this.a[k]?.list;
    if (!l) return undefined;
    return (l.i ?? []).map(Number);
  }
  strs(k: string): string[] {
    return (this.a[k]?.list?.s ?? []).map(b64);
  }
  /** Shape attr: dims (-1 = unknown); undefined if absent or of unknown rank. */
  shape(k: string): number[] | undefined {
    const s = this.a[k]?.shape;
    if (!s || s.unknownRank) return undefined;
    return (s.dim ?? []).map((d) => (d.size === undefined ? 0 : Number(d.size)));
  }
}
