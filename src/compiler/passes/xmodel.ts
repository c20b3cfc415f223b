/**
 * Pass `xmodel`: the compiled graph as an XIR .xmodel (src/xir classes). Root subgraph → children
 * in topological order: USER (graph inputs), DPU subgraphs (device, mc_code, register maps,
 * fingerprint, runner, tensor lists, per-layer info for the cycle model), CPU subgraphs with the
 * float ops. Tensors carry fix_point, bit_width, if_signed, round_mode; DPU-side tensors also
 * reg_id, ddr_addr, location and stride.
 */
import { Graph as XGraph, type Op as XOp, type AttrInput } from '../../xir/graph.js';
import { A } from '../../xir/attr.js';
import { setDpuSubgraphAttrs } from '../../xir/dpu-attrs.js';
import type { Op } from '../../ir/types.js';
import type { Pass, Placement } from '../types.js';
import { encodeProgram } from '../codegen/encode.js';

/** XIR type of a quantized op placed on the DPU. */
const FIX_TYPE: Record<string, string> = {
  'conv2d': 'conv2d-fix', 'depthwise-conv2d': 'depthwise-conv2d-fix', 'transposed-conv2d': 'transposed-conv2d-fix', 'matmul': 'inner-product', 'maxpool2d': 'pool-fix',
  'avgpool2d': 'pool-fix', 'add': 'eltwise-fix', 'mul': 'eltwise-fix', 'concat': 'concat-fix', 'resize': 'upsample-fix',
  'reshape': 'reshape-fix', 'identity': 'identity', 'transpose': 'transpose', 'relu': 'relu', 'relu6': 'relu6', 'leaky-relu': 'leaky-relu',
  'hard-sigmoid': 'hard-sigmoid', 'clamp': 'relu6',
};

function attrsOf(op: Op, onDpu: boolean): Record<string, AttrInput> {
  const r: Record<string, AttrInput> = {};
  for (const [k, v] of Object.entries(op.attrs)) {
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'number' && !Number.isFinite(v)) continue;
    // inferAttr: int32 for integers, float when exactly representable, else double (exact values: the
    // CPU runner computes with them); only a vector of non-float32 values becomes double_vec (Netron can't read it)
    r[k] = v as AttrInput;
  }
  if (onDpu) {
    if (op.type === 'maxpool2d') r['type'] = 'MAX';
    if (op.type === 'avgpool2d') r['type'] = 'AVG';
    if (op.type === 'add') r['type'] = 'ADD';
    if (op.type === 'mul') r['type'] = 'MUL';
    if (op.type === 'conv2d' || op.type === 'depthwise-conv2d' || op.type === 'maxpool2d' || op.type === 'avgpool2d') r['pad_mode'] = 'FLOOR';
  }
  return r;
}

function int8Bytes(op: Op): Uint8Array {
  const d = op.data ?? new Float32Array(0);
  const s = 2 ** (op.output.fixPoint ?? 0);
  const out = new Int8Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.max(-128, Math.min(127, Math.round(d[i] * s)));
  return new Uint8Array(out.buffer);
}

export const xmodel: Pass = (state, ctx) => {
  const g = state.graph;
  const xg = new XGraph(g.name);
  xg.setAttr('origin', 'dpuflow compile');
  xg.setAttr('dpuflow_arch', ctx.arch.preset);
  const sgOf = new Map<string, string>();
  for (const sg of state.subgraphs) { for (const n of sg.ops) sgOf.set(n, sg.name); for (const c of sg.consts) if (!sgOf.has(c)) sgOf.set(c, sg.name); }
  const dev = new Map(state.subgraphs.map((s) => [s.name, s.device]));
  const placement = new Map<string, Placement>();
  for (const d of state.dpu) for (const [t, p] of Object.entries(d.ddr?.tensors ?? {})) if (!placement.has(t) || p.reg !== 'REG_2') placement.set(t, p);
  const made = new Map<string, XOp>();
  for (const op of g.ops) {
    const sgName = sgOf.get(op.name);
    if (!sgName) continue; // dead op
    const onDpu = dev.get(sgName) === 'DPU';
    const fp = op.output.fixPoint;
    const quant = fp !== undefined;
    const type = op.type === 'const' ? (quant ? 'const-fix' : 'const') : op.type === 'data' ? (quant ? 'data-fix' : 'data') : onDpu ? (FIX_TYPE[op.type] ?? op.type) : op.type;
    const attrs = attrsOf(op, onDpu);
    if (op.type === 'const') attrs['data'] = quant ? int8Bytes(op) : new Uint8Array(op.data!.buffer.slice(op.data!.byteOffset, op.data!.byteOffset + op.data!.byteLength));
    if (op.type === 'data' && !attrs['shape']) attrs['shape'] = op.output.shape;
    const tAttrs: Record<string, AttrInput> = {};
    if (quant) { tAttrs['fix_point'] = A.int32(fp); tAttrs['bit_width'] = A.int32(8); tAttrs['if_signed'] = true; tAttrs['round_mode'] = 'DPU_ROUND'; }
    const p = placement.get(op.name);
    if (p && op.type !== 'const') {
      const s = op.output.shape;
      tAttrs['reg_id'] = A.int32(Number(p.reg.slice(4)));
      tAttrs['ddr_addr'] = A.int32(p.offset);
      tAttrs['location'] = A.int32(1);
      const w = s.length === 4 ? s[2] : 1, h = s.length === 4 ? s[1] : 1;
      tAttrs['stride'] = A.int32Vec([h * w * p.pixelStride, w * p.pixelStride, p.pixelStride, 1]);
    }
    const inputs: Array<[string, XOp[]]> = [];
    op.inputs.forEach((n, i) => {
      const a = argName(op.type, i);
      const prev = inputs.find((x) => x[0] === a);
      if (prev) prev[1].push(made.get(n)!); else inputs.push([a, [made.get(n)!]]);
    });
    made.set(op.name, xg.createOp({
      name: op.name, type, attrs, inputs,
      tensor: { dims: op.output.shape, dataType: quant ? 'XINT' : op.output.dtype === 'int32' ? 'INT' : 'FLOAT', bitWidth: quant ? 8 : 32, attrs: tAttrs },
    }));
  }
  const groups = state.subgraphs.map((s) => ({ name: s.name, ops: [...s.ops, ...s.consts.filter((c) => sgOf.get(c) === s.name)] }));
  const kids = xg.getRootSubgraph().createChildren(groups);
  xg.getRootSubgraph().setAttr('device', 'ROOT');
  kids.forEach((k, i) => {
    const plan = state.subgraphs[i];
    k.setAttr('device', plan.device);
    k.setAttr('input_tensors', A.stringVec(plan.inputs));
    k.setAttr('output_tensors', A.stringVec(plan.outputs));
    if (plan.device === 'CPU') k.setAttr('runner', A.mapString2String({ run: 'libvart-cpu-runner.so', ref: 'dpuflow-cpu-ref' }));
    if (plan.device !== 'DPU') return;
    const d = state.dpu.find((x) => x.subgraph === plan.name)!;
    const ddr = d.ddr!;
    setDpuSubgraphAttrs(k, {
      dpuName: ctx.arch.dpuName, fingerprint: ctx.arch.fingerprint, mcCode: d.mcCode ?? encodeProgram(d.instrs ?? []),
      regIdToParameterValue: { REG_0: ddr.constBytes }, regIdToContextType: { ...ddr.regTypes }, regIdToSize: { ...ddr.regSizes },
      runner: { run: 'libvart-dpu-runner.so', ref: 'dpuflow-dpu-ref', sim: 'dpuflow-dpu-sim' },
    });
    k.setAttr('dpu_arch', ctx.arch.preset);
    k.setAttr('instruction_count', A.int32(d.instrs?.length ?? 0));
    // first instruction of each layer (its weight LOADs included): exact layer boundaries for the profiler
    const instrStart = new Map<string, number>();
    (d.instrs ?? []).forEach((ins, i) => { if (ins.layer !== undefined && !instrStart.has(ins.layer)) instrStart.set(ins.layer, i); });
    const layers = d.layers.map((l, i) => {
      const t = d.tiling[i];
      const start = instrStart.get(l.name);
      const r = ctx.report.layers.find((x) => x.name === l.name);
      return { name: l.name, kind: l.kind, engine: l.engine, in: l.inShape, out: l.outShape, kernel: l.kernel, stride: l.stride,
        tiles: [t.tilesH, t.tilesW, t.tilesC], tile: [t.rows, t.cols, t.channels], ops: r?.ops ?? 0,
        weight_bytes: ddr.params[l.name]?.weightsSize ?? 0,
        // conv + eltwise on-chip: the eltwise layer has no instructions of its own (its ELEWINIT/ELEW are in the conv's tiles)
        ...(t.fusedEltwise ? { fused_eltwise: t.fusedEltwise } : {}), ...(t.fusedInto ? { fused_into: t.fusedInto } : {}),
        ...(start !== undefined ? { instr_start: start } : {}) };
    });
    k.setAttr('dpuflow_layers', JSON.stringify(layers));
  });
  return { ...state, xmodel: xg.serialize() };
};

function argName(type: string, i: number): string {
  if (type === 'concat') return 'input';
  if (type === 'add' || type === 'mul' || type === 'sub' || type === 'div') return 'input';
  if (type === 'matmul') return ['input', 'weights', 'bias'][i] ?? `input${i}`;
  if (type === 'conv2d' || type === 'depthwise-conv2d' || type === 'transposed-conv2d') return ['input', 'weights', 'bias'][i] ?? `input${i}`;
  if (type === 'layernorm') return ['input', 'gamma', 'beta'][i] ?? `input${i}`;
  if (type === 'batchnorm') return ['input', 'gamma', 'beta', 'moving_mean', 'moving_var'][i] ?? `input${i}`;
  return i === 0 ? 'input' : `input${i}`;
}
