/**
 * How an ONNX tensor lives in the IR while importing: a constant (ONNX layout, exact numbers) or an IR op
 * output. A 4-D IR activation is NHWC (`nhwc: true`; `shape` is still the ONNX NCHW shape).
 */
import type { ConstVal } from './tensor.js';

export type Val =
  | { k: 'const'; c: ConstVal }
  | { k: 'ir'; name: string; shape: number[]; nhwc: boolean };

/** IR axis i of an NHWC tensor is ONNX axis TO_ONNX[i]; ONNX axis a is IR axis TO_IR[a]. */
export const TO_ONNX = [0, 3, 1, 2];
export const TO_IR = [0, 3, 1, 2].map((_, a) => [0, 2, 3, 1].indexOf(a));
export const NCHW_TO_NHWC = [0, 2, 3, 1];
export const NHWC_TO_NCHW = [0, 3, 1, 2];

export const permute = <T>(xs: readonly T[], perm: readonly number[]): T[] => perm.map((p) => xs[p]!);
