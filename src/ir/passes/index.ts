/** Canonicalization passes (pure Graph → Graph), shared by the ONNX and TF.js importers. */
import type { Graph } from '../types.js';
import { foldConstants } from './const-fold.js';
import { eliminateDeadOps } from './dce.js';
import { fuseHardSwish } from './hard-swish.js';
import { fuseTfHardSwish } from './tf-hard-swish.js';
import { fuseLayerNorm } from './layernorm.js';
import { cancelTransposes } from './transpose.js';
import { toposortOps } from './util.js';
import { verifyGraph } from './verify.js';

export { foldConstants, eliminateDeadOps, fuseHardSwish, fuseTfHardSwish, fuseLayerNorm, cancelTransposes, verifyGraph };

export interface Pass {
  name: string;
  run: (g: Graph) => Graph;
}

/** The importers' canonicalization pipeline, in order. */
export const CANONICAL_PASSES: Pass[] = [
  { name: 'const-fold', run: foldConstants },
  { name: 'cancel-transposes', run: cancelTransposes },
  { name: 'dce', run: eliminateDeadOps },
  { name: 'fuse-hard-swish', run: fuseHardSwish },
  { name: 'fuse-tf-hard-swish', run: fuseTfHardSwish },
  { name: 'fuse-layernorm', run: fuseLayerNorm },
  { name: 'dce', run: eliminateDeadOps },
];

/** Run the passes, verifying shape inference after each one. */
export function canonicalize(g: Graph, passes: Pass[] = CANONICAL_PASSES): Graph {
  let cur = verifyGraph(g, 'import');
  for (const p of passes) {
    cur = p.run(cur);
    cur = { ...cur, ops: toposortOps(cur.ops) };
    verifyGraph(cur, `after pass ${p.name}`);
  }
  return cur;
}
