/** Batched matmul with numpy broadcasting of batch dims, optional transposes and bias. */
import type { Attrs, Op, TensorValue } from '../../../ir/types.js';
import { attrBool, broadcastShapes, fail, numel, stridesOf, tensor } from './util.js';
import { add } from './elementwise.js';
import { gemmWasm, packGemmB } from './wasm/kernels.js';

/** Below this many MACs per batch entry the scalar loop is cheaper than the WASM call. */
const WASM_MIN_MACS = 4096;

interface MatmulPlan { batch: number[]; M: number; K: number; N: number; dropM: boolean; dropN: boolean; out: number[] }

export function matmulPlan(a: readonly number[], b: readonly number[], attrs: Attrs, op?: Op): MatmulPlan {
  const ta = attrBool(attrs, 'transpose_a', false), tb = attrBool(attrs, 'transpose_b', false);
  if (a.length === 0 || b.length === 0) fail(op, 'E_RANK', 'matmul operands must have rank ≥ 1');
  const dropM = a.length === 1, dropN = b.length === 1;
  const A = dropM ? [1, a[0]!] : [...a];
  const B = dropN ? [b[0]!, 1] : [...b];
  const M = ta && !dropM ? A[A.length - 1]! : A[A.length - 2]!;
  const K = ta && !dropM ? A[A.length - 2]! : A[A.length - 1]!;
  const KB = tb && !dropN ? B[B.length - 1]! : B[B.length - 2]!;
  const N = tb && !dropN ? B[B.length - 2]! : B[B.length - 1]!;
  if (K !== KB) fail(op, 'E_SHAPE', `matmul: inner dims differ: a ${JSON.stringify(a)}${ta ? 'ᵀ' : ''} has K=${K}, b ${JSON.stringify(b)}${tb ? 'ᵀ' : ''} has K=${KB}`);
  const batch = broadcastShapes(A.slice(0, -2), B.slice(0, -2));
  if (!batch) fail(op, 'E_BROADCAST', `matmul: batch dims of ${JSON.stringify(a)} and ${JSON.stringify(b)} do not broadcast`);
  const out = [...batch];
  if (!dropM) out.push(M);
  if (!dropN) out.push(N);
  return { batch, M, K, N, dropM, dropN, out };
}

export function matmul(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  return matmulImpl(inputs, attrs, op, true);
}

/** matmul with the scalar TypeScript kernel only (the reference the WASM path is tested against). */
export function matmulScalar(inputs: TensorValue[], attrs: Attrs, op?: Op): TensorValue {
  return matmulImpl(inputs, attrs, op, false);
}

function matmulImpl(inputs: TensorValue[], attrs: Attrs, op: Op | undefined, useWasm: boolean): TensorValue {
  const [A, B, bias] = inputs as [TensorValue, TensorValue, TensorValue | undefined];
  const ta = attrBool(attrs, 'transpose_a', false) && A.shape.length > 1;
  const tb = attrBool(attrs, 'transpose_b', false) && B.shape.length > 1;
  const pl = matmulPlan(A.shape, B.shape, attrs, op);
  const { M, K, N, batch } = pl;
  const out = tensor(pl.out);
  const aBatch = A.shape.length > 2 ? A.shape.slice(0, -2) : [];
  const bBatch = B.shape.length > 2 ? B.shape.slice(0, -2) : [];
  const nb = numel(batch);
  const bst = stridesOf(batch);
  const a = A.data, b = B.data, o = out.data;
  const acc = new Float64Array(N);
  // strides of an element in A / B
  const aRow = ta ? 1 : K, aCol = ta ? M : 1; // A(i,k) = a[i*aRow + k*aCol]
  const bRow = tb ? 1 : N, bCol = tb ? K : 1; // B(k,n) = b[k*bRow + n*bCol]
  const packedB = new Map<number, Float32Array>(); // B packed for the WASM GEMM, per batch offset
  for (let bi = 0; bi < nb; bi++) {
    // batch offsets with broadcasting
    let aOff = 0, bOff = 0, ra = 1, rb = 1;
    for (let d = batch.length - 1; d >= 0; d--) {
      const id = Math.floor(bi / bst[d]!) % batch[d]!;
      const ai = d - (batch.length - aBatch.length), bj = d - (batch.length - bBatch.length);
      if (ai >= 0) { if (aBatch[ai]! > 1) aOff += id * ra; ra *= aBatch[ai]!; }
      if (bj >= 0) { if (bBatch[bj]! > 1) bOff += id * rb; rb *= bBatch[bj]!; }
    }
    aOff *= M * K; bOff *= K * N;
    const oOff = bi * M * N;
    if (useWasm && M * K * N >= WASM_MIN_MACS) {
      let bp = packedB.get(bOff);
      if (!bp) { bp = packGemmB(b, bOff, K, N, bRow, bCol, false); packedB.set(bOff, bp); }
      if (gemmWasm(a, aOff, aRow, aCol, M, K, bp, N, o, oOff)) continue;
    }
    for (let i = 0; i < M; i++) {
      if (!tb) {
        acc.fill(0);
        for (let k = 0; k < K; k++) {
          const av = a[aOff + i * aRow + k * aCol]!;
          if (av === 0) continue;
          const br = bOff + k * bRow;
          for (let n = 0; n < N; n++) acc[n] += av * b[br + n]!;
        }
        const or = oOff + i * N;
        for (let n = 0; n < N; n++) o[or + n] = acc[n]!;
      } else {
        for (let n = 0; n < N; n++) {
          let s = 0;
          const bc = bOff + n * bCol;
          const ar = aOff + i * aRow;
          for (let k = 0; k < K; k++) s += a[ar + k * aCol]! * b[bc + k * bRow]!;
          o[oOff + i * N + n] = s;
        }
      }
    }
  }
  if (bias) return add([out, bias], {}, op);
  return out;
}
