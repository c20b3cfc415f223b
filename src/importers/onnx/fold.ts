/**
 * Constant evaluation in ONNX semantics (ONNX layout, exact integer arithmetic, float32
 * rounding for float results). Used by the importer for every node whose inputs are all
 * constant: shape chains (Shape/Gather/Cast/Unsqueeze/Concat/Slice/…) and small float math.
 * Returns undefined when the op is not one this evaluator knows (the importer then emits IR
 * ops over const inputs and the IR const-fold pass runs the float kernels).
 */
import type { ConstKind, ConstVal } from './tensor.js';
import { numel } from './tensor.js';

export type AttrGet = {
  int(name: string, dflt: number): number;
  ints(name: string): number[] | undefined;
  float(name: string, dflt: number): number;
  tensor(name: string): ConstVal | undefined;
};

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i]!;
  }
  return s;
}

/** Transpose any typed array laid out row-major with `dims` by `perm`. */
export function transposeData<T extends Float64Array | Float32Array>(data: T, dims: readonly number[], perm: readonly number[]): T {
  const rank = dims.length;
  const outDims = perm.map((p) => dims[p]!);
  const inStr = stridesOf(dims);
  const n = numel(dims);
  const out = new (data.constructor as { new (n: number): T })(n);
  const idx = new Array<number>(rank).fill(0);
  const srcStr = perm.map((p) => inStr[p]!);
  let src = 0;
  for (let i = 0; i < n; i++) {
    out[i] = data[src]!;
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]!++;
      src += srcStr[a]!;
      if (idx[a]! < outDims[a]!) break;
      src -= srcStr[a]! * outDims[a]!;
      idx[a] = 0;
    }
  }
  return out;
}

export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Broadcast `v` to `dims` (numpy rules). */
export function expandTo(v: ConstVal, dims: readonly number[]): Float64Array {
  const n = numel(dims);
  if (numel(v.dims) === n && v.dims.length === dims.length) return v.data;
  const r = dims.length;
  const vd = [...new Array<number>(r - v.dims.length).fill(1), ...v.dims];
  const vs = stridesOf(vd).map((s, i) => (vd[i] === 1 ? 0 : s));
  const out = new Float64Array(n);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    out[i] = v.data[src]!;
    for (let a = r - 1; a >= 0; a--) {
      idx[a]!++;
      src += vs[a]!;
      if (idx[a]! < dims[a]!) break;
      src -= vs[a]! * dims[a]!;
      idx[a] = 0;
    }
  }
  return out;
}

const BIN: Record<string, (x: number, y: number, k: ConstKind) => number> = {
  Add: (x, y) => x + y,
  Sub: (x, y) => x - y,
  Mul: (x, y) => x * y,
  Div: (x, y, k) => (k === 'float' ? x / y : Math.trunc(x / y)),
  Pow: (x, y) => x ** y,
  Max: (x, y) => Math.max(x, y),
  Min: (x, y) => Math.min(x, y),
  Mod: (x, y) => x - Math.floor(x / y) * y,
  Equal: (x, y) => (x === y ? 1 : 0),
  Less: (x, y) => (x < y ? 1 : 0),
  LessOrEqual: (x, y) => (x <= y ? 1 : 0),
  Greater: (x, y) => (x > y ? 1 : 0),
  GreaterOrEqual: (x, y) => (x >= y ? 1 : 0),
  And: (x, y) => (x && y ? 1 : 0),
  Or: (x, y) => (x || y ? 1 : 0),
};
const CMP = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'And', 'Or']);

const UN: Record<string, (x: number) => number> = {
  Neg: (x) => -x, Abs: Math.abs, Sqrt: Math.sqrt, Exp: Math.exp, Log: Math.log, Floor: Math.floor, Ceil: Math.ceil,
  Reciprocal: (x) => 1 / x, Relu: (x) => Math.max(x, 0), Sigmoid: (x) => 1 / (1 + Math.exp(-x)), Tanh: Math.tanh,
  Not: (x) => (x ? 0 : 1), Identity: (x) => x, Round: (x) => {
    const f = Math.floor(x);
    const d = x - f;
    return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  },
};

function finish(data: Float64Array, kind: ConstKind): Float64Array {
  if (kind === 'float') for (let i = 0; i < data.length; i++) data[i] = Math.fround(data[i]!);
  return data;
}

const normAxis = (a: number, r: number): number => (a < 0 ? a + r : a);

/** Resolved slice parameters for one axis (ONNX Slice semantics). */
export function resolveSlice(dim: number, start: number, end: number, step: number): { start: number; end: number; count: number } {
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, -1), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  const count = step > 0 ? Math.max(0, Math.ceil((e - s) / step)) : Math.max(0, Math.ceil((s - e) / -step));
  return { start: s, end: e, count };
}

export function sliceData(v: ConstVal, starts: number[], steps: number[], outDims: number[]): Float64Array {
  const r = v.dims.length;
  const st = stridesOf(v.dims);
  const n = numel(outDims);
  const out = new Float64Array(n);
  const idx = new Array<number>(r).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let a = 0; a < r; a++) src += (starts[a]! + idx[a]! * steps[a]!) * st[a]!;
    out[i] = v.data[src]!;
    for (let a = r - 1; a >= 0; a--) {
      idx[a]!++;
      if (idx[a]! < outDims[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}

/** Resolve an ONNX Reshape target (0 = copy unless allowzero, -1 = infer). */
export function resolveReshape(inDims: readonly number[], target: readonly number[], allowZero: boolean): number[] | undefined {
  const out = target.map((d, i) => (d === 0 && !allowZero ? inDims[i]! : d));
  const neg = out.filter((d) => d === -1).length;
  if (neg > 1) return undefined;
  const total = numel(inDims);
  if (neg === 1) {
    const known = numel(out.filter((d) => d !== -1));
    if (known === 0 || total % known !== 0) return undefined;
    out[out.indexOf(-1)] = total / known;
  }
  if (numel(out) !== total || out.some((d) => d < 0 || d === undefined || Number.isNaN(d))) return undefined;
  return out;
}

/**
 * Evaluate one ONNX node over constant inputs (undefined entries = omitted optional inputs).
 * Returns the outputs, or undefined if this op is not constant-evaluable here.
 */
export function evalConst(opType: string, ins: (ConstVal | undefined)[], attr: AttrGet, opset: number): ConstVal[] | undefined {
  const a = ins[0];
  if (opType in BIN && ins.length === 2 && a && ins[1]) {
    const b = ins[1];
    const dims = broadcastDims(a.dims, b.dims);
    if (!dims) return undefined;
    const kind: ConstKind = CMP.has(opType) ? 'bool' : a.kind === 'float' || b.kind === 'float' ? 'float' : 'int';
    const x = expandTo(a, dims);
    const y = expandTo(b, dims);
    const f = BIN[opType]!;
    const ak = a.kind === 'float' || b.kind === 'float' ? 'float' : 'int';
    const out = new Float64Array(x.length);
    for (let i = 0; i < out.length; i++) out[i] = f(x[i]!, y[i]!, ak);
    return [{ dims, kind, data: finish(out, kind) }];
  }
  if (opType in UN && a) {
    const f = UN[opType]!;
    const kind: ConstKind = opType === 'Not' ? 'bool' : a.kind;
    const out = a.data.map(f);
    return [{ dims: [...a.dims], kind, data: finish(out, kind) }];
  }
  switch (opType) {
    case 'Cast': {
      if (!a) return undefined;
      const to = attr.int('to', 1);
      const kind: ConstKind = to === 9 ? 'bool' : [1, 10, 11, 16].includes(to) ? 'float' : 'int';
      const out = a.data.map((x) => (kind === 'bool' ? (x ? 1 : 0) : kind === 'int' ? Math.trunc(x) : x));
      return [{ dims: [...a.dims], kind, data: finish(out, kind) }];
    }
    case 'Dropout':
      return a ? [a] : undefined;
    case 'Unsqueeze': {
      if (!a) return undefined;
      const axes = opset >= 13 ? ins[1] && [...ins[1].data] : attr.ints('axes');
      if (!axes) return undefined;
      const r = a.dims.length + axes.length;
      const ax = axes.map((x) => normAxis(x, r));
      const dims: number[] = [];
      let j = 0;
      for (let i = 0; i < r; i++) dims.push(ax.includes(i) ? 1 : a.dims[j++]!);
      return [{ dims, kind: a.kind, data: a.data }];
    }
    case 'Squeeze': {
      if (!a) return undefined;
      const axes = opset >= 13 ? ins[1] && [...ins[1].data] : attr.ints('axes');
      const ax = axes ? axes.map((x) => normAxis(x, a.dims.length)) : a.dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
      return [{ dims: a.dims.filter((_, i) => !ax.includes(i)), kind: a.kind, data: a.data }];
    }
    case 'Flatten': {
      if (!a) return undefined;
      const ax = normAxis(attr.int('axis', 1), a.dims.length);
      return [{ dims: [numel(a.dims.slice(0, ax)), numel(a.dims.slice(ax))], kind: a.kind, data: a.data }];
    }
    case 'Reshape': {
      if (!a) return undefined;
      const target = opset >= 5 ? ins[1] && [...ins[1].data] : attr.ints('shape');
      if (!target) return undefined;
      const dims = resolveReshape(a.dims, target, attr.int('allowzero', 0) !== 0);
      return dims ? [{ dims, kind: a.kind, data: a.data }] : undefined;
    }
    case 'Concat': {
      const vs = ins.filter((v): v is ConstVal => v !== undefined && numel(v.dims) >= 0);
      if (vs.length === 0) return undefined;
      const r = vs[0]!.dims.length;
      const ax = normAxis(attr.int('axis', 0), r);
      const parts = vs.filter((v) => !(v.dims.length === 1 && v.dims[0] === 0 && r !== 1) && v.dims.length === r);
      const dims = [...parts[0]!.dims];
      dims[ax] = parts.reduce((s, v) => s + v.dims[ax]!, 0);
      const outer = numel(dims.slice(0, ax));
      const out = new Float64Array(numel(dims));
      let o = 0;
      for (let i = 0; i < outer; i++) {
        for (const v of parts) {
          const chunk = numel(v.dims.slice(ax));
          out.set(v.data.subarray(i * chunk, (i + 1) * chunk), o);
          o += chunk;
        }
      }
      const kind: ConstKind = parts.some((v) => v.kind === 'float') ? 'float' : parts[0]!.kind;
      return [{ dims, kind, data: out }];
    }
    case 'Gather': {
      const idx = ins[1];
      if (!a || !idx) return undefined;
      const ax = normAxis(attr.int('axis', 0), a.dims.length);
      const outer = numel(a.dims.slice(0, ax));
      const inner = numel(a.dims.slice(ax + 1));
      const dim = a.dims[ax]!;
      const dims = [...a.dims.slice(0, ax), ...idx.dims, ...a.dims.slice(ax + 1)];
      const out = new Float64Array(numel(dims));
      let o = 0;
      for (let i = 0; i < outer; i++) {
        for (const k0 of idx.data) {
          const k = k0 < 0 ? k0 + dim : k0;
          if (k < 0 || k >= dim) return undefined;
          out.set(a.data.subarray((i * dim + k) * inner, (i * dim + k + 1) * inner), o);
          o += inner;
        }
      }
      return [{ dims, kind: a.kind, data: out }];
    }
    case 'Slice': {
      if (!a) return undefined;
      const r = a.dims.length;
      let starts: number[] | undefined, ends: number[] | undefined, axes: number[] | undefined, steps: number[] | undefined;
      if (opset < 10) {
        starts = attr.ints('starts'); ends = attr.ints('ends'); axes = attr.ints('axes');
      } else {
        starts = ins[1] && [...ins[1].data]; ends = ins[2] && [...ins[2].data];
        axes = ins[3] && [...ins[3].data]; steps = ins[4] && [...ins[4].data];
      }
      if (!starts || !ends) return undefined;
      const p = resolveSliceParams(a.dims, starts, ends, axes, steps);
      if (!p) return undefined;
      return [{ dims: p.dims, kind: a.kind, data: sliceData(a, p.begin, p.strides, p.dims) }];
    }
    case 'Range': {
      const [s, l, d] = ins;
      if (!s || !l || !d) return undefined;
      const st = s.data[0]!, li = l.data[0]!, de = d.data[0]!;
      const n = Math.max(Math.ceil((li - st) / de), 0);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = st + i * de;
      return [{ dims: [n], kind: s.kind, data: finish(out, s.kind) }];
    }
    case 'ConstantOfShape': {
      const dims = a ? [...a.data] : [];
      const v = attr.tensor('value');
      const out = new Float64Array(numel(dims)).fill(v ? v.data[0]! : 0);
      return [{ dims, kind: v ? v.kind : 'float', data: out }];
    }
    case 'Expand': {
      const sh = ins[1];
      if (!a || !sh) return undefined;
      const dims = broadcastDims(a.dims, [...sh.data]);
      if (!dims) return undefined;
      return [{ dims, kind: a.kind, data: expandTo(a, dims) }];
    }
    case 'Where': {
      const [c, x, y] = ins;
      if (!c || !x || !y) return undefined;
      const d1 = broadcastDims(c.dims, x.dims);
      const dims = d1 && broadcastDims(d1, y.dims);
      if (!dims) return undefined;
      const cc = expandTo(c, dims), xx = expandTo(x, dims), yy = expandTo(y, dims);
      return [{ dims, kind: x.kind, data: cc.map((v, i) => (v ? xx[i]! : yy[i]!)) }];
    }
    case 'Transpose': {
      if (!a) return undefined;
      const perm = attr.ints('perm') ?? a.dims.map((_, i) => a.dims.length - 1 - i);
      return [{ dims: perm.map((p) => a.dims[p]!), kind: a.kind, data: transposeData(a.data, a.dims, perm) }];
    }
    case 'ReduceProd': case 'ReduceSum': case 'ReduceMax': case 'ReduceMin': case 'ReduceMean': {
      if (!a) return undefined;
      const axesIn = (opType === 'ReduceSum' && opset >= 13) || opset >= 18 ? ins[1] && [...ins[1].data] : attr.ints('axes');
      const r = a.dims.length;
      const axes = (axesIn && axesIn.length ? axesIn : a.dims.map((_, i) => i)).map((x) => normAxis(x, r));
      const keep = attr.int('keepdims', 1) !== 0;
      const kd = a.dims.map((d, i) => (axes.includes(i) ? 1 : d));
      const n = numel(kd);
      const init = opType === 'ReduceProd' ? 1 : opType === 'ReduceMax' ? -Infinity : opType === 'ReduceMin' ? Infinity : 0;
      const out = new Float64Array(n).fill(init);
      const st = stridesOf(kd);
      const idx = new Array<number>(r).fill(0);
      for (let i = 0; i < a.data.length; i++) {
        let o = 0;
        for (let k = 0; k < r; k++) o += (axes.includes(k) ? 0 : idx[k]!) * st[k]!;
        const v = a.data[i]!;
        if (opType === 'ReduceProd') out[o] *= v;
        else if (opType === 'ReduceMax') out[o] = Math.max(out[o]!, v);
        else if (opType === 'ReduceMin') out[o] = Math.min(out[o]!, v);
        else out[o] += v;
        for (let k = r - 1; k >= 0; k--) {
          idx[k]!++;
          if (idx[k]! < a.dims[k]!) break;
          idx[k] = 0;
        }
      }
      if (opType === 'ReduceMean') {
        const cnt = a.data.length / n;
        for (let i = 0; i < n; i++) out[i]! /= cnt;
      }
      const dims = keep ? kd : a.dims.filter((_, i) => !axes.includes(i));
      return [{ dims, kind: a.kind, data: finish(out, a.kind) }];
    }
    default:
      return undefined;
  }
}

/** Resolve ONNX slice inputs to full per-axis begin/strides and output dims. */
export function resolveSliceParams(
  dims: readonly number[], starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined,
): { begin: number[]; end: number[]; strides: number[]; dims: number[] } | undefined {
  const r = dims.length;
  const begin = dims.map(() => 0);
  const end = [...dims];
  const strides = dims.map(() => 1);
  const out = [...dims];
  const ax = (axes ?? starts.map((_, i) => i)).map((x) => normAxis(x, r));
  for (let i = 0; i < ax.length; i++) {
    const k = ax[i]!;
    if (k < 0 || k >= r) return undefined;
    const step = steps?.[i] ?? 1;
    if (step === 0) return undefined;
    const s = resolveSlice(dims[k]!, starts[i]!, ends[i]!, step);
    begin[k] = s.start;
    end[k] = s.end;
    strides[k] = step;
    out[k] = s.count;
  }
  return { begin, end, strides, dims: out };
}
