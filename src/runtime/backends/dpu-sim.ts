/**
 * DPU 'sim' backend: the instruction-level simulator (src/dpu/sim) runs the subgraph's mc_code over
 * its DDR regions. Inputs are written at their tensor's reg_id / ddr_addr (pixel stride from the
 * `stride` attr), the stream runs, outputs are read back the same way.
 */
import { RuntimeError } from '../../errors.js';
import { decodeProgram, type PlacedInstr } from '../../isa/codec.js';
import { simulate } from '../../dpu/sim/index.js';
import type { Subgraph, Tensor } from '../../xir/graph.js';
import { registerBackend, type BackendOptions, type SubgraphBackend } from '../backend.js';
import { subgraphTensors } from '../subgraph-ir.js';
import { openDpuSubgraph } from './common.js';
import type { RunnerTensor } from '../tensor.js';

/** Where a tensor lives in a DPU subgraph's DDR. */
export interface DdrPlacement {
  regId: number;
  addr: number;
  pixelStride: number;
  channels: number;
  pixels: number;
}

function intAttr(t: Tensor, name: string): number | undefined {
  if (!t.hasAttr(name)) return undefined;
  const v = t.getAttr(name);
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined;
}

/** Reads a DPU tensor's reg_id / ddr_addr / stride attrs and checks them against the subgraph's regions. */
export function placementOf(sg: Subgraph, rt: RunnerTensor, kind: 'input' | 'output', regSizes: Record<string, number>, regTypes: Record<string, string>): DdrPlacement {
  const where = `subgraph ${sg.getName()} tensor ${rt.name}`;
  const t = sg.getGraph().getTensor(rt.name)!;
  const regId = intAttr(t, 'reg_id');
  const addr = intAttr(t, 'ddr_addr');
  if (regId === undefined || addr === undefined) {
    throw new RuntimeError('E_DPU_PLACEMENT', `${kind} tensor has no reg_id/ddr_addr`, { where, fix: 're-compile the model with dpuflow compile' });
  }
  const channels = rt.dims[rt.dims.length - 1] ?? 1;
  const pixels = rt.dims.reduce((a, b) => a * b, 1) / Math.max(1, channels);
  const stride = t.hasAttr('stride') ? t.getAttr('stride') : undefined;
  const pixelStride = Array.isArray(stride) && stride.length >= 2 ? Number(stride[stride.length - 2]) : channels;
  const reg = `REG_${regId}`;
  const size = regSizes[reg];
  const want = kind === 'input' ? 'DATA_LOCAL_INPUT' : 'DATA_LOCAL_OUTPUT';
  const type = regTypes[reg];
  if (size === undefined || (type !== want && type !== 'DATA_LOCAL')) {
    throw new RuntimeError('E_DPU_PLACEMENT', `${kind} tensor is placed in ${reg} (${type ?? 'not a region of this subgraph'}), expected a ${want} region`, {
      where, fix: 'the xmodel places this tensor for another subgraph (one tensor, one placement); re-compile, or report it against the compiler',
    });
  }
  const end = addr + (pixels - 1) * pixelStride + channels;
  if (addr < 0 || pixelStride < channels || end > size) {
    throw new RuntimeError('E_DPU_PLACEMENT', `${kind} tensor bytes [${addr}, ${end}) (pixel stride ${pixelStride}) do not fit ${reg} of ${size} bytes`, { where });
  }
  return { regId, addr, pixelStride, channels, pixels };
}

export function createDpuSimBackend(sg: Subgraph, opts: BackendOptions): SubgraphBackend {
  const { attrs, arch } = openDpuSubgraph(sg, opts);
  let prog: PlacedInstr[];
  try {
    prog = decodeProgram(attrs.mcCode);
  } catch (e) {
    throw new RuntimeError('E_DPU_MC_CODE', `mc_code does not decode: ${(e as Error).message}`, { where: sg.getName(), cause: e, fix: 're-compile the model' });
  }
  const { inputs, outputs } = subgraphTensors(sg);
  const inPl = inputs.map((t) => placementOf(sg, t, 'input', attrs.regIdToSize, attrs.regIdToContextType));
  const outPl = outputs.map((t) => placementOf(sg, t, 'output', attrs.regIdToSize, attrs.regIdToContextType));
  const regIds = Object.keys(attrs.regIdToSize).map((k) => {
    const m = /^REG_(\d+)$/.exec(k);
    if (!m) throw new RuntimeError('E_DPU_REGS', `region name '${k}' is not REG_<n>`, { where: sg.getName() });
    return Number(m[1]);
  });
  return {
    inputs,
    outputs,
    execute(ins, outs) {
      const regs = new Map<number, Uint8Array>();
      for (const id of regIds) {
        const name = `REG_${id}`;
        const param = attrs.regIdToParameterValue[name];
        const r = new Uint8Array(Math.max(attrs.regIdToSize[name] ?? 0, param?.length ?? 0));
        if (param) r.set(param);
        regs.set(id, r);
      }
      inPl.forEach((p, i) => {
        const src = ins[i] as Int8Array;
        const dst = new Int8Array(regs.get(p.regId)!.buffer);
        for (let px = 0; px < p.pixels; px++) dst.set(src.subarray(px * p.channels, (px + 1) * p.channels), p.addr + px * p.pixelStride);
      });
      simulate(prog, { arch, regs });
      outPl.forEach((p, i) => {
        const dst = outs[i] as Int8Array;
        const src = new Int8Array(regs.get(p.regId)!.buffer);
        for (let px = 0; px < p.pixels; px++) dst.set(src.subarray(p.addr + px * p.pixelStride, p.addr + px * p.pixelStride + p.channels), px * p.channels);
      });
    },
  };
}

registerBackend('DPU', 'sim', createDpuSimBackend);
