//===- QLayerPortable.cpp - integer layers in portable C++ ------*- C++ -*-===//
//
// Built twice: for x86-64-v3 (the compiler vectorizes it with AVX2) and for
// the baseline ISA; QUANTC_QLAYER_NAME names the entry point. Products are
// formed in i32 exactly as vpdpbusd would.
//
//===----------------------------------------------------------------------===//
#include "QLayer.h"

using namespace quantc::kernels;

namespace {
struct PortableTile : ScalarEpilogue, PortablePacking {
  using DepthwiseRows = PortableDepthwiseRows;

  static void compute(const uint8_t *a, int64_t kp, const int8_t *b, int rows,
                      int32_t (*out)[kPanel]) {
    for (int r = 0; r < rows; ++r) {
      int32_t acc[kPanel] = {};
      const uint8_t *row = a + r * kp;
      const int8_t *w = b;
      for (int64_t k = 0; k < kp; k += 4, w += 4 * kPanel)
        for (int c = 0; c < kPanel; ++c)
          for (int t = 0; t < 4; ++t)
            acc[c] += int32_t(row[k + t]) * int32_t(w[c * 4 + t]);
      std::memcpy(out[r], acc, sizeof(acc));
    }
  }
};
} // namespace

extern "C" void QUANTC_QLAYER_NAME(const void *input, const int8_t *packed,
                                   const int32_t *bias,
                                   const int32_t *multiplier,
                                   const int32_t *shift, const int64_t *params,
                                   void *output) {
  runQLayer<PortableTile>(input, packed, bias, multiplier, shift, params, output);
}
