/**
 * The dependency-token scheduler shared by the simulator and the cycle model (docs/isa.md, "Engines and
 * dependency tokens"): four in-order engine queues, one FIFO of tokens per ordered engine pair. Each token
 * carries a time stamp (the finish time of its signaller; 0 in the functional simulator).
 */
import type { PlacedInstr } from '../isa/codec.js';
import { CLASS_BY_NAME, ENGINES } from '../isa/spec.js';
import { RuntimeError } from '../errors.js';
import { ENGINE_INDEX, wordHex } from './work.js';

/** Default cap on executed instructions (a stream cannot loop, this bounds any input). */
export const MAX_INSTRUCTIONS = 50_000_000;

/**
 * Runs `step(index, readyAt)` for every instruction in an order the tokens allow; `readyAt` is the latest
 * time stamp of the tokens it consumed, `step` returns the time stamp of the tokens it emits.
 * Engine visiting order: LOAD, CONV, MISC, SAVE, each as far as its tokens allow.
 * RuntimeError on deadlock (naming every stuck instruction) or when the instruction cap is exceeded.
 */
export function runTokens(prog: readonly PlacedInstr[], step: (index: number, readyAt: number) => number, maxInstructions = MAX_INSTRUCTIONS): number {
  if (prog.length > maxInstructions) {
    throw new RuntimeError('E_DPU_TOO_LONG', `mc_code has ${prog.length} instructions, over the cap of ${maxInstructions}`, { where: 'mc_code', fix: 'raise maxInstructions if the model is really that large' });
  }
  const queues: number[][] = [[], [], [], []];
  let endIdx = -1;
  prog.forEach((ins, i) => {
    const e = CLASS_BY_NAME[ins.cls].engine;
    if (e === 'END') endIdx = i;
    else queues[ENGINE_INDEX[e]].push(i);
  });
  // tokens[src*4+dst]: FIFO of time stamps
  const tok: number[][] = Array.from({ length: 16 }, () => []);
  const tokHead = new Int32Array(16);
  const heads = [0, 0, 0, 0];
  const order = [0, 2, 3, 1];
  const available = (src: number, dst: number) => tok[src * 4 + dst].length - tokHead[src * 4 + dst];
  const canRun = (wait: number, dst: number) => {
    for (let s = 0; s < 4; s++) if (wait & (1 << s) && available(s, dst) <= 0) return false;
    return true;
  };
  const consume = (wait: number, dst: number): number => {
    let t = 0;
    for (let s = 0; s < 4; s++) {
      if (wait & (1 << s)) {
        const k = s * 4 + dst;
        const v = tok[k][tokHead[k]++];
        if (v > t) t = v;
      }
    }
    return t;
  };
  let executed = 0;
  let finish = 0;
  for (;;) {
    let progress = false;
    for (const e of order) {
      const q = queues[e];
      while (heads[e] < q.length) {
        const idx = q[heads[e]];
        const ins = prog[idx];
        if (!canRun(ins.wait, e)) break;
        const ready = consume(ins.wait, e);
        const t = step(idx, ready);
        if (t > finish) finish = t;
        for (let d = 0; d < 4; d++) if (ins.signal & (1 << d)) tok[e * 4 + d].push(t);
        heads[e]++;
        progress = true;
        if (++executed > maxInstructions) {
          throw new RuntimeError('E_DPU_TOO_LONG', `executed more than ${maxInstructions} instructions`, { where: 'mc_code', fix: 'the instruction stream is corrupt' });
        }
      }
    }
    const drained = heads.every((h, e) => h >= queues[e].length);
    if (drained) {
      if (endIdx < 0) return finish;
      const t = Math.max(finish, step(endIdx, finish));
      return t;
    }
    if (!progress) {
      const stuck = heads.map((h, e) => (h < queues[e].length ? prog[queues[e][h]] : undefined))
        .map((ins, e) => (ins ? `${ENGINES[e]}: ${ins.cls} at word ${ins.word} (${wordHex(ins)}) waits for ${ENGINES.filter((_, s) => ins.wait & (1 << s) && available(s, e) <= 0).join('+')}` : ''))
        .filter(Boolean);
      throw new RuntimeError('E_DPU_DEADLOCK', `dependency deadlock: ${stuck.join('; ')}`, {
        where: 'mc_code', fix: 'a WAIT has no matching SIGNAL; the instruction stream is inconsistent — re-compile the model',
      });
    }
  }

}
