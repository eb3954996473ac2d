//===- Lookup.cpp - 8-bit table lookups -------------------------*- C++ -*-===//
//
// qc.lookup_table on 8-bit tensors: out[i] = table[in[i] ^ flip], where flip
// (0x80 for signed storage) turns the stored value into the table index.
// Compiled loops gather one byte at a time; with AVX-512 VBMI (checked once,
// at run time, so every target may call this) 64 lookups are two vpermi2b
// over the table's halves and a blend on the index's top bit.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace {
#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void
lookupVBMI(const uint8_t *in, uint8_t *out, int64_t rows, int64_t stride, int64_t n,
           const uint8_t *table, uint8_t flip) {
  __m512i quarter[4];
  for (int q = 0; q < 4; ++q)
    quarter[q] = _mm512_loadu_si512(table + 64 * q);
  const __m512i toIndex = _mm512_set1_epi8(static_cast<char>(flip));
  for (int64_t r = 0; r < rows; ++r, in += stride, out += stride)
    for (int64_t i = 0; i < n; i += 64) {
      __mmask64 live = n - i >= 64 ? ~__mmask64(0) : (__mmask64(1) << (n - i)) - 1;
      __m512i index = _mm512_xor_si512(_mm512_maskz_loadu_epi8(live, in + i), toIndex);
      // Bits 0-6 pick one of 128 entries of a half; bit 7 picks the half.
      __m512i low = _mm512_permutex2var_epi8(quarter[0], index, quarter[1]);
      __m512i high = _mm512_permutex2var_epi8(quarter[2], index, quarter[3]);
      _mm512_mask_storeu_epi8(out + i, live,
                              _mm512_mask_blend_epi8(_mm512_movepi8_mask(index), low, high));
    }
}
#endif

/// out[r stride + i] = table[in[r stride + i] ^ flip] for r < rows, i < n,
/// with byte permutes where the CPU has VBMI.
void lookupStrided(const uint8_t *in, uint8_t *out, int64_t rows, int64_t stride, int64_t n,
                   const uint8_t *table, uint8_t flip) {
#if defined(__x86_64__)
  if (quantc::kernels::hasVBMI())
    return lookupVBMI(in, out, rows, stride, n, table, flip);
#endif
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < n; ++i)
      out[r * stride + i] = table[in[r * stride + i] ^ flip];
}
} // namespace

void quantc::kernels::lookupBytes(const uint8_t *in, const uint8_t *table, int64_t n,
                                  uint8_t flip, uint8_t *out) {
  // A lookup runs at tens of bytes per cycle: below this, waking a worker
  // costs more than it saves.
  constexpr int64_t kParallelBytes = 16 * 1024;
  forEachAlignedSlice(n, 64, n >= kParallelBytes, [&](int64_t begin, int64_t end) {
    lookupStrided(in + begin, out + begin, 1, 0, end - begin, table, flip);
  });
}

void quantc::kernels::lookupRows(uint8_t *bytes, int64_t rows, int64_t stride, int64_t n,
                                 const uint8_t *table) {
  lookupStrided(bytes, bytes, rows, stride, n, table, 0);
}

extern "C" void quantc_lookup(const uint8_t *input, const uint8_t *table,
                              const int64_t *params, uint8_t *output) {
  quantc::kernels::lookupBytes(input, table, params[QC_LOOKUP_COUNT],
                               static_cast<uint8_t>(params[QC_LOOKUP_FLIP]), output);
}
