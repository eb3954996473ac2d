//===- Tile512.h - AVX-512 register tiles of 64 columns ---------*- C++ -*-===//
//
// The float and bf16 kernels accumulate Rows x 64 outputs in Rows x 4 zmm
// registers; a partial tile masks its lanes. Usable from AVX-512 builds and
// from functions that enable AVX-512 by attribute.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_TILE512_H
#define QUANTC_LIB_RUNTIME_KERNELS_TILE512_H

#include <algorithm>
#include <immintrin.h>

namespace quantc::kernels {
// Internal linkage: each instruction-set build of a kernel compiles its own
// copy, which must not be merged with another build's.
namespace {

/// Rows x 64 accumulators, zero.
template <int Rows>
__attribute__((target("avx512f"))) void zeroTile(__m512 (&acc)[Rows][4]) {
  for (auto &row : acc)
    for (__m512 &v : row)
      v = _mm512_setzero_ps();
}

/// The lane masks of the four vectors of a tile whose first `width` (at
/// most 64) columns are live.
[[maybe_unused]] __attribute__((target("avx512f"))) void tileMasks(int width,
                                                                    __mmask16 (&live)[4]) {
  for (int v = 0; v < 4; ++v)
    live[v] = static_cast<__mmask16>((1u << std::clamp(width - 16 * v, 0, 16)) - 1);
}

/// Transposes the 16 x 16 floats in `r` in place: lane j of r[i] becomes
/// lane i of r[j]. Pairs of rows interleave by floats, then by pairs, and
/// the 128-bit quarters are gathered last.
[[maybe_unused]] __attribute__((target("avx512f"))) void transpose16x16(__m512 (&r)[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  auto pairs = [](__m512 a, __m512 b, bool high) {
    __m512d x = _mm512_castps_pd(a), y = _mm512_castps_pd(b);
    return _mm512_castpd_ps(high ? _mm512_unpackhi_pd(x, y) : _mm512_unpacklo_pd(x, y));
  };
  // u[4q + m], quarter k: column 4k + m of rows 4q to 4q + 3.
  __m512 u[16];
  for (int q = 0; q < 16; q += 4) {
    u[q] = pairs(t[q], t[q + 2], false);
    u[q + 1] = pairs(t[q], t[q + 2], true);
    u[q + 2] = pairs(t[q + 1], t[q + 3], false);
    u[q + 3] = pairs(t[q + 1], t[q + 3], true);
  }
  for (int m = 0; m < 4; ++m) {
    __m512 even01 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x88);
    __m512 even23 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x88);
    __m512 odd01 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xDD);
    __m512 odd23 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xDD);
    r[m] = _mm512_shuffle_f32x4(even01, even23, 0x88);
    r[8 + m] = _mm512_shuffle_f32x4(even01, even23, 0xDD);
    r[4 + m] = _mm512_shuffle_f32x4(odd01, odd23, 0x88);
    r[12 + m] = _mm512_shuffle_f32x4(odd01, odd23, 0xDD);
  }
}

} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_TILE512_H
