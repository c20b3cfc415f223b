// XIR: serial_v2 .xmodel read/write and the Graph/Op/Tensor/Subgraph classes.
export { Graph, Op, Tensor, Subgraph, Attributed, DATA_TYPES } from './graph.js';
export type { XDataType, AttrInput, InputArg, TensorSpec, CreateOpSpec, OpDef, OpArgDef, AttrDef, ArgOccur, DeserializeOptions } from './graph.js';
export { A, inferAttr, attrEquals, XATTR_TYPES, NETRON_OP_ATTR_TYPES } from './attr.js';
export type { XAttr, XAttrType, XAttrPlain } from './attr.js';
export { irToXmodel, float32ToBytes, ORIGIN, FIX_SUFFIX } from './from-ir.js';
export { xmodelToIr } from './to-ir.js';
export type { XmodelToIrOptions } from './to-ir.js';
export { buildOpDefs, ARG_NAMES, argNameOf } from './op-defs.js';
export { setDpuSubgraphAttrs, getDpuSubgraphAttrs, DPU_SUBGRAPH_ATTRS } from './dpu-attrs.js';
export type { DpuSubgraphAttrs } from './dpu-attrs.js';
export { SERIAL_V2_PROTO, serialV2Root } from './schema.js';
