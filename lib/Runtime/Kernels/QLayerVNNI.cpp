//===- QLayerVNNI.cpp - integer layers with AVX-512 VNNI --------*- C++ -*-===//
//
// vpdpbusd multiplies 4 u8 activations by 4 s8 weights and adds the four
// products to an i32 lane: a 6-row x 64-column tile keeps 24 zmm
// accumulators, and each step of 4 reduction rows loads one 256-byte group
// of the packed panel and broadcasts 4 bytes per activation row.
//
//===----------------------------------------------------------------------===//
#include "QLayer.h"

#include <immintrin.h>

using namespace quantc::kernels;

namespace {
template <int Rows>
void computeRows(const uint8_t *a, int64_t kp, const int8_t *b,
                 int32_t (*out)[kPanel]) {
  __m512i acc[Rows][4];
  for (int r = 0; r < Rows; ++r)
    for (int j = 0; j < 4; ++j)
      acc[r][j] = _mm512_setzero_si512();
  for (int64_t k = 0; k < kp; k += 4, b += 4 * kPanel) {
    __m512i w0 = _mm512_loadu_si512(b), w1 = _mm512_loadu_si512(b + 64);
    __m512i w2 = _mm512_loadu_si512(b + 128), w3 = _mm512_loadu_si512(b + 192);
    _mm_prefetch(reinterpret_cast<const char *>(b) + 1024, _MM_HINT_T0);
    for (int r = 0; r < Rows; ++r) {
      int32_t quad;
      std::memcpy(&quad, a + r * kp + k, 4);
      __m512i x = _mm512_set1_epi32(quad);
      acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], x, w0);
      acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], x, w1);
      acc[r][2] = _mm512_dpbusd_epi32(acc[r][2], x, w2);
      acc[r][3] = _mm512_dpbusd_epi32(acc[r][3], x, w3);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int j = 0; j < 4; ++j)
      _mm512_store_si512(out[r] + 16 * j, acc[r][j]);
}

/// qc::applyMultiplier on 8 i64 lanes (every rounding but double_round).
__m512i applyMultiplier8(__m512i value, __m512i multiplier, __m512i shift,
                         int rounding) {
  const __m512i zero = _mm512_setzero_si512(), one = _mm512_set1_epi64(1);
  __m512i total = _mm512_add_epi64(shift, _mm512_set1_epi64(31));
  __m512i product = _mm512_mullo_epi64(value, multiplier);
  if (rounding == 3) // half_up: an arithmetic shift floors
    return _mm512_srav_epi64(
        _mm512_add_epi64(product, _mm512_sllv_epi64(one, _mm512_sub_epi64(total, one))),
        total);
  __mmask8 negative = _mm512_cmplt_epi64_mask(product, zero);
  __m512i magnitude = _mm512_abs_epi64(product);
  __m512i quotient = _mm512_srlv_epi64(magnitude, total);
  __m512i remainder = _mm512_sub_epi64(magnitude, _mm512_sllv_epi64(quotient, total));
  __m512i half = _mm512_sllv_epi64(one, _mm512_sub_epi64(total, one));
  __mmask8 up = _mm512_cmpgt_epu64_mask(remainder, half);
  __mmask8 tie = _mm512_cmpeq_epi64_mask(remainder, half);
  if (rounding != 1)
    tie &= _mm512_test_epi64_mask(quotient, one);
  quotient = _mm512_mask_add_epi64(quotient, up | tie, quotient, one);
  return _mm512_mask_sub_epi64(quotient, negative, zero, quotient);
}

/// Requantizes 16 i32 accumulators and stores `count` of them at `index`.
void store16(const Requantizer &q, __m512i value, __m512i multiplier,
             __m512i shift, void *output, int64_t index, int count) {
  __mmask16 mask = count >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << count) - 1);
  if (q.kind == 0) {
    _mm512_mask_storeu_epi32(static_cast<int32_t *>(output) + index, mask, value);
    return;
  }
  __m512i zp = _mm512_set1_epi64(q.zp), lo = _mm512_set1_epi64(q.lo),
          hi = _mm512_set1_epi64(q.hi);
  auto half = [&](int part) {
    auto pick = [&](__m512i v) {
      return _mm512_cvtepi32_epi64(part ? _mm512_extracti64x4_epi64(v, 1)
                                        : _mm512_castsi512_si256(v));
    };
    __m512i y = _mm512_add_epi64(
        applyMultiplier8(pick(value), pick(multiplier), pick(shift), q.rounding), zp);
    return _mm512_cvtepi64_epi32(_mm512_min_epi64(_mm512_max_epi64(y, lo), hi));
  };
  __m512i y = _mm512_inserti64x4(_mm512_castsi256_si512(half(0)), half(1), 1);
  _mm_mask_storeu_epi8(static_cast<char *>(output) + index, mask,
                       _mm512_cvtepi32_epi8(y));
}

struct VNNITile {
  /// One matmul row: a channel per lane.
  static void storeColumns(const Requantizer &q, const int32_t *acc,
                           const int32_t *bias, int64_t ch0, const int32_t *,
                           int32_t, int columns, void *output, int64_t index) {
    if (q.rounding == 2)
      return ScalarEpilogue::storeColumns(q, acc, bias, ch0, nullptr, 0, columns,
                                          output, index);
    for (int c = 0; c < columns; c += 16) {
      __m512i value = _mm512_add_epi32(_mm512_load_si512(acc + c),
                                       _mm512_loadu_si512(bias + c));
      __m512i m = q.perChannel ? _mm512_loadu_si512(q.multiplier + ch0 + c)
                               : _mm512_set1_epi32(q.multiplier[0]);
      __m512i s = q.perChannel ? _mm512_loadu_si512(q.shift + ch0 + c)
                               : _mm512_set1_epi32(q.shift[0]);
      store16(q, value, m, s, output, index + c, columns - c);
    }
  }

  /// One convolution output channel over `width` pixels.
  static void storeRow(const Requantizer &q, const int32_t *acc, int32_t bias,
                       const int32_t *sums, int64_t ch, int width, void *output,
                       int64_t index) {
    if (q.rounding == 2)
      return ScalarEpilogue::storeRow(q, acc, bias, sums, ch, width, output, index);
    int64_t c = q.perChannel ? ch : 0;
    __m512i m = _mm512_set1_epi32(q.multiplier[c]), s = _mm512_set1_epi32(q.shift[c]);
    __m512i b = _mm512_set1_epi32(bias);
    for (int x = 0; x < width; x += 16) {
      __mmask16 mask = width - x >= 16 ? 0xFFFF
                                       : static_cast<__mmask16>((1u << (width - x)) - 1);
      __m512i correction = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(mask, sums + x), 7);
      __m512i value = _mm512_sub_epi32(
          _mm512_add_epi32(_mm512_load_si512(acc + x), b), correction);
      store16(q, value, m, s, output, index + x, width - x);
    }
  }

  static void compute(const uint8_t *a, int64_t kp, const int8_t *b, int rows,
                      int32_t (*out)[kPanel]) {
    switch (rows) {
    case 1: return computeRows<1>(a, kp, b, out);
    case 2: return computeRows<2>(a, kp, b, out);
    case 3: return computeRows<3>(a, kp, b, out);
    case 4: return computeRows<4>(a, kp, b, out);
    case 5: return computeRows<5>(a, kp, b, out);
    default: return computeRows<6>(a, kp, b, out);
    }
  }
};
} // namespace

extern "C" void quantc_qlayer_avx512vnni(const void *input, const int8_t *packed,
                                         const int32_t *bias,
                                         const int32_t *multiplier,
                                         const int32_t *shift,
                                         const int64_t *params, void *output) {
  runQLayer<VNNITile>(input, packed, bias, multiplier, shift, params, output);
}
