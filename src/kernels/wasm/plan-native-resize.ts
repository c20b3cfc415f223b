/**
 * Nearest resize on the native plan (YOLO's upsampling): the reference's integer index mapping
 * (nearestIndex, as src/kernels/wasm/plan-extra.ts planResizeNearest) worked out at plan time and
 * the row copies done by the addon's threads inside the native program (no break in the dispatch,
 * no serial JS copy). Undefined — the WASM/JS step is planned instead — for anything else.
 * Stage code: no Node imports.
 */
import type { Op } from '../../ir/types.js';
import { attrNums, attrStr } from '../ref/int8/common.js';
import { nearestIndex, type Coordinate, type NearestMode } from '../ref/int8/movement.js';
import type { ExtraContext, ExtraSlot } from './plan-extra.js';
import type { NativePlan, Step } from './plan-native.js';

export function planNativeResize(np: NativePlan | undefined, ctx: ExtraContext, op: Op, x: ExtraSlot): Step | undefined {
  if (!np || attrStr(op.attrs, 'mode', 'NEAREST').toUpperCase() !== 'NEAREST') return undefined;
  if (x.shape.length !== 4 || x.shape[0] !== 1) return undefined;
  const [, h, w, c] = x.shape as [number, number, number, number];
  const [ow, oh] = attrNums(op.attrs, 'size', []);
  if (!(ow! >= 1 && oh! >= 1)) return undefined;
  const fo = op.output.fixPoint;
  if (typeof fo !== 'number') return undefined;
  const shift = x.fp - fo;
  if (!Number.isInteger(shift) || Math.abs(shift) > 30) return undefined;
  const coord = attrStr(op.attrs, 'coordinate', 'half_pixel') as Coordinate;
  const nm = attrStr(op.attrs, 'nearest_mode', 'round_prefer_floor') as NearestMode;
  const ys = Array.from({ length: oh! }, (_, o) => nearestIndex(o, h, oh!, coord, nm));
  const xs = Array.from({ length: ow! }, (_, o) => nearestIndex(o, w, ow!, coord, nm));
  if (ys.some((v) => !(v >= 0 && v < h)) || xs.some((v) => !(v >= 0 && v < w))) return undefined;
  const out = ctx.qslot([1, oh!, ow!, c], fo);
  ctx.setSlot(op.name, out);
  return np.resize(x.off, h, w, c, out.off, oh!, ow!, shift, ys, xs);
}
