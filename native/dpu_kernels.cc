// dpuflow native INT8 kernels for the virtual DPU's 'run' mode (N-API, C++17).
//
// The same arithmetic as assembly/kernels.ts and src/kernels/ref/int8 (docs/dpu-arithmetic.md):
// exact int32 accumulation of int8 products, the DPU output stage (bias shift, shift_cut with
// DPU rounding floor(x/2^s + 1/2), relu / relu6 / leaky 26/256 / hsigmoid / hswish, saturation).
//
// conv: AVX-512 VNNI `vpdpbusd` (u8 x s8, 4 products per int32 lane). Activations are offset by
// +128 (x ^ 0x80 gives the u8 x + 128) so Σ(x+128)·w = Σx·w + 128·Σw; the per-output-channel
// correction 128·Σw is subtracted afterwards. vpdpbusd wraps modulo 2^32, so the result is exact
// whenever |Σx·w| < 2^31 (the executor checks kred·2^14 < 2^31 before using any kernel).
// Spatial padding is the u8 value 128 (= x 0), so the correction is the same for every pixel.
//
// The kernels read and write the caller's memory (the WebAssembly arena) through a typed array:
// nothing is copied in or out except into the native padded-input scratch of a context.
#include <node_api.h>

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))
#define AVX2_TARGET __attribute__((target("avx2")))

namespace {

// ---- CPU level ----------------------------------------------------------------------------------
int cpuLevel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512vnni"))
    return 2;
  if (__builtin_cpu_supports("avx2")) return 1;
  return 0;
}

// ---- thread pool (one per context) --------------------------------------------------------------
class Pool {
 public:
  explicit Pool(int n) : n_(n < 1 ? 1 : n) {
    for (int i = 1; i < n_; i++) workers_.emplace_back([this, i] { loop(i); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> g(m_);
      stop_ = true;
      gen_++;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int size() const { return n_; }
  // Runs f(index, count) on `count` threads (the caller is index 0) and waits for all.
  void run(int count, const std::function<void(int, int)>& f) {
    count = std::max(1, std::min(count, n_));
    if (count == 1) {
      f(0, 1);
      return;
    }
    {
      std::lock_guard<std::mutex> g(m_);
      job_ = &f;
      count_ = count;
      pending_ = count - 1;
      gen_++;
    }
    cv_.notify_all();
    f(0, count);
    std::unique_lock<std::mutex> l(m_);
    done_.wait(l, [this] { return pending_ == 0; });
    job_ = nullptr;
  }

  // a(i, n) on every thread, a barrier, then b(i, n): one dispatch for two phases
  void run2(int count, const std::function<void(int, int)>& a, const std::function<void(int, int)>& b) {
    count = std::max(1, std::min(count, n_));
    if (count == 1) {
      a(0, 1);
      b(0, 1);
      return;
    }
    std::atomic<int> arrived{0};
    run(count, [&](int i, int n) {
      a(i, n);
      arrived.fetch_add(1, std::memory_order_acq_rel);
      for (int spin = 0; arrived.load(std::memory_order_acquire) < n; spin++) {
        if (spin < 2000) _mm_pause();
        else std::this_thread::yield();
      }
      b(i, n);
    });
  }

 private:
  void loop(int index) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int, int)>* job;
      int count;
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return gen_ != seen; });
        seen = gen_;
        if (stop_) return;
        job = job_;
        count = count_;
      }
      if (index < count && job) {
        (*job)(index, count);
        std::lock_guard<std::mutex> g(m_);
        if (--pending_ == 0) done_.notify_one();
      }
    }
  }
  int n_;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_, done_;
  const std::function<void(int, int)>* job_ = nullptr;
  int count_ = 1;
  int pending_ = 0;
  uint64_t gen_ = 0;
  bool stop_ = false;
};

struct Context {
  Pool pool;
  std::vector<uint8_t> scratch;  // padded input (u8 for conv, int8 for depthwise), 64-byte aligned use
  explicit Context(int threads) : pool(threads) {}
  uint8_t* scratchBytes(size_t n) {
    if (scratch.size() < n + 64) scratch.resize(n + 64);
    uintptr_t p = reinterpret_cast<uintptr_t>(scratch.data());
    return reinterpret_cast<uint8_t*>((p + 63) & ~uintptr_t(63));
  }
};

// ---- packed weights ------------------------------------------------------------------------------
struct ConvWeights {
  int isa = 2;  // 2: AVX-512 VNNI layouts, 1: AVX2 layouts
  bool depthwise = false;
  int C2 = 0;                   // AVX2 conv: input channel pairs
  std::vector<int16_t> packed2; // AVX2 conv: [ob of 8][ky][kx][c2][8 oc][2 c] (blockStride in int16)
  int OC = 0, kh = 0, kw = 0, C = 0;
  int C4 = 0;    // conv: input channels / 4 rounded up
  int Cp = 0;    // depthwise: channels rounded to 16
  int OB = 0;    // conv: blocks of 16 output channels
  size_t blockStride = 0;  // conv: bytes of one 16-oc block = kh·kw·C4·64
  std::vector<int8_t> packed;   // conv: [ob][ky][kx][c4][16 oc][4 c]
  std::vector<int32_t> dw;      // depthwise: [ky][kx][Cp] (int32, value in the low 16 bits)
  std::vector<int32_t> corr;    // conv: 128·Σw per output channel (OB·16)
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
  return v * (int64_t(1) << (-s));
}
inline int32_t sat(int64_t v) { return v < -128 ? -128 : v > 127 ? 127 : int32_t(v); }

inline int32_t stage1(const Stage& st, int32_t acc, int o) {
  const int64_t a = int64_t(acc) * (int64_t(1) << st.accShift) + int64_t(st.bias[o]);
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

// The exact stage (stage1) on 8 int64 lanes: every mode, any shift_bias sign, no overflow proof needed.
VNNI_TARGET inline __m512i sr64(__m512i v, int s) {
  if (s > 0) return _mm512_sra_epi64(_mm512_add_epi64(v, _mm512_set1_epi64(int64_t(1) << (s - 1))), _mm_cvtsi32_si128(s));
  if (s == 0) return v;
  return _mm512_sll_epi64(v, _mm_cvtsi32_si128(-s));
}
VNNI_TARGET inline __m512i sat64(__m512i v) {
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

// 16 exact int32 sums of output channels o..o+15 → n ≤ 16 int8 at out.
VNNI_TARGET inline void stage16(const Stage& st, __m512i v, int o, int8_t* out, int n) {
  const __mmask16 m = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
  if (st.fast && st.cut >= 0) {
    v = _mm512_add_epi32(v, _mm512_maskz_loadu_epi32(m, st.bias + o));
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
    _mm_mask_storeu_epi8(out, m, _mm512_cvtsepi32_epi8(v));
    return;
  }
  // exact int64 path: a = (acc << accShift) + bias, 8 lanes at a time
  const __m512i b = _mm512_maskz_loadu_epi32(m, st.bias + o);
  const __m128i sh = _mm_cvtsi32_si128(st.accShift);
  const __m512i lo = _mm512_add_epi64(_mm512_sll_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(v)), sh), _mm512_cvtepi32_epi64(_mm512_castsi512_si256(b)));
  const __m512i hi = _mm512_add_epi64(_mm512_sll_epi64(_mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1)), sh), _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(b, 1)));
  const __m128i r = _mm_unpacklo_epi64(stage8x64(st, lo), stage8x64(st, hi));
  _mm_mask_storeu_epi8(out, m, r);
}

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
  const uint8_t* xp;  // padded u8 input Hp×Wp×(C4·4)
  int Wp, Cs;         // Cs = C4·4 (bytes per pixel)
  int sh, sw, dh, dw;
  int8_t* out;
  int OH, OW;
};

// P output pixels pix0 .. pix0+P-1 (flattened oy·OW + ox, so a tile may span rows) × NB blocks of
// 16 output channels starting at block ob.
template <int NB, int P>
VNNI_TARGET void convTile(const ConvWeights& W, const ConvGeo& g, const Stage& st, int pix0, int ob) {
  __m512i acc[P][NB];
  const uint8_t* xb[P];
  for (int p = 0; p < P; p++) {
    const int oy = (pix0 + p) / g.OW, ox = (pix0 + p) % g.OW;
    xb[p] = g.xp + (size_t(oy) * g.sh * g.Wp + size_t(ox) * g.sw) * g.Cs;
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
          int32_t xv;
          std::memcpy(&xv, xb[p] + off + size_t(j) * 4, 4);
          const __m512i xbc = _mm512_set1_epi32(xv);
          for (int b = 0; b < NB; b++) acc[p][b] = _mm512_dpbusd_epi32(acc[p][b], xbc, wv[b]);
        }
      }
    }
  }
  const int OC = W.OC;
  for (int b = 0; b < NB; b++) {
    const int o = (ob + b) * 16;
    const __m512i corr = _mm512_loadu_si512(W.corr.data() + o);
    const int n = std::min(16, OC - o);
    for (int p = 0; p < P; p++) stage16(st, _mm512_sub_epi32(acc[p][b], corr), o, g.out + size_t(pix0 + p) * OC + o, n);
  }
}

template <int NB> constexpr int tileP() { return NB >= 4 ? 6 : NB == 3 ? 8 : NB == 2 ? 12 : 16; }

template <int NB, int R>
VNNI_TARGET void convTail(const ConvWeights& W, const ConvGeo& g, const Stage& st, int pix0, int ob, int r) {
  if constexpr (R > 0) {
    if (r == R) convTile<NB, R>(W, g, st, pix0, ob);
    else convTail<NB, R - 1>(W, g, st, pix0, ob, r);
  }
}

// tiles [t0, t1) of the group of NB blocks at ob
template <int NB>
VNNI_TARGET void convTiles(const ConvWeights& W, const ConvGeo& g, const Stage& st, int ob, int t0, int t1) {
  constexpr int P = tileP<NB>();
  const int npix = g.OH * g.OW;
  for (int t = t0; t < t1; t++) {
    const int pix0 = t * P;
    if (pix0 + P <= npix) convTile<NB, P>(W, g, st, pix0, ob);
    else convTail<NB, P - 1>(W, g, st, pix0, ob, npix - pix0);
  }
}

// ---- depthwise (AVX-512) -------------------------------------------------------------------------
struct DwGeo {
  const int8_t* xp;  // padded int8 input Hp×Wp×Cp (zero padding)
  int Wp, Cp;
  int sh, sw, dh, dw;
  int8_t* out;
  int OH, OW;
};

// x as int32 lanes (high 16 bits = its sign) and w with zero high 16 bits: vpdpwssd adds x·w exactly.
// Q output pixels at once (independent accumulator chains), weights of 3×3 / 5×5 kept in registers.
template <int KH, int KW, int Q>
VNNI_TARGET inline void dwPixels(const ConvWeights& W, const DwGeo& g, const Stage& st, int oy, int ox, int c, const __m512i* wr, int n) {
  const int Cp = g.Cp;
  const int kh = KH ? KH : W.kh, kw = KW ? KW : W.kw;
  __m512i acc[Q];
  for (int q = 0; q < Q; q++) acc[q] = _mm512_setzero_si512();
  const size_t pixStep = size_t(g.sw) * Cp;
  int t = 0;
  for (int ky = 0; ky < kh; ky++) {
    const int8_t* row = g.xp + (size_t(oy * g.sh + ky * g.dh) * g.Wp + size_t(ox) * g.sw) * Cp + c;
    for (int kx = 0; kx < kw; kx++, t++) {
      __m512i w;
      if constexpr (KH && KW) w = wr[t];
      else w = _mm512_loadu_si512(W.dw.data() + size_t(t) * Cp + c);
      const int8_t* xp = row + size_t(kx) * g.dw * Cp;
      for (int q = 0; q < Q; q++)
        acc[q] = _mm512_dpwssd_epi32(acc[q], _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xp + q * pixStep))), w);
    }
  }
  for (int q = 0; q < Q; q++) stage16(st, acc[q], c, g.out + (size_t(oy) * g.OW + ox + q) * W.C + c, n);
}

template <int KH, int KW>
VNNI_TARGET void dwRowK(const ConvWeights& W, const DwGeo& g, const Stage& st, int oy) {
  const int C = W.C, Cp = g.Cp;
  for (int c = 0; c < C; c += 16) {
    constexpr int TR = KH && KW ? KH * KW : 1;
    __m512i wr[TR];
    if constexpr (KH && KW)
      for (int t = 0; t < TR; t++) wr[t] = _mm512_loadu_si512(W.dw.data() + size_t(t) * Cp + c);
    const int n = std::min(16, C - c);
    int ox = 0;
    for (; ox + 4 <= g.OW; ox += 4) dwPixels<KH, KW, 4>(W, g, st, oy, ox, c, wr, n);
    for (; ox < g.OW; ox++) dwPixels<KH, KW, 1>(W, g, st, oy, ox, c, wr, n);
  }
}

VNNI_TARGET void dwRow(const ConvWeights& W, const DwGeo& g, const Stage& st, int oy) {
  if (W.kh == 3 && W.kw == 3) dwRowK<3, 3>(W, g, st, oy);
  else if (W.kh == 5 && W.kw == 5) dwRowK<5, 5>(W, g, st, oy);
  else dwRowK<0, 0>(W, g, st, oy);
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

AVX2_TARGET void dwRow2(const ConvWeights& W, const DwGeo& g, const Stage& st, int oy) {
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
  void* p = nullptr;
  if (napi_get_value_external(env, v, &p) != napi_ok) return nullptr;
  return static_cast<T*>(p);
}

napi_value CpuLevel(napi_env env, napi_callback_info) {
  const int l = cpuLevel();
  const char* s = l == 2 ? "avx512vnni" : l == 1 ? "avx2" : "none";
  napi_value r;
  NAPI_OK(napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r));
  return r;
}

napi_value CreateContext(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!getArgs(env, info, 1, argv)) return nullptr;
  int32_t threads = 1;
  NAPI_OK(napi_get_value_int32(env, argv[0], &threads));
  if (threads < 1 || threads > 256) return throwErr(env, "threads must be 1..256");
  auto* ctx = new Context(threads);
  napi_value r;
  NAPI_OK(napi_create_external(env, ctx, [](napi_env, void* d, void*) { delete static_cast<Context*>(d); }, nullptr, &r));
  return r;
}

// packConv(w: Int8Array [OC][kh][kw][C], OC, kh, kw, C, depthwise)  (depthwise: w is [kh][kw][C], OC = C)
napi_value PackConv(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  size_t argc = 7;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 6) return throwErr(env, "too few arguments");
  int32_t isa = cpuLevel();
  if (argc >= 7) {
    napi_valuetype vt;
    NAPI_OK(napi_typeof(env, argv[6], &vt));
    if (vt == napi_number) NAPI_OK(napi_get_value_int32(env, argv[6], &isa));
  }
  if (isa < 1 || isa > cpuLevel()) return throwErr(env, "requested ISA level not supported by this CPU");
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
  if (OC < 1 || kh < 1 || kw < 1 || C < 1) return throwErr(env, "bad weight shape");
  const int8_t* w = static_cast<const int8_t*>(data);
  auto* W = new ConvWeights();
  W->depthwise = dwise;
  W->isa = isa;
  W->OC = OC; W->kh = kh; W->kw = kw; W->C = C;
  if (dwise) {
    if (OC != C || bytes != size_t(kh) * kw * C) { delete W; return throwErr(env, "depthwise weights are not [kh][kw][C]"); }
    W->Cp = (C + 15) / 16 * 16;
    W->dw.assign(size_t(kh) * kw * W->Cp, 0);
    for (int tp = 0; tp < kh * kw; tp++)
      for (int c = 0; c < C; c++) W->dw[size_t(tp) * W->Cp + c] = int32_t(uint16_t(int16_t(w[size_t(tp) * C + c])));
  } else if (isa == 1) {
    if (bytes != size_t(OC) * kh * kw * C) { delete W; return throwErr(env, "conv weights are not [OC][kh][kw][C]"); }
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
    if (bytes != size_t(OC) * kh * kw * C) { delete W; return throwErr(env, "conv weights are not [OC][kh][kw][C]"); }
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
  }
  napi_value r;
  NAPI_OK(napi_create_external(env, W, [](napi_env, void* d, void*) { delete static_cast<ConvWeights*>(d); }, nullptr, &r));
  const int64_t held = int64_t(W->packed.size() + W->packed2.size() * 2 + W->dw.size() * 4 + W->corr.size() * 4);
  int64_t adjusted;
  napi_adjust_external_memory(env, held, &adjusted);
  return r;
}

// conv(ctx, weights, mem: Int8Array over the whole arena memory, p: Float64Array)
//  p: xOff H W C outOff OH OW sh sw dh dw pt pl pb pr | mode cut accShift six three leaky hswShift fast biasOff | threads
enum { P_X, P_H, P_W, P_C, P_OUT, P_OH, P_OW, P_SH, P_SW, P_DH, P_DW, P_PT, P_PL, P_PB, P_PR,
       P_MODE, P_CUT, P_ACCSHIFT, P_SIX, P_THREE, P_LEAKY, P_HSW, P_FAST, P_BIAS, P_THREADS, P_COUNT };

napi_value Conv(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!getArgs(env, info, 4, argv)) return nullptr;
  Context* ctx = external<Context>(env, argv[0]);
  ConvWeights* W = external<ConvWeights>(env, argv[1]);
  if (!ctx || !W) return throwErr(env, "context / weights handle expected");
  void* memp; size_t memBytes; void* pp; size_t pBytes;
  napi_typedarray_type t;
  if (!typedArray(env, argv[2], &memp, &memBytes)) return throwErr(env, "memory must be a typed array");
  if (!typedArray(env, argv[3], &pp, &pBytes, &t) || t != napi_float64_array || pBytes < P_COUNT * 8) return throwErr(env, "params must be a Float64Array");
  const double* p = static_cast<const double*>(pp);
  uint8_t* mem = static_cast<uint8_t*>(memp);
  const int H = int(p[P_H]), Wd = int(p[P_W]), C = int(p[P_C]), OH = int(p[P_OH]), OW = int(p[P_OW]);
  const int sh = int(p[P_SH]), sw = int(p[P_SW]), dh = int(p[P_DH]), dw = int(p[P_DW]);
  const int pt = int(p[P_PT]), pl = int(p[P_PL]), pb = int(p[P_PB]), pr = int(p[P_PR]);
  const size_t xOff = size_t(p[P_X]), outOff = size_t(p[P_OUT]), biasOff = size_t(p[P_BIAS]);
  const int OC = W->OC;
  // geometry and bounds: every byte touched lies inside the memory
  if (C != W->C || H < 1 || Wd < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1 || pt < 0 || pl < 0 || pb < 0 || pr < 0)
    return throwErr(env, "conv geometry does not match the packed weights");
  const int Hp = H + pt + pb, Wp = Wd + pl + pr;
  if (OH != (Hp - ((W->kh - 1) * dh + 1)) / sh + 1 || OW != (Wp - ((W->kw - 1) * dw + 1)) / sw + 1 || OH < 1 || OW < 1)
    return throwErr(env, "conv output size does not match the geometry");
  if (xOff + size_t(H) * Wd * C > memBytes || outOff + size_t(OH) * OW * OC > memBytes || biasOff + size_t(OC) * 4 > memBytes || (biasOff & 3))
    return throwErr(env, "conv tensor outside the memory");
  Stage st;
  st.mode = int(p[P_MODE]); st.cut = int(p[P_CUT]); st.accShift = int(p[P_ACCSHIFT]);
  st.six = int64_t(p[P_SIX]); st.three = int64_t(p[P_THREE]); st.leaky = int64_t(p[P_LEAKY]);
  st.hswShift = int(p[P_HSW]); st.fast = int(p[P_FAST]);
  st.bias = reinterpret_cast<const int32_t*>(mem + biasOff);
  if (st.mode < 0 || st.mode > 5 || st.accShift < 0 || st.accShift > 30 || st.cut < -30 || st.cut > 40) return throwErr(env, "bad output stage");
  const int threads = std::max(1, int(p[P_THREADS]));
  const int8_t* x = reinterpret_cast<const int8_t*>(mem + xOff);
  int8_t* out = reinterpret_cast<int8_t*>(mem + outOff);

  if (W->depthwise) {
    const int Cp = W->Cp;
    int8_t* xp = reinterpret_cast<int8_t*>(ctx->scratchBytes(size_t(Hp) * Wp * Cp + 64));
    DwGeo g{xp, Wp, Cp, sh, sw, dh, dw, out, OH, OW};
    const auto pad = [&](int i, int n) {
      // padded copy: rows split between threads; run2's barrier separates it from the compute phase
      const int r0 = int(int64_t(Hp) * i / n), r1 = int(int64_t(Hp) * (i + 1) / n);
      for (int r = r0; r < r1; r++) {
        int8_t* d = xp + size_t(r) * Wp * Cp;
        const int y = r - pt;
        if (y < 0 || y >= H) { std::memset(d, 0, size_t(Wp) * Cp); continue; }
        std::memset(d, 0, size_t(pl) * Cp);
        for (int xx = 0; xx < Wd; xx++) {
          int8_t* dp = d + size_t(pl + xx) * Cp;
          std::memcpy(dp, x + (size_t(y) * Wd + xx) * C, C);
          if (Cp > C) std::memset(dp + C, 0, Cp - C);
        }
        std::memset(d + size_t(pl + Wd) * Cp, 0, size_t(pr) * Cp);
      }
    };
    const auto comp = [&](int i, int n) {
      const int r0 = int(int64_t(OH) * i / n), r1 = int(int64_t(OH) * (i + 1) / n);
      for (int oy = r0; oy < r1; oy++) {
        if (W->isa == 2) dwRow(*W, g, st, oy);
        else dwRow2(*W, g, st, oy);
      }
    };
    ctx->pool.run2(threads, pad, comp);
  } else if (W->isa == 1) {
    const int Cs = W->C2 * 2;
    int16_t* xp = reinterpret_cast<int16_t*>(ctx->scratchBytes((size_t(Hp) * Wp * Cs + 32) * 2));
    const auto pad = [&](int i, int n) {
      const int r0 = int(int64_t(Hp) * i / n), r1 = int(int64_t(Hp) * (i + 1) / n);
      for (int r = r0; r < r1; r++) {
        int16_t* d = xp + size_t(r) * Wp * Cs;
        const int y = r - pt;
        std::memset(d, 0, size_t(Wp) * Cs * 2);
        if (y < 0 || y >= H) continue;
        for (int xx = 0; xx < Wd; xx++) widen16(d + size_t(pl + xx) * Cs, x + (size_t(y) * Wd + xx) * C, C);
      }
    };
    ConvGeo2 g{xp, Wp, Cs, sh, sw, dh, dw, out, OH, OW};
    const int npix = OH * OW;
    const auto comp = [&](int i, int n) {
      for (int ob = 0; ob < W->OB; ob += 2) {
        const int nb = std::min(2, W->OB - ob);
        const int P = nb == 2 ? 6 : 12;
        const int tiles = (npix + P - 1) / P;
        const int t0 = int(int64_t(tiles) * i / n), t1 = int(int64_t(tiles) * (i + 1) / n);
        if (nb == 2) convTiles2<2>(*W, g, st, ob, t0, t1);
        else convTiles2<1>(*W, g, st, ob, t0, t1);
      }
    };
    ctx->pool.run2(threads, pad, comp);
  } else {
    const int Cs = W->C4 * 4;
    uint8_t* xp = ctx->scratchBytes(size_t(Hp) * Wp * Cs + 64);
    const auto pad = [&](int i, int n) {
      const int r0 = int(int64_t(Hp) * i / n), r1 = int(int64_t(Hp) * (i + 1) / n);
      for (int r = r0; r < r1; r++) {
        uint8_t* d = xp + size_t(r) * Wp * Cs;
        const int y = r - pt;
        if (y < 0 || y >= H) { std::memset(d, 0x80, size_t(Wp) * Cs); continue; }
        std::memset(d, 0x80, size_t(pl) * Cs);
        const uint8_t* s = reinterpret_cast<const uint8_t*>(x) + size_t(y) * Wd * C;
        uint8_t* dd = d + size_t(pl) * Cs;
        if (Cs == C) {
          xor80(dd, s, size_t(Wd) * C);
        } else {
          for (int xx = 0; xx < Wd; xx++) {
            for (int c = 0; c < C; c++) dd[size_t(xx) * Cs + c] = s[size_t(xx) * C + c] ^ 0x80;
            for (int c = C; c < Cs; c++) dd[size_t(xx) * Cs + c] = 0x80;
          }
        }
        std::memset(d + size_t(pl + Wd) * Cs, 0x80, size_t(pr) * Cs);
      }
    };
    ConvGeo g{xp, Wp, Cs, sh, sw, dh, dw, out, OH, OW};
    // every thread takes the same share of pixel tiles in each group of up to 4 oc blocks (64 channels)
    const int npix = OH * OW;
    const auto comp = [&](int i, int n) {
      for (int ob = 0; ob < W->OB; ob += 4) {
        const int nb = std::min(4, W->OB - ob);
        const int P = nb == 4 ? tileP<4>() : nb == 3 ? tileP<3>() : nb == 2 ? tileP<2>() : tileP<1>();
        const int tiles = (npix + P - 1) / P;
        const int t0 = int(int64_t(tiles) * i / n), t1 = int(int64_t(tiles) * (i + 1) / n);
        switch (nb) {
          case 4: convTiles<4>(*W, g, st, ob, t0, t1); break;
          case 3: convTiles<3>(*W, g, st, ob, t0, t1); break;
          case 2: convTiles<2>(*W, g, st, ob, t0, t1); break;
          default: convTiles<1>(*W, g, st, ob, t0, t1); break;
        }
      }
    };
    ctx->pool.run2(threads, pad, comp);
  }
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
      {"peak", nullptr, Peak, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(d) / sizeof(d[0]), d);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
