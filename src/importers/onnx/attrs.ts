/** Typed access to ONNX node attributes. */
import type { AttrGet } from './fold.js';
import { decodeTensor, toNum, type ConstVal, type TensorProtoLike } from './tensor.js';

export interface AttributeLike {
  name?: string;
  type?: number;
  f?: number;
  i?: unknown;
  s?: Uint8Array;
  t?: TensorProtoLike;
  floats?: number[];
  ints?: unknown[];
  strings?: Uint8Array[];
}

const utf8 = new TextDecoder();

export class NodeAttrs implements AttrGet {
  private map = new Map<string, AttributeLike>();
  constructor(list: AttributeLike[] | undefined, private file: string | undefined, private where: string) {
    for (const a of list ?? []) if (a.name) this.map.set(a.name, a);
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  names(): string[] {
    return [...this.map.keys()];
  }
  int(name: string, dflt: number): number {
    const a = this.map.get(name);
    if (!a) return dflt;
    if (a.i !== undefined && a.i !== null) return toNum(a.i);
    if (a.f !== undefined && a.f !== null) return a.f;
    return dflt;
  }
  float(name: string, dflt: number): number {
    const a = this.map.get(name);
    if (!a) return dflt;
    if (a.type === 2 && a.i !== undefined) return toNum(a.i);
    if (a.f !== undefined && a.f !== null) return a.f;
    return dflt;
  }
  ints(name: string): number[] | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    if (a.ints && a.ints.length) return a.ints.map(toNum);
    if (a.type === 7) return [];
    return undefined;
  }
  floats(name: string): number[] | undefined {
    const a = this.map.get(name);
    if (!a) return undefined;
    if (a.floats && a.floats.length) return [...a.floats];
    if (a.ints && a.ints.length) return a.ints.map(toNum);
    if (a.type === 6) return [];
    return undefined;
  }
  str(name: string, dflt: string): string {
    const a = this.map.get(name);
    if (!a || !a.s) return dflt;
    return utf8.decode(a.s);
  }
  tensor(name: string): ConstVal | undefined {
    const a = this.map.get(name);
    if (!a || !a.t) return undefined;
    return decodeTensor(a.t, this.file, this.where);
  }
}
