/**
 * A leaf subgraph of a compiled XIR graph as a runnable IR graph: the ops of the subgraph (DPU op
 * types such as `conv2d-fix`, `pool-fix`, `eltwise-fix` mapped back to the IR catalog), with every
 * tensor read from another subgraph turned into a `data` op carrying that tensor's fix point.
 * Also: the runner-facing view of a subgraph's input and output tensors (VART's xir::Tensor view).
 */
import type { Graph as IrGraph, Op as IrOp } from '../ir/types.js';
import { RuntimeError } from '../errors.js';
import type { Graph, Subgraph, Tensor } from '../xir/graph.js';
import { copyConstData, xmodelToIr } from '../xir/to-ir.js';
import type { RunnerTensor } from './tensor.js';

const irCache = new WeakMap<Graph, IrGraph>();

/** The whole XIR graph as IR (cached per Graph object; treat the result as read-only). */
export function graphAsIr(g: Graph): IrGraph {
  let ir = irCache.get(g);
  if (!ir) {
    ir = xmodelToIr(g, { int8Consts: 'lazy' });
    irCache.set(g, ir);
  }
  return ir;
}

/** XIR type of a DPU op → IR type (the inverse of the compiler's FIX_TYPE table), by its attrs. */
export function irTypeOf(op: IrOp): string {
  const kind = typeof op.attrs['type'] === 'string' ? String(op.attrs['type']).toUpperCase() : '';
  switch (op.type) {
    case 'conv2d-fix': return 'conv2d';
    case 'depthwise-conv2d-fix': return 'depthwise-conv2d';
    case 'transposed-conv2d-fix': return 'transposed-conv2d';
    case 'inner-product': return 'matmul';
    case 'pool-fix':
      if (kind === 'MAX') return 'maxpool2d';
      if (kind === 'AVG') return 'avgpool2d';
      throw new RuntimeError('E_SUBGRAPH_OP', `pool-fix op has type '${kind}', expected MAX or AVG`, { where: op.name });
    case 'eltwise-fix':
      if (kind === 'ADD' || kind === '') return 'add';
      if (kind === 'MUL') return 'mul';
      throw new RuntimeError('E_SUBGRAPH_OP', `eltwise-fix op has type '${kind}', expected ADD or MUL`, { where: op.name });
    case 'concat-fix': return 'concat';
    case 'upsample-fix': return 'resize';
    case 'reshape-fix': return 'reshape';
    default: return op.type;
  }
}

/** Attrs the compiler adds to DPU ops for XIR's sake (the IR kernels read their own attrs). */
const DPU_ONLY_ATTRS = ['pad_mode'];

function strVecAttr(sg: Subgraph, name: string): string[] | undefined {
  if (!sg.hasAttr(name)) return undefined;
  const a = sg.getAttrTyped(name);
  return a.type === 'string_vec' ? [...a.value] : undefined;
}

/** Input / output tensor names of a leaf subgraph: its `input_tensors`/`output_tensors` attrs, else XIR's rule. */
export function subgraphIo(sg: Subgraph): { inputs: string[]; outputs: string[] } {
  return {
    inputs: strVecAttr(sg, 'input_tensors') ?? sg.getInputTensors().map((t) => t.name),
    outputs: strVecAttr(sg, 'output_tensors') ?? sg.getOutputTensors().map((t) => t.name),
  };
}

function fixPointOf(t: Tensor): number | undefined {
  if (!t.hasAttr('fix_point')) return undefined;
  const v = t.getAttr('fix_point');
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : undefined;
}

/** The runner view of one XIR tensor: xint8 when it carries a fix point, float32 otherwise. */
export function runnerTensorOf(g: Graph, name: string, where: string): RunnerTensor {
  const t = g.getTensor(name);
  if (!t) throw new RuntimeError('E_SUBGRAPH_TENSOR', `tensor '${name}' is not in the graph`, { where, fix: 're-compile the model' });
  const fp = fixPointOf(t);
  if (fp !== undefined && t.dataType === 'XINT' && t.bitWidth === 8) return { name, dims: [...t.dims], dtype: 'xint8', fixPoint: fp };
  if (t.dataType === 'FLOAT' && t.bitWidth === 32) return { name, dims: [...t.dims], dtype: 'float32' };
  throw new RuntimeError('E_SUBGRAPH_TENSOR', `tensor '${name}' is ${t.dtype}${fp === undefined ? ' without a fix_point' : ''}; runners take xint8 (with fix_point) or float32`, { where });
}

/** Runner tensors of a leaf subgraph's inputs and outputs. */
export function subgraphTensors(sg: Subgraph): { inputs: RunnerTensor[]; outputs: RunnerTensor[] } {
  const g = sg.getGraph();
  const io = subgraphIo(sg);
  const where = `subgraph ${sg.getName()}`;
  return { inputs: io.inputs.map((n) => runnerTensorOf(g, n, where)), outputs: io.outputs.map((n) => runnerTensorOf(g, n, where)) };
}

/**
 * The ops of a leaf subgraph as an IR graph: inputs are `data` ops named like the tensors they stand
 * for (with their fix point), outputs are the subgraph's output tensors.
 */
export function subgraphToIr(sg: Subgraph): IrGraph {
  const whole = graphAsIr(sg.getGraph());
  const members = sg.opNameSet();
  const io = subgraphIo(sg);
  const byName = new Map(whole.ops.map((o) => [o.name, o]));
  const ops: IrOp[] = [];
  for (const n of io.inputs) {
    const src = byName.get(n);
    if (!src) throw new RuntimeError('E_SUBGRAPH_TENSOR', `input tensor '${n}' has no producer`, { where: `subgraph ${sg.getName()}` });
    ops.push({ name: n, type: 'data', inputs: [], attrs: { shape: [...src.output.shape] }, output: { ...src.output, shape: [...src.output.shape] } });
  }
  const have = new Set(io.inputs);
  for (const op of whole.ops) {
    if (!members.has(op.name) || have.has(op.name)) continue;
    for (const i of op.inputs) {
      if (!have.has(i)) {
        throw new RuntimeError('E_SUBGRAPH_INPUT', `op '${op.name}' reads '${i}', which is neither inside the subgraph nor one of its input_tensors`, {
          where: `subgraph ${sg.getName()}`, fix: 're-compile the model: its input_tensors attr is incomplete',
        });
      }
    }
    const attrs = { ...op.attrs };
    for (const k of DPU_ONLY_ATTRS) delete attrs[k];
    if (op.type === 'pool-fix' || op.type === 'eltwise-fix') delete attrs['type'];
    const ir: IrOp = { name: op.name, type: irTypeOf(op), inputs: [...op.inputs], attrs, output: { ...op.output, shape: [...op.output.shape] } };
    copyConstData(op, ir);
    ops.push(ir);
    have.add(op.name);
  }
  return { name: sg.getName(), ops, inputs: [...io.inputs], outputs: [...io.outputs], meta: {} };
}
