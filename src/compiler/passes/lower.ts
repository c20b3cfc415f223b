/**
 * Pass `lower`: each DPU subgraph's ops become engine layers with all integer parameters
 * (kernel, stride, pads, fix points). Views (reshape/identity) and in-place concats produce no
 * layer; concat inputs that are not in place get a `copy` layer.
 */
import { CompileError } from '../../errors.js';
import type { Op } from '../../ir/types.js';
import type { Layer, Pass } from '../types.js';

const pair = (op: Op, k: string, d: number): [number, number] => {
  const v = op.attrs[k];
  return Array.isArray(v) && v.length >= 2 ? [Number(v[0]), Number(v[1])] : [d, d];
};
/** NHWC as [h, w, c]; a lower-rank tensor (batch 1) is a row of pixels [1, elements / c, c], so every element is covered. */
const hwc = (s: number[]): [number, number, number] => {
  if (s.length === 4) return [s[1], s[2], s[3]];
  const c = s[s.length - 1] ?? 1;
  const n = s.reduce((a, b) => a * b, 1);
  return [1, c > 0 ? n / c : 0, c];
};

function fp(op: Op | undefined): number {
  const f = op?.output.fixPoint;
  if (f === undefined) throw new CompileError('E_NOT_QUANTIZED', `tensor '${op?.name}' has no fix point`, { where: op?.name, fix: 'quantize the model' });
  return f;
}

export function shiftLimits(l: Layer): void {
  if (l.fpW === undefined || l.kind === 'eltwise') return;
  const cut = l.fpIn[0] + l.fpW - l.fpOut;
  if (cut < 0 || cut > 16) {
    throw new CompileError('E_SHIFT', `${l.kind} '${l.name}': shift_cut ${cut} = fp_in ${l.fpIn[0]} + fp_w ${l.fpW} − fp_out ${l.fpOut} is outside the DPU range 0–16`, {
      where: l.name, fix: 're-quantize so that fp_in + fp_w − fp_out is in 0..16',
    });
  }
  if (l.fpBias !== undefined) {
    const sb = l.fpIn[0] + l.fpW - l.fpBias;
    if (sb < -16 || sb > 16) {
      throw new CompileError('E_SHIFT', `${l.kind} '${l.name}': shift_bias ${sb} = fp_in + fp_w − fp_bias is outside the DPU range −16–16`, { where: l.name, fix: 're-quantize the bias' });
    }
  }
}

export const lower: Pass = (state) => {
  const g = state.graph;
  const byName = new Map(g.ops.map((o) => [o.name, o]));
  const inPlace = new Map<string, Set<string>>();
  for (const [c, list] of Object.entries(state.concatInPlace)) inPlace.set(c, new Set(list.map((x) => x.input)));
  const dpu = state.subgraphs.filter((s) => s.device === 'DPU').map((sg) => {
    const layers: Layer[] = [];
    for (const name of sg.ops) {
      const op = byName.get(name)!;
      const x = byName.get(op.inputs[0]);
      const base = {
        name, inputs: [op.inputs[0]], output: name,
        inShape: hwc(x?.output.shape ?? [1]), outShape: hwc(op.output.shape),
        kernel: [1, 1] as [number, number], stride: [1, 1] as [number, number], dilation: [1, 1] as [number, number],
        pad: [0, 0, 0, 0] as [number, number, number, number], nonlinear: String(op.attrs['nonlinear'] ?? 'NONE'),
        fpIn: [fp(x)], fpOut: fp(op),
      };
      const convLike = (): Partial<Layer> => {
        const p = op.attrs['pad'];
        return {
          kernel: pair(op, 'kernel', 1), stride: pair(op, 'stride', 1), dilation: pair(op, 'dilation', 1),
          pad: Array.isArray(p) && p.length >= 4 ? [Number(p[0]), Number(p[1]), Number(p[2]), Number(p[3])] : [0, 0, 0, 0],
        };
      };
      const wb = (): Partial<Layer> => {
        const w = byName.get(op.inputs[1]);
        const b = op.inputs[2] ? byName.get(op.inputs[2]) : undefined;
        return { weights: w?.name, bias: b?.name, fpW: fp(w), ...(b ? { fpBias: fp(b) } : {}) };
      };
      let layer: Layer | undefined;
      switch (op.type) {
        case 'conv2d': layer = { ...base, kind: 'conv', engine: 'conv', ...convLike(), ...wb() }; break;
        case 'transposed-conv2d': {
          const [sw, sh] = pair(op, 'stride', 1);
          const conv: Layer = { ...base, kind: 'conv', engine: 'conv', ...wb(), outShape: [base.inShape[0], base.inShape[1], base.outShape[2]] };
          shiftLimits(conv);
          for (let dy = 0; dy < sh; dy++) for (let dx = 0; dx < sw; dx++) layers.push({ ...conv, name: `${name}/tap${dy}_${dx}`, tap: { dy, dx, sh, sw } });
          continue;
        }
        case 'matmul': layer = { ...base, kind: 'fc', engine: 'conv', inShape: [1, 1, x!.output.shape[1]], ...wb() }; break;
        case 'depthwise-conv2d': layer = { ...base, kind: 'dwconv', engine: 'alu', ...convLike(), ...wb() }; break;
        case 'maxpool2d': case 'avgpool2d': {
          const glob = op.attrs['global'] === true;
          const extra = glob ? { kernel: [base.inShape[1], base.inShape[0]] as [number, number], stride: [1, 1] as [number, number] } : convLike();
          layer = { ...base, kind: op.type === 'maxpool2d' ? 'maxpool' : 'avgpool', engine: 'alu', ...(glob ? {} : convLike()), ...extra };
          break;
        }
        case 'add': case 'mul': {
          // a per-channel operand goes second (the ELEW inputs are symmetric)
          const constIdx = op.inputs.findIndex((n) => byName.get(n)!.type === 'const');
          if (constIdx >= 0) {
            const full = byName.get(op.inputs[1 - constIdx])!;
            layer = { ...base, kind: 'eltwise', engine: 'eltwise', inputs: [full.name], inShape: hwc(full.output.shape), weights: op.inputs[constIdx],
              fpIn: [fp(full), fp(byName.get(op.inputs[constIdx]))], eltType: op.type === 'add' ? 'ADD' : 'MUL', broadcast: true };
            break;
          }
          const ins = [...op.inputs];
          const isVec = (n: string) => { const sh = byName.get(n)!.output.shape; return sh.length === 4 && sh[1] === 1 && sh[2] === 1 && op.output.shape[1] * op.output.shape[2] > 1; };
          if (isVec(ins[0])) ins.reverse();
          const full = byName.get(ins[0])!;
          layer = { ...base, kind: 'eltwise', engine: 'eltwise', inputs: ins, inShape: hwc(full.output.shape), fpIn: ins.map((n) => fp(byName.get(n))),
            eltType: op.type === 'add' ? 'ADD' : 'MUL', ...(isVec(ins[1]) ? { broadcast: true } : {}) };
          break;
        }
        case 'relu': case 'relu6': case 'leaky-relu': case 'hard-sigmoid': case 'clamp': {
          const nl = op.type === 'relu' ? 'RELU' : op.type === 'relu6' ? 'RELU6' : op.type === 'leaky-relu' ? 'LEAKYRELU' : op.type === 'hard-sigmoid' ? 'HSIGMOID'
            : op.attrs['max'] === 6 ? 'RELU6' : 'RELU';
          layer = { ...base, kind: 'act', engine: 'alu', nonlinear: nl };
          break;
        }
        case 'resize': {
          const s: [number, number] = [base.outShape[1] / base.inShape[1], base.outShape[0] / base.inShape[0]];
          layer = { ...base, kind: 'upsample', engine: 'alu', scale: s };
          break;
        }
        case 'concat': {
          const done = inPlace.get(name) ?? new Set<string>();
          for (const inp of op.inputs) {
            if (done.has(inp)) continue;
            const src = byName.get(inp)!;
            layers.push({ ...base, name: `${name}/copy:${inp}`, kind: 'copy', engine: 'load', inputs: [inp], output: name,
              inShape: hwc(src.output.shape), outShape: hwc(src.output.shape), fpIn: [fp(src)] });
          }
          continue;
        }
        case 'reshape': case 'identity': case 'transpose':
          continue;
        default:
          throw new CompileError('E_LOWER', `op type '${op.type}' was placed on the DPU but has no DPU lowering`, { where: name, fix: 'report this: the support rule and the lowering disagree' });
      }
      shiftLimits(layer);
      layers.push(layer);
    }
    return { subgraph: sg.name, layers, tiling: [] };
  });
  return { ...state, dpu };
};
