/** Worker side of the fuzz runner: runs one input per message, replies with its outcome. */
import { parentPort, workerData } from 'node:worker_threads';
import { classify, type TargetName, type TargetContext } from './targets.js';

const ctx = (workerData as { ctx?: TargetContext } | undefined)?.ctx ?? {};
parentPort!.on('message', (m: { id: number; target: TargetName; bytes: Uint8Array }) => {
  void classify(m.target, m.bytes, ctx).then((o) => parentPort!.postMessage({ id: m.id, outcome: o }));
});
