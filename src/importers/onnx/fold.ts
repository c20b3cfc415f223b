/**
 * Constant evaluation in ONNX semantics (ONNX layout, exact integer arithmetic, float32
 * rounding for float results). Used by the importer for every node whose inputs are all
 * constant: shape chains (Shape/Gather/Cast/Unsqueeze/Concat/Slice/…) and small float math.
 * Returns undefined when the op is not one this evaluator knows (the importer then emits IR
 * ops over const inputs and the IR const-fold pass runs the float kernels).
 */
import {
  broadcastDims, concatData, expandData, gatherData, numel, reduceData, roundHalfEven, sliceData as sliceArray, transposeData, type ReduceFn,
} from '../common/const-math.js';
import type { ConstKind, ConstVal } from './tensor.js';

export type AttrGet = {
  int(name: string, dflt: number): number;
  ints(name: string): number[] | undefined;
  float(name: string, dflt: number): number;
  tensor(name: string): ConstVal | undefined;
};

export { broadcastDims, stridesOf, transposeData } from '../common/const-math.js';

/** Broadcast `v` to `dims` (numpy rules). */
export const expandTo = (v: ConstVal, dims: readonly number[]): Float64Array => expandData(v.data, v.dims, dims);

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
  Not: (x) => (x ? 0 : 1), Identity: (x) => x, Round: roundHalfEven,
};

function finish(data: Float64Array, kind: ConstKind): Float64Array {
  if (kind === 'float') for (let i = 0; i < data.length; i++) data[i] = Math.fround(data[i]!);
  return data;
}

const REDUCE_FN: Record<string, ReduceFn> = { ReduceProd: 'prod', ReduceSum: 'sum', ReduceMax: 'max', ReduceMin: 'min', ReduceMean: 'mean' };

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
  return sliceArray(v.data, v.dims, starts, steps, outDims);
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
      const { dims, data: out } = concatData(parts, ax);
      const kind: ConstKind = parts.some((v) => v.kind === 'float') ? 'float' : parts[0]!.kind;
      return [{ dims, kind, data: out }];
    }
    case 'Gather': {
      const idx = ins[1];
      if (!a || !idx) return undefined;
      const ax = normAxis(attr.int('axis', 0), a.dims.length);
      const dim = a.dims[ax]!;
      const inRange = (k0: number): boolean => { const k = k0 < 0 ? k0 + dim : k0; return !(k < 0 || k >= dim); };
      if (numel(a.dims.slice(0, ax)) > 0 && !idx.data.every(inRange)) return undefined;
      const { dims, data: out } = gatherData(a.data, a.dims, ax, idx.data, idx.dims);
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
      const fn = REDUCE_FN[opType]!;
      const { keepDims: kd, data: out } = reduceData(a.data, a.dims, axes, fn);
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
