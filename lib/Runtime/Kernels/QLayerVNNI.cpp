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

struct VNNITile {
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
