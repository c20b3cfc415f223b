/**
 * The op catalog: every IR op type, its inputs and attrs. This is the contract between the
 * importers (which produce these ops), the kernels (which run them) and the compiler.
 * Layout conventions follow XIR: activations NHWC; conv weights [oc, kh, kw, ic];
 * depthwise weights [1, kh, kw, c] (channel multiplier 1); 2-element spatial attrs are
 * [w, h] and pads are [left, right, top, bottom], as XIR writes them.
 *
 * type               inputs                         attrs
 * ─────────────────  ─────────────────────────────  ──────────────────────────────────────────────
 * data               —                              shape:number[]  (graph input)
 * const              —                              (payload in op.data)
 * conv2d             x, weights, bias?              kernel[w,h] stride[w,h] dilation[w,h] pad[l,r,t,b]
 *                                                   group:number (1; >1 grouped, CPU only)
 *                                                   nonlinear?: 'NONE'|'RELU'|'RELU6'|'LEAKYRELU'|'HSIGMOID'|'HSWISH'
 *                                                   alpha? (leaky slope when nonlinear=LEAKYRELU)
 * depthwise-conv2d   x, weights[1,kh,kw,c], bias?   as conv2d (no group)
 * transposed-conv2d  x, weights[oc,kh,kw,ic], bias? kernel stride dilation pad[l,r,t,b] (pads of the
 *                                                   equivalent forward conv as ONNX gives them), output_padding[w,h]
 * matmul             a, b, bias?                    transpose_a:boolean transpose_b:boolean (batched, numpy broadcast)
 * batchnorm          x, gamma, beta, mean, var      epsilon, axis (-1 = channels last)
 * maxpool2d          x                              kernel[w,h] stride[w,h] pad[l,r,t,b] global:boolean
 * avgpool2d          x                              kernel stride pad global:boolean count_include_pad:boolean
 * add sub mul div    a, b                           (numpy broadcasting)
 * pow                a, b                           —
 * min max            a, b                           —
 * relu relu6 sigmoid tanh sqrt exp neg abs erf reciprocal identity     x     —
 * leaky-relu         x                              alpha
 * hard-sigmoid       x                              alpha beta  (y = clamp(alpha·x + beta, 0, 1))
 * hard-swish         x                              — (x · relu6(x + 3) / 6)
 * clamp              x                              min max
 * concat             x0…xn                          axis
 * reshape            x                              shape:number[] (fully resolved, no -1/0)
 * transpose          x                              order:number[]
 * strided_slice      x                              begin end strides (one entry per axis, resolved)
 * pad                x                              paddings:number[] ([before0, after0, before1, after1…])
 *                                                   mode:'CONSTANT'|'REFLECT'|'SYMMETRIC'|'EDGE' constant_value
 * resize             x                              size[w,h] mode:'NEAREST'|'BILINEAR'
 *                                                   coordinate:'half_pixel'|'asymmetric'|'align_corners'|'pytorch_half_pixel'
 *                                                   nearest_mode:'round_prefer_floor'|'round_prefer_ceil'|'floor'|'ceil'
 * softmax            x                              axis
 * reduction_mean     x                              axis:number[] keep_dims:boolean
 * reduction_max      x                              axis:number[] keep_dims:boolean
 * reduction_sum      x                              axis:number[] keep_dims:boolean
 * layernorm          x, gamma, beta                 axis:number[] epsilon  (fused from decomposed form)
 * gather             x, indices(const)              axis  (indices folded into attr `indices` if const)
 *
 * Anything else is an import error listing the missing op types all at once.
 */
export const CATALOG_VERSION = 1;
