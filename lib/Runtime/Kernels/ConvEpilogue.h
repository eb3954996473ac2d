//===- ConvEpilogue.h - element-wise ops applied by convolutions -*- C++ -*-===//
//
// What the fast float mode's convolutions (quantc_bconv_tiles,
// quantc_fconv_fast_*) apply to each result y while it is in cache, from
// the QC_CONV_EPILOGUE_* params: postScale * activation(preScale * y +
// preShift) + postShift, each step rounded to f32. On AVX-512, SiLU's exp
// is expNegatedAVX512's polynomial (within about 2 ulp); elsewhere libm's.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_CONVEPILOGUE_H
#define QUANTC_LIB_RUNTIME_KERNELS_CONVEPILOGUE_H

#include "ExpAVX512.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace quantc::kernels {
// Internal linkage: each instruction set's build compiles its own copy.
namespace {

struct ConvEpilogue {
  int64_t activation = QC_ACTIVATION_NONE;
  float preScale = 1.0f, preShift = 0.0f, postScale = 1.0f, postShift = 0.0f;

  /// The epilogue in `params` (after the qc_fconv_param array).
  static ConvEpilogue fromParams(const int64_t *params) {
    auto value = [&](int index) {
      float f;
      auto bits = static_cast<uint32_t>(params[index]);
      std::memcpy(&f, &bits, sizeof(f));
      return f;
    };
    return {params[QC_CONV_EPILOGUE_ACTIVATION], value(QC_CONV_EPILOGUE_PRE_SCALE),
            value(QC_CONV_EPILOGUE_PRE_SHIFT), value(QC_CONV_EPILOGUE_POST_SCALE),
            value(QC_CONV_EPILOGUE_POST_SHIFT)};
  }

  bool isIdentity() const {
    return activation == QC_ACTIVATION_NONE && preScale == 1.0f && preShift == 0.0f &&
           postScale == 1.0f && postShift == 0.0f;
  }

  /// Applies the epilogue to `count` results at `x`.
  void apply(float *x, int64_t count) const { applyRows(x, 1, 0, count); }

  /// Applies it to `rows` rows of `count` results, `stride` apart (a
  /// block of a convolution's output: one dispatch for all its rows).
  void applyRows(float *x, int64_t rows, int64_t stride, int64_t count) const {
    if (preScale == 1.0f && preShift == 0.0f && postScale == 1.0f && postShift == 0.0f)
      return applyActivation<false>(x, rows, stride, count);
    applyActivation<true>(x, rows, stride, count);
  }

private:
  /// An activation alone (a SiLU) runs without the scalings' four vector
  /// operations, which would add a fifth to its cost.
  template <bool Affine>
  void applyActivation(float *x, int64_t rows, int64_t stride, int64_t count) const {
    switch (activation) {
    case QC_ACTIVATION_SILU:
      return applyWith<QC_ACTIVATION_SILU, Affine>(x, rows, stride, count);
    case QC_ACTIVATION_HARD_SWISH:
      return applyWith<QC_ACTIVATION_HARD_SWISH, Affine>(x, rows, stride, count);
    case QC_ACTIVATION_RELU:
      return applyWith<QC_ACTIVATION_RELU, Affine>(x, rows, stride, count);
    default: return applyWith<QC_ACTIVATION_NONE, Affine>(x, rows, stride, count);
    }
  }

  template <int64_t Activation> static float activate(float x) {
    if constexpr (Activation == QC_ACTIVATION_SILU)
      return x / (1.0f + std::exp(-x));
    if constexpr (Activation == QC_ACTIVATION_HARD_SWISH)
      return x * std::clamp(x * (1.0f / 6) + 0.5f, 0.0f, 1.0f);
    if constexpr (Activation == QC_ACTIVATION_RELU)
      return std::max(x, 0.0f);
    return x;
  }

#if defined(__AVX512F__)
  template <int64_t Activation> static __m512 activate(__m512 x) {
    __m512 zero = _mm512_setzero_ps();
    if constexpr (Activation == QC_ACTIVATION_SILU)
      return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), expNegatedAVX512(x)));
    if constexpr (Activation == QC_ACTIVATION_HARD_SWISH) {
      __m512 t = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.0f / 6)), _mm512_set1_ps(0.5f));
      return _mm512_mul_ps(x, _mm512_min_ps(_mm512_max_ps(t, zero), _mm512_set1_ps(1.0f)));
    }
    if constexpr (Activation == QC_ACTIVATION_RELU)
      return _mm512_max_ps(x, zero);
    return x;
  }
#endif

  template <int64_t Activation, bool Affine>
  void applyWith(float *x, int64_t rows, int64_t stride, int64_t count) const {
#if defined(__AVX512F__)
    __m512 pre = _mm512_set1_ps(preScale), preAdd = _mm512_set1_ps(preShift);
    __m512 post = _mm512_set1_ps(postScale), postAdd = _mm512_set1_ps(postShift);
    for (int64_t r = 0; r < rows; ++r, x += stride)
      for (int64_t i = 0; i < count; i += 16) {
        auto live = static_cast<__mmask16>((1u << std::min<int64_t>(16, count - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(live, x + i);
        if constexpr (Affine)
          v = _mm512_add_ps(_mm512_mul_ps(v, pre), preAdd);
        v = activate<Activation>(v);
        if constexpr (Affine)
          v = _mm512_add_ps(_mm512_mul_ps(v, post), postAdd);
        _mm512_mask_storeu_ps(x + i, live, v);
      }
#else
    for (int64_t r = 0; r < rows; ++r, x += stride)
      for (int64_t i = 0; i < count; ++i) {
        float v = x[i];
        if constexpr (Affine)
          v = v * preScale + preShift;
        v = activate<Activation>(v);
        if constexpr (Affine)
          v = v * postScale + postShift;
        x[i] = v;
      }
#endif
  }
};

} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_CONVEPILOGUE_H
