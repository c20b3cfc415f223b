import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layerTimeSplit } from '../../src/report/layer-split.js';
import type { ProgramPerf } from '../../src/dpu/cycle/model.js';

const layer = (name: string, cycles: number) => ({ name, first: 0, last: 0, cycles, timeMs: 0, ops: 0, gop: 0, efficiency: 50, ldWB: 0, ldFM: 0, stFM: 0, avgBwGBps: 0 });

test('layerTimeSplit: compute = union of CONV/MISC busy time inside each layer window (hand-computed)', () => {
  // CONV 0–10 and 5–12 overlap (union 0–12), MISC 25–40; LOAD 0–30 and SAVE 40–50 are DDR, not compute.
  // layer a = cycles 0–30: compute 12 + 5 = 17, wait 13; layer b = 30–50: compute 10 (30–40), wait 10.
  const perf = {
    timings: [
      { index: 0, engine: 'LOAD', start: 0, end: 30 }, { index: 1, engine: 'CONV', start: 0, end: 10 }, { index: 2, engine: 'CONV', start: 5, end: 12 },
      { index: 3, engine: 'MISC', start: 25, end: 40 }, { index: 4, engine: 'SAVE', start: 40, end: 50 }, { index: 5, engine: 'END', start: 50, end: 50 },
    ],
    layers: [layer('a', 30), { ...layer('b', 20), fused: ['add_0'] }],
  } as unknown as ProgramPerf;
  const s = layerTimeSplit(perf, 100);
  assert.deepEqual(s.map((l) => [l.name, l.cycles, l.computeCycles, l.ddrWaitCycles]), [['a', 30, 17, 13], ['b', 20, 10, 10]]);
  assert.deepEqual(s[1]!.fused, ['add_0']);
  assert.equal(s[0]!.timeMs, 30 / (100 * 1e3)); // 30 cycles at 100 MHz = 0.3 µs
});

test('layerTimeSplit: a layer with no compute instruction is all DDR wait; sums equal the cycles', () => {
  const perf = { timings: [{ index: 0, engine: 'LOAD', start: 0, end: 8 }, { index: 1, engine: 'CONV', start: 8, end: 9 }], layers: [layer('load-only', 8), layer('conv', 1)] } as unknown as ProgramPerf;
  const s = layerTimeSplit(perf, 300);
  assert.deepEqual(s.map((l) => [l.computeCycles, l.ddrWaitCycles]), [[0, 8], [1, 0]]);
});
