// Per-layer profile on a net whose residual adds are fused into the conv before them: every DPU conv gets its
// own row with exactly its work (2·MACs computed by hand from the op shapes, plus the fused add's pixels),
// the fused add is named on the conv's row instead of taking a share of its time, and the rows cover the
// whole program (their cycles add up to the subgraph's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../src/compiler/compile.js';
import { Graph } from '../../src/xir/graph.js';
import { profileModel } from '../../src/profile/profile.js';
import { resnet50 } from '../compiler/nets.js';

test('profile: fused residual adds are reported on their conv, every conv row holds exactly its own MACs', () => {
  const q = resnet50(64);
  const g = Graph.deserialize(compile(q, 'B4096').xmodel);
  const p = profileModel(g, 'kv260');
  const dpu = p.subgraphs.filter((s) => s.device === 'DPU');
  assert.ok(dpu.length >= 1);
  const byName = new Map(q.ops.map((o) => [o.name, o]));
  let convs = 0, fusedAdds = 0;
  for (const sg of dpu) {
    const layers = sg.layers!;
    assert.equal(layers.reduce((a, l) => a + l.cycles, 0), sg.cycles, 'rows add up to the subgraph');
    for (const l of layers) {
      const op = byName.get(l.name);
      assert.ok(op, `row '${l.name}' is named after an op of the model`);
      if (op.type !== 'conv2d') continue;
      convs++;
      const w = byName.get(op.inputs[1]!)!.output.shape;
      const [, oh, ow, oc] = op.output.shape as [number, number, number, number];
      const macs = oh * ow * oc * w[1]! * w[2]! * w[3]!;
      if (l.fused) {
        fusedAdds++;
        // the compiler names an add+relu after the relu (activation fused into the add)
        const named = byName.get(l.fused[0]!);
        const add = named?.type === 'relu' ? byName.get(named.inputs[0]!) : named;
        assert.ok(add?.type === 'add' && add.inputs.includes(op.name), `${l.fused[0]} is the add consuming ${op.name}`);
        assert.ok(!layers.some((x) => x.name === l.fused![0]), 'the fused add has no row of its own');
      }
      // 2 ops per MAC for CONV; an on-chip ELEW adds one op per output element (src/dpu/work.ts)
      assert.equal(l.ops, 2 * macs + (l.fused ? oh * ow * oc : 0), `${l.name}: ops vs 2·${macs} MACs`);
    }
  }
  assert.ok(convs >= 20, `${convs} conv rows`);
  assert.ok(fusedAdds >= 8, `ResNet-50 has 16 residual adds; ${fusedAdds} reported fused on their conv`);
});
