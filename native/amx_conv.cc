// AMX-INT8 convolution core (see amx_conv.h). The AMX functions carry a per-function target attribute, so
// no -mamx-* flag is needed for this file and the rest of the addon stays loadable on any x86-64; a compiler
// without AMX support (GCC < 11, clang < 12) or -DDPUFLOW_NO_AMX builds the stubs below (enabled() == false).
#include "amx_conv.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && !defined(DPUFLOW_NO_AMX) && \
    ((defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
#define DPUFLOW_HAVE_AMX 1
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace dpuflow_amx {

namespace {
std::atomic<uint64_t> gUnits{0};
constexpr int kTileRows = 16;   // positions per A tile
constexpr int kTilePos = 32;    // positions per unit (two A tiles)
constexpr int kGroupBlocks = 8; // output-channel blocks of 16 per unit
constexpr int kLd = kGroupBlocks * 16;  // int32 per row of a unit's C buffer
}  // namespace

uint64_t unitsRun() { return gUnits.load(std::memory_order_relaxed); }

std::unique_ptr<Packed> pack(const int8_t* w, int OC, int kh, int kw, int C) {
  auto P = std::make_unique<Packed>();
  P->OC = OC; P->kh = kh; P->kw = kw; P->C = C;
  P->Cs = (C + 3) / 4 * 4;
  const size_t run = size_t(kw) * P->Cs;  // bytes of one kernel row of the input
  P->KB = int((run + 63) / 64);
  // a k×k kernel whose kernel row fills less than half of its K blocks (stems over 3 channels: 28 of 64 bytes)
  // measured no faster than VNNI (0.73-1.10x): leave it to VNNI. (1×1 convs are bound by their output stage
  // and keep AMX even over few channels.)
  if (size_t(kh) * kw > 1 && 2 * run < size_t(P->KB) * 64) return nullptr;
  P->NB = (OC + 15) / 16;
  P->b.assign(size_t(P->NB) * kh * P->KB * 1024, 0);
  for (int o = 0; o < OC; o++)
    for (int ky = 0; ky < kh; ky++)
      for (int kx = 0; kx < kw; kx++)
        for (int c = 0; c < C; c++) {
          const size_t k = size_t(kx) * P->Cs + c;  // byte of the kernel row's run
          const size_t blk = (size_t(o / 16) * kh + ky) * P->KB + k / 64;
          P->b[blk * 1024 + (k % 64) / 4 * 64 + (o % 16) * 4 + k % 4] = w[((size_t(o) * kh + ky) * kw + kx) * C + c];
        }
  return P;
}

namespace {
// stride 1: positions over the input grid (q = oy·Wp + ox, one tile may span rows, ox ≥ OW discarded);
// otherwise tiles of one output row
bool wide(const Geo& g) { return g.sh == 1 && g.sw == 1; }
// strided, output rows of at most 8 pixels (ResNet's 7² stride-2 layers): the A rows are gathered per tile from
// the output pixels in order (dense: no position wasted); rows of 9..16 pixels: two rows per tile (one A tile
// each); else 32 pixels of a row
bool dense(const Geo& g) { return !wide(g) && g.OW <= 8; }
bool twoRows(const Geo& g) { return g.OW <= kTileRows; }
int tilesPerRow(const Geo& g) { return (g.OW + kTilePos - 1) / kTilePos; }
int positionTiles(const Geo& g) {
  if (wide(g)) return int((int64_t(g.OH - 1) * g.Wp + g.OW + kTilePos - 1) / kTilePos);
  if (dense(g)) return int((int64_t(g.OH) * g.OW + kTilePos - 1) / kTilePos);
  if (twoRows(g)) return (g.OH + 1) / 2;
  return g.OH * tilesPerRow(g);
}
int groups(const Packed& P) { return (P.NB + kGroupBlocks - 1) / kGroupBlocks; }
}  // namespace

int units(const Packed& P, const Geo& g) { return positionTiles(g) * groups(P); }

#ifdef DPUFLOW_HAVE_AMX

#define AMX_TARGET __attribute__((target("amx-tile,amx-int8")))

namespace {
constexpr long kArchGetXcompPerm = 0x1022, kArchReqXcompPerm = 0x1023;
constexpr int kXfeatureXtiledata = 18;

const char* detect() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return "off: no CPUID leaf 7";
  if (!((d >> 24) & 1) || !((d >> 25) & 1)) return "off: the CPU has no AMX-TILE / AMX-INT8";
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0) return "off: the kernel refused the AMX tile data permission (arch_prctl)";
  unsigned long perm = 0;
  if (syscall(SYS_arch_prctl, kArchGetXcompPerm, &perm) != 0 || !((perm >> kXfeatureXtiledata) & 1)) return "off: no AMX tile data permission";
  return "on";
}
const char* detected() {
  static const char* s = detect();
  return s;
}

struct alignas(64) TileCfg {
  uint8_t palette, startRow;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};
thread_local bool tCfg = false;

AMX_TARGET void configure() {
  TileCfg cfg;
  std::memset(&cfg, 0, sizeof cfg);
  cfg.palette = 1;
  for (int t = 0; t < 8; t++) {
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  // (GCC 12's _tile_loadconfig declares only 8 bytes of the config as read, so the stores of the rows and
  // column widths were dropped as dead: the asm here reads the whole 64-byte struct)
  __asm__ volatile("ldtilecfg %0" ::"m"(cfg));
  tCfg = true;
}

// C tiles: 0 = A0·B0, 1 = A0·B1, 2 = A1·B0, 3 = A1·B1 (A in 4, 5; B in 6, 7). runs × KB blocks of K.
// pf > 0: each B block's 16 cache lines are prefetched pf blocks (KB) ahead of its tile load. A layer's weights come
// from L3 in a frame (the model's weights do not fit L2), and the tile loads of the sequential B stream wait on them:
// the prefetch measured 5–10 % faster frames at 1 and 2 threads (docs/perf.md, session 8). Reads past the weights'
// end are prefetches only (no fault, no value used).
template <bool S8, bool TA, bool TB>
AMX_TARGET void gemm(const uint8_t* const* pa, const long* sa, const int8_t* b0, const int8_t* b1, int runs, int KB, int32_t* cbuf, int pf) {
  _tile_zero(0);
  if constexpr (TB) _tile_zero(1);
  if constexpr (TA) _tile_zero(2);
  if constexpr (TA && TB) _tile_zero(3);
  const size_t bRun = size_t(KB) * 1024;
  for (int r = 0; r < runs; r++) {
    const uint8_t* a0 = pa[r];
    const uint8_t* a1 = pa[runs + r];
    const long s0 = sa[r], s1 = sa[runs + r];
    const int8_t* w0 = b0 + r * bRun;
    const int8_t* w1 = b1 + r * bRun;
    for (int kb = 0; kb < KB; kb++) {
      _tile_loadd(4, a0 + kb * 64, s0);
      if constexpr (TA) _tile_loadd(5, a1 + kb * 64, s1);
      if (pf) {
        const char* p0 = reinterpret_cast<const char*>(w0 + size_t(kb + pf) * 1024);
        for (int l = 0; l < 1024; l += 64) _mm_prefetch(p0 + l, _MM_HINT_T0);
        if constexpr (TB) {
          const char* p1 = reinterpret_cast<const char*>(w1 + size_t(kb + pf) * 1024);
          for (int l = 0; l < 1024; l += 64) _mm_prefetch(p1 + l, _MM_HINT_T0);
        }
      }
      _tile_loadd(6, w0 + size_t(kb) * 1024, 64);
      if constexpr (TB) _tile_loadd(7, w1 + size_t(kb) * 1024, 64);
      if constexpr (S8) {
        _tile_dpbssd(0, 4, 6);
        if constexpr (TB) _tile_dpbssd(1, 4, 7);
        if constexpr (TA) _tile_dpbssd(2, 5, 6);
        if constexpr (TA && TB) _tile_dpbssd(3, 5, 7);
      } else {
        _tile_dpbusd(0, 4, 6);
        if constexpr (TB) _tile_dpbusd(1, 4, 7);
        if constexpr (TA) _tile_dpbusd(2, 5, 6);
        if constexpr (TA && TB) _tile_dpbusd(3, 5, 7);
      }
    }
  }
  // into the group's C buffer: rows of kLd int32 (A0 rows 0..15, A1 rows 16..31; B0 channels 0..15, B1 16..31)
  _tile_stored(0, cbuf, kLd * 4);
  if constexpr (TB) _tile_stored(1, cbuf + 16, kLd * 4);
  if constexpr (TA) _tile_stored(2, cbuf + kTileRows * kLd, kLd * 4);
  if constexpr (TA && TB) _tile_stored(3, cbuf + kTileRows * kLd + 16, kLd * 4);
}

template <bool S8>
AMX_TARGET void gemmAny(bool ta, bool tb, const uint8_t* const* pa, const long* sa, const int8_t* b0, const int8_t* b1, int runs, int KB, int32_t* cbuf, int pf) {
  if (ta && tb) gemm<S8, true, true>(pa, sa, b0, b1, runs, KB, cbuf, pf);
  else if (ta) gemm<S8, true, false>(pa, sa, b0, b1, runs, KB, cbuf, pf);
  else if (tb) gemm<S8, false, true>(pa, sa, b0, b1, runs, KB, cbuf, pf);
  else gemm<S8, false, false>(pa, sa, b0, b1, runs, KB, cbuf, pf);
}

// per-thread buffers: the C tiles, staged A rows (tiles that would read past the readable bytes)
alignas(64) thread_local int32_t tC[kTilePos * kLd];
thread_local std::vector<uint8_t> tStage;
}  // namespace

bool enabled() {
  const char* e = std::getenv("DPUFLOW_NATIVE_AMX");
  if (e && e[0] == '0') return false;
  return detected()[1] == 'n';
}
const char* status() {
  const char* e = std::getenv("DPUFLOW_NATIVE_AMX");
  if (e && e[0] == '0') return "off: DPUFLOW_NATIVE_AMX=0";
  return detected();
}

void run(const Packed& P, const Geo& g, int u0, int u1, Store store, const void* self) {
  if (u1 <= u0) return;
  if (!tCfg) configure();
  const int NG = groups(P), TT = positionTiles(g), runs = P.kh, KB = P.KB;
  const size_t rowBytes = size_t(KB) * 64;      // bytes of K one A row reads per run
  const size_t runOff = size_t(g.dh) * g.Wp * g.Cs;  // from one kernel row to the next
  const uint8_t* end = g.x + g.bytes;
  // dense + group-major (consecutive units change the tile): every tile's gathered rows kept for this call
  const size_t tileStage = size_t(2) * runs * kTileRows * rowBytes;
  const bool keep = dense(g) && g.groupMajor && TT <= 8 && tileStage * TT <= (size_t(1) << 20);
  bool kept[8] = {false, false, false, false, false, false, false, false};
  const size_t stageBytes = tileStage * (keep ? TT : 1) + 64;
  if (tStage.size() < stageBytes) tStage.resize(stageBytes);
  uint8_t* stage = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(tStage.data()) + 63) & ~uintptr_t(63));
  const uint8_t* pa[2 * 64];
  long sa[2 * 64];
  std::vector<const uint8_t*> paBig;
  std::vector<long> saBig;
  const uint8_t** PA = pa;
  long* SA = sa;
  if (runs > 64) {
    paBig.resize(size_t(2) * runs);
    saBig.resize(size_t(2) * runs);
    PA = paBig.data();
    SA = saBig.data();
  }
  int pix[kTilePos];
  int lastTile = -1;
  bool ta = false;
  for (int u = u0; u < u1; u++) {
    // tile-major: a thread keeps a tile's A rows and walks the weights; group-major (weights bigger than the
    // input): a thread keeps a group's weights (L2) and walks the tiles
    const int t = g.groupMajor ? u % TT : u / NG, gi = g.groupMajor ? u / TT : u % NG;
    if (t != lastTile) {
      lastTile = t;
      // positions of the tile → output pixels, and the first row's address of each A tile (run 0, K block 0)
      const uint8_t* a0[2] = {g.x, g.x};
      long stride = 0;
      const bool gather = dense(g);
      if (gather) {
        const int64_t p0 = int64_t(t) * kTilePos, NP = int64_t(g.OH) * g.OW;
        for (int m = 0; m < kTilePos; m++) pix[m] = p0 + m < NP ? int(p0 + m) : -1;
      } else if (wide(g)) {
        const int64_t q0 = int64_t(t) * kTilePos, Q = int64_t(g.OH - 1) * g.Wp + g.OW;
        for (int m = 0; m < kTilePos; m++) {
          const int64_t q = q0 + m;
          const int oy = int(q / g.Wp), ox = int(q % g.Wp);
          pix[m] = q < Q && ox < g.OW ? oy * g.OW + ox : -1;
        }
        a0[0] = g.x + size_t(q0) * g.Cs;
        a0[1] = a0[0] + size_t(kTileRows) * g.Cs;
        stride = long(g.Cs);
      } else if (twoRows(g)) {
        for (int h = 0; h < 2; h++) {
          const int oy = 2 * t + h;
          for (int m = 0; m < kTileRows; m++) pix[h * kTileRows + m] = oy < g.OH && m < g.OW ? oy * g.OW + m : -1;
          a0[h] = g.x + size_t(std::min(oy, g.OH - 1)) * g.sh * g.Wp * g.Cs;
        }
        stride = long(g.sw) * g.Cs;
      } else {
        const int tpr = tilesPerRow(g), oy = t / tpr, ox0 = (t % tpr) * kTilePos;
        for (int m = 0; m < kTilePos; m++) pix[m] = ox0 + m < g.OW ? oy * g.OW + ox0 + m : -1;
        a0[0] = g.x + (size_t(oy) * g.sh * g.Wp + size_t(ox0) * g.sw) * g.Cs;
        stride = long(g.sw) * g.Cs;
        a0[1] = a0[0] + size_t(kTileRows) * stride;
      }
      ta = false;
      for (int m = kTileRows; m < kTilePos; m++) ta = ta || pix[m] >= 0;
      for (int h = 0; h < (ta ? 2 : 1); h++)
        for (int r = 0; r < runs; r++) {
          const uint8_t* s = a0[h] + size_t(r) * runOff;
          const size_t i = size_t(h) * runs + r;
          if (gather) {
            // dense: row m = output pixel pix[16h + m]'s input pixel (stride sh, sw), kernel row r
            uint8_t* d = stage + (keep ? t * tileStage : 0) + i * kTileRows * rowBytes;
            PA[i] = d;
            SA[i] = long(rowBytes);
            if (keep && kept[t]) continue;
            for (int m = 0; m < kTileRows; m++) {
              const int q = pix[h * kTileRows + m];
              const uint8_t* src = q < 0 ? end : g.x + ((size_t(q / g.OW) * g.sh) * g.Wp + size_t(q % g.OW) * g.sw) * g.Cs + size_t(r) * runOff;
              const size_t n = src >= end ? 0 : std::min(rowBytes, size_t(end - src));
              if (n) std::memcpy(d + m * rowBytes, src, n);
              std::memset(d + m * rowBytes + n, 0, rowBytes - n);
            }
            continue;
          }
          if (s + size_t(kTileRows - 1) * stride + rowBytes <= end) {
            PA[i] = s;
            SA[i] = stride;
            continue;
          }
          // staged: the readable part of each row, zeros after (zero weights or discarded rows meet them)
          uint8_t* d = stage + i * kTileRows * rowBytes;
          for (int m = 0; m < kTileRows; m++) {
            const uint8_t* src = s + size_t(m) * stride;
            const size_t n = src >= end ? 0 : std::min(rowBytes, size_t(end - src));
            if (n) std::memcpy(d + m * rowBytes, src, n);
            std::memset(d + m * rowBytes + n, 0, rowBytes - n);
          }
          PA[i] = d;
          SA[i] = long(rowBytes);
        }
      if (keep) kept[t] = true;
      if (!ta)
        for (int r = 0; r < runs; r++) {
          PA[runs + r] = PA[r];
          SA[runs + r] = SA[r];
        }
    }
    const int nb1 = std::min(P.NB, (gi + 1) * kGroupBlocks);
    for (int n = gi * kGroupBlocks; n < nb1; n += 2) {
      const bool tb = n + 1 < nb1;
      const int8_t* b0 = P.b.data() + size_t(n) * runs * KB * 1024;
      const int8_t* b1 = tb ? b0 + size_t(runs) * KB * 1024 : b0;
      int32_t* c = tC + (n - gi * kGroupBlocks) * 16;
      if (g.s8) gemmAny<true>(ta, tb, PA, SA, b0, b1, runs, KB, c, g.prefetch);
      else gemmAny<false>(ta, tb, PA, SA, b0, b1, runs, KB, c, g.prefetch);
    }
    // the whole group's channels per pixel at once (the output stage can store 64 channels per pixel)
    store(self, tC, kLd, pix, gi * kGroupBlocks, nb1 - gi * kGroupBlocks);
    if (ta) store(self, tC + kTileRows * kLd, kLd, pix + kTileRows, gi * kGroupBlocks, nb1 - gi * kGroupBlocks);
  }
  gUnits.fetch_add(uint64_t(u1 - u0), std::memory_order_relaxed);
}

#else  // no AMX in this build

bool enabled() { return false; }
const char* status() { return "off: the addon was built without AMX support (compiler too old or DPUFLOW_NO_AMX)"; }
void run(const Packed&, const Geo&, int, int, Store, const void*) {}

#endif

}  // namespace dpuflow_amx
