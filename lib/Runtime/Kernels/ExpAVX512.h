//===- ExpAVX512.h - exp on AVX-512 vectors ---------------------*- C++ -*-===//
//
// The vector exps of the kernels that need one: expAVX512 for the attention
// softmax, expNegatedAVX512 for the SiLU of the fast float mode's
// convolution epilogues.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_EXPAVX512_H
#define QUANTC_LIB_RUNTIME_KERNELS_EXPAVX512_H

#if defined(__x86_64__)
#include <immintrin.h>
#include <initializer_list>

namespace quantc::kernels {
// Internal linkage: each kernel file compiles its own copy.
namespace {
/// exp(x) within about 1 ulp: x = n ln 2 + r (ln 2 in two parts, so r is
/// exact), exp(r) by its Taylor series to r^7 (|r| <= ln 2 / 2: the rest is
/// below 2^-27), scaled by 2^n. Below -104 (masked attention scores, the
/// lowest float) it gives 0.
__attribute__((target("avx512f"))) inline __m512 expAVX512(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.8f)), _mm512_set1_ps(-104.0f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860682030941723e-6f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040);
  for (float c : {1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f})
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
  return _mm512_scalef_ps(p, n);
}

/// exp(-x) within 2 ulp, in 13 vector operations where expAVX512 takes 16:
/// the same reduction (of -x, the signs folded into the constants) and a
/// degree-5 minimax polynomial in place of the degree-7 series (relative
/// error 7.3e-8 on |r| <= ln 2 / 2). x is clamped to [-104, 104], past
/// which exp(-x) is infinite or 0 either way and infinities would reach
/// the reduction; a NaN x gives 0 (vminps returns its second operand).
__attribute__((target("avx512f"))) inline __m512 expNegatedAVX512(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(104.0f)), _mm512_set1_ps(-104.0f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(-1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // -r, where -x = n ln 2 + r.
  __m512 negR = _mm512_fmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  negR = _mm512_fmadd_ps(n, _mm512_set1_ps(1.42860682030941723e-6f), negR);
  // 1 + c1 r + ... + c5 r^5 at r = -negR: the odd coefficients negated.
  __m512 p = _mm512_set1_ps(-8.337552659e-3f);
  for (float c : {4.191044345e-2f, -1.666672826e-1f, 4.999901652e-1f, -1.000000119f, 1.0f})
    p = _mm512_fmadd_ps(p, negR, _mm512_set1_ps(c));
  return _mm512_scalef_ps(p, n);
}
} // namespace
} // namespace quantc::kernels
#endif

#endif // QUANTC_LIB_RUNTIME_KERNELS_EXPAVX512_H
