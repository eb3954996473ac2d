//===- BF16.h - bf16 values for the AVX-512 BF16 kernels --------*- C++ -*-===//
//
// vdpbf16ps adds the two products of a 32-bit lane's bf16 pair one after
// the other, the odd (high) element's first; the kernels store each pair of
// a reduction swapped so that they add in the reduction's order.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_BF16_H
#define QUANTC_LIB_RUNTIME_KERNELS_BF16_H

#include <cstdint>
#include <cstring>

namespace quantc::kernels {
namespace {
/// The f32 value of a bf16 (exact).
float widenBF16(uint16_t value) {
  uint32_t bits = uint32_t(value) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

/// The pair (first, second) of a reduction as one word, the first in the
/// high half, which vdpbf16ps adds first.
uint32_t swappedPair(uint16_t first, uint16_t second) { return uint32_t(first) << 16 | second; }
} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_BF16_H
