//===- AttentionMath.h - what the attention kernels share -------*- C++ -*-===//
//
// The softmax pieces of quantc_attention (Attention.cpp) and the cached
// attention (CachedAttention.cpp): the scale in the parameters, the masked
// score, and exp(score - max) with the sum of the exponentials.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_ATTENTIONMATH_H
#define QUANTC_LIB_RUNTIME_KERNELS_ATTENTIONMATH_H

#include "ExpAVX512.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace quantc::kernels {
// Internal linkage: each kernel file compiles its own copy.
namespace {
constexpr float kMasked = std::numeric_limits<float>::lowest();

inline float scaleOf(const int64_t *params) {
  auto bits = static_cast<uint32_t>(params[QC_ATTENTION_SCALE_BITS]);
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return scale;
}

/// Replaces scores[0, n) by exp(score - max) and returns 1 / their sum;
/// the max in `top`.
inline float exponentialsPortable(float *scores, int64_t n, float &top) {
  float max = kMasked;
  for (int64_t j = 0; j < n; ++j)
    max = std::max(max, scores[j]);
  float sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    scores[j] = std::exp(scores[j] - max);
    sum += scores[j];
  }
  top = max;
  return 1.0f / sum;
}

#if defined(__x86_64__)
inline bool hasAVX512() {
  static const bool avx512 = __builtin_cpu_supports("avx512f");
  return avx512;
}

/// Lanes [0, count) of 16.
inline __mmask16 firstLanes(int64_t count) {
  return count >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
}

/// exponentialsPortable, 16 scores at a time.
__attribute__((target("avx512f"))) inline float exponentialsAVX512(float *scores, int64_t n,
                                                           float &largest) {
  __m512 max = _mm512_set1_ps(kMasked);
  for (int64_t j = 0; j < n; j += 16)
    max = _mm512_max_ps(max, _mm512_mask_loadu_ps(max, firstLanes(n - j), scores + j));
  largest = _mm512_reduce_max_ps(max);
  __m512 top = _mm512_set1_ps(largest), sum = _mm512_setzero_ps();
  for (int64_t j = 0; j < n; j += 16) {
    __mmask16 live = firstLanes(n - j);
    __m512 e = expAVX512(_mm512_sub_ps(_mm512_maskz_loadu_ps(live, scores + j), top));
    _mm512_mask_storeu_ps(scores + j, live, e);
    sum = _mm512_mask_add_ps(sum, live, sum, e);
  }
  return 1.0f / _mm512_reduce_add_ps(sum);
}
#endif

inline float exponentials(float *scores, int64_t n, float &top) {
#if defined(__x86_64__)
  if (hasAVX512())
    return exponentialsAVX512(scores, n, top);
#endif
  return exponentialsPortable(scores, n, top);
}

inline float exponentials(float *scores, int64_t n) {
  float top;
  return exponentials(scores, n, top);
}

} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_ATTENTIONMATH_H
