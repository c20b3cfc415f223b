// dpuflow native INT8 kernels for the virtual DPU's 'run' mode (N-API, C++17).
//
// The same arithmetic as assembly/kernels.ts and src/kernels/ref/int8 (docs/dpu-arithmetic.md):
// exact int32 accumulation of int8 products, the DPU output stage (bias shift, shift_cut with
// DPU rounding floor(x/2^s + 1/2), relu / relu6 / leaky 26/256 / hsigmoid / hswish, saturation),
// and the WASM kernels' element-wise, pooling and concat arithmetic.
//
// conv: AVX-512 VNNI `vpdpbusd` (u8 x s8, 4 products per int32 lane). Activations are offset by
// +128 (x ^ 0x80 gives the u8 x + 128) so Σ(x+128)·w = Σx·w + 128·Σw; the per-output-channel
// correction 128·Σw is subtracted afterwards. vpdpbusd wraps modulo 2^32, so the result is exact
// whenever |Σx·w| < 2^31 (the executor checks kred·2^14 < 2^31 before using any kernel).
// Spatial padding is the u8 value 128 (= x 0), so the correction is the same for every pixel.
// depthwise: the same trick with the kernel's taps in the 4 bytes of a lane: each input row is
// expanded (per thread, into a small ring of rows) to 4 consecutive taps per channel, so one
// vpdpbusd adds 4 taps of 16 channels.
//
// Execution: a context owns a program (a list of tasks: pad, conv, depthwise, add, mul, relu,
// pools, concat) and a thread pool. run(from, to) executes a range of tasks with ONE dispatch: the
// threads claim runs of each task's units from a shared counter (guided, from both ends) and wait
// for the task to finish before the next (a task reads what the previous ones wrote). Idle workers
// spin briefly, then sleep.
//
// The kernels read and write the caller's memory (the WebAssembly arena) through a typed array:
// nothing is copied in or out except into the native scratch (padded conv input, depthwise rows).
#include <node_api.h>

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "amx_conv.h"  // AMX-INT8 hook (native/amx_conv.cc)

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define AVX2_TARGET __attribute__((target("avx2")))
#define VNNI_INLINE VNNI_TARGET inline __attribute__((always_inline))

namespace {

// ---- CPU level ----------------------------------------------------------------------------------
int cpuLevelDetect() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni"))
    return 2;
  if (__builtin_cpu_supports("avx2")) return 1;
  return 0;
}
int cpuLevel() {
  static const int level = cpuLevelDetect();
  return level;
}

// ---- packed weights ------------------------------------------------------------------------------
struct ConvWeights {
  int isa = 2;  // 2: AVX-512 VNNI layouts, 1: AVX2 layouts
  bool depthwise = false;
  int OC = 0, kh = 0, kw = 0, C = 0;
  int C2 = 0;                    // AVX2 conv: input channel pairs
  std::vector<int16_t> packed2;  // AVX2 conv: [ob of 8][ky][kx][c2][8 oc][2 c] (blockStride in int16)
  int C4 = 0;                    // VNNI conv: input channels / 4 rounded up
  int OB = 0;                    // conv: blocks of 16 (VNNI) / 8 (AVX2) output channels
  size_t blockStride = 0;        // VNNI conv: bytes of one 16-oc block = kh·kw·C4·64
  std::vector<int8_t> packed;    // VNNI conv: [ob][ky][kx][c4][16 oc][4 c]
  std::vector<int32_t> corr;     // VNNI conv: 128·Σw per output channel (OB·16)
  int Cp = 0;                    // AVX2 depthwise: channels rounded to 16
  std::vector<int32_t> dw;       // AVX2 depthwise: [ky][kx][Cp] (int32, value in the low 16 bits)
  int KW4 = 0, G64 = 0;          // VNNI depthwise: groups of 4 taps per kernel row, groups of 64 channels
  std::vector<int8_t> dwq;       // VNNI depthwise: [cg][ky][g][m 0..3][64 bytes], lane-scrambled (see dwExpand)
  std::vector<int32_t> dwcorr;   // VNNI depthwise: [cg][m][16] 128·Σw, same lane order
  std::unique_ptr<dpuflow_amx::Packed> amx;  // AMX-INT8 hook: B tiles when the CPU + kernel allow AMX (else none)
};

// ---- output stage -------------------------------------------------------------------------------
struct Stage {
  int mode, cut, accShift;
  int64_t six, three, leaky;
  int hswShift, fast;
  const int32_t* bias;
};

inline int64_t sr(int64_t v, int s) {
  if (s > 0) return (v + (int64_t(1) << (s - 1))) >> s;
  if (s == 0) return v;
  return int64_t(uint64_t(v) << (-s));  // wraps like the i64 shl of the WASM kernels
}
inline int32_t sat(int64_t v) { return v < -128 ? -128 : v > 127 ? 127 : int32_t(v); }

// the output stage of one int32 accumulator with bias value b (exact, int64)
inline int32_t stage1b(const Stage& st, int32_t acc, int32_t b) {
  const int64_t a = int64_t(acc) * (int64_t(1) << st.accShift) + int64_t(b);
  const int cut = st.cut;
  switch (st.mode) {
    case 0: return sat(sr(a, cut));
    case 1: return a <= 0 ? 0 : sat(sr(a, cut));
    case 2: return a <= 0 ? 0 : sat(sr(a > st.six ? st.six : a, cut));
    case 3: return a >= 0 ? sat(sr(a, cut)) : sat(sr(a * st.leaky, cut + 8));
    default: break;
  }
  int64_t r = a + st.three;
  r = r < 0 ? 0 : r > st.six ? st.six : r;
  if (st.mode == 4) return sat(sr(r * 2731, cut + 14));
  const int64_t h = sat(sr(r * 2731, st.hswShift));
  return sat(sr(a * h, cut + 7));
}
inline int32_t stage1(const Stage& st, int32_t acc, int o) { return stage1b(st, acc, st.bias[o]); }

// The exact stage (stage1) on 8 int64 lanes: every mode, any shift_bias sign, no overflow proof needed.
VNNI_INLINE __m512i sr64(__m512i v, int s) {
  if (s > 0) return _mm512_sra_epi64(_mm512_add_epi64(v, _mm512_set1_epi64(int64_t(1) << (s - 1))), _mm_cvtsi32_si128(s));
  if (s == 0) return v;
  return _mm512_sll_epi64(v, _mm_cvtsi32_si128(-s));
}
VNNI_INLINE __m512i sat64(__m512i v) {
  return _mm512_min_epi64(_mm512_max_epi64(v, _mm512_set1_epi64(-128)), _mm512_set1_epi64(127));
}
VNNI_TARGET inline __m128i stage8x64(const Stage& st, __m512i a) {
  const __m512i z = _mm512_setzero_si512();
  const int cut = st.cut;
  __m512i y;
  switch (st.mode) {
    case 0: y = sat64(sr64(a, cut)); break;
    case 1: y = _mm512_maskz_mov_epi64(_mm512_cmpgt_epi64_mask(a, z), sat64(sr64(a, cut))); break;
    case 2: y = _mm512_maskz_mov_epi64(_mm512_cmpgt_epi64_mask(a, z), sat64(sr64(_mm512_min_epi64(a, _mm512_set1_epi64(st.six)), cut))); break;
    case 3: {
      const __m512i p = sat64(sr64(a, cut));
      const __m512i q = sat64(sr64(_mm512_mullo_epi64(a, _mm512_set1_epi64(st.leaky)), cut + 8));
      y = _mm512_mask_blend_epi64(_mm512_cmplt_epi64_mask(a, z), p, q);
      break;
    }
    default: {
      __m512i r = _mm512_add_epi64(a, _mm512_set1_epi64(st.three));
      r = _mm512_min_epi64(_mm512_max_epi64(r, z), _mm512_set1_epi64(st.six));
      const __m512i r2731 = _mm512_mullo_epi64(r, _mm512_set1_epi64(2731));
      if (st.mode == 4) y = sat64(sr64(r2731, cut + 14));
      else y = sat64(sr64(_mm512_mullo_epi64(a, sat64(sr64(r2731, st.hswShift))), cut + 7));
    }
  }
  return _mm512_cvtepi64_epi8(y);  // already in [-128, 127]
}

// 16 exact int32 sums v with bias lanes b → 16 int8
VNNI_TARGET inline __m128i stage16v(const Stage& st, __m512i v, __m512i b) {
  if (st.fast && st.cut >= 0) {
    v = _mm512_add_epi32(v, b);
    const __m128i cnt = _mm_cvtsi32_si128(st.cut);
    if (st.mode == 3) {
      const __m512i hp = _mm512_set1_epi32(st.cut > 0 ? 1 << (st.cut - 1) : 0);
      const __m512i hn = _mm512_set1_epi32(1 << (st.cut + 7));
      const __m512i p = _mm512_sra_epi32(_mm512_add_epi32(v, hp), cnt);
      const __m512i q = _mm512_sra_epi32(_mm512_add_epi32(_mm512_mullo_epi32(v, _mm512_set1_epi32(int32_t(st.leaky))), hn),
                                         _mm_cvtsi32_si128(st.cut + 8));
      const __mmask16 neg = _mm512_cmplt_epi32_mask(v, _mm512_setzero_si512());
      v = _mm512_mask_blend_epi32(neg, p, q);
    } else {
      if (st.mode != 0) {
        v = _mm512_max_epi32(v, _mm512_setzero_si512());
        if (st.mode == 2) v = _mm512_min_epi32(v, _mm512_set1_epi32(int32_t(st.six)));
      }
      if (st.cut > 0) v = _mm512_sra_epi32(_mm512_add_epi32(v, _mm512_set1_epi32(1 << (st.cut - 1))), cnt);
    }
    return _mm512_cvtsepi32_epi8(v);
  }
  // exact int64 path: a = (acc << accShift) + bias, 8 lanes at a time
  const __m128i sh = _mm_cvtsi32_si128(st.accShift);
  const __m512i lo = _mm512_add_epi64(_mm512_sll_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(v)), sh), _mm512_cvtepi32_epi64(_mm512_castsi512_si256(b)));
  const __m512i hi = _mm512_add_epi64(_mm512_sll_epi64(_mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1)), sh), _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(b, 1)));
  return _mm_unpacklo_epi64(stage8x64(st, lo), stage8x64(st, hi));
}

// 16 exact int32 sums of output channels o..o+15 → n ≤ 16 int8 at out.
VNNI_TARGET inline void stage16(const Stage& st, __m512i v, int o, int8_t* out, int n) {
  const __mmask16 m = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
  _mm_mask_storeu_epi8(out, m, stage16v(st, v, _mm512_maskz_loadu_epi32(m, st.bias + o)));
}

// The fast stage folded into one vector per 16 channels: B = bias − corr (+ 2^(cut−1) for NONE / RELU /
// RELU6: relu(v + h) >> cut == (relu(v) + h) >> cut when h < 2^cut, and the RELU6 bound moves by h).
// kind: 0 NONE, 1 RELU, 2 RELU6, 3 LEAKY (B = bias − corr, the leaky formulas); −1: the exact path.
struct Fold {
  int kind;
  int32_t hi;  // RELU6: six + 2^(cut−1)
};
inline Fold foldOf(const Stage& st) {
  if (!st.fast || st.cut < 0 || st.accShift != 0 || st.mode > 3) return {-1, 0};
  if (st.mode == 2) {
    const int64_t hi = st.six + (st.cut > 0 ? int64_t(1) << (st.cut - 1) : 0);
    if (hi >= (int64_t(1) << 31)) return {-1, 0};
    return {2, int32_t(hi)};
  }
  return {st.mode, 0};
}
VNNI_INLINE __m512i foldBias(const Stage& st, const Fold& f, __m512i bias, __m512i corr) {
  const __m512i b = _mm512_sub_epi32(bias, corr);
  return f.kind <= 2 && st.cut > 0 ? _mm512_add_epi32(b, _mm512_set1_epi32(1 << (st.cut - 1))) : b;
}
// v = acc + B → int32 lanes whose saturation to int8 is the output
VNNI_INLINE __m512i foldStage(const Stage& st, const Fold& f, __m512i v) {
  const __m128i cnt = _mm_cvtsi32_si128(st.cut);
  switch (f.kind) {
    case 0: return _mm512_sra_epi32(v, cnt);
    case 1: return _mm512_sra_epi32(_mm512_max_epi32(v, _mm512_setzero_si512()), cnt);
    case 2: return _mm512_sra_epi32(_mm512_min_epi32(_mm512_max_epi32(v, _mm512_setzero_si512()), _mm512_set1_epi32(f.hi)), cnt);
    default: {
      const __m512i hp = _mm512_set1_epi32(st.cut > 0 ? 1 << (st.cut - 1) : 0);
      const __m512i hn = _mm512_set1_epi32(1 << (st.cut + 7));
      const __m512i p = _mm512_sra_epi32(_mm512_add_epi32(v, hp), cnt);
      const __m512i q = _mm512_sra_epi32(_mm512_add_epi32(_mm512_mullo_epi32(v, _mm512_set1_epi32(int32_t(st.leaky))), hn), _mm_cvtsi32_si128(st.cut + 8));
      return _mm512_mask_blend_epi32(_mm512_cmplt_epi32_mask(v, _mm512_setzero_si512()), p, q);
    }
  }
}
// four int32 vectors r0..r3 → 64 saturated int8: byte 16L + 4b + i = lane L dword i of r_b
VNNI_INLINE __m512i packs4(__m512i r0, __m512i r1, __m512i r2, __m512i r3) {
  return _mm512_packs_epi16(_mm512_packs_epi32(r0, r1), _mm512_packs_epi32(r2, r3));
}
inline __mmask64 mask64(int n) { return n >= 64 ? ~__mmask64(0) : ((__mmask64(1) << n) - 1); }

// dst[i] = src[i] ^ 0x80 (int8 x → u8 x + 128)
VNNI_TARGET void xor80(uint8_t* dst, const uint8_t* src, size_t n) {
  const __m512i k = _mm512_set1_epi8(char(0x80));
  size_t i = 0;
  for (; i + 64 <= n; i += 64) _mm512_storeu_si512(dst + i, _mm512_xor_si512(_mm512_loadu_si512(src + i), k));
  if (i < n) {
    const __mmask64 m = (n - i) >= 64 ? ~__mmask64(0) : ((__mmask64(1) << (n - i)) - 1);
    _mm512_mask_storeu_epi8(dst + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + i), k));
  }
}

// ---- conv (VNNI) --------------------------------------------------------------------------------
struct ConvGeo {
  const uint8_t* xp;  // u8 input: the padded copy Hp×Wp×(C4·4), or (GATHER) the int8 tensor itself (1×1, no padding)
  int Wp, Cs;         // pixels per row, bytes per pixel (GATHER: the int8 tensor's W and C)
  uint8_t* tbuf;      // GATHER: this thread's tile buffer, P pixels × Cs4 u8 (x + 128, channels past C 128)
  int Cs4;            // GATHER: C4·4
  int sh, sw, dh, dw;
  int8_t* out;
  int OH, OW;
};

// P output pixels pix0 .. pix0+P-1 (flattened oy·OW + ox, so a tile may span rows) × NB blocks of
// 16 output channels starting at block ob. GATHER (1×1, no padding): the P input pixels are read from
// the int8 tensor, offset (x ^ 0x80) into the thread's tile buffer first — no padded-copy task.
template <int NB, int P, int GATHER>
VNNI_TARGET void convTile(const ConvWeights& W, const ConvGeo& g, const Stage& st, int pix0, int ob) {
  __m512i acc[P][NB];
  const uint8_t* xb[P];
  for (int p = 0; p < P; p++) {
    const int oy = (pix0 + p) / g.OW, ox = (pix0 + p) % g.OW;
    xb[p] = g.xp + (size_t(oy) * g.sh * g.Wp + size_t(ox) * g.sw) * g.Cs;
    if constexpr (GATHER == 2) xb[p] = g.tbuf + size_t(p) * g.Cs4;  // gathered by the tile's first group
    if constexpr (GATHER == 1) {
      const __m512i k80 = _mm512_set1_epi8(char(0x80));
      uint8_t* d = g.tbuf + size_t(p) * g.Cs4;
      for (int c = 0; c < g.Cs4; c += 64) {
        const __mmask64 lm = mask64(g.Cs - c), sm = mask64(g.Cs4 - c);
        _mm512_mask_storeu_epi8(d + c, sm, _mm512_xor_si512(_mm512_maskz_loadu_epi8(lm, xb[p] + c), k80));
      }
      xb[p] = d;
    }
    for (int b = 0; b < NB; b++) acc[p][b] = _mm512_setzero_si512();
  }
  const int C4 = W.C4;
  const int8_t* wb = W.packed.data() + size_t(ob) * W.blockStride;
  const size_t bs = W.blockStride;
  // dilation 1 in x: the kw taps of a kernel row are one contiguous run of kw·C4 groups of 4 bytes
  const int runs = g.dw == 1 ? 1 : W.kw;
  const int runLen = g.dw == 1 ? W.kw * C4 : C4;
  for (int ky = 0; ky < W.kh; ky++) {
    for (int r = 0; r < runs; r++) {
      const size_t off = (size_t(ky) * g.dh * g.Wp + size_t(r) * g.dw) * g.Cs;
      const int8_t* w = wb + (size_t(ky) * W.kw + r) * C4 * 64;
      for (int j = 0; j < runLen; j++) {
        __m512i wv[NB];
        for (int b = 0; b < NB; b++) wv[b] = _mm512_loadu_si512(w + b * bs + size_t(j) * 64);
        for (int p = 0; p < P; p++) {
          uint32_t xv;
          std::memcpy(&xv, xb[p] + off + size_t(j) * 4, 4);
          const __m512i xbc = _mm512_set1_epi32(int32_t(xv));
          for (int b = 0; b < NB; b++) acc[p][b] = _mm512_dpbusd_epi32(acc[p][b], xbc, wv[b]);
        }
      }
    }
  }
  const int OC = W.OC;
  const Fold f = foldOf(st);
  if (f.kind < 0) {
    for (int b = 0; b < NB; b++) {
      const int o = (ob + b) * 16;
      const __m512i corr = _mm512_loadu_si512(W.corr.data() + o);
      const int n = std::min(16, OC - o);
      for (int p = 0; p < P; p++) stage16(st, _mm512_sub_epi32(acc[p][b], corr), o, g.out + size_t(pix0 + p) * OC + o, n);
    }
    return;
  }
  __m512i B[NB];
  for (int b = 0; b < NB; b++) {
    const int o = (ob + b) * 16;
    const int n = std::min(16, OC - o);
    const __mmask16 m = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
    B[b] = foldBias(st, f, _mm512_maskz_loadu_epi32(m, st.bias + o), _mm512_loadu_si512(W.corr.data() + o));
  }
  if constexpr (NB == 4) {
    // 64 channels per pixel: two packs and one dword permute (packs interleave the 128-bit lanes)
    const __m512i perm = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __mmask64 m = mask64(OC - ob * 16);
    for (int p = 0; p < P; p++) {
      const __m512i z = packs4(foldStage(st, f, _mm512_add_epi32(acc[p][0], B[0])), foldStage(st, f, _mm512_add_epi32(acc[p][1], B[1])),
                               foldStage(st, f, _mm512_add_epi32(acc[p][2], B[2])), foldStage(st, f, _mm512_add_epi32(acc[p][3], B[3])));
      _mm512_mask_storeu_epi8(g.out + size_t(pix0 + p) * OC + ob * 16, m, _mm512_permutexvar_epi32(perm, z));
    }
  } else {
    for (int b = 0; b < NB; b++) {
      const int o = (ob + b) * 16;
      const int n = std::min(16, OC - o);
      const __mmask16 m = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
      for (int p = 0; p < P; p++)
        _mm_mask_storeu_epi8(g.out + size_t(pix0 + p) * OC + o, m, _mm512_cvtsepi32_epi8(foldStage(st, f, _mm512_add_epi32(acc[p][b], B[b]))));
    }
  }
}

template <int NB> constexpr int tileP() { return NB >= 4 ? 6 : NB == 3 ? 8 : NB == 2 ? 12 : 16; }

template <int NB, int R, int GATHER>
VNNI_TARGET void convTail(const ConvWeights& W, const ConvGeo& g, const Stage& st, int pix0, int ob, int r) {
  if constexpr (R > 0) {
    if (r == R) convTile<NB, R, GATHER>(W, g, st, pix0, ob);
    else convTail<NB, R - 1, GATHER>(W, g, st, pix0, ob, r);
  }
}

// tiles [t0, t1) of the group of NB blocks at ob
template <int NB, int GATHER>
VNNI_TARGET void convTiles(const ConvWeights& W, const ConvGeo& g, const Stage& st, int ob, int t0, int t1) {
  constexpr int P = tileP<NB>();
  const int npix = g.OH * g.OW;
  for (int t = t0; t < t1; t++) {
    const int pix0 = t * P;
    if (pix0 + P <= npix) convTile<NB, P, GATHER>(W, g, st, pix0, ob);
    else convTail<NB, P - 1, GATHER>(W, g, st, pix0, ob, npix - pix0);
  }
}

template <int GATHER>
VNNI_TARGET void convGroupTiles(const ConvWeights& W, const ConvGeo& g, const Stage& st, int nb, int ob, int t0, int t1) {
  switch (nb) {
    case 4: convTiles<4, GATHER>(W, g, st, ob, t0, t1); break;
    case 3: convTiles<3, GATHER>(W, g, st, ob, t0, t1); break;
    case 2: convTiles<2, GATHER>(W, g, st, ob, t0, t1); break;
    default: convTiles<1, GATHER>(W, g, st, ob, t0, t1); break;
  }
}

// ---- depthwise (VNNI) ----------------------------------------------------------------------------
// One expanded row of the padded input for the 64 channels c0.. of a group: for every output column
// ox and group g of 4 taps, 4 zmm E_m (m = 0..3); lane L (128 bits) dword i of E_m holds channel
// 16L + 4m + i, its 4 bytes the u8 inputs (x + 128) of taps 4g..4g+3 (padding and taps ≥ kw: 128).
// That order is what two rounds of in-lane unpacks give; the weights use the same order and the
// output is put back in channel order with one vpermd per 64 channels.
struct DwGeo {
  const int8_t* x;  // int8 input H×W×C (the arena tensor)
  int H, W, C, pt, pl, sh, sw, dh, dw, kh, kw, OH, OW;
  int8_t* out;
};

// columns of the padded input the expansion reads (taps ≥ kw included, their weights are 0)
inline int dwRowCols(int OW, int sw, int dw, int KW4) { return (OW - 1) * sw + (4 * KW4 - 1) * dw + 1; }

// expands input row y (unpadded coordinates, may be outside) into dst [OW][KW4][4][64]; rowbuf
// (dwRowCols × 64 bytes, 64-aligned) receives the row's 64 channels as u8 with the padding first
VNNI_TARGET void dwExpand(const DwGeo& g, int KW4, int y, int c0, uint8_t* dst, uint8_t* rowbuf) {
  const int nc = std::min(64, g.C - c0);
  const __mmask64 cm = mask64(nc);
  const __m512i k80 = _mm512_set1_epi8(char(0x80));
  const int cols = dwRowCols(g.OW, g.sw, g.dw, KW4);
  if (y < 0 || y >= g.H) {
    for (int xp = 0; xp < cols; xp++) _mm512_store_si512(rowbuf + size_t(xp) * 64, k80);
  } else {
    const int8_t* src = g.x + size_t(y) * g.W * g.C + c0;
    const int x0 = std::min(cols, g.pl), x1 = std::min(cols, g.pl + g.W);
    int xp = 0;
    for (; xp < x0; xp++) _mm512_store_si512(rowbuf + size_t(xp) * 64, k80);
    for (; xp < x1; xp++) _mm512_store_si512(rowbuf + size_t(xp) * 64, _mm512_xor_si512(_mm512_maskz_loadu_epi8(cm, src + size_t(xp - g.pl) * g.C), k80));
    for (; xp < cols; xp++) _mm512_store_si512(rowbuf + size_t(xp) * 64, k80);
  }
  const size_t tstep = size_t(g.dw) * 64, ostep = size_t(g.sw) * 64;
  for (int gq = 0; gq < KW4; gq++) {
    const uint8_t* r = rowbuf + size_t(gq) * 4 * tstep;
    uint8_t* e = dst + size_t(gq) * 256;
    for (int ox = 0; ox < g.OW; ox++, r += ostep, e += size_t(KW4) * 256) {
      const __m512i s0 = _mm512_load_si512(r), s1 = _mm512_load_si512(r + tstep);
      const __m512i s2 = _mm512_load_si512(r + 2 * tstep), s3 = _mm512_load_si512(r + 3 * tstep);
      const __m512i a = _mm512_unpacklo_epi8(s0, s1), b = _mm512_unpackhi_epi8(s0, s1);
      const __m512i c = _mm512_unpacklo_epi8(s2, s3), d = _mm512_unpackhi_epi8(s2, s3);
      _mm512_store_si512(e, _mm512_unpacklo_epi16(a, c));
      _mm512_store_si512(e + 64, _mm512_unpackhi_epi16(a, c));
      _mm512_store_si512(e + 128, _mm512_unpacklo_epi16(b, d));
      _mm512_store_si512(e + 192, _mm512_unpackhi_epi16(b, d));
    }
  }
}

// channel (within the group of 64) held by lane position q (0..63) of E_m: m = q / 16, L = (q % 16) / 4, i = q % 4
inline int dwLaneChannel(int m, int q16) { return 16 * (q16 / 4) + 4 * m + (q16 % 4); }

// 64 channels of one output pixel from the 4 accumulators (lane order of E_m)
VNNI_INLINE void dwEmit(const Stage& st, const Fold& f, const __m512i* acc, const __m512i* B, const __m512i* corr, int8_t* o, __mmask64 om) {
  if (f.kind >= 0) {
    // the packs undo the lane order of E_m: 64 channels in order
    const __m512i z = packs4(foldStage(st, f, _mm512_add_epi32(acc[0], B[0])), foldStage(st, f, _mm512_add_epi32(acc[1], B[1])),
                             foldStage(st, f, _mm512_add_epi32(acc[2], B[2])), foldStage(st, f, _mm512_add_epi32(acc[3], B[3])));
    _mm512_mask_storeu_epi8(o, om, z);
    return;
  }
  const __m512i perm = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  __m512i z = _mm512_castsi128_si512(stage16v(st, _mm512_sub_epi32(acc[0], corr[0]), B[0]));
  z = _mm512_inserti32x4(z, stage16v(st, _mm512_sub_epi32(acc[1], corr[1]), B[1]), 1);
  z = _mm512_inserti32x4(z, stage16v(st, _mm512_sub_epi32(acc[2], corr[2]), B[2]), 2);
  z = _mm512_inserti32x4(z, stage16v(st, _mm512_sub_epi32(acc[3], corr[3]), B[3]), 3);
  _mm512_mask_storeu_epi8(o, om, _mm512_permutexvar_epi32(perm, z));
}

// output row oy of channel group cg; rows[ky] = expanded row oy·sh + ky·dh. B[m]: the folded bias
// (f.kind ≥ 0) or the bias (exact path), in the lane order of E_m; corr[m] likewise.
template <int KH, int KW4>
VNNI_TARGET void dwRowV(const ConvWeights& W, const DwGeo& g, const Stage& st, const Fold& f, int cg, const uint8_t* const* rows,
                        const __m512i* B, const __m512i* corr, int8_t* orow) {
  const int kh = KH ? KH : W.kh, kw4 = KW4 ? KW4 : W.KW4;
  const int8_t* wq = W.dwq.data() + size_t(cg) * W.kh * W.KW4 * 256;
  const int c0 = cg * 64, nc = std::min(64, g.C - c0);
  const __mmask64 om = mask64(nc);
  const size_t es = size_t(kw4) * 256;  // bytes per output column in an expanded row
  constexpr int NW = KH && KW4 ? KH * KW4 * 4 : 1;
  __m512i wr[NW];
  if constexpr (KH && KW4)
    for (int i = 0; i < NW; i++) wr[i] = _mm512_loadu_si512(wq + i * 64);
#define DW_WV(i) (KH && KW4 ? wr[(KH && KW4) ? (i) : 0] : _mm512_loadu_si512(wq + size_t(i) * 64))
  int ox = 0;
  for (; ox + 2 <= g.OW; ox += 2) {
    __m512i a0[4], a1[4];
    for (int m = 0; m < 4; m++) a0[m] = a1[m] = _mm512_setzero_si512();
    for (int ky = 0; ky < kh; ky++) {
      const uint8_t* e = rows[ky] + size_t(ox) * es;
      for (int gq = 0; gq < kw4; gq++)
        for (int m = 0; m < 4; m++) {
          const __m512i w = DW_WV((ky * kw4 + gq) * 4 + m);
          a0[m] = _mm512_dpbusd_epi32(a0[m], _mm512_loadu_si512(e + gq * 256 + m * 64), w);
          a1[m] = _mm512_dpbusd_epi32(a1[m], _mm512_loadu_si512(e + es + gq * 256 + m * 64), w);
        }
    }
    dwEmit(st, f, a0, B, corr, orow + size_t(ox) * g.C + c0, om);
    dwEmit(st, f, a1, B, corr, orow + size_t(ox + 1) * g.C + c0, om);
  }
  for (; ox < g.OW; ox++) {
    __m512i a0[4];
    for (int m = 0; m < 4; m++) a0[m] = _mm512_setzero_si512();
    for (int ky = 0; ky < kh; ky++) {
      const uint8_t* e = rows[ky] + size_t(ox) * es;
      for (int gq = 0; gq < kw4; gq++)
        for (int m = 0; m < 4; m++) a0[m] = _mm512_dpbusd_epi32(a0[m], _mm512_loadu_si512(e + gq * 256 + m * 64), DW_WV((ky * kw4 + gq) * 4 + m));
    }
    dwEmit(st, f, a0, B, corr, orow + size_t(ox) * g.C + c0, om);
  }
}
#undef DW_WV

VNNI_TARGET void dwRowAny(const ConvWeights& W, const DwGeo& g, const Stage& st, const Fold& f, int cg, const uint8_t* const* rows,
                          const __m512i* B, const __m512i* corr, int8_t* orow) {
  if (W.kh == 3 && W.KW4 == 1) dwRowV<3, 1>(W, g, st, f, cg, rows, B, corr, orow);
  else dwRowV<0, 0>(W, g, st, f, cg, rows, B, corr, orow);
}

// ---- AVX2 fallback (no VNNI): int16 inputs, vpmaddwd (x_c·w_c + x_c+1·w_c+1 exact in int32) --------
AVX2_TARGET inline void stage8(const Stage& st, __m256i v, int o, int8_t* out, int n) {
  if (st.fast && st.cut >= 0) {
    alignas(32) int32_t b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < n; i++) b[i] = st.bias[o + i];
    v = _mm256_add_epi32(v, _mm256_load_si256(reinterpret_cast<const __m256i*>(b)));
    const __m128i cnt = _mm_cvtsi32_si128(st.cut);
    if (st.mode == 3) {
      const __m256i p = _mm256_sra_epi32(_mm256_add_epi32(v, _mm256_set1_epi32(st.cut > 0 ? 1 << (st.cut - 1) : 0)), cnt);
      const __m256i q = _mm256_sra_epi32(_mm256_add_epi32(_mm256_mullo_epi32(v, _mm256_set1_epi32(int32_t(st.leaky))), _mm256_set1_epi32(1 << (st.cut + 7))),
                                         _mm_cvtsi32_si128(st.cut + 8));
      v = _mm256_blendv_epi8(p, q, _mm256_cmpgt_epi32(_mm256_setzero_si256(), v));
    } else {
      if (st.mode != 0) {
        v = _mm256_max_epi32(v, _mm256_setzero_si256());
        if (st.mode == 2) v = _mm256_min_epi32(v, _mm256_set1_epi32(int32_t(st.six)));
      }
      if (st.cut > 0) v = _mm256_sra_epi32(_mm256_add_epi32(v, _mm256_set1_epi32(1 << (st.cut - 1))), cnt);
    }
    // saturating narrows (per 128-bit lane), then bytes 0..3 of each lane
    const __m256i w16 = _mm256_packs_epi32(v, v);
    const __m256i w8 = _mm256_packs_epi16(w16, w16);
    const __m256i g = _mm256_permutevar8x32_epi32(w8, _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0));
    const int64_t lo = _mm256_extract_epi64(g, 0);
    std::memcpy(out, &lo, size_t(n));
    return;
  }
  alignas(32) int32_t a[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(a), v);
  for (int i = 0; i < n; i++) out[i] = int8_t(stage1(st, a[i], o + i));
}

struct ConvGeo2 {
  const int16_t* xp;  // padded int16 input Hp×Wp×(C2·2)
  int Wp, Cs;         // Cs = C2·2 (int16 per pixel)
  int sh, sw, dh, dw;
  int8_t* out;
  int OH, OW;
};

template <int NB, int P>
AVX2_TARGET void convTile2(const ConvWeights& W, const ConvGeo2& g, const Stage& st, int pix0, int ob) {
  __m256i acc[P][NB];
  const int16_t* xb[P];
  for (int p = 0; p < P; p++) {
    const int oy = (pix0 + p) / g.OW, ox = (pix0 + p) % g.OW;
    xb[p] = g.xp + (size_t(oy) * g.sh * g.Wp + size_t(ox) * g.sw) * g.Cs;
    for (int b = 0; b < NB; b++) acc[p][b] = _mm256_setzero_si256();
  }
  const int C2 = W.C2;
  const int16_t* wb = W.packed2.data() + size_t(ob) * W.blockStride;
  const size_t bs = W.blockStride;
  const int runs = g.dw == 1 ? 1 : W.kw;
  const int runLen = g.dw == 1 ? W.kw * C2 : C2;
  for (int ky = 0; ky < W.kh; ky++) {
    for (int r = 0; r < runs; r++) {
      const size_t off = (size_t(ky) * g.dh * g.Wp + size_t(r) * g.dw) * g.Cs;
      const int16_t* w = wb + (size_t(ky) * W.kw + r) * C2 * 16;
      for (int j = 0; j < runLen; j++) {
        __m256i wv[NB];
        for (int b = 0; b < NB; b++) wv[b] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + b * bs + size_t(j) * 16));
        for (int p = 0; p < P; p++) {
          int32_t xv;
          std::memcpy(&xv, xb[p] + off + size_t(j) * 2, 4);
          const __m256i xbc = _mm256_set1_epi32(xv);
          for (int b = 0; b < NB; b++) acc[p][b] = _mm256_add_epi32(acc[p][b], _mm256_madd_epi16(xbc, wv[b]));
        }
      }
    }
  }
  for (int b = 0; b < NB; b++) {
    const int o = (ob + b) * 8;
    const int n = std::min(8, W.OC - o);
    for (int p = 0; p < P; p++) stage8(st, acc[p][b], o, g.out + size_t(pix0 + p) * W.OC + o, n);
  }
}

template <int NB, int R>
AVX2_TARGET void convTail2(const ConvWeights& W, const ConvGeo2& g, const Stage& st, int pix0, int ob, int r) {
  if constexpr (R > 0) {
    if (r == R) convTile2<NB, R>(W, g, st, pix0, ob);
    else convTail2<NB, R - 1>(W, g, st, pix0, ob, r);
  }
}

template <int NB>
AVX2_TARGET void convTiles2(const ConvWeights& W, const ConvGeo2& g, const Stage& st, int ob, int t0, int t1) {
  constexpr int P = NB == 2 ? 6 : 12;
  const int npix = g.OH * g.OW;
  for (int t = t0; t < t1; t++) {
    const int pix0 = t * P;
    if (pix0 + P <= npix) convTile2<NB, P>(W, g, st, pix0, ob);
    else convTail2<NB, P - 1>(W, g, st, pix0, ob, npix - pix0);
  }
}

AVX2_TARGET void widen16(int16_t* d, const int8_t* s, int n) {
  for (int i = 0; i < n; i++) d[i] = s[i];
}

struct DwGeo2 {
  const int8_t* xp;  // padded int8 input Hp×Wp×Cp (zero padding)
  int Wp, Cp;
  int sh, sw, dh, dw;
  int8_t* out;
  int OH, OW;
};

AVX2_TARGET void dwRow2(const ConvWeights& W, const DwGeo2& g, const Stage& st, int oy) {
  const int C = W.C, Cp = g.Cp;
  for (int c = 0; c < C; c += 8) {
    const int n = std::min(8, C - c);
    for (int ox = 0; ox < g.OW; ox++) {
      __m256i acc = _mm256_setzero_si256();
      int t = 0;
      for (int ky = 0; ky < W.kh; ky++) {
        const int8_t* row = g.xp + (size_t(oy * g.sh + ky * g.dh) * g.Wp + size_t(ox) * g.sw) * Cp + c;
        for (int kx = 0; kx < W.kw; kx++, t++) {
          const __m256i x = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row + size_t(kx) * g.dw * Cp)));
          const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(W.dw.data() + size_t(t) * Cp + c));
          acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, w));
        }
      }
      stage8(st, acc, c, g.out + (size_t(oy) * g.OW + ox) * C + c, n);
    }
  }
}


// ---- element-wise, pooling, concat: the WASM kernels' arithmetic (assembly/kernels.ts) -------------
// Scalar versions are the exact reference (AVX2 level and tails); the AVX-512 ones compute the same
// values in int32 lanes (the executor keeps every intermediate below 2^30, as for the WASM kernels).
// o2 (optional): a relu with shift 0 of the add's output, fused into the same pass (relu(q) = max(q, 0))
inline void addS(const int8_t* a, const int8_t* b, int8_t* o, int64_t i0, int64_t i1, int sa, int sb, int sub, int cut, int relu, int8_t* o2 = nullptr) {
  for (int64_t i = i0; i < i1; i++) {
    const int64_t x = int64_t(a[i]) * (int64_t(1) << sa), y = int64_t(b[i]) * (int64_t(1) << sb);
    int64_t s = sub ? x - y : x + y;
    if (relu && s <= 0) s = 0;
    o[i] = int8_t(sat(sr(s, cut)));
    if (o2) o2[i] = o[i] > 0 ? o[i] : 0;
  }
}
VNNI_TARGET void addV(const int8_t* a, const int8_t* b, int8_t* o, int64_t i0, int64_t i1, int sa, int sb, int sub, int cut, int relu, int8_t* o2 = nullptr) {
  const __m128i csa = _mm_cvtsi32_si128(sa), csb = _mm_cvtsi32_si128(sb), cc = _mm_cvtsi32_si128(cut);
  const __m512i half = _mm512_set1_epi32(cut > 0 ? 1 << (cut - 1) : 0), z = _mm512_setzero_si512();
  int64_t i = i0;
  for (; i + 16 <= i1; i += 16) {
    const __m512i x = _mm512_sll_epi32(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i))), csa);
    const __m512i y = _mm512_sll_epi32(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i))), csb);
    __m512i s = sub ? _mm512_sub_epi32(x, y) : _mm512_add_epi32(x, y);
    if (relu) s = _mm512_max_epi32(s, z);
    s = _mm512_sra_epi32(_mm512_add_epi32(s, half), cc);
    const __m128i q = _mm512_cvtsepi32_epi8(s);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + i), q);
    if (o2) _mm_storeu_si128(reinterpret_cast<__m128i*>(o2 + i), _mm_max_epi8(q, _mm_setzero_si128()));
  }
  addS(a, b, o, i, i1, sa, sb, sub, cut, relu, o2);
}
inline void mulS(const int8_t* a, const int8_t* b, int8_t* o, int64_t i0, int64_t i1, int cut, int relu) {
  for (int64_t i = i0; i < i1; i++) {
    int64_t s = int64_t(a[i]) * int64_t(b[i]);
    if (relu && s <= 0) s = 0;
    o[i] = int8_t(sat(sr(s, cut)));
  }
}
VNNI_TARGET void mulV(const int8_t* a, const int8_t* b, int8_t* o, int64_t i0, int64_t i1, int cut, int relu) {
  const __m128i cc = _mm_cvtsi32_si128(cut);
  const __m512i half = _mm512_set1_epi32(cut > 0 ? 1 << (cut - 1) : 0), z = _mm512_setzero_si512();
  int64_t i = i0;
  for (; i + 16 <= i1; i += 16) {
    const __m512i x = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m512i y = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    __m512i s = _mm512_mullo_epi32(x, y);
    if (relu) s = _mm512_max_epi32(s, z);
    s = _mm512_sra_epi32(_mm512_add_epi32(s, half), cc);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(o + i), _mm512_cvtsepi32_epi8(s));
  }
  mulS(a, b, o, i, i1, cut, relu);
}
inline void reluS(const int8_t* x, int8_t* o, int64_t i0, int64_t i1, int s) {
  for (int64_t i = i0; i < i1; i++) {
    const int64_t q = x[i];
    o[i] = int8_t(q <= 0 ? 0 : sat(sr(q, s)));
  }
}
VNNI_TARGET void reluV(const int8_t* x, int8_t* o, int64_t i0, int64_t i1, int s) {
  int64_t i = i0;
  if (s == 0) {
    const __m512i z = _mm512_setzero_si512();
    for (; i + 64 <= i1; i += 64) _mm512_storeu_si512(o + i, _mm512_max_epi8(_mm512_loadu_si512(x + i), z));
  }
  reluS(x, o, i, i1, s);
}

struct PoolGeo {
  const int8_t* x;
  int H, W, C, kh, kw, sh, sw, pt, pl, OW;
  int8_t* out;
};
// output row oy, channels [c0, c1): max over the valid taps (init −128), re-quantized by s
inline void maxpoolS(const PoolGeo& g, int oy, int c0, int c1, int s) {
  const int y0 = std::max(0, oy * g.sh - g.pt), y1 = std::min(g.H, oy * g.sh - g.pt + g.kh);
  for (int ox = 0; ox < g.OW; ox++) {
    const int x0 = std::max(0, ox * g.sw - g.pl), x1 = std::min(g.W, ox * g.sw - g.pl + g.kw);
    int8_t* op = g.out + (size_t(oy) * g.OW + ox) * g.C;
    for (int c = c0; c < c1; c++) {
      int m = -128;
      for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) m = std::max(m, int(g.x[(size_t(iy) * g.W + ix) * g.C + c]));
      op[c] = int8_t(sat(sr(m, s)));
    }
  }
}
VNNI_TARGET void maxpoolV(const PoolGeo& g, int oy, int c0, int c1, int s) {
  const int y0 = std::max(0, oy * g.sh - g.pt), y1 = std::min(g.H, oy * g.sh - g.pt + g.kh);
  const int nc = c1 - c0;
  const __mmask64 cm = nc >= 64 ? ~__mmask64(0) : ((__mmask64(1) << nc) - 1);
  for (int ox = 0; ox < g.OW; ox++) {
    const int x0 = std::max(0, ox * g.sw - g.pl), x1 = std::min(g.W, ox * g.sw - g.pl + g.kw);
    int8_t* op = g.out + (size_t(oy) * g.OW + ox) * g.C + c0;
    __m512i m = _mm512_set1_epi8(-128);
    for (int iy = y0; iy < y1; iy++)
      for (int ix = x0; ix < x1; ix++) m = _mm512_max_epi8(m, _mm512_maskz_loadu_epi8(cm, g.x + (size_t(iy) * g.W + ix) * g.C + c0));
    _mm512_mask_storeu_epi8(op, cm, m);
    if (s != 0)
      for (int c = 0; c < nc; c++) op[c] = int8_t(sat(sr(op[c], s)));
  }
}
// window sum over the valid taps (padding counts 0), y = sat(DPU_ROUND(S·mult / 2^shift))
inline void avgpoolS(const PoolGeo& g, int oy, int c0, int c1, int64_t mult, int shift) {
  const int y0 = std::max(0, oy * g.sh - g.pt), y1 = std::min(g.H, oy * g.sh - g.pt + g.kh);
  for (int ox = 0; ox < g.OW; ox++) {
    const int x0 = std::max(0, ox * g.sw - g.pl), x1 = std::min(g.W, ox * g.sw - g.pl + g.kw);
    int8_t* op = g.out + (size_t(oy) * g.OW + ox) * g.C;
    for (int c = c0; c < c1; c++) {
      int32_t s = 0;
      for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) s += g.x[(size_t(iy) * g.W + ix) * g.C + c];
      op[c] = int8_t(sat(sr(int64_t(s) * mult, shift)));
    }
  }
}
VNNI_TARGET void avgpoolV(const PoolGeo& g, int oy, int c0, int c1, int64_t mult, int shift) {
  const int y0 = std::max(0, oy * g.sh - g.pt), y1 = std::min(g.H, oy * g.sh - g.pt + g.kh);
  const __m512i mm = _mm512_set1_epi64(mult);
  for (int ox = 0; ox < g.OW; ox++) {
    const int x0 = std::max(0, ox * g.sw - g.pl), x1 = std::min(g.W, ox * g.sw - g.pl + g.kw);
    int8_t* op = g.out + (size_t(oy) * g.OW + ox) * g.C;
    for (int c = c0; c < c1; c += 16) {
      const int nc = std::min(16, c1 - c);
      const __mmask16 m = nc >= 16 ? __mmask16(0xffff) : __mmask16((1u << nc) - 1);
      __m512i s = _mm512_setzero_si512();
      for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++)
          s = _mm512_add_epi32(s, _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, g.x + (size_t(iy) * g.W + ix) * g.C + c)));
      const __m512i lo = sat64(sr64(_mm512_mullo_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(s)), mm), shift));
      const __m512i hi = sat64(sr64(_mm512_mullo_epi64(_mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(s, 1)), mm), shift));
      _mm_mask_storeu_epi8(op + c, m, _mm_unpacklo_epi64(_mm512_cvtepi64_epi8(lo), _mm512_cvtepi64_epi8(hi)));
    }
  }
}

struct Part {
  size_t src;
  int width, shift;
};

// ---- tasks -----------------------------------------------------------------------------------------
enum Kind {
  K_PAD_U8 = 1, K_CONV_VNNI, K_PAD_I16, K_CONV_AVX2, K_DW_VNNI, K_PAD_DW, K_DW_AVX2,
  K_ADD, K_MUL, K_RELU, K_MAXPOOL, K_AVGPOOL, K_CONCAT, K_QUANT, K_DEQUANT, K_RESIZE,
  K_DW_PROJ,  // a VNNI depthwise with the 1×1 projection that reads it (and the residual add after it) fused in
  K_CONV_AMX,  // AMX-INT8 hook: conv through native/amx_conv.cc (units: its position tiles × channel groups)
};

struct Task {
  int kind = 0, isa = 2;
  int units = 1, chunks = 1;  // chunks: the finest split (1 = the task runs whole on the caller thread)
  int slots = 1, minSlots = 1;  // claims are counted in slots (≤ 65535, each a run of units); smallest claim
  std::shared_ptr<ConvWeights> W;
  size_t x = 0, y = 0, out = 0, bias = 0;  // byte offsets in the memory (y: eltwise b)
  size_t reluOut = SIZE_MAX;                 // K_ADD: a following relu (shift 0) of its output, fused in
  int H = 0, Wd = 0, C = 0, OH = 0, OW = 0, OC = 0, sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0, pb = 0, pr = 0, Hp = 0, Wp = 0, kh = 1, kw = 1;
  Stage st{};  // st.bias is set per run
  bool pixelMajor = false;  // VNNI conv units: pixel tiles × all groups (else group-major: group × tiles)
  int amxPrefetch = 0;  // AMX conv: weight blocks prefetched ahead (Context::amxPrefetch when the task was built)
  bool amxTileMajor = false;  // AMX conv: tile-major units even when the weights are bigger than the input (ctx.amxTileMajorMax)
  bool direct = false;  // VNNI conv gathers its tiles' pixels from the int8 input (1×1, no padding): no padded copy
  int Cs = 0;           // bytes (int16 for AVX2) per pixel of the padded copy
  int tilesFull = 0, fullGroups = 0, lastNb = 0, lastTiles = 0, groupBlocks = 4;
  int64_t i0 = 0, i1 = 0;
  int sa = 0, sb = 0, sub = 0, cut = 0, relu = 0, shift = 0;
  int64_t mult = 0;
  std::vector<Part> parts;
  int total = 0;
  std::vector<int32_t> ys, xs;  // K_RESIZE: source row / column of every output row / column
  const float* fsrc = nullptr;  // K_QUANT: the float feed; K_DEQUANT: fdst the float output
  float* fdst = nullptr;
  double scale = 1;
  size_t maxEnd = 0;  // one past the last byte read or written
  // K_DW_PROJ (units = output rows): the depthwise (this task's fields) of a band of rows, then the 1×1
  // stride-1 projection `proj` (a K_CONV_VNNI, direct) of the same rows, then the residual add `radd` (a
  // K_ADD over the projection's whole output, or none) of the same pixels — one task, no barrier between
  std::unique_ptr<Task> proj, radd;
  // DPUFLOW_NATIVE_PROFILE=1 or 2: per task wall ns (caller thread, task start to all chunks done), runs, and per
  // thread (tid < 4, each slot written by its own thread only, a cache line each: the four threads' counters on
  // one line moved it between the cores at every claim) busy ns, chunks run and CPU ns inside the kernel
  // (=1: CLOCK_THREAD_CPUTIME_ID, no preemption counted, but a system call before and after every claim, ~0.33 µs
  // each on this VM, which 2 threads pay ~7× as often as 1 (claims); =2: the busy ns, no system call)
  struct alignas(64) ProfSlot {
    double busy = 0, chunks = 0, cpu = 0;
  };
  double profWall = 0;
  double profRuns = 0;
  ProfSlot profT[4];
  alignas(64) std::atomic<uint64_t> next{0};
  alignas(64) std::atomic<uint64_t> done{0};
};

struct Snap {
  uint32_t g;
  Task* const* tasks;
  int from, to;
  uint8_t* mem;
};

class Context {
 public:
  Context(int threads, int spinUs, double chunkNs, int prof, int solo = 0)
      : n(threads < 1 ? 1 : threads), chunkNs(chunkNs), prof(prof == 1 || prof == 2), profCpuClock(prof == 1), solo(solo), spinUs_(spinUs) {
    ring_.resize(size_t(n));
    tags_.resize(size_t(n));
    tile_.resize(size_t(n));
    for (int i = 0; i < n; i++) busy_.emplace_back(new std::mutex());
    if (!solo)
      for (int i = 1; i < n; i++) workers_.emplace_back([this, i] { loop(i); });
  }
  ~Context() {
    stop_.store(true);
    gen_.fetch_add(1);
    {
      std::lock_guard<std::mutex> g(m_);
      cv_.notify_all();
    }
    for (auto& t : workers_) t.join();
  }
  const int n;
  const double chunkNs;  // target work per chunk (rough ns), DPUFLOW_NATIVE_CHUNK_NS
  const bool prof;       // per-task timing (DPUFLOW_NATIVE_PROFILE=1 or 2 when the context was created)
  const bool profCpuClock;  // =1: the thread CPU clock around every claim (=2: the steady clock only)
  // DPUFLOW_NATIVE_SOLO (a diagnostic, for comparisons): the n-thread program and claims, every claim on the calling
  // thread, no workers. 1: the claims of two threads in turn (front, back, front, … with thread 0's and thread 1's
  // row ring, as work() at 2 threads would cut them); 2: the front claims only (same sizes, in order); 3: each task
  // in one claim. Separates the cost of cutting a task into claims from that of a second core (docs/perf.md, s. 7)
  const int solo;
  std::vector<std::unique_ptr<Task>> prog;
  std::vector<Task*> progPtr;
  std::vector<std::unique_ptr<Task>> oneoff;
  std::vector<Task*> oneoffPtr;
  Task conv;                  // the feed quantization / output dequantization task (convertPar)
  Task* convPtr[1] = {&conv};

  // every worker out of any segment while the caller holds the returned locks (program edits)
  std::vector<std::unique_lock<std::mutex>> quiesce() {
    std::vector<std::unique_lock<std::mutex>> l;
    for (int i = 1; i < n; i++) l.emplace_back(*busy_[size_t(i)]);
    return l;
  }
  // scratch sizes (call while quiesced)
  void needScratch(size_t bytes) {
    if (scratch_.size() < bytes + 64) scratch_.resize(bytes + 64);
  }
  void needRing(size_t bytes, int rows) {
    for (int i = 0; i < n; i++) {
      if (ring_[size_t(i)].size() < bytes + 64) ring_[size_t(i)].resize(bytes + 64);
      if (tags_[size_t(i)].size() < size_t(rows) + 32) tags_[size_t(i)].resize(size_t(rows) + 32);
    }
  }
  void needTile(size_t bytes) {
    for (int i = 0; i < n; i++)
      if (tile_[size_t(i)].size() < bytes + 128) tile_[size_t(i)].resize(bytes + 128);
  }
  uint8_t* scratch() { return align64(scratch_.data()); }
  // 64 bytes in from the start: no cache line shared with another allocation
  uint8_t* tile(int tid) { return align64(tile_[size_t(tid)].data()) + 64; }
  bool noGather = false;  // DPUFLOW_NATIVE_GATHER=0: every VNNI conv through the padded copy (comparisons)
  bool noFuse = false;    // DPUFLOW_NATIVE_FUSE=0: a relu after an add stays a task of its own
  bool noPixelMajor = false;  // DPUFLOW_NATIVE_PIXEL_MAJOR=0: every conv split by output-channel groups
  // AMX convs whose packed weights are at most this many bytes walk tile-major units (a thread keeps its pixels
  // through the chain of layers instead of each thread writing half the channels of every pixel; on one thread the
  // A rows stay in L1/L2 while the weights, which fit L2, are walked: 1T 1.00–1.07× faster, session 7):
  // 600 KB takes the 3×3 256 → 256 layers, not the 1 MB 7² layers of ResNet-50 (measured slower tile-major at 2T);
  // DPUFLOW_NATIVE_AMX_TILEMAJOR=0 off (the group-major rule alone), =<bytes> another bound
  double amxTileMajorMax = 600 * 1024;
  // AMX convs prefetch their weight (B) blocks this many 1 KB blocks ahead of the tile loads (amx_conv.cc gemm):
  // 5–10 % faster frames at 1 and 2 threads (session 8); DPUFLOW_NATIVE_AMX_PREFETCH=0 off, =<blocks> another distance
  int amxPrefetch = 2;
  // DPUFLOW_NATIVE_DWFUSE=1: a depthwise, the 1×1 projection reading it and the residual add after it run as one
  // task (K_DW_PROJ). Off by default: it measured 1–3 % slower at 2 threads on MobileNetV2 (docs/perf.md, session 5)
  bool dwFuse = false;
  int dwFuseRows = 1;  // only depthwise layers of at least this many output rows (DPUFLOW_NATIVE_DWFUSE_ROWS)
  uint8_t* ring(int tid) { return align64(ring_[size_t(tid)].data()); }
  // 64 bytes in from both ends of its own allocation: no cache line shared with another thread's tags
  int* tags(int tid) { return tags_[size_t(tid)].data() + 16; }

  void run(Task* const* tasks, int from, int to, uint8_t* mem);
  void wake() {
    if (n == 1) return;
    publish(nullptr, 0, 0, nullptr);
  }

 private:
  static uint8_t* align64(uint8_t* p) { return reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(p) + 63) & ~uintptr_t(63)); }
  uint32_t publish(Task* const* tasks, int from, int to, uint8_t* mem) {
    const uint32_t g = gen_.load(std::memory_order_relaxed) + 1;
    const uint64_t s = seq_.load(std::memory_order_relaxed);
    seq_.store(s + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    sg_.store(g, std::memory_order_relaxed);
    sTasks_.store(tasks, std::memory_order_relaxed);
    sFrom_.store(from, std::memory_order_relaxed);
    sTo_.store(to, std::memory_order_relaxed);
    sMem_.store(mem, std::memory_order_relaxed);
    seq_.store(s + 2, std::memory_order_release);
    gen_.store(g, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> l(m_);
      cv_.notify_all();
    }
    return g;
  }
  bool snapshot(Snap& s) {
    for (int tries = 0; tries < 1000000; tries++) {
      const uint64_t a = seq_.load(std::memory_order_acquire);
      if (a & 1) { _mm_pause(); continue; }
      s.g = sg_.load(std::memory_order_relaxed);
      s.tasks = sTasks_.load(std::memory_order_relaxed);
      s.from = sFrom_.load(std::memory_order_relaxed);
      s.to = sTo_.load(std::memory_order_relaxed);
      s.mem = sMem_.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (seq_.load(std::memory_order_relaxed) == a) return true;
    }
    return false;
  }
  void loop(int tid);
  int spinUs_;
  std::vector<std::thread> workers_;
  std::vector<std::unique_ptr<std::mutex>> busy_;
  std::vector<uint8_t> scratch_;
  std::vector<std::vector<uint8_t>> ring_;
  std::vector<std::vector<int>> tags_;
  std::vector<std::vector<uint8_t>> tile_;
  std::mutex m_;
  std::condition_variable cv_;
  alignas(64) std::atomic<uint32_t> gen_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  alignas(64) std::atomic<uint64_t> seq_{0};
  std::atomic<uint32_t> sg_{0};
  std::atomic<Task* const*> sTasks_{nullptr};
  std::atomic<int> sFrom_{0}, sTo_{0};
  std::atomic<uint8_t*> sMem_{nullptr};
};

// ---- task bodies --------------------------------------------------------------------------------
// padded u8 copy (x ^ 0x80, padding 0x80) of rows [r0, r1) for the VNNI conv
VNNI_TARGET void padU8(const Task& T, const uint8_t* mem, uint8_t* xp, int r0, int r1) {
  const int Cs = T.Cs, C = T.C, Wp = T.Wp, Wd = T.Wd;
  const uint8_t* x = mem + T.x;
  for (int r = r0; r < r1; r++) {
    uint8_t* d = xp + size_t(r) * Wp * Cs;
    const int y = r - T.pt;
    if (y < 0 || y >= T.H) { std::memset(d, 0x80, size_t(Wp) * Cs); continue; }
    std::memset(d, 0x80, size_t(T.pl) * Cs);
    const uint8_t* s = x + size_t(y) * Wd * C;
    uint8_t* dd = d + size_t(T.pl) * Cs;
    if (Cs == C) {
      xor80(dd, s, size_t(Wd) * C);
    } else if (C == 3 && Cs == 4) {
      // 16 pixels of 3 bytes → 16 of 4 (the 4th byte 0x80): lane L takes source bytes 12L.. (dword permute),
      // an in-lane byte shuffle spreads them 3 + 1 with zeros, the xor makes x + 128 and the zeros 0x80
      const __m512i idx = _mm512_setr_epi32(0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 9, 10, 11, 12);
      const __m512i shuf = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1));
      const __m512i k80 = _mm512_set1_epi8(char(0x80));
      int xx = 0;
      for (; xx + 16 <= Wd; xx += 16) {
        const __m512i v = _mm512_permutexvar_epi32(idx, _mm512_maskz_loadu_epi8(mask64(48), s + size_t(xx) * 3));
        _mm512_storeu_si512(dd + size_t(xx) * 4, _mm512_xor_si512(_mm512_shuffle_epi8(v, shuf), k80));
      }
      for (; xx < Wd; xx++)
        for (int c = 0; c < 4; c++) dd[size_t(xx) * 4 + c] = c < 3 ? s[size_t(xx) * 3 + c] ^ 0x80 : 0x80;
    } else if (Cs <= 64) {
      // one pixel at a time: its C bytes (the rest loaded as 0), xor 0x80, Cs bytes stored
      const __m512i k80 = _mm512_set1_epi8(char(0x80));
      const __mmask64 lm = mask64(C), sm = mask64(Cs);
      for (int xx = 0; xx < Wd; xx++)
        _mm512_mask_storeu_epi8(dd + size_t(xx) * Cs, sm, _mm512_xor_si512(_mm512_maskz_loadu_epi8(lm, s + size_t(xx) * C), k80));
    } else {
      for (int xx = 0; xx < Wd; xx++) {
        for (int c = 0; c < C; c++) dd[size_t(xx) * Cs + c] = s[size_t(xx) * C + c] ^ 0x80;
        for (int c = C; c < Cs; c++) dd[size_t(xx) * Cs + c] = 0x80;
      }
    }
    std::memset(d + size_t(T.pl + Wd) * Cs, 0x80, size_t(T.pr) * Cs);
  }
}

inline Stage stageOf(const Task& T, const uint8_t* mem) {
  Stage st = T.st;
  st.bias = reinterpret_cast<const int32_t*>(mem + T.bias);
  return st;
}

// units: the pixel tiles of every group of (up to) groupBlocks output-channel blocks, group-major
template <typename F>
void forGroupTiles(const Task& T, int u0, int u1, F f) {
  const int split = T.fullGroups * T.tilesFull;
  int u = u0;
  while (u < u1) {
    int t0, t1, nb, ob;
    if (u < split) {
      const int gi = u / T.tilesFull;
      t0 = u % T.tilesFull;
      t1 = std::min(T.tilesFull, t0 + (u1 - u));
      nb = T.groupBlocks;
      ob = gi * T.groupBlocks;
    } else {
      t0 = u - split;
      t1 = std::min(T.lastTiles, t0 + (u1 - u));
      nb = T.lastNb;
      ob = T.fullGroups * T.groupBlocks;
    }
    if (t1 <= t0) break;
    f(nb, ob, t0, t1);
    u += t1 - t0;
  }
}

// P = 6 pixels from pix0 (r ≤ 6 of them) × the group of nb blocks at ob
template <int GATHER>
VNNI_TARGET void convPixGroup(const ConvWeights& W, const ConvGeo& g, const Stage& st, int nb, int ob, int pix0, int r) {
  switch (nb) {
    case 4: convTail<4, 6, GATHER>(W, g, st, pix0, ob, r); break;
    case 3: convTail<3, 6, GATHER>(W, g, st, pix0, ob, r); break;
    case 2: convTail<2, 6, GATHER>(W, g, st, pix0, ob, r); break;
    default: convTail<1, 6, GATHER>(W, g, st, pix0, ob, r); break;
  }
}

VNNI_TARGET void convVnni(const Task& T, uint8_t* mem, const uint8_t* scratch, uint8_t* tbuf, int u0, int u1) {
  const Stage st = stageOf(T, mem);
  const ConvGeo g{T.direct ? mem + T.x : scratch, T.direct ? T.Wd : T.Wp, T.direct ? T.C : T.Cs, tbuf, T.Cs, T.sh, T.sw, T.dh, T.dw,
                  reinterpret_cast<int8_t*>(mem + T.out), T.OH, T.OW};
  if (T.pixelMajor) {
    // units = tiles of 6 output pixels, every output-channel group per tile: a thread's band of pixels
    // reads only the input rows under it (written by the same thread in the task before, mostly)
    const int npix = T.OH * T.OW;
    for (int t = u0; t < u1; t++) {
      const int pix0 = t * 6, r = std::min(6, npix - pix0);
      // gathered (1×1) pixels: once per tile, by its first group; the others read the tile buffer
      for (int gi = 0; gi < T.fullGroups; gi++) {
        if (!T.direct) convPixGroup<0>(*T.W, g, st, 4, gi * 4, pix0, r);
        else if (gi == 0) convPixGroup<1>(*T.W, g, st, 4, gi * 4, pix0, r);
        else convPixGroup<2>(*T.W, g, st, 4, gi * 4, pix0, r);
      }
      if (T.lastNb) {
        if (!T.direct) convPixGroup<0>(*T.W, g, st, T.lastNb, T.fullGroups * 4, pix0, r);
        else if (T.fullGroups == 0) convPixGroup<1>(*T.W, g, st, T.lastNb, T.fullGroups * 4, pix0, r);
        else convPixGroup<2>(*T.W, g, st, T.lastNb, T.fullGroups * 4, pix0, r);
      }
    }
    return;
  }
  forGroupTiles(T, u0, u1, [&](int nb, int ob, int t0, int t1) {
    if (T.direct) convGroupTiles<1>(*T.W, g, st, nb, ob, t0, t1);
    else convGroupTiles<0>(*T.W, g, st, nb, ob, t0, t1);
  });
}

// pixels [p0, p1) of one group of NB blocks at ob, tiles of tileP<NB> pixels, each gathered (x + 128)
template <int NB>
VNNI_TARGET void convRun(const ConvWeights& W, const ConvGeo& g, const Stage& st, int ob, int p0, int p1) {
  constexpr int P = tileP<NB>();
  for (int pix0 = p0; pix0 < p1; pix0 += P) {
    const int r = std::min(P, p1 - pix0);
    if (r == P) convTile<NB, P, 1>(W, g, st, pix0, ob);
    else convTail<NB, P - 1, 1>(W, g, st, pix0, ob, r);
  }
}

// output pixels [p0, p1) of a direct (gathered 1×1, no padding) VNNI conv, every output-channel group:
// one group → its own wide tiles; more → 6-pixel tiles, gathered once by the first group
VNNI_TARGET void convRange(const Task& T, uint8_t* mem, uint8_t* tbuf, int p0, int p1) {
  const Stage st = stageOf(T, mem);
  const ConvGeo g{mem + T.x, T.Wd, T.C, tbuf, T.Cs, T.sh, T.sw, T.dh, T.dw, reinterpret_cast<int8_t*>(mem + T.out), T.OH, T.OW};
  const ConvWeights& W = *T.W;
  if (T.fullGroups + (T.lastNb ? 1 : 0) == 1) {
    switch (T.fullGroups ? 4 : T.lastNb) {
      case 4: convRun<4>(W, g, st, 0, p0, p1); break;
      case 3: convRun<3>(W, g, st, 0, p0, p1); break;
      case 2: convRun<2>(W, g, st, 0, p0, p1); break;
      default: convRun<1>(W, g, st, 0, p0, p1); break;
    }
    return;
  }
  for (int pix0 = p0; pix0 < p1; pix0 += 6) {
    const int r = std::min(6, p1 - pix0);
    for (int gi = 0; gi < T.fullGroups; gi++) {
      if (gi == 0) convPixGroup<1>(W, g, st, 4, 0, pix0, r);
      else convPixGroup<2>(W, g, st, 4, gi * 4, pix0, r);
    }
    if (T.lastNb) {
      if (T.fullGroups == 0) convPixGroup<1>(W, g, st, T.lastNb, 0, pix0, r);
      else convPixGroup<2>(W, g, st, T.lastNb, T.fullGroups * 4, pix0, r);
    }
  }
}

AVX2_TARGET void padI16(const Task& T, const uint8_t* mem, int16_t* xp, int r0, int r1) {
  const int8_t* x = reinterpret_cast<const int8_t*>(mem + T.x);
  const int Cs = T.Cs;
  for (int r = r0; r < r1; r++) {
    int16_t* d = xp + size_t(r) * T.Wp * Cs;
    const int y = r - T.pt;
    std::memset(d, 0, size_t(T.Wp) * Cs * 2);
    if (y < 0 || y >= T.H) continue;
    for (int xx = 0; xx < T.Wd; xx++) widen16(d + size_t(T.pl + xx) * Cs, x + (size_t(y) * T.Wd + xx) * T.C, T.C);
  }
}

AVX2_TARGET void convAvx2(const Task& T, uint8_t* mem, const uint8_t* scratch, int u0, int u1) {
  const Stage st = stageOf(T, mem);
  const ConvGeo2 g{reinterpret_cast<const int16_t*>(scratch), T.Wp, T.Cs, T.sh, T.sw, T.dh, T.dw, reinterpret_cast<int8_t*>(mem + T.out), T.OH, T.OW};
  forGroupTiles(T, u0, u1, [&](int nb, int ob, int t0, int t1) {
    if (nb == 2) convTiles2<2>(*T.W, g, st, ob, t0, t1);
    else convTiles2<1>(*T.W, g, st, ob, t0, t1);
  });
}

// AVX2 depthwise: zero-padded int8 copy (channels to Cp), then rows
void padDw(const Task& T, const uint8_t* mem, int8_t* xp, int r0, int r1) {
  const int8_t* x = reinterpret_cast<const int8_t*>(mem + T.x);
  const int Cp = T.Cs, C = T.C;
  for (int r = r0; r < r1; r++) {
    int8_t* d = xp + size_t(r) * T.Wp * Cp;
    const int y = r - T.pt;
    if (y < 0 || y >= T.H) { std::memset(d, 0, size_t(T.Wp) * Cp); continue; }
    std::memset(d, 0, size_t(T.pl) * Cp);
    for (int xx = 0; xx < T.Wd; xx++) {
      int8_t* dp = d + size_t(T.pl + xx) * Cp;
      std::memcpy(dp, x + (size_t(y) * T.Wd + xx) * C, size_t(C));
      if (Cp > C) std::memset(dp + C, 0, size_t(Cp - C));
    }
    std::memset(d + size_t(T.pl + T.Wd) * Cp, 0, size_t(T.pr) * Cp);
  }
}

void dwAvx2(const Task& T, uint8_t* mem, const uint8_t* scratch, int u0, int u1) {
  const Stage st = stageOf(T, mem);
  const DwGeo2 g{reinterpret_cast<const int8_t*>(scratch), T.Wp, T.Cs, T.sh, T.sw, T.dh, T.dw, reinterpret_cast<int8_t*>(mem + T.out), T.OH, T.OW};
  for (int oy = u0; oy < u1; oy++) dwRow2(*T.W, g, st, oy);
}

// VNNI depthwise: units = (output row, channel group of 64), row-major; each thread expands the
// input rows it needs into its own ring of (kh−1)·dh+1 rows per channel group
VNNI_TARGET void dwVnni(const Task& T, uint8_t* mem, uint8_t* ring, int* tags, int u0, int u1, bool first) {
  const ConvWeights& W = *T.W;
  const Stage st = stageOf(T, mem);
  const DwGeo g{reinterpret_cast<const int8_t*>(mem + T.x), T.H, T.Wd, T.C, T.pt, T.pl, T.sh, T.sw, T.dh, T.dw, T.kh, T.kw, T.OH, T.OW,
                reinterpret_cast<int8_t*>(mem + T.out)};
  const int R = (T.kh - 1) * T.dh + 1;
  const size_t rowBytes = size_t(T.OW) * W.KW4 * 256;
  const uint8_t* rows[64];
  int cur = -1;
  const Fold f = foldOf(st);
  __m512i B[4], corr[4];
  for (int u = u0; u < u1; u++) {
    // row-major units: with claims from both ends each thread works through one contiguous band of
    // rows (top / bottom), as the tasks before and after it do, so it reads rows it wrote itself (its
    // own L2) — the ring re-expands (kh−1)·dh rows per group once per band start
    const int oy = u / W.G64, cg = u % W.G64;
    int* tg = tags + size_t(cg) * R;
    uint8_t* rg = ring + size_t(cg) * R * rowBytes;
    // the ring keeps the rows expanded by this thread's earlier chunks of the same task (tags = input row)
    if (u == u0 && first)
      for (int r = 0; r < R * W.G64; r++) tags[r] = INT32_MIN;
    if (cg != cur) {
      cur = cg;
      alignas(64) int32_t b[64];
      for (int m = 0; m < 4; m++)
        for (int q = 0; q < 16; q++) {
          const int ch = 64 * cg + dwLaneChannel(m, q);
          b[m * 16 + q] = ch < T.C ? st.bias[ch] : 0;
        }
      for (int m = 0; m < 4; m++) {
        corr[m] = _mm512_loadu_si512(W.dwcorr.data() + size_t(cg) * 64 + m * 16);
        B[m] = _mm512_load_si512(b + m * 16);
        if (f.kind >= 0) B[m] = foldBias(st, f, B[m], corr[m]);
      }
    }
    for (int ky = 0; ky < T.kh; ky++) {
      const int y = oy * T.sh + ky * T.dh - T.pt;
      const int slot = ((y % R) + R) % R;
      uint8_t* e = rg + size_t(slot) * rowBytes;
      if (tg[slot] != y) {
        dwExpand(g, W.KW4, y, 64 * cg, e, ring + size_t(R) * W.G64 * rowBytes);
        tg[slot] = y;
      }
      rows[ky] = e;
    }
    dwRowAny(W, g, st, f, cg, rows, B, corr, g.out + size_t(oy) * T.OW * T.C);
  }
}

// ---- AMX-INT8 hook (native/amx_conv.cc): A = the int8 tensor (1×1 without padding, TDPBSSD) or the padded
// x + 128 copy (TDPBUSD, 128·Σw corrected); its C tiles of 16 pixels × 16 channels go through this output stage
dpuflow_amx::Geo amxGeo(const Task& T, const uint8_t* mem, const uint8_t* scratch) {
  // weights bigger than the input: group-major (a thread keeps a group's weights in L2), unless tile-major was chosen
  // for weights that fit L2 anyway (Task::amxTileMajor)
  const bool gm = !T.amxTileMajor && double(T.W->amx->b.size()) > double(T.H) * T.Wd * T.C;
  if (T.direct) return {mem ? mem + T.x : nullptr, size_t(T.H) * T.Wd * T.C, T.Wd, T.C, T.sh, T.sw, 1, T.OH, T.OW, true, gm};
  return {scratch, size_t(T.Hp) * T.Wp * T.Cs, T.Wp, T.Cs, T.sh, T.sw, T.dh, T.OH, T.OW, false, gm};
}
struct AmxOut {
  Stage st;
  Fold f;
  const int32_t* corr;  // null: no offset (s8 A)
  int8_t* out;
  int OC;
};
VNNI_TARGET void amxStore(const void* self, const int32_t* acc, int ld, const int* pix, int ob, int nb) {
  const AmxOut& a = *static_cast<const AmxOut*>(self);
  if (a.f.kind < 0) {
    for (int b = 0; b < nb; b++) {
      const int o = (ob + b) * 16, n = std::min(16, a.OC - o);
      const __m512i corr = a.corr ? _mm512_loadu_si512(a.corr + o) : _mm512_setzero_si512();
      for (int r = 0; r < 16; r++)
        if (pix[r] >= 0) stage16(a.st, _mm512_sub_epi32(_mm512_loadu_si512(acc + r * ld + 16 * b), corr), o, a.out + size_t(pix[r]) * a.OC + o, n);
    }
    return;
  }
  __m512i B[8];
  __mmask16 M[8];
  for (int b = 0; b < nb; b++) {
    const int o = (ob + b) * 16, n = std::min(16, a.OC - o);
    M[b] = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
    B[b] = foldBias(a.st, a.f, _mm512_maskz_loadu_epi32(M[b], a.st.bias + o), a.corr ? _mm512_loadu_si512(a.corr + o) : _mm512_setzero_si512());
  }
  const __m512i perm = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  for (int r = 0; r < 16; r++) {
    if (pix[r] < 0) continue;
    const int32_t* ar = acc + r * ld;
    int8_t* op = a.out + size_t(pix[r]) * a.OC;
    int b = 0;
    for (; b + 4 <= nb; b += 4) {  // 64 channels: two packs and one dword permute, one store (as convTile's NB = 4)
      const __m512i z = packs4(foldStage(a.st, a.f, _mm512_add_epi32(_mm512_loadu_si512(ar + 16 * b), B[b])),
                               foldStage(a.st, a.f, _mm512_add_epi32(_mm512_loadu_si512(ar + 16 * b + 16), B[b + 1])),
                               foldStage(a.st, a.f, _mm512_add_epi32(_mm512_loadu_si512(ar + 16 * b + 32), B[b + 2])),
                               foldStage(a.st, a.f, _mm512_add_epi32(_mm512_loadu_si512(ar + 16 * b + 48), B[b + 3])));
      _mm512_mask_storeu_epi8(op + (ob + b) * 16, mask64(a.OC - (ob + b) * 16), _mm512_permutexvar_epi32(perm, z));
    }
    for (; b < nb; b++)
      _mm_mask_storeu_epi8(op + (ob + b) * 16, M[b], _mm512_cvtsepi32_epi8(foldStage(a.st, a.f, _mm512_add_epi32(_mm512_loadu_si512(ar + 16 * b), B[b]))));
  }
}
VNNI_TARGET void convAmx(const Task& T, uint8_t* mem, const uint8_t* scratch, int u0, int u1) {
  const Stage st = stageOf(T, mem);
  const AmxOut a{st, foldOf(st), T.direct ? nullptr : T.W->corr.data(), reinterpret_cast<int8_t*>(mem + T.out), T.OC};
  dpuflow_amx::Geo geo = amxGeo(T, mem, scratch);
  geo.prefetch = T.amxPrefetch;
  dpuflow_amx::run(*T.W->amx, geo, u0, u1, amxStore, &a);
}

inline int8_t quantizeOne(float x, double scale);
VNNI_TARGET void quantizeV(const float* x, int8_t* q, size_t n, double scale);
VNNI_TARGET void dequantizeV(const int8_t* q, float* x, size_t n, float scale);
constexpr int64_t kConvBlock = 16384;  // elements per unit of K_QUANT / K_DEQUANT

// first: the thread's first chunk of this task in this segment (its depthwise ring holds nothing of it yet)
void execTask(Context& c, Task& T, uint8_t* mem, int u0, int u1, int tid, bool first) {
  int8_t* m8 = reinterpret_cast<int8_t*>(mem);
  switch (T.kind) {
    case K_PAD_U8: padU8(T, mem, c.scratch(), u0, u1); break;
    case K_CONV_VNNI: convVnni(T, mem, c.scratch(), c.tile(tid), u0, u1); break;
    case K_CONV_AMX: convAmx(T, mem, c.scratch(), u0, u1); break;  // AMX-INT8 hook
    case K_PAD_I16: padI16(T, mem, reinterpret_cast<int16_t*>(c.scratch()), u0, u1); break;
    case K_CONV_AVX2: convAvx2(T, mem, c.scratch(), u0, u1); break;
    case K_DW_VNNI: dwVnni(T, mem, c.ring(tid), c.tags(tid), u0, u1, first); break;
    case K_DW_PROJ: {
      // rows [u0, u1): depthwise rows (every channel group), then the projection's pixels of those rows
      // (they read only those rows, which this thread just wrote), then the residual add of those pixels
      const int G = T.W->G64;
      dwVnni(T, mem, c.ring(tid), c.tags(tid), u0 * G, u1 * G, first);
      const Task& P = *T.proj;
      convRange(P, mem, c.tile(tid), u0 * P.OW, u1 * P.OW);
      if (T.radd) {
        const Task& A = *T.radd;
        const int64_t a = int64_t(u0) * P.OW * P.OC, b = int64_t(u1) * P.OW * P.OC;
        addV(m8 + A.x, m8 + A.y, m8 + A.out, a, b, A.sa, A.sb, A.sub, A.cut, A.relu);
      }
      break;
    }
    case K_PAD_DW: padDw(T, mem, reinterpret_cast<int8_t*>(c.scratch()), u0, u1); break;
    case K_DW_AVX2: dwAvx2(T, mem, c.scratch(), u0, u1); break;
    case K_ADD: case K_MUL: case K_RELU: {
      const int64_t a = T.i0 + int64_t(u0) * 64, b = std::min(T.i1, T.i0 + int64_t(u1) * 64);
      if (T.kind == K_ADD) {
        int8_t* o2 = T.reluOut != SIZE_MAX ? m8 + T.reluOut : nullptr;
        if (T.isa == 2) addV(m8 + T.x, m8 + T.y, m8 + T.out, a, b, T.sa, T.sb, T.sub, T.cut, T.relu, o2);
        else addS(m8 + T.x, m8 + T.y, m8 + T.out, a, b, T.sa, T.sb, T.sub, T.cut, T.relu, o2);
      } else if (T.kind == K_MUL) {
        if (T.isa == 2) mulV(m8 + T.x, m8 + T.y, m8 + T.out, a, b, T.cut, T.relu);
        else mulS(m8 + T.x, m8 + T.y, m8 + T.out, a, b, T.cut, T.relu);
      } else {
        if (T.isa == 2) reluV(m8 + T.x, m8 + T.out, a, b, T.shift);
        else reluS(m8 + T.x, m8 + T.out, a, b, T.shift);
      }
      break;
    }
    case K_MAXPOOL: case K_AVGPOOL: {
      const PoolGeo g{m8 + T.x, T.H, T.Wd, T.C, T.kh, T.kw, T.sh, T.sw, T.pt, T.pl, T.OW, m8 + T.out};
      const int CB = (T.C + 63) / 64;
      for (int u = u0; u < u1; u++) {
        const int oy = T.i0 + u / CB, c0 = (u % CB) * 64, c1 = std::min(T.C, c0 + 64);
        if (T.kind == K_MAXPOOL) {
          if (T.isa == 2) maxpoolV(g, oy, c0, c1, T.shift);
          else maxpoolS(g, oy, c0, c1, T.shift);
        } else {
          if (T.isa == 2) avgpoolV(g, oy, c0, c1, T.mult, T.shift);
          else avgpoolS(g, oy, c0, c1, T.mult, T.shift);
        }
      }
      break;
    }
    case K_CONCAT: {
      for (int p = u0; p < u1; p++) {
        int c0 = 0;
        for (const Part& pt : T.parts) {
          const int8_t* s = m8 + pt.src + size_t(p) * pt.width;
          int8_t* d = m8 + T.out + size_t(p) * T.total + c0;
          if (pt.shift == 0) std::memcpy(d, s, size_t(pt.width));
          else
            for (int i = 0; i < pt.width; i++) d[i] = int8_t(sat(sr(s[i], pt.shift)));
          c0 += pt.width;
        }
      }
      break;
    }
    case K_RESIZE: {
      // nearest resize: out (oy, ox) = x (ys[oy], xs[ox]), re-quantized by shift (the WASM requant)
      const size_t C = size_t(T.C);
      for (int oy = u0; oy < u1; oy++) {
        const int8_t* srow = m8 + T.x + size_t(T.ys[size_t(oy)]) * T.Wd * C;
        int8_t* d = m8 + T.out + size_t(oy) * T.OW * C;
        for (int ox = 0; ox < T.OW; ox++, d += C) {
          const int8_t* sp = srow + size_t(T.xs[size_t(ox)]) * C;
          if (T.shift == 0) std::memcpy(d, sp, C);
          else
            for (size_t i = 0; i < C; i++) d[i] = int8_t(sat(sr(sp[i], T.shift)));
        }
      }
      break;
    }
    case K_QUANT: case K_DEQUANT: {
      const int64_t a = int64_t(u0) * kConvBlock, b = std::min(T.i1, int64_t(u1) * kConvBlock);
      if (b <= a) break;
      int8_t* q = m8 + T.out;
      if (T.kind == K_QUANT) {
        if (T.isa == 2) quantizeV(T.fsrc + a, q + a, size_t(b - a), T.scale);
        else
          for (int64_t i = a; i < b; i++) q[i] = quantizeOne(T.fsrc[i], T.scale);
      } else {
        const float sc = float(T.scale);
        if (T.isa == 2) dequantizeV(q + a, T.fdst + a, size_t(b - a), sc);
        else
          for (int64_t i = a; i < b; i++) T.fdst[i] = float(q[i]) * sc;
      }
      break;
    }
    default: break;
  }
}

// ---- scheduling -----------------------------------------------------------------------------------
using Clock = std::chrono::steady_clock;

// waits until every chunk of T is done; false when a newer segment replaced this one (stale worker)
inline bool waitDone(const Task& T, uint64_t want, uint32_t g) {
  Clock::time_point t0{};
  for (int i = 0;; i++) {
    const uint64_t d = T.done.load(std::memory_order_acquire);
    if (d == want) return true;
    if (uint32_t(d >> 32) != g) return false;
    if (i < 64) { _mm_pause(); continue; }
    if (i == 64) t0 = Clock::now();
    if ((i & 31) == 0 && Clock::now() - t0 > std::chrono::microseconds(50)) std::this_thread::yield();
    else _mm_pause();
  }
}

inline double threadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}
inline double nsSince(Clock::time_point t) { return double(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count()); }

// the next claim of T in slots when r remain: a share of what is left (r / 2n), at least minSlots (work(), runSolo)
inline uint32_t claimSlots(const Task& T, const Context& c, uint32_t r) {
  return std::min(r, std::max(uint32_t(T.minSlots), r / uint32_t(2 * c.n)));
}

// execTask of units [u0, u1) by thread tid, its busy / CPU ns and one claim added to T's profile slot tid (contexts
// that profile); returns the claim's wall ns
double execProfiled(Context& c, Task& T, uint8_t* mem, int u0, int u1, int tid, bool first) {
  const double c0 = c.profCpuClock ? threadCpuNs() : 0;
  const Clock::time_point tb = Clock::now();
  execTask(c, T, mem, u0, u1, tid, first);
  const double ns = nsSince(tb);
  Task::ProfSlot& ps = T.profT[tid];
  ps.busy += ns;
  ps.cpu += c.profCpuClock ? threadCpuNs() - c0 : ns;
  ps.chunks += 1;
  return ns;
}

// thread tid's part of segment g: chunks of each task taken from the task's counter
void work(Context& c, int tid, uint32_t g, Task* const* tasks, int from, int to, uint8_t* mem) {
  const uint64_t tag = uint64_t(g) << 32;
  const bool prof = c.prof && tid < 4;
  for (int t = from; t < to; t++) {
    Task& T = *tasks[t];
    const Clock::time_point tw = prof ? Clock::now() : Clock::time_point{};
    // Guided claims from both ends: thread 1 takes from the back (descending), the others from the
    // front, each claim a share of what is left (remaining / 2n, at least minSlots), so each thread
    // works through one contiguous range (the depthwise row ring, the conv groups' weights and the
    // output cache lines stay with one thread), claims are few and big at first and shrink to the
    // smallest chunk where the two ends meet (the other thread waits at most about one small chunk).
    // next = generation << 32 | slots taken from the back << 16 | slots taken from the front
    const bool back = tid == 1;
    bool first = true;
    const uint32_t S = uint32_t(T.slots);
    for (;;) {
      uint64_t v = T.next.load(std::memory_order_acquire);
      if ((v & ~uint64_t(0xffffffff)) != tag) return;
      const uint32_t f = uint32_t(v) & 0xffff, b = (uint32_t(v) >> 16) & 0xffff;
      if (f + b >= S) break;
      const uint32_t r = S - f - b;
      const uint32_t gsz = claimSlots(T, c, r);
      if (!T.next.compare_exchange_weak(v, v + (back ? uint64_t(gsz) << 16 : uint64_t(gsz)), std::memory_order_acq_rel)) continue;
      const uint32_t s0 = back ? S - b - gsz : f, s1 = s0 + gsz;
      const int u0 = int(int64_t(T.units) * s0 / S), u1 = int(int64_t(T.units) * s1 / S);
      if (prof) execProfiled(c, T, mem, u0, u1, tid, first);
      else execTask(c, T, mem, u0, u1, tid, first);
      first = false;
      T.done.fetch_add(gsz, std::memory_order_acq_rel);
    }
    if (!waitDone(T, tag | S, g)) return;
    if (prof && tid == 0) {
      T.profWall += nsSince(tw);
      T.profRuns += 1;
    }
  }
}

// DPUFLOW_NATIVE_SOLO: tasks [from, to) on the calling thread in the claims work() would make (Context::solo)
void runSolo(Context& c, Task* const* tasks, int from, int to, uint8_t* mem) {
  for (int t = from; t < to; t++) {
    Task& T = *tasks[t];
    const uint32_t S = uint32_t(T.slots);
    uint32_t f = 0, b = 0;
    bool firstF = true, firstB = true, back = false;
    while (f + b < S) {
      const uint32_t r = S - f - b;
      const uint32_t gsz = T.chunks <= 1 || c.solo == 3 ? r : claimSlots(T, c, r);
      const uint32_t s0 = back ? S - b - gsz : f;
      (back ? b : f) += gsz;
      const int u0 = int(int64_t(T.units) * s0 / S), u1 = int(int64_t(T.units) * (s0 + gsz) / S);
      bool& first = back ? firstB : firstF;
      if (c.prof) T.profWall += execProfiled(c, T, mem, u0, u1, back ? 1 : 0, first);
      else execTask(c, T, mem, u0, u1, back ? 1 : 0, first);
      first = false;
      if (T.chunks > 1 && c.solo == 1) back = !back;
    }
    if (c.prof) T.profRuns += 1;
  }
}

void Context::run(Task* const* tasks, int from, int to, uint8_t* mem) {
  if (from >= to) return;
  if (solo && n > 1) return runSolo(*this, tasks, from, to, mem);
  bool split = false;
  for (int t = from; t < to && !split; t++) split = tasks[t]->chunks > 1;
  if (n == 1 || !split) {
    for (int t = from; t < to; t++) {
      Task& T = *tasks[t];
      if (!prof) {
        execTask(*this, T, mem, 0, T.units, 0, true);
        continue;
      }
      T.profWall += execProfiled(*this, T, mem, 0, T.units, 0, true);
      T.profRuns += 1;
    }
    return;
  }
  const uint32_t g = gen_.load(std::memory_order_relaxed) + 1;
  const uint64_t tag = uint64_t(g) << 32;
  for (int t = from; t < to; t++) {
    tasks[t]->next.store(tag, std::memory_order_relaxed);
    tasks[t]->done.store(tag, std::memory_order_relaxed);
  }
  publish(tasks, from, to, mem);
  work(*this, 0, g, tasks, from, to, mem);
}

void Context::loop(int tid) {
  uint32_t seen = 0;
  for (;;) {
    Clock::time_point t0 = Clock::now();
    for (int i = 1;; i++) {
      if (stop_.load(std::memory_order_relaxed)) return;
      if (gen_.load(std::memory_order_acquire) != seen) break;
      _mm_pause();
      if ((i & 63) == 0 && Clock::now() - t0 > std::chrono::microseconds(spinUs_)) {
        std::unique_lock<std::mutex> l(m_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        cv_.wait(l, [&] { return stop_.load() || gen_.load(std::memory_order_seq_cst) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_seq_cst);
        t0 = Clock::now();
      }
    }
    if (stop_.load()) return;
    std::lock_guard<std::mutex> lk(*busy_[size_t(tid)]);
    Snap s;
    if (!snapshot(s)) continue;
    seen = s.g;
    if (s.tasks && s.from < s.to) work(*this, tid, s.g, s.tasks, s.from, s.to, s.mem);
  }
}

// the split of a task over n threads: at most `fine` chunks (≥ 1), in slots of whole units
void setSplit(Task& T, int n, double fine) {
  if (n <= 1 || T.units <= 1 || fine < 2) {
    T.chunks = T.slots = T.minSlots = 1;
    return;
  }
  T.chunks = int(std::min(fine, double(T.units)));
  T.slots = std::min(T.units, 65535);
  T.minSlots = std::max(1, int(double(T.slots) / T.chunks));
}

// the smallest claim of a task for n threads: about chunkNs (4 µs) of work (rough rates); claims start
// bigger (guided, see work()) and shrink to this where the threads meet
void setChunks(Task& T, const Context& c, double ns) {
  const int n = c.n;
  setSplit(T, n, ns / c.chunkNs);
}

// ---- building tasks ---------------------------------------------------------------------------------
// conv parameter block (src/kernels/native/types.ts NP):
//  xOff H W C outOff OH OW sh sw dh dw pt pl pb pr | mode cut accShift six three leaky hswShift fast biasOff | threads
enum { P_X, P_H, P_W, P_C, P_OUT, P_OH, P_OW, P_SH, P_SW, P_DH, P_DW, P_PT, P_PL, P_PB, P_PR,
       P_MODE, P_CUT, P_ACCSHIFT, P_SIX, P_THREE, P_LEAKY, P_HSW, P_FAST, P_BIAS, P_THREADS, P_COUNT };

inline bool offsetOk(double v) { return v >= 0 && v < 9.0e15 && v == double(int64_t(v)); }
inline bool intIn(double v, double lo, double hi) { return v >= lo && v <= hi && v == double(int64_t(v)); }

void setGeo(Task& T, const double* p, const ConvWeights& W) {
  T.x = size_t(p[P_X]); T.out = size_t(p[P_OUT]); T.bias = size_t(p[P_BIAS]);
  T.H = int(p[P_H]); T.Wd = int(p[P_W]); T.C = int(p[P_C]); T.OH = int(p[P_OH]); T.OW = int(p[P_OW]);
  T.sh = int(p[P_SH]); T.sw = int(p[P_SW]); T.dh = int(p[P_DH]); T.dw = int(p[P_DW]);
  T.pt = int(p[P_PT]); T.pl = int(p[P_PL]); T.pb = int(p[P_PB]); T.pr = int(p[P_PR]);
  T.Hp = T.H + T.pt + T.pb; T.Wp = T.Wd + T.pl + T.pr;
  T.kh = W.kh; T.kw = W.kw; T.OC = W.OC; T.isa = W.isa;
  T.st.mode = int(p[P_MODE]); T.st.cut = int(p[P_CUT]); T.st.accShift = int(p[P_ACCSHIFT]);
  T.st.six = int64_t(p[P_SIX]); T.st.three = int64_t(p[P_THREE]); T.st.leaky = int64_t(p[P_LEAKY]);
  T.st.hswShift = int(p[P_HSW]); T.st.fast = int(p[P_FAST]); T.st.bias = nullptr;
}

// the tasks of one conv / depthwise conv (a padded-copy task first where needed); nullptr or the error
const char* buildConv(Context& c, const std::shared_ptr<ConvWeights>& Wsp, const double* p, std::vector<std::unique_ptr<Task>>& out) {
  const ConvWeights& W = *Wsp;
  for (int i = 0; i < P_COUNT; i++)
    if (!(p[i] == p[i]) || p[i] > 9.0e15 || p[i] < -9.0e15) return "conv parameters must be finite numbers";
  const int H = int(p[P_H]), Wd = int(p[P_W]), C = int(p[P_C]), OH = int(p[P_OH]), OW = int(p[P_OW]);
  const int sh = int(p[P_SH]), sw = int(p[P_SW]), dh = int(p[P_DH]), dw = int(p[P_DW]);
  const int pt = int(p[P_PT]), pl = int(p[P_PL]), pb = int(p[P_PB]), pr = int(p[P_PR]);
  if (C != W.C || H < 1 || Wd < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1 || pt < 0 || pl < 0 || pb < 0 || pr < 0 ||
      H > (1 << 20) || Wd > (1 << 20) || pt > 4096 || pl > 4096 || pb > 4096 || pr > 4096 || sh > 4096 || sw > 4096 || dh > 4096 || dw > 4096)
    return "conv geometry does not match the packed weights";
  const int Hp = H + pt + pb, Wp = Wd + pl + pr;
  if (OH != (Hp - ((W.kh - 1) * dh + 1)) / sh + 1 || OW != (Wp - ((W.kw - 1) * dw + 1)) / sw + 1 || OH < 1 || OW < 1)
    return "conv output size does not match the geometry";
  if (!offsetOk(p[P_X]) || !offsetOk(p[P_OUT]) || !offsetOk(p[P_BIAS]) || (size_t(p[P_BIAS]) & 3)) return "conv tensor outside the memory";
  const int mode = int(p[P_MODE]), cut = int(p[P_CUT]), accShift = int(p[P_ACCSHIFT]);
  if (mode < 0 || mode > 5 || accShift < 0 || accShift > 30 || cut < -30 || cut > 40) return "bad output stage";
  if (p[P_FAST] != 0 && mode >= 3 && mode != 3) return "bad output stage";
  if (W.depthwise && W.isa == 2 && (W.kh - 1) * dh + 1 > 4096) return "depthwise kernel too tall";
  if (W.depthwise && W.kh > 64) return "depthwise kernel too tall";
  auto T = std::make_unique<Task>();
  setGeo(*T, p, W);
  T->W = Wsp;
  const int OC = W.OC;
  T->maxEnd = std::max({T->x + size_t(H) * Wd * C + 3, T->out + size_t(OH) * OW * OC, T->bias + size_t(OC) * 4});
  const double macs = double(OH) * OW * OC * W.kh * W.kw * (W.depthwise ? 1 : C);
  const int npix = OH * OW;
  auto pad = [&](int kind, int Cs, size_t scratchBytes, double bytesPerElem) {
    auto P = std::make_unique<Task>();
    setGeo(*P, p, W);
    P->kind = kind;
    P->Cs = Cs;
    P->units = Hp;
    P->maxEnd = T->maxEnd;
    c.needScratch(scratchBytes);
    setChunks(*P, c, double(Hp) * Wp * Cs * bytesPerElem / 4.0);
    out.push_back(std::move(P));
  };
  if (W.depthwise) {
    if (W.isa == 2) {
      T->kind = K_DW_VNNI;
      T->units = W.G64 * OH;
      const int R = (W.kh - 1) * dh + 1;
      c.needRing(size_t(R) * W.G64 * OW * W.KW4 * 256 + size_t(dwRowCols(OW, sw, dw, W.KW4)) * 64, R * W.G64);
      setChunks(*T, c, macs / 40.0);
    } else {
      pad(K_PAD_DW, W.Cp, size_t(Hp) * Wp * W.Cp + 64, 1);
      T->kind = K_DW_AVX2;
      T->Cs = W.Cp;
      T->units = OH;
      setChunks(*T, c, macs / 10.0);
    }
  } else if (W.isa == 1) {
    const int Cs = W.C2 * 2;
    pad(K_PAD_I16, Cs, (size_t(Hp) * Wp * Cs + 32) * 2, 2);
    T->kind = K_CONV_AVX2;
    T->Cs = Cs;
    T->groupBlocks = 2;
    T->tilesFull = (npix + 5) / 6;
    T->fullGroups = W.OB / 2;
    T->lastNb = W.OB % 2;
    T->lastTiles = T->lastNb ? (npix + 11) / 12 : 0;
    T->units = T->fullGroups * T->tilesFull + T->lastTiles;
    setChunks(*T, c, macs / 50.0);
  } else if (W.amx && dw == 1 && !(c.dwFuse && c.n > 1 && !c.prog.empty() && c.prog.back()->kind == K_DW_VNNI && c.prog.back()->out == size_t(p[P_X]))) {
    // AMX-INT8 hook (native/amx_conv.cc): 1×1 without padding reads the int8 tensor itself, any other conv
    // (dilation 1 in x) the padded x + 128 copy; DPUFLOW_NATIVE_AMX=0 at pack time keeps the VNNI path below,
    // and so does a conv reading the depthwise just before it when DPUFLOW_NATIVE_DWFUSE=1 (fuseProjection)
    T->direct = W.kh == 1 && W.kw == 1 && pt == 0 && pl == 0 && pb == 0 && pr == 0;
    T->Cs = W.C4 * 4;
    if (!T->direct) pad(K_PAD_U8, T->Cs, size_t(Hp) * Wp * T->Cs + 64, 1);
    T->kind = K_CONV_AMX;
    T->amxTileMajor = double(W.amx->b.size()) <= c.amxTileMajorMax;
    T->amxPrefetch = c.amxPrefetch;
    T->units = dpuflow_amx::units(*W.amx, amxGeo(*T, nullptr, nullptr));
    setChunks(*T, c, macs / 600.0);
  } else {
    // 1×1 without padding: each tile gathers its pixels (offset by +128) into a per-thread buffer, so
    // there is no padded-copy task (and no wait for it). (Applying the offset to each broadcast instead
    // measured slower than the padded copy: the xor moves the broadcast off the load ports.)
    // (on one thread the padded copy stays: with no wait to save, one copy beats a gather per group)
    T->direct = c.n > 1 && W.kh == 1 && W.kw == 1 && pt == 0 && pl == 0 && pb == 0 && pr == 0 && !c.noGather;
    const int Cs = W.C4 * 4;
    if (!T->direct) pad(K_PAD_U8, Cs, size_t(Hp) * Wp * Cs + 64, 1);
    else c.needTile(size_t(16) * Cs + 64);
    T->kind = K_CONV_VNNI;
    T->Cs = Cs;
    T->groupBlocks = 4;
    T->tilesFull = (npix + 5) / 6;
    T->fullGroups = W.OB / 4;
    T->lastNb = W.OB % 4;
    const int lp = T->lastNb == 3 ? 8 : T->lastNb == 2 ? 12 : 16;
    T->lastTiles = T->lastNb ? (npix + lp - 1) / lp : 0;
    T->units = T->fullGroups * T->tilesFull + T->lastTiles;
    // more than one thread and weights no bigger than the input: split by pixels (each thread a band of
    // rows, matching the split of the tasks around it); else by output-channel groups (each thread
    // reads only its groups' weights: ResNet's 14² / 7² layers)
    // (one group — OC ≤ 64, as MobileNetV2's projections — is pixel order already, with its own wider tiles)
    if (c.n > 1 && !c.noPixelMajor && T->fullGroups + (T->lastNb ? 1 : 0) >= 2 && double(W.packed.size()) <= double(H) * Wd * C) {
      T->pixelMajor = true;
      T->units = (npix + 5) / 6;
    }
    setChunks(*T, c, macs / 200.0);
  }
  out.push_back(std::move(T));
  return nullptr;
}

// op kinds of addOp (src/kernels/native/types.ts NATIVE_OP); params = the WASM kernel's arguments
enum { OP_ADD = 1, OP_MUL = 2, OP_RELU = 3, OP_MAXPOOL = 4, OP_AVGPOOL = 5, OP_CONCAT = 6, OP_RESIZE = 7 };

const char* buildOp(Context& c, int isa, int kind, const double* p, size_t np, std::vector<std::unique_ptr<Task>>& out) {
  for (size_t i = 0; i < np; i++)
    if (!(p[i] == p[i]) || p[i] > 9.0e15 || p[i] < -9.0e15 || p[i] != double(int64_t(p[i]))) return "op parameters must be integers";
  auto T = std::make_unique<Task>();
  T->isa = isa;
  switch (kind) {
    case OP_ADD: case OP_MUL: {
      // add: a b out i0 i1 sa sb sub cut relu;  mul: a b out i0 i1 cut relu
      const bool add = kind == OP_ADD;
      if (np < (add ? 10u : 7u)) return "too few op parameters";
      if (!offsetOk(p[0]) || !offsetOk(p[1]) || !offsetOk(p[2]) || !offsetOk(p[3]) || !offsetOk(p[4]) || p[4] < p[3]) return "op tensor outside the memory";
      T->kind = add ? K_ADD : K_MUL;
      T->x = size_t(p[0]); T->y = size_t(p[1]); T->out = size_t(p[2]); T->i0 = int64_t(p[3]); T->i1 = int64_t(p[4]);
      if (add) {
        T->sa = int(p[5]); T->sb = int(p[6]); T->sub = p[7] != 0; T->cut = int(p[8]); T->relu = p[9] != 0;
        if (T->sa < 0 || T->sa > 20 || T->sb < 0 || T->sb > 20) return "add shifts outside [0, 20]";
      } else {
        T->cut = int(p[5]); T->relu = p[6] != 0;
      }
      if (T->cut < 0 || T->cut > 30) return "eltwise shift outside [0, 30]";
      T->maxEnd = size_t(T->i1) + std::max({T->x, T->y, T->out});
      T->units = int((T->i1 - T->i0 + 63) / 64);
      setChunks(*T, c, double(T->i1 - T->i0) / 2.0);
      break;
    }
    case OP_RELU: {
      // src dst i0 i1 s
      if (np < 5) return "too few op parameters";
      if (!offsetOk(p[0]) || !offsetOk(p[1]) || !offsetOk(p[2]) || !offsetOk(p[3]) || p[3] < p[2]) return "op tensor outside the memory";
      T->kind = K_RELU;
      T->x = size_t(p[0]); T->out = size_t(p[1]); T->i0 = int64_t(p[2]); T->i1 = int64_t(p[3]); T->shift = int(p[4]);
      if (T->shift < -30 || T->shift > 30) return "relu shift outside [-30, 30]";
      T->maxEnd = size_t(T->i1) + std::max(T->x, T->out);
      T->units = int((T->i1 - T->i0 + 63) / 64);
      setChunks(*T, c, double(T->i1 - T->i0) / 8.0);
      break;
    }
    case OP_MAXPOOL: case OP_AVGPOOL: {
      // x H W C kh kw sh sw pt pl out OW s oy0 oy1  |  x H W C kh kw sh sw pt pl out OW mult shift oy0 oy1
      const bool mx = kind == OP_MAXPOOL;
      if (np < (mx ? 15u : 16u)) return "too few op parameters";
      T->kind = mx ? K_MAXPOOL : K_AVGPOOL;
      if (!offsetOk(p[0]) || !offsetOk(p[10])) return "op tensor outside the memory";
      T->x = size_t(p[0]); T->H = int(p[1]); T->Wd = int(p[2]); T->C = int(p[3]); T->kh = int(p[4]); T->kw = int(p[5]);
      T->sh = int(p[6]); T->sw = int(p[7]); T->pt = int(p[8]); T->pl = int(p[9]); T->out = size_t(p[10]); T->OW = int(p[11]);
      if (mx) T->shift = int(p[12]);
      else { T->mult = int64_t(p[12]); T->shift = int(p[13]); }
      const int oy0 = int(p[mx ? 13 : 14]), oy1 = int(p[mx ? 14 : 15]);
      if (T->H < 1 || T->Wd < 1 || T->C < 1 || T->kh < 1 || T->kw < 1 || T->sh < 1 || T->sw < 1 || T->pt < 0 || T->pl < 0 || T->OW < 1 ||
          oy0 < 0 || oy1 <= oy0 || T->H > (1 << 20) || T->Wd > (1 << 20) || T->kh > 4096 || T->kw > 4096 || T->sh > 4096 || T->sw > 4096 ||
          T->pt > 4096 || T->pl > 4096 || T->OW > (1 << 20) || oy1 > (1 << 20) || T->C > (1 << 24) || double(T->kh) * T->kw * 128 > 2.0e9)
        return "pool geometry";
      if (mx ? (T->shift < -30 || T->shift > 30) : (T->shift < -30 || T->shift > 62 || T->mult < 0 || T->mult > 2147483647)) return "pool shift outside the kernel's range";
      T->i0 = oy0;
      T->OH = oy1;
      T->maxEnd = std::max(T->x + size_t(T->H) * T->Wd * T->C, T->out + size_t(oy1) * T->OW * T->C);
      T->units = (oy1 - oy0) * ((T->C + 63) / 64);
      setChunks(*T, c, double(oy1 - oy0) * T->OW * T->C * T->kh * T->kw / 16.0);
      break;
    }
    case OP_CONCAT: {
      // out pixels total nParts (src width shift)*
      if (np < 4) return "too few op parameters";
      const int parts = int(p[3]);
      if (parts < 1 || np < size_t(4 + 3 * parts)) return "too few op parameters";
      if (!offsetOk(p[0]) || !intIn(p[1], 1, 1 << 30) || !intIn(p[2], 1, 1 << 30)) return "op tensor outside the memory";
      T->kind = K_CONCAT;
      T->out = size_t(p[0]);
      const int pixels = int(p[1]);
      T->total = int(p[2]);
      int sum = 0;
      T->maxEnd = T->out + size_t(pixels) * T->total;
      for (int j = 0; j < parts; j++) {
        const double* q = p + 4 + 3 * j;
        if (!offsetOk(q[0]) || !intIn(q[1], 1, 1 << 30) || !intIn(q[2], -30, 30)) return "concat part";
        T->parts.push_back(Part{size_t(q[0]), int(q[1]), int(q[2])});
        sum += int(q[1]);
        T->maxEnd = std::max(T->maxEnd, size_t(q[0]) + size_t(pixels) * size_t(q[1]));
      }
      if (sum != T->total) return "concat widths do not add up to the output's";
      T->units = pixels;
      setChunks(*T, c, double(pixels) * T->total / 4.0);
      break;
    }
    case OP_RESIZE: {
      // x H W C out OH OW shift, then OH source rows, then OW source columns
      if (np < 8) return "too few op parameters";
      if (!offsetOk(p[0]) || !offsetOk(p[4])) return "op tensor outside the memory";
      T->kind = K_RESIZE;
      T->x = size_t(p[0]); T->H = int(p[1]); T->Wd = int(p[2]); T->C = int(p[3]); T->out = size_t(p[4]); T->OH = int(p[5]); T->OW = int(p[6]);
      T->shift = int(p[7]);
      if (T->H < 1 || T->Wd < 1 || T->C < 1 || T->OH < 1 || T->OW < 1 || T->H > (1 << 20) || T->Wd > (1 << 20) || T->OH > (1 << 20) || T->OW > (1 << 20) ||
          T->C > (1 << 24) || double(T->OH) * T->OW * T->C > 4.0e9)
        return "resize geometry";
      if (T->shift < -30 || T->shift > 30) return "resize shift outside [-30, 30]";
      if (np < size_t(8 + T->OH + T->OW)) return "too few op parameters";
      for (int i = 0; i < T->OH; i++) {
        if (!intIn(p[8 + i], 0, T->H - 1)) return "resize source row outside the input";
        T->ys.push_back(int32_t(p[8 + i]));
      }
      for (int i = 0; i < T->OW; i++) {
        if (!intIn(p[8 + T->OH + i], 0, T->Wd - 1)) return "resize source column outside the input";
        T->xs.push_back(int32_t(p[8 + T->OH + i]));
      }
      T->maxEnd = std::max(T->x + size_t(T->H) * T->Wd * T->C, T->out + size_t(T->OH) * T->OW * T->C);
      T->units = T->OH;
      setChunks(*T, c, double(T->OH) * T->OW * T->C / 4.0);
      break;
    }
    default: return "unknown op kind";
  }
  out.push_back(std::move(T));
  return nullptr;
}

// ---- N-API glue ---------------------------------------------------------------------------------
#define NAPI_OK(call)                                                      \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, "E_NATIVE_NAPI", "N-API call failed: " #call); \
      return nullptr;                                                      \
    }                                                                      \
  } while (0)

napi_value throwErr(napi_env env, const char* msg) {
  napi_throw_error(env, "E_NATIVE_ARGS", msg);
  return nullptr;
}

// The optional ISA level argument argv[idx] (absent or not a number: the CPU's best). False, with a JS error
// thrown, when it is not a level this CPU supports.
static bool isaArg(napi_env env, napi_value* argv, size_t argc, size_t idx, int32_t* isa) {
  *isa = cpuLevel();
  if (argc > idx) {
    napi_valuetype vt;
    if (napi_typeof(env, argv[idx], &vt) != napi_ok || (vt == napi_number && napi_get_value_int32(env, argv[idx], isa) != napi_ok)) {
      napi_throw_error(env, "E_NATIVE_NAPI", "N-API call failed: reading the ISA argument");
      return false;
    }
  }
  if (*isa < 1 || *isa > cpuLevel()) {
    throwErr(env, "requested ISA level not supported by this CPU");
    return false;
  }
  return true;
}

bool getArgs(napi_env env, napi_callback_info info, size_t want, napi_value* argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want) {
    napi_throw_error(env, "E_NATIVE_ARGS", "too few arguments");
    return false;
  }
  return true;
}

bool typedArray(napi_env env, napi_value v, void** data, size_t* bytes, napi_typedarray_type* type = nullptr) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type t;
  size_t len;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, &len, data, &ab, &off) != napi_ok) return false;
  size_t el = 1;
  switch (t) {
    case napi_int16_array: case napi_uint16_array: el = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: el = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: el = 8; break;
    default: break;
  }
  *bytes = len * el;
  if (type) *type = t;
  return true;
}

template <typename T>
T* external(napi_env env, napi_value v) {
  napi_valuetype vt;
  if (napi_typeof(env, v, &vt) != napi_ok || vt != napi_external) return nullptr;
  void* p = nullptr;
  if (napi_get_value_external(env, v, &p) != napi_ok) return nullptr;
  return static_cast<T*>(p);
}

// context and weights handles: externals tagged so one cannot be passed for the other
constexpr napi_type_tag kCtxTag = {0x6470756674637478ULL, 0x0000000000000001ULL};
constexpr napi_type_tag kWTag = {0x6470756677677473ULL, 0x0000000000000002ULL};

template <typename T>
T* tagged(napi_env env, napi_value v, const napi_type_tag& tag) {
  bool ok = false;
  if (napi_check_object_type_tag(env, v, &tag, &ok) != napi_ok || !ok) return nullptr;
  return external<T>(env, v);
}

napi_value CpuLevel(napi_env env, napi_callback_info) {
  const int l = cpuLevel();
  const char* s = l == 2 ? "avx512vnni" : l == 1 ? "avx2" : "none";
  napi_value r;
  NAPI_OK(napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r));
  return r;
}

// createContext(threads, spinUs?)
napi_value CreateContext(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  size_t argc = 2;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1) return throwErr(env, "too few arguments");
  int32_t threads = 1;
  NAPI_OK(napi_get_value_int32(env, argv[0], &threads));
  if (threads < 1 || threads > 256) return throwErr(env, "threads must be 1..256");
  int32_t spin = 300;
  if (const char* e = std::getenv("DPUFLOW_NATIVE_SPIN_US")) spin = std::max(0, std::min(1000000, std::atoi(e)));
  if (argc >= 2) {
    napi_valuetype vt;
    NAPI_OK(napi_typeof(env, argv[1], &vt));
    if (vt == napi_number) NAPI_OK(napi_get_value_int32(env, argv[1], &spin));
    if (spin < 0 || spin > 1000000) return throwErr(env, "spinUs must be 0..1e6");
  }
  double chunkNs = 2000;
  if (const char* e = std::getenv("DPUFLOW_NATIVE_CHUNK_NS")) chunkNs = std::max(1.0, std::min(1e9, std::atof(e)));
  const char* pe = std::getenv("DPUFLOW_NATIVE_PROFILE");
  const char* so = std::getenv("DPUFLOW_NATIVE_SOLO");
  auto* ctx = new Context(threads, spin, chunkNs, pe && (pe[0] == '1' || pe[0] == '2') ? pe[0] - '0' : 0,
                          so && so[0] >= '1' && so[0] <= '3' ? so[0] - '0' : 0);
  if (const char* e = std::getenv("DPUFLOW_NATIVE_GATHER")) ctx->noGather = e[0] == '0';
  if (const char* e = std::getenv("DPUFLOW_NATIVE_FUSE")) ctx->noFuse = e[0] == '0';
  if (const char* e = std::getenv("DPUFLOW_NATIVE_PIXEL_MAJOR")) ctx->noPixelMajor = e[0] == '0';
  if (const char* e = std::getenv("DPUFLOW_NATIVE_AMX_TILEMAJOR")) ctx->amxTileMajorMax = std::max(0.0, std::atof(e));
  if (const char* e = std::getenv("DPUFLOW_NATIVE_AMX_PREFETCH")) ctx->amxPrefetch = std::max(0, std::min(64, std::atoi(e)));
  if (const char* e = std::getenv("DPUFLOW_NATIVE_DWFUSE")) ctx->dwFuse = e[0] == '1';
  if (const char* e = std::getenv("DPUFLOW_NATIVE_DWFUSE_ROWS")) ctx->dwFuseRows = std::max(1, std::atoi(e));
  napi_value r;
  NAPI_OK(napi_create_external(env, ctx, [](napi_env, void* d, void*) { delete static_cast<Context*>(d); }, nullptr, &r));
  NAPI_OK(napi_type_tag_object(env, r, &kCtxTag));
  return r;
}

// packConv(w: Int8Array [OC][kh][kw][C], OC, kh, kw, C, depthwise, isa?)  (depthwise: w is [kh][kw][C], OC = C)
napi_value PackConv(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  size_t argc = 7;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 6) return throwErr(env, "too few arguments");
  int32_t isa;
  if (!isaArg(env, argv, argc, 6, &isa)) return nullptr;
  void* data;
  size_t bytes;
  napi_typedarray_type t;
  if (!typedArray(env, argv[0], &data, &bytes, &t) || t != napi_int8_array) return throwErr(env, "weights must be an Int8Array");
  int32_t OC, kh, kw, C;
  bool dwise;
  NAPI_OK(napi_get_value_int32(env, argv[1], &OC));
  NAPI_OK(napi_get_value_int32(env, argv[2], &kh));
  NAPI_OK(napi_get_value_int32(env, argv[3], &kw));
  NAPI_OK(napi_get_value_int32(env, argv[4], &C));
  NAPI_OK(napi_get_value_bool(env, argv[5], &dwise));
  if (OC < 1 || kh < 1 || kw < 1 || C < 1 || kh > 4096 || kw > 4096 || C > (1 << 24) || OC > (1 << 24)) return throwErr(env, "bad weight shape");
  const int8_t* w = static_cast<const int8_t*>(data);
  auto W = std::make_shared<ConvWeights>();
  W->depthwise = dwise;
  W->isa = isa;
  W->OC = OC; W->kh = kh; W->kw = kw; W->C = C;
  if (dwise) {
    if (OC != C || bytes != size_t(kh) * kw * C) return throwErr(env, "depthwise weights are not [kh][kw][C]");
    if (kh > 64) return throwErr(env, "depthwise kernel taller than 64");
    if (isa == 2) {
      W->KW4 = (kw + 3) / 4;
      W->G64 = (C + 63) / 64;
      W->dwq.assign(size_t(W->G64) * kh * W->KW4 * 256, 0);
      W->dwcorr.assign(size_t(W->G64) * 64, 0);
      for (int cg = 0; cg < W->G64; cg++)
        for (int m = 0; m < 4; m++)
          for (int q = 0; q < 16; q++) {
            const int ch = cg * 64 + dwLaneChannel(m, q);
            if (ch >= C) continue;
            int32_t sum = 0;
            for (int ky = 0; ky < kh; ky++)
              for (int kx = 0; kx < kw; kx++) {
                const int8_t v = w[(size_t(ky) * kw + kx) * C + ch];
                sum += v;
                W->dwq[(((size_t(cg) * kh + ky) * W->KW4 + kx / 4) * 4 + m) * 64 + q * 4 + kx % 4] = v;
              }
            W->dwcorr[size_t(cg) * 64 + m * 16 + q] = 128 * sum;
          }
    } else {
      W->Cp = (C + 15) / 16 * 16;
      W->dw.assign(size_t(kh) * kw * W->Cp, 0);
      for (int tp = 0; tp < kh * kw; tp++)
        for (int c = 0; c < C; c++) W->dw[size_t(tp) * W->Cp + c] = int32_t(uint16_t(int16_t(w[size_t(tp) * C + c])));
    }
  } else if (isa == 1) {
    if (bytes != size_t(OC) * kh * kw * C) return throwErr(env, "conv weights are not [OC][kh][kw][C]");
    W->C2 = (C + 1) / 2;
    W->OB = (OC + 7) / 8;
    W->blockStride = size_t(kh) * kw * W->C2 * 16;
    W->packed2.assign(W->blockStride * W->OB, 0);
    for (int o = 0; o < OC; o++)
      for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++)
          for (int c = 0; c < C; c++)
            W->packed2[size_t(o / 8) * W->blockStride + ((size_t(ky) * kw + kx) * W->C2 + c / 2) * 16 + (o % 8) * 2 + c % 2] =
                w[((size_t(o) * kh + ky) * kw + kx) * C + c];
  } else {
    if (bytes != size_t(OC) * kh * kw * C) return throwErr(env, "conv weights are not [OC][kh][kw][C]");
    W->C4 = (C + 3) / 4;
    W->OB = (OC + 15) / 16;
    W->blockStride = size_t(kh) * kw * W->C4 * 64;
    W->packed.assign(W->blockStride * W->OB, 0);
    W->corr.assign(size_t(W->OB) * 16, 0);
    for (int o = 0; o < OC; o++) {
      int32_t sum = 0;
      const int ob = o / 16, j = o % 16;
      for (int ky = 0; ky < kh; ky++)
        for (int kx = 0; kx < kw; kx++)
          for (int c = 0; c < C; c++) {
            const int8_t v = w[((size_t(o) * kh + ky) * kw + kx) * C + c];
            sum += v;
            W->packed[size_t(ob) * W->blockStride + ((size_t(ky) * kw + kx) * W->C4 + c / 4) * 64 + j * 4 + c % 4] = v;
          }
      W->corr[o] = 128 * sum;
    }
    if (dpuflow_amx::enabled()) W->amx = dpuflow_amx::pack(w, OC, kh, kw, C);  // AMX-INT8 hook: B tiles once
  }
  const int64_t held = int64_t(W->packed.size() + W->packed2.size() * 2 + W->dw.size() * 4 + W->corr.size() * 4 + W->dwq.size() + W->dwcorr.size() * 4);
  auto* holder = new std::shared_ptr<ConvWeights>(std::move(W));
  napi_value r;
  NAPI_OK(napi_create_external(env, holder, [](napi_env, void* d, void*) { delete static_cast<std::shared_ptr<ConvWeights>*>(d); }, nullptr, &r));
  NAPI_OK(napi_type_tag_object(env, r, &kWTag));
  int64_t adjusted;
  napi_adjust_external_memory(env, held, &adjusted);
  return r;
}

bool memArg(napi_env env, napi_value v, uint8_t** mem, size_t* bytes) {
  void* p;
  if (!typedArray(env, v, &p, bytes)) return false;
  *mem = static_cast<uint8_t*>(p);
  return true;
}

bool paramsArg(napi_env env, napi_value v, const double** p, size_t* n) {
  void* d;
  size_t bytes;
  napi_typedarray_type t;
  if (!typedArray(env, v, &d, &bytes, &t) || t != napi_float64_array) return false;
  *p = static_cast<const double*>(d);
  *n = bytes / 8;
  return true;
}

// conv(ctx, weights, mem, params): one conv now (not added to the program)
napi_value Conv(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!getArgs(env, info, 4, argv)) return nullptr;
  Context* ctx = tagged<Context>(env, argv[0], kCtxTag);
  auto* W = tagged<std::shared_ptr<ConvWeights>>(env, argv[1], kWTag);
  if (!ctx || !W) return throwErr(env, "context / weights handle expected");
  uint8_t* mem; size_t memBytes; const double* p; size_t np;
  if (!memArg(env, argv[2], &mem, &memBytes)) return throwErr(env, "memory must be a typed array");
  if (!paramsArg(env, argv[3], &p, &np) || np < P_COUNT) return throwErr(env, "params must be a Float64Array");
  std::vector<std::unique_ptr<Task>> tasks;
  {
    auto lock = ctx->quiesce();
    if (const char* err = buildConv(*ctx, *W, p, tasks)) return throwErr(env, err);
    for (auto& t : tasks)
      if (t->maxEnd > memBytes) return throwErr(env, "conv tensor outside the memory");
    ctx->oneoff = std::move(tasks);
    ctx->oneoffPtr.clear();
    for (auto& t : ctx->oneoff) ctx->oneoffPtr.push_back(t.get());
  }
  ctx->run(ctx->oneoffPtr.data(), 0, int(ctx->oneoffPtr.size()), mem);
  return nullptr;
}

napi_value ProgramLength(napi_env env, Context* ctx) {
  napi_value r;
  NAPI_OK(napi_create_int32(env, int32_t(ctx->prog.size()), &r));
  return r;
}

// An AMX conv's split by its tiles' real cost: the hook estimates a conv's time from its MACs, but an AMX unit
// costs its whole tiles (32 positions × up to 8 channel blocks × K) however few positions or channels they hold,
// so a 1-pixel fully connected layer (ResNet-50's 2048 → 1000: 8 units, 2 M MACs, ~0.25 ms of weight streaming)
// ran on one thread. Raised here (never lowered) from the tile work; DPUFLOW_NATIVE_AMX_RESPLIT=0 keeps the hook's.
void amxResplit(const Context& c, Task& T) {
  if (T.kind != K_CONV_AMX || c.n <= 1 || !T.W || !T.W->amx) return;
  static const bool off = [] { const char* e = std::getenv("DPUFLOW_NATIVE_AMX_RESPLIT"); return e && e[0] == '0'; }();
  if (off) return;
  const dpuflow_amx::Packed& P = *T.W->amx;
  const double perUnit = 32.0 * std::min(8, P.NB) * 16 * P.kh * P.KB * 64;  // MACs of a unit's whole tiles
  const int before = T.chunks;
  setChunks(T, c, perUnit * T.units / 600.0);
  if (T.chunks < before) setChunks(T, c, double(before) * c.chunkNs);
}

void appendProgram(Context* ctx, std::vector<std::unique_ptr<Task>>& tasks) {
  for (auto& t : tasks) {
    amxResplit(*ctx, *t);
    ctx->progPtr.push_back(t.get());
    ctx->prog.push_back(std::move(t));
  }
}

// [a, a + an) and [b, b + bn) share no byte
inline bool disjoint(size_t a, size_t an, size_t b, size_t bn) { return a + an <= b || b + bn <= a; }

// A 1×1 stride-1 conv without padding (direct: gathered tiles, > 1 thread) that reads exactly the output
// of the VNNI depthwise right before it in the program becomes part of that task (K_DW_PROJ): each thread
// computes a band of depthwise rows and then the projection of the same rows — no barrier between them and
// the depthwise rows are read back from the thread's own cache. Only when no tensor written by the fused
// task overlaps one it reads (the executor never reuses slots, so this always holds there).
bool fuseProjection(Context& c, std::vector<std::unique_ptr<Task>>& tasks) {
  if (c.n < 2 || !c.dwFuse || tasks.size() != 1 || c.prog.empty()) return false;
  Task& D = *c.prog.back();
  Task& P = *tasks[0];
  if (D.OH < c.dwFuseRows) return false;
  if (D.kind != K_DW_VNNI || D.proj || P.kind != K_CONV_VNNI || !P.direct || P.isa != 2 || P.kh != 1 || P.kw != 1 || P.sh != 1 || P.sw != 1) return false;
  if (P.x != D.out || P.C != D.C || P.H != D.OH || P.Wd != D.OW || P.OH != D.OH || P.OW != D.OW) return false;
  const size_t din = size_t(D.H) * D.Wd * D.C, dout = size_t(D.OH) * D.OW * D.C, pout = size_t(P.OH) * P.OW * P.OC;
  if (!disjoint(D.x, din, D.out, dout) || !disjoint(P.out, pout, D.x, din) || !disjoint(P.out, pout, D.out, dout)) return false;
  D.kind = K_DW_PROJ;
  D.units = D.OH;
  const double macs = double(D.OH) * D.OW * D.C * D.kh * D.kw / 40.0 + double(P.OH) * P.OW * P.OC * P.C / 200.0;
  setChunks(D, c, macs);
  D.maxEnd = std::max(D.maxEnd, P.maxEnd);
  D.proj = std::move(tasks[0]);
  return true;
}

// An add over the whole output of a fused projection (K_DW_PROJ's, the add right after it in the program)
// joins that task: each band adds its own pixels. Only when each input of the add is the projection's
// output itself or overlaps nothing the task writes, and the add's output overlaps nothing the task reads
// (other than in place, index for index).
bool fuseResidual(Context& c, std::vector<std::unique_ptr<Task>>& tasks) {
  if (c.n < 2 || !c.dwFuse || tasks.size() != 1 || c.prog.empty()) return false;
  Task& D = *c.prog.back();
  Task& A = *tasks[0];
  if (D.kind != K_DW_PROJ || D.radd || A.kind != K_ADD || A.isa != 2 || A.reluOut != SIZE_MAX) return false;
  const Task& P = *D.proj;
  const size_t din = size_t(D.H) * D.Wd * D.C, dout = size_t(D.OH) * D.OW * D.C, pout = size_t(P.OH) * P.OW * P.OC;
  if (A.i0 != 0 || A.i1 != int64_t(pout) || (A.x != P.out && A.y != P.out)) return false;
  for (size_t in : {A.x, A.y})
    if (in != P.out && in != A.out && (!disjoint(in, pout, D.out, dout) || !disjoint(in, pout, P.out, pout) || !disjoint(in, pout, A.out, pout))) return false;
  if (A.out != P.out && !disjoint(A.out, pout, P.out, pout)) return false;
  if (!disjoint(A.out, pout, D.x, din) || !disjoint(A.out, pout, D.out, dout)) return false;
  for (size_t in : {A.x, A.y})
    if (in != A.out && !disjoint(in, pout, A.out, pout)) return false;
  D.maxEnd = std::max(D.maxEnd, A.maxEnd);
  D.radd = std::move(tasks[0]);
  return true;
}

// addConv(ctx, weights, params) → program length after adding the conv's tasks
napi_value AddConv(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!getArgs(env, info, 3, argv)) return nullptr;
  Context* ctx = tagged<Context>(env, argv[0], kCtxTag);
  auto* W = tagged<std::shared_ptr<ConvWeights>>(env, argv[1], kWTag);
  if (!ctx || !W) return throwErr(env, "context / weights handle expected");
  const double* p; size_t np;
  if (!paramsArg(env, argv[2], &p, &np) || np < P_COUNT) return throwErr(env, "params must be a Float64Array");
  auto lock = ctx->quiesce();
  std::vector<std::unique_ptr<Task>> tasks;
  if (const char* err = buildConv(*ctx, *W, p, tasks)) return throwErr(env, err);
  if (fuseProjection(*ctx, tasks)) return ProgramLength(env, ctx);
  appendProgram(ctx, tasks);
  return ProgramLength(env, ctx);
}

// addOp(ctx, kind, params, isa?) → program length
napi_value AddOp(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc = 4;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 3) return throwErr(env, "too few arguments");
  Context* ctx = tagged<Context>(env, argv[0], kCtxTag);
  if (!ctx) return throwErr(env, "context handle expected");
  int32_t kind;
  NAPI_OK(napi_get_value_int32(env, argv[1], &kind));
  const double* p; size_t np;
  if (!paramsArg(env, argv[2], &p, &np)) return throwErr(env, "params must be a Float64Array");
  int32_t isa;
  if (!isaArg(env, argv, argc, 3, &isa)) return nullptr;
  auto lock = ctx->quiesce();
  std::vector<std::unique_ptr<Task>> tasks;
  if (const char* err = buildOp(*ctx, isa, kind, p, np, tasks)) return throwErr(env, err);
  if (fuseResidual(*ctx, tasks)) return ProgramLength(env, ctx);
  // a relu (shift 0) right after an add of the whole range it reads: written by the add's pass (one task,
  // one wait less); the relu adds no task
  if (tasks.size() == 1 && tasks[0]->kind == K_RELU && tasks[0]->shift == 0 && !ctx->prog.empty() && !ctx->noFuse) {
    Task& A = *ctx->prog.back();
    const Task& R = *tasks[0];
    if (A.kind == K_ADD && A.reluOut == SIZE_MAX && A.isa == R.isa && R.x == A.out && R.i0 == A.i0 && R.i1 == A.i1 &&
        (R.out + size_t(R.i1) <= A.x + size_t(A.i0) || R.out + size_t(R.i0) >= A.x + size_t(A.i1)) &&
        (R.out + size_t(R.i1) <= A.y + size_t(A.i0) || R.out + size_t(R.i0) >= A.y + size_t(A.i1)) &&
        (R.out + size_t(R.i1) <= A.out + size_t(A.i0) || R.out + size_t(R.i0) >= A.out + size_t(A.i1))) {
      A.reluOut = R.out;
      A.maxEnd = std::max(A.maxEnd, R.maxEnd);
      return ProgramLength(env, ctx);
    }
  }
  appendProgram(ctx, tasks);
  return ProgramLength(env, ctx);
}

// run(ctx, mem, from, to): program tasks [from, to) on the context's threads, one dispatch
napi_value Run(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!getArgs(env, info, 4, argv)) return nullptr;
  Context* ctx = tagged<Context>(env, argv[0], kCtxTag);
  if (!ctx) return throwErr(env, "context handle expected");
  uint8_t* mem; size_t memBytes;
  if (!memArg(env, argv[1], &mem, &memBytes)) return throwErr(env, "memory must be a typed array");
  int32_t from, to;
  NAPI_OK(napi_get_value_int32(env, argv[2], &from));
  NAPI_OK(napi_get_value_int32(env, argv[3], &to));
  if (from < 0 || to < from || size_t(to) > ctx->prog.size()) return throwErr(env, "task range outside the program");
  for (int t = from; t < to; t++)
    if (ctx->progPtr[size_t(t)]->maxEnd > memBytes) return throwErr(env, "op tensor outside the memory");
  ctx->run(ctx->progPtr.data(), from, to, mem);
  return nullptr;
}

// wake(ctx): sleeping workers start spinning (call a little before run)
napi_value Wake(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!getArgs(env, info, 1, argv)) return nullptr;
  Context* ctx = tagged<Context>(env, argv[0], kCtxTag);
  if (!ctx) return throwErr(env, "context handle expected");
  ctx->wake();
  return nullptr;
}

// profile(ctx, reset): per program task [kind, units, chunks, wallNs, runs, busyNs t0..t3, chunksRun t0..t3, cpuNs t0..t3]
// (zeros unless the context was created with DPUFLOW_NATIVE_PROFILE=1 or 2; with =2 cpuNs = busyNs, see Task::profT);
// reset zeroes the counters
constexpr int kProfCols = 17;
napi_value Profile(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!getArgs(env, info, 2, argv)) return nullptr;
  Context* ctx = tagged<Context>(env, argv[0], kCtxTag);
  if (!ctx) return throwErr(env, "context handle expected");
  bool reset = false;
  NAPI_OK(napi_get_value_bool(env, argv[1], &reset));
  auto lock = ctx->quiesce();
  const size_t nt = ctx->prog.size();
  napi_value ab, arr;
  void* data = nullptr;
  NAPI_OK(napi_create_arraybuffer(env, nt * kProfCols * 8, &data, &ab));
  double* d = static_cast<double*>(data);
  for (size_t i = 0; i < nt; i++) {
    Task& T = *ctx->prog[i];
    double* r = d + i * kProfCols;
    r[0] = T.kind; r[1] = T.units; r[2] = T.chunks; r[3] = T.profWall; r[4] = T.profRuns;
    for (int j = 0; j < 4; j++) { r[5 + j] = T.profT[j].busy; r[9 + j] = T.profT[j].chunks; r[13 + j] = T.profT[j].cpu; }
    if (reset) {
      T.profWall = T.profRuns = 0;
      for (int j = 0; j < 4; j++) T.profT[j] = Task::ProfSlot{};
    }
  }
  NAPI_OK(napi_create_typedarray(env, napi_float64_array, nt * kProfCols, ab, 0, &arr));
  return arr;
}

// ---- feeds and outputs: the executor's float <-> int8 conversions -------------------------------
// quantize: q = NaN ? 0 : clamp(floor(x·2^fp + 1/2), −128, 127), every step in double exactly as the
// executor's JS loop (x·2^fp is exact in double, so is + 1/2 wherever the clamp does not decide).
inline int8_t quantizeOne(float x, double scale) {
  const double v = double(x) * scale;
  if (v != v) return 0;
  const double f = std::floor(v + 0.5);
  return int8_t(f < -128 ? -128 : f > 127 ? 127 : int(f));
}
// quantize in float32, 16 values per step, exactly as quantizeOne: scale is a power of two (2^fp) that float32
// holds as a normal number, so x·scale is exact (or ±inf / a subnormal, which clamp / round to the same bytes);
// floor(v + 0.5) = floor(v) + (v − floor(v) ≥ 0.5), whose difference is exact in float32 (|v| < 2^23; above
// that v is an integer and the difference 0); NaN → 0, ±inf → 127 / −128 (the difference inf − inf is NaN: no + 1)
VNNI_TARGET bool quantizeF32(const float* x, int8_t* q, size_t n, double scale, size_t& i) {
  int e = 0;
  if (std::frexp(scale, &e) != 0.5 || e - 1 < -126 || e - 1 > 127) return false;
  const __m512 sc = _mm512_set1_ps(float(scale)), half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
  const __m512 lo = _mm512_set1_ps(-128.0f), hi = _mm512_set1_ps(127.0f), zero = _mm512_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + i), sc);
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    __m512 f = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    f = _mm512_mask_add_ps(f, _mm512_cmp_ps_mask(_mm512_sub_ps(v, f), half, _CMP_GE_OQ), f, one);
    f = _mm512_mask_mov_ps(_mm512_min_ps(_mm512_max_ps(f, lo), hi), nan, zero);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(f)));
  }
  return true;
}
VNNI_TARGET void quantizeV(const float* x, int8_t* q, size_t n, double scale) {
  const __m512d sc = _mm512_set1_pd(scale), h = _mm512_set1_pd(0.5), lo = _mm512_set1_pd(-128), hi = _mm512_set1_pd(127);
  size_t i = 0;
  static const bool f32 = [] { const char* e = std::getenv("DPUFLOW_NATIVE_QUANT_F32"); return !(e && e[0] == '0'); }();
  if (f32 && quantizeF32(x, q, n, scale, i)) {
    for (; i < n; i++) q[i] = quantizeOne(x[i], scale);
    return;
  }
  for (; i + 8 <= n; i += 8) {
    const __m512d v = _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i)), sc);
    const __mmask8 nan = _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q);
    __m512d f = _mm512_roundscale_pd(_mm512_add_pd(v, h), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    f = _mm512_min_pd(_mm512_max_pd(f, lo), hi);
    f = _mm512_mask_mov_pd(f, nan, _mm512_setzero_pd());
    _mm_storel_epi64(reinterpret_cast<__m128i*>(q + i), _mm512_cvtepi32_epi8(_mm512_castsi256_si512(_mm512_cvtpd_epi32(f))));
  }
  for (; i < n; i++) q[i] = quantizeOne(x[i], scale);
}
// dequantize: x = q · 2^−fp as float32 (exact)
VNNI_TARGET void dequantizeV(const int8_t* q, float* x, size_t n, float scale) {
  const __m512 sc = _mm512_set1_ps(scale);
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + i)))), sc));
  for (; i < n; i++) x[i] = float(q[i]) * scale;
}

// the conversion split over the context's threads (blocks of kConvBlock values)
void convertPar(Context& ctx, int kind, int isa, const float* src, float* dst, uint8_t* mem, size_t off, size_t n, double scale) {
  auto lock = ctx.quiesce();
  Task& T = ctx.conv;
  T.kind = kind; T.isa = isa; T.fsrc = src; T.fdst = dst; T.out = off; T.i0 = 0; T.i1 = int64_t(n); T.scale = scale;
  T.units = int((int64_t(n) + kConvBlock - 1) / kConvBlock);
  setSplit(T, ctx.n, double(4 * ctx.n));
  lock.clear();
  ctx.run(ctx.convPtr, 0, 1, mem);
}

// optional 6th argument: the ISA level to use (default the CPU's)
int isaArg(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  size_t argc = 6;
  int32_t isa = cpuLevel();
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) == napi_ok && argc >= 6) {
    napi_valuetype vt;
    if (napi_typeof(env, argv[5], &vt) == napi_ok && vt == napi_number) napi_get_value_int32(env, argv[5], &isa);
  }
  return std::min(isa, cpuLevel());
}

bool floatArray(napi_env env, napi_value v, float** p, size_t* n) {
  void* d;
  size_t bytes;
  napi_typedarray_type t;
  if (!typedArray(env, v, &d, &bytes, &t) || t != napi_float32_array) return false;
  *p = static_cast<float*>(d);
  *n = bytes / 4;
  return true;
}

// quantize(src: Float32Array, mem, off, n, fp): mem[off .. off+n) = the int8 feed
napi_value Quantize(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!getArgs(env, info, 5, argv)) return nullptr;
  float* x; size_t xn; uint8_t* mem; size_t memBytes;
  if (!floatArray(env, argv[0], &x, &xn)) return throwErr(env, "src must be a Float32Array");
  if (!memArg(env, argv[1], &mem, &memBytes)) return throwErr(env, "memory must be a typed array");
  double off, n;
  int32_t fp;
  NAPI_OK(napi_get_value_double(env, argv[2], &off));
  NAPI_OK(napi_get_value_double(env, argv[3], &n));
  NAPI_OK(napi_get_value_int32(env, argv[4], &fp));
  if (!offsetOk(off) || !offsetOk(n) || size_t(n) > xn || size_t(off) + size_t(n) > memBytes) return throwErr(env, "quantize range outside the arrays");
  if (fp < -60 || fp > 60) return throwErr(env, "fix point outside [-60, 60]");
  const double scale = std::ldexp(1.0, fp);
  int8_t* q = reinterpret_cast<int8_t*>(mem + size_t(off));
  if (isaArg(env, info) == 2) quantizeV(x, q, size_t(n), scale);
  else
    for (size_t i = 0; i < size_t(n); i++) q[i] = quantizeOne(x[i], scale);
  return nullptr;
}

// quantizeIn(ctx, src, mem, off, n, fp, isa?) / dequantizeIn(ctx, mem, off, n, fp, dst, isa?): the same
// conversions, split over the context's threads
napi_value ConvertIn(napi_env env, napi_callback_info info, bool quant) {
  napi_value argv[7];
  size_t argc = 7;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 6) return throwErr(env, "too few arguments");
  Context* ctx = tagged<Context>(env, argv[0], kCtxTag);
  if (!ctx) return throwErr(env, "context handle expected");
  float* x; size_t xn; uint8_t* mem; size_t memBytes;
  if (!floatArray(env, argv[quant ? 1 : 5], &x, &xn)) return throwErr(env, quant ? "src must be a Float32Array" : "dst must be a Float32Array");
  if (!memArg(env, argv[quant ? 2 : 1], &mem, &memBytes)) return throwErr(env, "memory must be a typed array");
  double off, n;
  int32_t fp;
  NAPI_OK(napi_get_value_double(env, argv[quant ? 3 : 2], &off));
  NAPI_OK(napi_get_value_double(env, argv[quant ? 4 : 3], &n));
  NAPI_OK(napi_get_value_int32(env, argv[quant ? 5 : 4], &fp));
  if (!offsetOk(off) || !offsetOk(n) || size_t(n) > xn || size_t(off) + size_t(n) > memBytes) return throwErr(env, "conversion range outside the arrays");
  if (fp < -60 || fp > 60) return throwErr(env, "fix point outside [-60, 60]");
  int32_t isa;
  if (!isaArg(env, argv, argc, 6, &isa)) return nullptr;
  if (quant) convertPar(*ctx, K_QUANT, isa, x, nullptr, mem, size_t(off), size_t(n), std::ldexp(1.0, fp));
  else convertPar(*ctx, K_DEQUANT, isa, nullptr, x, mem, size_t(off), size_t(n), double(float(std::ldexp(1.0, -fp))));
  return nullptr;
}
napi_value QuantizeIn(napi_env env, napi_callback_info info) { return ConvertIn(env, info, true); }
napi_value DequantizeIn(napi_env env, napi_callback_info info) { return ConvertIn(env, info, false); }

// dequantize(mem, off, n, fp, dst: Float32Array): dst[0 .. n) = mem[off ..] · 2^−fp
napi_value Dequantize(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!getArgs(env, info, 5, argv)) return nullptr;
  uint8_t* mem; size_t memBytes; float* x; size_t xn;
  if (!memArg(env, argv[0], &mem, &memBytes)) return throwErr(env, "memory must be a typed array");
  if (!floatArray(env, argv[4], &x, &xn)) return throwErr(env, "dst must be a Float32Array");
  double off, n;
  int32_t fp;
  NAPI_OK(napi_get_value_double(env, argv[1], &off));
  NAPI_OK(napi_get_value_double(env, argv[2], &n));
  NAPI_OK(napi_get_value_int32(env, argv[3], &fp));
  if (!offsetOk(off) || !offsetOk(n) || size_t(n) > xn || size_t(off) + size_t(n) > memBytes) return throwErr(env, "dequantize range outside the arrays");
  if (fp < -60 || fp > 60) return throwErr(env, "fix point outside [-60, 60]");
  const float scale = float(std::ldexp(1.0, -fp));
  const int8_t* q = reinterpret_cast<const int8_t*>(mem + size_t(off));
  if (isaArg(env, info) == 2) dequantizeV(q, x, size_t(n), scale);
  else
    for (size_t i = 0; i < size_t(n); i++) x[i] = float(q[i]) * scale;
  return nullptr;
}

// peak(iters): independent vpdpbusd chains (no memory traffic) → MACs done (for the roofline)
VNNI_TARGET double peakImpl(int64_t iters) {
  __m512i a[12];
  for (int i = 0; i < 12; i++) a[i] = _mm512_set1_epi32(i);
  const __m512i x = _mm512_set1_epi32(0x01020304), w = _mm512_set1_epi32(0x05060708);
  for (int64_t k = 0; k < iters; k++)
    for (int i = 0; i < 12; i++) a[i] = _mm512_dpbusd_epi32(a[i], x, w);
  __m512i s = a[0];
  for (int i = 1; i < 12; i++) s = _mm512_add_epi32(s, a[i]);
  return double(_mm512_reduce_add_epi32(s));
}

napi_value Peak(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!getArgs(env, info, 1, argv)) return nullptr;
  double iters;
  NAPI_OK(napi_get_value_double(env, argv[0], &iters));
  if (cpuLevel() < 2) return throwErr(env, "peak() measures AVX-512 VNNI, which this CPU lacks");
  const double chk = peakImpl(int64_t(iters));
  napi_value r;
  NAPI_OK(napi_create_double(env, double(int64_t(iters)) * 12 * 64 + 0 * chk, &r));
  return r;
}

// amxStatus() → [status ("on" / "off: why"), AMX units run since load]: the AMX-INT8 hook (native/amx_conv.cc)
napi_value AmxStatus(napi_env env, napi_callback_info) {
  napi_value r, s, u;
  NAPI_OK(napi_create_array_with_length(env, 2, &r));
  NAPI_OK(napi_create_string_utf8(env, dpuflow_amx::status(), NAPI_AUTO_LENGTH, &s));
  NAPI_OK(napi_create_double(env, double(dpuflow_amx::unitsRun()), &u));
  NAPI_OK(napi_set_element(env, r, 0, s));
  NAPI_OK(napi_set_element(env, r, 1, u));
  return r;
}

napi_value Init(napi_env env, napi_value exports) {
  if (cpuLevel() < 1) {
    // the kernels need AVX2 at least: export only cpuLevel so the loader can say why it refuses
    napi_property_descriptor d[] = {{"cpuLevel", nullptr, CpuLevel, nullptr, nullptr, nullptr, napi_default, nullptr}};
    napi_define_properties(env, exports, 1, d);
    return exports;
  }
  napi_property_descriptor d[] = {
      {"cpuLevel", nullptr, CpuLevel, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"createContext", nullptr, CreateContext, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"packConv", nullptr, PackConv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv", nullptr, Conv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addConv", nullptr, AddConv, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addOp", nullptr, AddOp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"run", nullptr, Run, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"wake", nullptr, Wake, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"quantize", nullptr, Quantize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dequantize", nullptr, Dequantize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"peak", nullptr, Peak, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"profile", nullptr, Profile, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"quantizeIn", nullptr, QuantizeIn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dequantizeIn", nullptr, DequantizeIn, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"amxStatus", nullptr, AmxStatus, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(d) / sizeof(d[0]), d);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
