import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inspectFile } from '../../src/cli/commands/inspect.js';
import { packageDir } from '../../src/runtime/node/assets.js';

const modelJson = path.join(packageDir('@vladmandic/human'), 'models', 'emotion.json');

test('inspect reads a TF.js graph model: inputs/outputs as its signature declares (batch fixed to 1), conv count from its nodes', () => {
  const r = inspectFile(modelJson);
  const j = JSON.parse(readFileSync(modelJson, 'utf8')) as {
    userDefinedMetadata: { signature: { inputs: Record<string, { tensorShape: { dim: { size: string }[] } }>; outputs: Record<string, { tensorShape: { dim: { size: string }[] } }> } };
    modelTopology: { node: { op: string }[] };
  };
  const dims = (d: { size: string }[]) => d.map((x) => (Number(x.size) < 0 ? 1 : Number(x.size)));
  assert.equal(r.format, 'tfjs');
  assert.deepEqual(r.inputs.map((t) => t.shape), Object.values(j.userDefinedMetadata.signature.inputs).map((s) => dims(s.tensorShape.dim)));
  assert.deepEqual(r.outputs.map((t) => t.shape), Object.values(j.userDefinedMetadata.signature.outputs).map((s) => dims(s.tensorShape.dim)));
  const convs = j.modelTopology.node.filter((n) => /Conv2D$/.test(n.op)).length;
  const depthwise = j.modelTopology.node.filter((n) => n.op.startsWith('DepthwiseConv2d')).length;
  assert.equal((r.opCounts['conv2d'] ?? 0) + (r.opCounts['depthwise-conv2d'] ?? 0), convs + depthwise);
});
