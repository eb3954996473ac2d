//===- AMXTileModel.cpp - the AMX kernels on a scalar tile model -*- C++ -*-===//
//
// The tile instructions the AMX kernels use, computed in plain C++ as the
// Intel SDM defines them (tdpbusd, tdpbf16ps), so the AMX blocking, tails
// and epilogues are checked on every CPU against the other variants; the
// CPU's own tiles are checked where it has them.
//
//===----------------------------------------------------------------------===//
#include "BF16AMX.h"
#include "QLayerAMX.h"

#include <cmath>

using namespace quantc::kernels;

namespace {
/// tdpbusd: u8 x s8 products, four per i32 lane, added with wraparound.
struct ByteProduct {
  template <typename Tile> static void apply(Tile &c, const Tile &a, const Tile &b) {
    for (int m = 0; m < kTileRows; ++m)
      for (int n = 0; n < kTileRows; ++n) {
        uint32_t acc;
        std::memcpy(&acc, &c[m][4 * n], 4);
        for (int k = 0; k < kTileRows; ++k)
          for (int i = 0; i < 4; ++i)
            acc += static_cast<uint32_t>(int32_t(a[m][4 * k + i]) *
                                         int32_t(static_cast<int8_t>(b[k][4 * n + i])));
        std::memcpy(&c[m][4 * n], &acc, 4);
      }
  }
};

/// tdpbf16ps: bf16 x bf16 products, two per f32 lane, each pair's added to
/// the lane in turn (the model's order; the CPU's may differ by a rounding).
/// As the SDM says, whatever MXCSR holds, denormal inputs are read as zero
/// and denormal sums flushed to zero.
struct BF16Product {
  static float widen(const uint8_t *bytes) {
    uint32_t bits = uint32_t(bytes[0]) << 16 | uint32_t(bytes[1]) << 24;
    if ((bits & 0x7f800000u) == 0)
      bits &= 0x80000000u;
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
  }
  static float flushed(float sum) {
    return std::fpclassify(sum) == FP_SUBNORMAL ? std::copysign(0.0f, sum) : sum;
  }
  template <typename Tile> static void apply(Tile &c, const Tile &a, const Tile &b) {
    for (int m = 0; m < kTileRows; ++m)
      for (int n = 0; n < kTileRows; ++n) {
        float acc;
        std::memcpy(&acc, &c[m][4 * n], 4);
        for (int k = 0; k < kTileRows; ++k)
          for (int i = 0; i < 2; ++i)
            acc = flushed(acc + widen(&a[m][4 * k + 2 * i]) * widen(&b[k][4 * n + 2 * i]));
        std::memcpy(&c[m][4 * n], &acc, 4);
      }
  }
};

struct PortableTile : PortablePacking, ScalarEpilogue {};
} // namespace

void quantc::kernels::qlayerTileModel(const void *input, const int8_t *packed,
                                      const int32_t *bias, const int32_t *multiplier,
                                      const int32_t *shift, const int64_t *params,
                                      void *output) {
  runQLayerAMX<TileModel<ByteProduct>, PortableTile>(input, packed, bias, multiplier, shift, params,
                                        output);
}

void quantc::kernels::bconvTileModel(const float *input, const uint16_t *weights,
                                     const float *bias, const int64_t *params, float *output) {
  runBConvTiles<TileModel<BF16Product>>(input, weights, bias, params, output);
}

void quantc::kernels::bmatmulTileModel(const float *a, const uint32_t *weights,
                                       const int64_t *params, float *output) {
  runBMatMulTiles<TileModel<BF16Product>>(a, weights, params, output);
}
