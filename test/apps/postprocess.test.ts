// Post-processing on hand-made tensors with hand-computed answers; NMS also against onnxruntime's own
// NonMaxSuppression op (independent oracle) on random boxes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { ctcGreedyDecode, parseKeys } from '../../src/apps/ocr/ctc.js';
import { dbPostprocess, sortBoxes } from '../../src/apps/ocr/db.js';
import { minAreaRect } from '../../src/apps/geometry.js';
import { nms, nmsPerClass, iou } from '../../src/apps/detect/nms.js';
import { decodeYolo, decodeCenterNet } from '../../src/apps/detect/decode.js';
import { softmax, topK, parseLabels } from '../../src/apps/classify.js';
import { AppError } from '../../src/errors.js';
import { nmsModel, onnxBoxes, selectedIndices } from './postprocess-onnx.js';

test('CTC greedy decode: repeats merge, blanks split, blank=0, space last', () => {
  const alphabet = parseKeys('a\nb\r\nc\n');
  assert.deepEqual(alphabet, ['', 'a', 'b', 'c', ' ']);
  const C = alphabet.length;
  // argmax per step: a a blank a b b space c blank
  const seq = [1, 1, 0, 1, 2, 2, 4, 3, 0];
  const probs = new Float32Array(seq.length * C).fill(0.01);
  seq.forEach((k, t) => { probs[t * C + k] = t === 0 ? 0.5 : 0.9; });
  const r = ctcGreedyDecode({ shape: [1, seq.length, C], data: probs }, alphabet);
  assert.equal(r.text, 'aab c');
  // kept steps 0,3,4,6,7 → (0.5 + 0.9·4) / 5
  assert.ok(Math.abs(r.score - (0.5 + 0.9 * 4) / 5) < 1e-6);
  assert.throws(() => ctcGreedyDecode({ shape: [1, 2, 7], data: new Float32Array(14) }, alphabet), (e: unknown) => e instanceof AppError && /7 classes/.test(e.message));
  assert.throws(() => parseKeys('', 'keys.txt'), (e: unknown) => e instanceof AppError && e.file === 'keys.txt');
});

test('minAreaRect of a rotated rectangle recovers its sides', () => {
  const a = Math.PI / 6;
  const pts: [number, number][] = [];
  for (let u = 0; u <= 40; u += 2) for (let v = 0; v <= 10; v += 2) pts.push([100 + u * Math.cos(a) - v * Math.sin(a), 50 + u * Math.sin(a) + v * Math.cos(a)]);
  const r = minAreaRect(pts);
  const [long, short] = [Math.max(r.width, r.height), Math.min(r.width, r.height)];
  assert.ok(Math.abs(long - 40) < 1e-6 && Math.abs(short - 10) < 1e-6, `${r.width}×${r.height}`);
});

test('DB post-processing on a hand-made map: box, unclip, score and size filters, scaling', () => {
  const w = 100, h = 80;
  const map = new Float32Array(w * h);
  const fill = (x0: number, y0: number, x1: number, y1: number, v: number): void => {
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) map[y * w + x] = v;
  };
  fill(20, 30, 59, 39, 0.9); // text: 40×10 pixels
  fill(70, 5, 90, 12, 0.45); // above thresh 0.3, but score 0.45 < box_thresh 0.6
  fill(5, 70, 30, 71, 0.95); // 2 px tall: short side 1 < min_size 3
  const boxes = dbPostprocess(map, w, h, w, h);
  assert.equal(boxes.length, 1);
  // min-area rect of pixel centres: 39×9 → d = 39·9·1.5 / (2·(39+9)) = 5.484375
  const d = (39 * 9 * 1.5) / 96;
  const exp = [[20 - d, 30 - d], [59 + d, 30 - d], [59 + d, 39 + d], [20 - d, 39 + d]].map((q) => q.map(Math.round));
  assert.deepEqual(boxes[0]!.points, exp);
  assert.ok(Math.abs(boxes[0]!.score - 0.9) < 1e-6);
  // scaled to a 2× larger original image
  const big = dbPostprocess(map, w, h, 2 * w, 2 * h);
  assert.deepEqual(big[0]!.points, [[20 - d, 30 - d], [59 + d, 30 - d], [59 + d, 39 + d], [20 - d, 39 + d]].map((q) => q.map((v) => Math.round(2 * v))));
});

test('sorted_boxes: rows within 10 px read left to right', () => {
  const b = (x: number, y: number) => ({ points: [[x, y], [x + 5, y], [x + 5, y + 5], [x, y + 5]] as [number, number][] });
  const s = sortBoxes([b(50, 12), b(10, 15), b(0, 40), b(30, 10)]);
  assert.deepEqual(s.map((q) => q.points[0]), [[10, 15], [30, 10], [50, 12], [0, 40]]);
});

test('NMS on hand-made boxes (class-aware)', () => {
  const boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9]];
  assert.ok(Math.abs(iou(boxes[0]!, boxes[1]!) - 81 / 119) < 1e-12);
  assert.deepEqual(nms(boxes, [0.9, 0.8, 0.7, 0.95], 0.5), [3, 2]); // 3 suppresses 0 (IoU .9) and 1
  const dets = [
    { box: [0, 0, 10, 10] as [number, number, number, number], score: 0.9, classId: 0 },
    { box: [1, 1, 11, 11] as [number, number, number, number], score: 0.8, classId: 1 }, // other class: kept
    { box: [1, 0, 11, 10] as [number, number, number, number], score: 0.7, classId: 0 }, // IoU 0.818: suppressed
  ];
  assert.deepEqual(nmsPerClass(dets, 0.45).map((d) => d.score), [0.9, 0.8]);
});

test('NMS equals onnxruntime NonMaxSuppression on random boxes', async () => {
  let seed = 12345;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const n = 200;
  const session = await ort.InferenceSession.create(nmsModel(n, 0.45));
  try {
    for (let trial = 0; trial < 5; trial++) {
      const boxes: number[][] = [];
      const scores = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const x = rnd() * 100, y = rnd() * 100, bw = 5 + rnd() * 30, bh = 5 + rnd() * 30;
        // ONNX default center_point_box=0: [y1, x1, y2, x2]; ours: [x0, y0, x1, y1]
        boxes.push([x, y, x + bw, y + bh].map((v) => Math.fround(v)));
        scores[i] = rnd();
      }
      const r = await session.run({ boxes: new ort.Tensor('float32', onnxBoxes(boxes), [1, n, 4]), scores: new ort.Tensor('float32', scores, [1, 1, n]) });
      const ref = selectedIndices(r['sel']!.data as BigInt64Array);
      assert.deepEqual(nms(boxes, scores, 0.45), ref, `trial ${trial}`);
    }
  } finally {
    await session.release();
  }
});

/** Clustered candidates as a detector gives them: `objects` objects, each with `per` jittered boxes. */
function clustered(rnd: () => number, objects: number, per: number): number[][] {
  const boxes: number[][] = [];
  for (let o = 0; o < objects; o++) {
    const cx = rnd() * 640, cy = rnd() * 640, w = 20 + rnd() * 200, h = 20 + rnd() * 200;
    for (let i = 0; i < per; i++) {
      const x = cx + (rnd() - 0.5) * 0.3 * w, y = cy + (rnd() - 0.5) * 0.3 * h, bw = w * (0.7 + 0.6 * rnd()), bh = h * (0.7 + 0.6 * rnd());
      boxes.push([x - bw / 2, y - bh / 2, x + bw / 2, y + bh / 2].map((v) => Math.fround(v)));
    }
  }
  return boxes;
}

test('NMS equals onnxruntime NonMaxSuppression on 1,400 clustered boxes (one class; the grid path)', async () => {
  let seed = 777;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const boxes = clustered(rnd, 20, 70);
  const n = boxes.length;
  const session = await ort.InferenceSession.create(nmsModel(n, 0.45));
  try {
    for (let trial = 0; trial < 3; trial++) {
      const scores = Float32Array.from({ length: n }, rnd);
      const r = await session.run({ boxes: new ort.Tensor('float32', onnxBoxes(boxes), [1, n, 4]), scores: new ort.Tensor('float32', scores, [1, 1, n]) });
      const ref = selectedIndices(r['sel']!.data as BigInt64Array);
      assert.ok(ref.length > 20 && ref.length < n / 2, `${ref.length} kept`);
      assert.deepEqual(nms(boxes, scores, 0.45), ref, `trial ${trial}`);
      // max detections: the first k of the same selection
      assert.deepEqual(nms(boxes, scores, 0.45, 7), ref.slice(0, 7));
    }
  } finally {
    await session.release();
  }
});

test('class-aware NMS equals onnxruntime NonMaxSuppression run per class (scores of other classes below its score threshold)', async () => {
  let seed = 4242;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const boxes = clustered(rnd, 30, 40);
  const n = boxes.length, C = 5;
  const dets = boxes.map((b, i) => ({ box: b as [number, number, number, number], score: Math.fround(0.05 + 0.95 * rnd()), classId: (i * 7 + Math.floor(rnd() * 3)) % C }));
  const scores = new Float32Array(C * n); // 0 for the other classes: ignored at score threshold 0.01
  dets.forEach((d, i) => { scores[d.classId * n + i] = d.score; });
  const session = await ort.InferenceSession.create(nmsModel(n, 0.45, C, 0.01));
  try {
    const r = await session.run({ boxes: new ort.Tensor('float32', onnxBoxes(boxes), [1, n, 4]), scores: new ort.Tensor('float32', scores, [1, C, n]) });
    const sel = r['sel']!.data as BigInt64Array;
    const ours = nmsPerClass(dets, 0.45, n);
    for (let c = 0; c < C; c++) {
      const ref = selectedIndices(sel, c);
      assert.ok(ref.length > 0);
      assert.deepEqual(ours.filter((d) => d.classId === c).map((d) => dets.indexOf(d)), ref, `class ${c}`);
    }
    assert.equal(ours.length, sel.length / 3);
    for (let i = 1; i < ours.length; i++) assert.ok(ours[i - 1]!.score >= ours[i]!.score);
    // maxDet: the best-scoring maxDet of the same set
    assert.deepEqual(nmsPerClass(dets, 0.45, 10), ours.slice(0, 10));
  } finally {
    await session.release();
  }
});

test('YOLOv5 decode on a hand-built head tensor', () => {
  const nc = 2, na = 3, no = 5 + nc, C = na * no;
  const head = (H: number, W: number) => ({ shape: [1, H, W, C], data: new Float32Array(H * W * C).fill(-20) });
  const p3 = head(2, 2), p4 = head(1, 1), p5 = head(1, 1);
  // P3 (stride 8), cell y=1 x=0, anchor 1 (16×30): tx=ty=tw=th=0 → σ=0.5, obj=+20, class 1 = +20
  const base = (1 * 2 + 0) * C + 1 * no;
  p3.data.fill(0, base, base + 4);
  p3.data[base + 4] = 20;
  p3.data[base + 5 + 1] = 20;
  // P5 (stride 32), cell 0 anchor 2 (373×326): tx=ln(3) → σ=.75 → xy=(1.5−.5+0)·32=32, tw=0 → w=373; obj=0 → 0.5·σ(cls=0 → 2)… class 0 = ln(0.8/0.2)
  const b5 = 2 * no;
  p5.data[b5] = Math.log(3); p5.data[b5 + 1] = Math.log(3); p5.data[b5 + 2] = 0; p5.data[b5 + 3] = 0;
  p5.data[b5 + 4] = 0; p5.data[b5 + 5] = Math.log(4);
  const dets = decodeYolo([p3, p4, p5]).sort((a, b) => b.score - a.score);
  assert.equal(dets.length, 2);
  assert.equal(dets[0]!.classId, 1);
  const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-4);
  // cx = (0.5 + 0)·8 = 4, cy = (0.5 + 1)·8 = 12, w = 16, h = 30
  assert.ok(close(dets[0]!.box, [4 - 8, 12 - 15, 4 + 8, 12 + 15]), String(dets[0]!.box));
  assert.equal(dets[1]!.classId, 0);
  assert.ok(Math.abs(dets[1]!.score - 0.5 * 0.8) < 1e-6);
  assert.ok(close(dets[1]!.box, [32 - 373 / 2, 32 - 326 / 2, 32 + 373 / 2, 32 + 326 / 2]), String(dets[1]!.box));
});

test('CenterNet decode: 3×3 peaks, wh and offset, stride', () => {
  const H = 8, W = 8, C = 2;
  const heat = new Float32Array(H * W * C);
  heat[(3 * W + 4) * C + 0] = 0.9; // peak
  heat[(3 * W + 5) * C + 0] = 0.6; // neighbour of a higher value: not a peak
  heat[(6 * W + 1) * C + 1] = 0.5; // another class
  const wh = new Float32Array(H * W * 2);
  wh.set([4, 2], (3 * W + 4) * 2);
  wh.set([2, 2], (6 * W + 1) * 2);
  const off = new Float32Array(H * W * 2);
  off.set([0.5, 0.25], (3 * W + 4) * 2);
  const d = decodeCenterNet({ shape: [1, H, W, C], data: heat }, { shape: [1, H, W, 2], data: wh }, { shape: [1, H, W, 2], data: off }, { stride: 4 });
  assert.equal(d.length, 2);
  // centre (4.5, 3.25) cells, 4×2 cells → ×4 px
  assert.deepEqual(d[0]!.box, [(4.5 - 2) * 4, (3.25 - 1) * 4, (4.5 + 2) * 4, (3.25 + 1) * 4]);
  assert.deepEqual(d[1]!.box, [0, 20, 8, 28]);
  assert.equal(d[1]!.classId, 1);
});

test('softmax / top-k / labels', () => {
  const p = softmax([1, 2, 3]);
  const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
  const s = e[0]! + e[1]! + e[2]!;
  p.forEach((v, i) => assert.ok(Math.abs(v - e[i]! / s) < 1e-6));
  assert.deepEqual(topK([0.1, 0.5, 0.2, 0.5], 3), [1, 3, 2]);
  assert.deepEqual(parseLabels('cat\r\ndog\n\n'), ['cat', 'dog']);
  assert.throws(() => parseLabels('\n', 'l.txt'), (e: unknown) => e instanceof AppError && e.file === 'l.txt');
});
