//===- BF16.h - bf16 values for the AVX-512 BF16 kernels --------*- C++ -*-===//
//
// vdpbf16ps adds the two products of a 32-bit lane's bf16 pair one after
// the other, the odd (high) element's first; the kernels store each pair of
// a reduction swapped so that they add in the reduction's order.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_BF16_H
#define QUANTC_LIB_RUNTIME_KERNELS_BF16_H

#include "Kernels.h"
#include "quantc/Runtime/BF16Tiles.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace quantc::kernels {
namespace {
using runtime::widenBF16;

/// The pair (first, second) of a reduction as one word, the first in the
/// high half, which vdpbf16ps adds first.
uint32_t swappedPair(uint16_t first, uint16_t second) { return uint32_t(first) << 16 | second; }

/// A row of `count` values of a reduction as (count + 1) / 2 pairs, the
/// last one completed with zero.
void pairAlongRow(const uint16_t *row, int64_t count, uint32_t *pairs) {
  for (int64_t p = 0; p < (count + 1) / 2; ++p)
    pairs[p] = swappedPair(row[2 * p], 2 * p + 1 < count ? row[2 * p + 1] : 0);
}

/// Two operands widened to f32, one after the other in scratch memory.
float *widenOperands(const uint16_t *a, int64_t aSize, const uint16_t *b, int64_t bSize) {
  auto *wide = static_cast<float *>(scratch(kBMatMulWidened, (aSize + bSize) * sizeof(float)));
  std::transform(a, a + aSize, wide, widenBF16);
  std::transform(b, b + bSize, wide + aSize, widenBF16);
  return wide;
}
} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_BF16_H
