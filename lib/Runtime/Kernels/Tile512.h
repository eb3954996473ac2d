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
__attribute__((target("avx512f"))) void tileMasks(int width, __mmask16 (&live)[4]) {
  for (int v = 0; v < 4; ++v)
    live[v] = static_cast<__mmask16>((1u << std::clamp(width - 16 * v, 0, 16)) - 1);
}

} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_TILE512_H
