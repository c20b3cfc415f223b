/** `--input-shape x=1x3x640x640,y=1x10` → { x: [1,3,640,640], y: [1,10] } (model layout, e.g. NCHW). */
import { UsageError } from '../errors.js';

export function parseInputShapes(spec: string | string[] | undefined): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  if (spec === undefined) return out;
  const parts = (Array.isArray(spec) ? spec : [spec]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  for (const p of parts) {
    const eq = p.lastIndexOf('=');
    const name = eq > 0 ? p.slice(0, eq).trim() : '';
    const dims = eq > 0 ? p.slice(eq + 1).trim() : '';
    const fix = 'write --input-shape name=1x3x640x640 (dims separated by x, several inputs separated by commas)';
    if (!name || !dims) throw new UsageError('E_INPUT_SHAPE', `bad --input-shape '${p}'`, { fix });
    const shape = dims.split(/[x×*]/i).map((d) => Number(d.trim()));
    if (shape.some((d) => !Number.isInteger(d) || d <= 0)) throw new UsageError('E_INPUT_SHAPE', `bad dims '${dims}' for input '${name}' in --input-shape`, { fix });
    if (out[name]) throw new UsageError('E_INPUT_SHAPE', `input '${name}' given twice in --input-shape`, { fix });
    out[name] = shape;
  }
  return out;
}
