/**
 * The geometry every reference conv kernel starts from (float and INT8; conv2d, depthwise-conv2d,
 * transposed-conv2d; the float pools reuse convOutSize): the XIR window attrs unpacked — kernel, stride
 * and dilation are [w, h], pad is [left, right, top, bottom] — and the output height and width.
 */

/** A 2-D window: kernel (kw, kh), stride, dilation and pads, by name. */
export interface ConvWindow {
  kw: number; kh: number; sw: number; sh: number; dw: number; dh: number;
  pl: number; pr: number; pt: number; pb: number;
}

/** The window of XIR attrs kernel/stride/dilation [w, h] and pad [l, r, t, b]. */
export function convWindow(kernel: readonly number[], stride: readonly number[], dilation: readonly number[], pad: readonly number[]): ConvWindow {
  return { kw: kernel[0]!, kh: kernel[1]!, sw: stride[0]!, sh: stride[1]!, dw: dilation[0]!, dh: dilation[1]!, pl: pad[0]!, pr: pad[1]!, pt: pad[2]!, pb: pad[3]! };
}

/** Output spatial size of a forward conv / pool window. */
export function convOutSize(inp: number, k: number, s: number, d: number, p0: number, p1: number): number {
  return Math.floor((inp + p0 + p1 - ((k - 1) * d + 1)) / s) + 1;
}

/** Output spatial size of a transposed conv (ONNX ConvTranspose with explicit pads). */
export function convTransposeOutSize(inp: number, k: number, s: number, d: number, p0: number, p1: number, outPad: number): number {
  return s * (inp - 1) + outPad + ((k - 1) * d + 1) - p0 - p1;
}

/**
 * [OH, OW] of window `p` over an H×W input: a forward conv, or with `outputPadding` ([w, h], ONNX
 * output_padding) a transposed conv. `kh`/`kw` override the window's kernel size (the float kernels
 * take it from the weights' shape).
 */
export function convOutHW(H: number, W: number, p: ConvWindow, o: { kh?: number; kw?: number; outputPadding?: readonly number[] } = {}): [number, number] {
  const kh = o.kh ?? p.kh, kw = o.kw ?? p.kw;
  if (o.outputPadding) {
    return [convTransposeOutSize(H, kh, p.sh, p.dh, p.pt, p.pb, o.outputPadding[1] ?? 0), convTransposeOutSize(W, kw, p.sw, p.dw, p.pl, p.pr, o.outputPadding[0] ?? 0)];
  }
  return [convOutSize(H, kh, p.sh, p.dh, p.pt, p.pb), convOutSize(W, kw, p.sw, p.dw, p.pl, p.pr)];
}
