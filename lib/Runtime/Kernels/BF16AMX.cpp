//===- BF16AMX.cpp - bf16 layers on the CPU's AMX tiles ---------*- C++ -*-===//
//
// quantc_bconv_tiles and quantc_bmatmul_tiles (Microkernels.h): BF16AMX.h on
// tdpbf16ps. The compiler calls them only for targets with AMX-BF16 or
// AVX-512 BF16, which the runtime checks before loading. Where Linux refuses
// the tile state (or QUANTC_AMX=0, or the CPU has no AMX-BF16), the same
// blocking runs on AVX-512 BF16 (BF16Dot.cpp); without that either, the
// layer widens its operands and runs on the portable float kernels, which
// differ only in the order of the sums.
//
//===----------------------------------------------------------------------===//
#include "BF16AMX.h"

#include <immintrin.h>

using namespace quantc::kernels;

namespace {
/// tdpbf16ps, for BF16Block.
struct BF16Dot {
  template <int C, int A, int B> static void apply() { _tile_dpbf16ps(C, A, B); }
};
using BF16TileInstructions = TileInstructions<BF16Dot>;

using quantc::runtime::roundToBF16;
using quantc::runtime::widenBF16;

float throughBF16(float value) { return widenBF16(roundToBF16(value)); }

/// The convolution on the float kernel: images rounded to bf16, weights
/// widened out of their tile rows.
void runWidenedConv(const float *input, const uint16_t *weights, const float *bias,
                    const int64_t *params, float *output) {
  ConvGeometry g{params};
  int64_t inSize = g[QC_FCONV_BATCH] * g[QC_FCONV_C] * g[QC_FCONV_H] * g[QC_FCONV_W];
  int64_t taps = g.taps(), channels = g.groupChannels(), window = taps / channels;
  int64_t width = 2 * quantc::runtime::bf16ConvPairs(channels, g[QC_FCONV_KH], g[QC_FCONV_KW]);
  auto *wide = static_cast<float *>(
      scratch(kBMatMulWidened, (inSize + g[QC_FCONV_N] * taps) * sizeof(float)));
  std::transform(input, input + inSize, wide, throughBF16);
  float *w = wide + inSize;
  for (int64_t o = 0; o < g[QC_FCONV_N]; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t t = 0; t < window; ++t)
        w[(o * channels + c) * window + t] =
            widenBF16(weights[o * width + 2 * (c / 2 * window + t) + c % 2]);
  quantc_fconv_generic(wide, w, bias, params, output);
  ConvEpilogue::fromParams(params).apply(output,
                                         g[QC_FCONV_BATCH] * g[QC_FCONV_N] * g.pixels());
}

/// The matmul on the float kernel: activations rounded to bf16, weights
/// widened out of their pairs.
void runWidenedMatMul(const float *a, const uint32_t *weights, const int64_t *params,
                      float *output) {
  int64_t m = params[QC_FMATMUL_BATCH] * params[QC_FMATMUL_M], k = params[QC_FMATMUL_K];
  int64_t n = params[QC_FMATMUL_N], columns = bf16BlockPadded(n);
  auto *wide = static_cast<float *>(scratch(kBMatMulWidened, (m + n) * k * sizeof(float)));
  std::transform(a, a + m * k, wide, throughBF16);
  float *b = wide + m * k;
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j) {
      uint32_t pair = weights[i / 2 * columns + j];
      b[i * n + j] = widenBF16(static_cast<uint16_t>(i % 2 ? pair >> 16 : pair));
    }
  int64_t flat[QC_FMATMUL_NUM_PARAMS] = {1, m, k, n, 0, 0};
  quantc_fmatmul_generic(wide, b, flat, output);
}
} // namespace

void quantc::kernels::bconvAMX(const float *input, const uint16_t *weights,
                               const float *bias, const int64_t *params, float *output) {
  runBConvTiles<BF16TileInstructions>(input, weights, bias, params, output);
}

void quantc::kernels::bmatmulAMX(const float *a, const uint32_t *weights,
                                 const int64_t *params, float *output) {
  runBMatMulTiles<BF16TileInstructions>(a, weights, params, output);
}

extern "C" void quantc_bconv_tiles(const float *input, const uint16_t *weights,
                                 const float *bias, const int64_t *params, float *output) {
  if (hasAMXBF16())
    return bconvAMX(input, weights, bias, params, output);
  if (hasBF16())
    return bconvAVX512BF16(input, weights, bias, params, output);
  runWidenedConv(input, weights, bias, params, output);
}

extern "C" void quantc_bmatmul_tiles(const float *a, const uint32_t *weights,
                                   const int64_t *params, float *output) {
  if (hasAMXBF16())
    return bmatmulAMX(a, weights, params, output);
  if (hasBF16())
    return bmatmulAVX512BF16(a, weights, params, output);
  runWidenedMatMul(a, weights, params, output);
}
