// AMX-INT8 convolution core of the native addon (native/amx_conv.cc), used by native/dpu_kernels.cc.
//
// A conv is a GEMM per output-pixel tile: A = 16 input "positions" × 64 bytes of input channels (one tile
// load straight from the input, rows `stride` bytes apart), B = 16 rows of 4 channels × 16 output channels
// (VNNI-4, packed once at plan time, zero past the kernel row's channels), C = 16 × 16 int32. TDPBUSD (u8 A:
// the padded x + 128 copy, corrected by 128·Σw like the VNNI kernels) or TDPBSSD (s8 A: the int8 tensor
// itself, no correction) accumulate exactly like vpdpbusd, so the VNNI output stage gives the same bytes.
// The C tiles go to the caller's store callback (dpu_kernels.cc: the existing output stage).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace dpuflow_amx {

// true when the CPU has AMX-TILE + AMX-INT8, this build has the AMX code, the kernel granted the tile data
// permission (arch_prctl, once per process) and DPUFLOW_NATIVE_AMX is not '0' (read at every call)
bool enabled();
// why not (or "on"): for the addon's amxStatus()
const char* status();
// AMX tasks run since load (units of work, all threads): lets tests see that the AMX path was taken
uint64_t unitsRun();

// weights [OC][kh][kw][C] as B tiles: K runs = kernel rows (kw·Cs contiguous bytes of a dilation-1 row of the
// input, Cs = C rounded up to 4), each KB blocks of 64 bytes (16 rows of 4 channels × 16 output channels)
struct Packed {
  int OC = 0, kh = 0, kw = 0, C = 0, Cs = 0, KB = 0, NB = 0;
  std::vector<int8_t> b;  // [nb][ky][kb][16 k4][16 oc][4], 64-byte aligned blocks of 1024 bytes
};
// nullptr: a k×k kernel whose kernel row fills less than half of its 64-byte K blocks (keep VNNI for it)
std::unique_ptr<Packed> pack(const int8_t* w, int OC, int kh, int kw, int C);

// where the A rows come from
struct Geo {
  const uint8_t* x;   // input: the padded u8 copy (Hp×Wp×Cs, x + 128) or the int8 tensor itself (H×W×C)
  size_t bytes;       // readable bytes from x (tiles that would read past it are staged, zero-filled)
  int Wp, Cs;         // pixels per input row, bytes per input pixel
  int sh, sw, dh;     // stride, dilation in y (dilation in x must be 1)
  int OH, OW;
  bool s8;            // A is the int8 tensor (TDPBSSD) rather than x + 128 (TDPBUSD)
  bool groupMajor;    // units walk the position tiles of one output-channel group (weights bigger than the input)
  int prefetch = 0;   // software prefetch of the B (weight) blocks this many 1 KB blocks ahead of the tile loads (0: none)
};
// 16 positions × nb ≤ 8 blocks of 16 channels: acc[m * ld + 16 * b + j] = Σ for output pixel pix[m] (−1: nothing,
// skip) and output channel 16·(ob + b) + j
using Store = void (*)(const void* self, const int32_t* acc, int ld, const int* pix, int ob, int nb);

// units of work of a conv (position tiles × groups of output-channel blocks)
int units(const Packed& P, const Geo& g);
// units [u0, u1) on the calling thread (loads this thread's tile config on first use)
void run(const Packed& P, const Geo& g, int u0, int u1, Store store, const void* self);

}  // namespace dpuflow_amx
