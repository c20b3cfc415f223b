// The compiled xmodel as the runtime sees it: GraphRunner in 'sim' mode executes our mc_code from
// the xmodel (placements from tensor attrs, regions from the subgraph attrs) and must equal the INT8
// reference executor on the quantized graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/compiler/compile.js';
import { GraphRunner } from '../../src/runtime/graph-runner.js';
import { Graph as XGraph } from '../../src/xir/graph.js';
import { runQuantized } from '../../src/kernels/ref/quant-executor.js';
import type { Graph } from '../../src/ir/types.js';
import { NetBuilder, ppocrRec, smallConvNet } from './nets.js';

/** DPU → CPU → DPU with the conv output and the graph input each read by two DPU subgraphs. */
function shared(): Graph {
  const b = new NetBuilder('shared');
  const x = b.input([1, 8, 8, 8]);
  const a = b.conv(x, 8, 1, 1, 'NONE');
  const s = b.op('sigmoid', [a], {}, [1, 8, 8, 8]);
  const m = b.op('mul', [a, s], {}, [1, 8, 8, 8]);
  return b.graph([b.add(m, b.conv(x, 8, 3, 1))]);
}

async function simEqualsReference(g: Graph, target: string): Promise<XGraph> {
  // partition policy off: these nets are small on purpose (the policy would move their DPU islands to the CPU)
  const r = compile(g, target, { partitionPolicy: false });
  const x = XGraph.deserialize(r.xmodel);
  const inp = g.ops.find((o) => o.type === 'data')!;
  let s = 3;
  const feed = new Float32Array(inp.output.shape.reduce((a, b) => a * b, 1)).map(() => { s = (s * 1103515245 + 12345) >>> 0; return (s / 2 ** 32) * 8 - 4; });
  const ref = runQuantized(g, { [inp.name]: { shape: inp.output.shape, data: feed } });
  const out = await GraphRunner.create(x, { mode: 'sim' }).run({ [inp.name]: feed });
  for (const o of g.outputs) assert.deepEqual(Array.from(out[o].data), Array.from(ref[o].data), `${g.name} output ${o}`);
  return x;
}

test('GraphRunner sim mode runs the compiled small conv net like the INT8 reference', async () => {
  await simEqualsReference(smallConvNet(), 'B1600');
});

test('tensors shared by two DPU subgraphs get one region id in both (GraphRunner sim == reference)', async () => {
  const x = await simEqualsReference(shared(), 'B4096');
  const kids = x.getRootSubgraph().toposortChildSubgraph();
  assert.deepEqual(kids.map((k) => k.getAttr('device')), ['USER', 'DPU', 'CPU', 'DPU']);
  const input = x.getTensor('input')!;
  const rid = input.getAttr('reg_id') as number;
  assert.ok(rid >= 4);
  for (const k of [kids[1], kids[3]]) assert.equal((k.getAttr('reg_id_to_context_type') as Record<string, string>)[`REG_${rid}`], 'DATA_LOCAL_INPUT');
});

test('GraphRunner sim mode runs the compiled PP-OCR rec (DPU CNN + CPU transformer) like the INT8 reference', async () => {
  await simEqualsReference(ppocrRec(), 'B512');
});
