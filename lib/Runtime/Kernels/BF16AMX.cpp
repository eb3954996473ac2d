//===- BF16AMX.cpp - bf16 layers on the CPU's AMX tiles ---------*- C++ -*-===//
//
// quantc_bconv_amx and quantc_bmatmul_amx (Microkernels.h): BF16AMX.h on
// tdpbf16ps. The compiler calls them only for targets with AMX-BF16, which
// the runtime checks before loading; where Linux refuses the tile state (or
// QUANTC_AMX=0), the layer widens its operands and runs on the portable
// float kernels instead, which differ only in the order of the sums.
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

/// x * sigmoid(x) = x / (1 + e^-x) with AVX-512: e^y as 2^n e^r, r = y - n
/// ln 2 in [-ln 2 / 2, ln 2 / 2], e^r by its Taylor polynomial of degree 6
/// (relative error under 2e-7), 2^n by vscalefps.
struct SiluAVX512 {
  static __m512 exp(__m512 y) {
    y = _mm512_max_ps(y, _mm512_set1_ps(-88.0f));
    y = _mm512_min_ps(y, _mm512_set1_ps(88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(y, _mm512_set1_ps(1.44269504f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145752f), y);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860677e-6f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720);
    for (float c : {1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f})
      p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
    return _mm512_scalef_ps(p, n);
  }
  static void apply(float *x, int64_t count) {
    for (int64_t i = 0; i < count; i += 16) {
      auto live = static_cast<__mmask16>((1u << std::min<int64_t>(16, count - i)) - 1);
      __m512 v = _mm512_maskz_loadu_ps(live, x + i);
      __m512 e = exp(_mm512_sub_ps(_mm512_setzero_ps(), v));
      _mm512_mask_storeu_ps(x + i, live,
                            _mm512_div_ps(v, _mm512_add_ps(_mm512_set1_ps(1.0f), e)));
    }
  }
};

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
  if (params[QC_BCONV_AMX_ACTIVATION] == QC_ACTIVATION_SILU)
    SiluAVX512::apply(output, g[QC_FCONV_BATCH] * g[QC_FCONV_N] * g.pixels());
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
  runBConvTiles<BF16TileInstructions, SiluAVX512>(input, weights, bias, params, output);
}

void quantc::kernels::bmatmulAMX(const float *a, const uint32_t *weights,
                                 const int64_t *params, float *output) {
  runBMatMulTiles<BF16TileInstructions>(a, weights, params, output);
}

extern "C" void quantc_bconv_amx(const float *input, const uint16_t *weights,
                                 const float *bias, const int64_t *params, float *output) {
  if (!hasAMXBF16())
    return runWidenedConv(input, weights, bias, params, output);
  bconvAMX(input, weights, bias, params, output);
}

extern "C" void quantc_bmatmul_amx(const float *a, const uint32_t *weights,
                                   const int64_t *params, float *output) {
  if (!hasAMXBF16())
    return runWidenedMatMul(a, weights, params, output);
  bmatmulAMX(a, weights, params, output);
}
