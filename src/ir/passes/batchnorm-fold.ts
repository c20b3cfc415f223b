/**
 * The arithmetic of folding an inference-mode batchnorm into the conv before it, shared by the quantizer's
 * pre-pass, the compiler's `fold-bn` and `optimizeForInference`: s = γ/√(σ²+ε) per output channel,
 * W'[c] = W[c]·s[c], b'[c] = (b[c] − μ[c])·s[c] + β[c] (float64 intermediates).
 */

/** Per-channel scale s = γ/√(σ²+ε). */
export function batchnormScale(gamma: ArrayLike<number>, variance: ArrayLike<number>, eps: number): Float64Array {
  const s = new Float64Array(gamma.length);
  for (let c = 0; c < s.length; c++) s[c] = gamma[c]! / Math.sqrt(variance[c]! + eps);
  return s;
}

/** b'[c] = (b[c] − μ[c])·s[c] + β[c]; a missing conv bias counts as zeros. */
export function batchnormFoldedBias(bias: ArrayLike<number> | undefined, mean: ArrayLike<number>, s: ArrayLike<number>, beta: ArrayLike<number>): Float32Array {
  const nb = new Float32Array(s.length);
  for (let c = 0; c < nb.length; c++) nb[c] = ((bias?.[c] ?? 0) - mean[c]!) * s[c]! + beta[c]!;
  return nb;
}

/**
 * Conv weights with each output channel scaled by s: depthwise [1, kh, kw, C] has the channel last; conv2d and
 * transposed-conv2d [OC, kh, kw, IC] first. Returns a new array.
 */
export function scaleConvOutChannels(convType: string, w: ArrayLike<number>, s: ArrayLike<number>): Float32Array {
  const out = new Float32Array(w.length);
  const C = s.length;
  if (convType === 'depthwise-conv2d') {
    for (let i = 0; i < w.length; i++) out[i] = w[i]! * s[i % C]!;
  } else {
    const per = w.length / C;
    for (let i = 0; i < w.length; i++) out[i] = w[i]! * s[Math.floor(i / per)]!;
  }
  return out;
}
