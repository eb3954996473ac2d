//===- BConv.cpp - bf16 convolutions on AVX-512 BF16 ------------*- C++ -*-===//
//
// quantc_bconv: the float convolution kernel's result (qc_fconv_param) for
// bf16 images and weights, with an f32 bias and f32 results. As in
// BMatMul.cpp, each tap pair is stored swapped (tap t in the odd half), so
// that vdpbf16ps adds the exact products in the float kernel's order of
// taps and the sums equal its sums on the widened operands, bit for bit
// (subnormals aside). Without AVX-512 BF16 the operands are widened and the
// float kernel runs.
//
//===----------------------------------------------------------------------===//
#include "BF16.h"
#include "ConvGeometry.h"

#include <cstring>
#include "Tile512.h"

using namespace quantc::kernels;

namespace {
constexpr int kRows = 6;        // output channels per tile
constexpr int64_t kPixels = 64; // pixels per tile: four vectors
constexpr int64_t kChannelsPerChunk = 8 * kRows;

/// One group of one image: weight pairs [outputs][taps / 2] x pixel pairs
/// [taps / 2][pixels].
struct Work {
  ConvGeometry g;
  const uint32_t *weightPairs, *pixelPairs;
  const float *bias;
  float *output;
  int64_t batch, group;

  static void chunk(void *self, int64_t index) { static_cast<Work *>(self)->run(index); }

  int64_t pairs() const { return (g.taps() + 1) / 2; }

  void run(int64_t index) const {
    int64_t pixels = g.pixels(), outputs = g.groupOutputs();
    int64_t tiles = (pixels + kPixels - 1) / kPixels;
    int64_t x0 = (index % tiles) * kPixels;
    int width = static_cast<int>(std::min(kPixels, pixels - x0));
    int64_t first = (index / tiles) * kChannelsPerChunk;
    int64_t last = std::min(outputs, first + kChannelsPerChunk);
    for (int64_t o = first; o < last; o += kRows)
      switch (std::min<int64_t>(kRows, last - o)) {
      case 1: tile<1>(o, x0, width); break;
      case 2: tile<2>(o, x0, width); break;
      case 3: tile<3>(o, x0, width); break;
      case 4: tile<4>(o, x0, width); break;
      case 5: tile<5>(o, x0, width); break;
      default: tile<6>(o, x0, width); break;
      }
  }

  template <int Rows>
  __attribute__((target("avx512f,avx512bw,avx512bf16"))) void tile(int64_t o, int64_t x0,
                                                                    int width) const {
    int64_t pixels = g.pixels(), k2 = pairs();
    __m512 acc[Rows][4];
    zeroTile(acc);
    __mmask16 live[4];
    tileMasks(width, live);
    const uint32_t *w = weightPairs + o * k2;
    for (int64_t p = 0; p < k2; ++p) {
      const uint32_t *x = pixelPairs + p * pixels + x0;
      __m512bh columns[4];
      for (int v = 0; v < 4; ++v)
        columns[v] = (__m512bh)_mm512_maskz_loadu_epi32(live[v], x + 16 * v);
      for (int r = 0; r < Rows; ++r) {
        auto weight = (__m512bh)_mm512_set1_epi32(static_cast<int>(w[r * k2 + p]));
        for (int v = 0; v < 4; ++v)
          acc[r][v] = _mm512_dpbf16_ps(acc[r][v], weight, columns[v]);
      }
    }
    int64_t channel = group * g.groupOutputs() + o;
    for (int r = 0; r < Rows; ++r) {
      float *dst = output + (batch * g[QC_FCONV_N] + channel + r) * pixels + x0;
      __m512 b = _mm512_set1_ps(g[QC_FCONV_HAS_BIAS] ? bias[channel + r] : 0.0f);
      for (int v = 0; v < 4; ++v)
        _mm512_mask_storeu_ps(dst + 16 * v, live[v],
                              g[QC_FCONV_HAS_BIAS] ? _mm512_add_ps(acc[r][v], b) : acc[r][v]);
    }
  }
};

/// Rows of `count` values, two by two, as rows of pairs (a missing second
/// row is zero).
void pairRows(const uint16_t *rows, int64_t numRows, int64_t count, uint32_t *pairs) {
  for (int64_t p = 0; p < (numRows + 1) / 2; ++p) {
    const uint16_t *first = rows + 2 * p * count;
    const uint16_t *second = 2 * p + 1 < numRows ? first + count : nullptr;
    for (int64_t i = 0; i < count; ++i)
      pairs[p * count + i] = swappedPair(first[i], second ? second[i] : 0);
  }
}

/// The AVX-512 BF16 path; the packing loops inlined here vectorize with
/// AVX-512 too.
__attribute__((target("avx512f,avx512bw,avx512bf16"), flatten)) void
runBF16(const uint16_t *input, const uint16_t *weights, const float *bias,
        const int64_t *params, float *output) {
  ConvGeometry g{params};
  int64_t pixels = g.pixels(), taps = g.taps(), k2 = (taps + 1) / 2;
  int64_t groupPlane = g.groupChannels() * g[QC_FCONV_H] * g[QC_FCONV_W];
  // Weight pairs along each output's taps.
  auto *weightPairs =
      static_cast<uint32_t *>(scratch(kBMatMulA, g[QC_FCONV_N] * k2 * sizeof(uint32_t)));
  for (int64_t o = 0; o < g[QC_FCONV_N]; ++o)
    pairAlongRow(weights + o * taps, taps, weightPairs + o * k2);
  auto *columns = g.isPointwise() ? nullptr
                                  : static_cast<uint16_t *>(scratch(
                                        kFConvColumns, taps * pixels * sizeof(uint16_t)));
  auto *pixelPairs =
      static_cast<uint32_t *>(scratch(kBMatMulB, k2 * pixels * sizeof(uint32_t)));
  int64_t tiles = (pixels + kPixels - 1) / kPixels;
  int64_t blocks = (g.groupOutputs() + kChannelsPerChunk - 1) / kChannelsPerChunk;
  for (int64_t b = 0; b < g[QC_FCONV_BATCH]; ++b)
    for (int64_t group = 0; group < g.groups(); ++group) {
      const uint16_t *image = input + (b * g.groups() + group) * groupPlane;
      if (columns)
        unfold(g, image, columns);
      pairRows(columns ? columns : image, taps, pixels, pixelPairs);
      Work work{g, weightPairs + group * g.groupOutputs() * k2, pixelPairs, bias, output, b,
                group};
      if (g.groupOutputs() * pixels * taps < (int64_t(1) << 19))
        for (int64_t i = 0; i < tiles * blocks; ++i)
          Work::chunk(&work, i);
      else
        parallelFor(tiles * blocks, Work::chunk, &work);
    }
}

/// The float kernel `fconv` on the widened operands.
void runWidened(const uint16_t *input, const uint16_t *weights, const float *bias,
                const int64_t *params, float *output,
                void (*fconv)(const float *, const float *, const float *, const int64_t *,
                              float *)) {
  ConvGeometry g{params};
  int64_t inSize = g[QC_FCONV_BATCH] * g[QC_FCONV_C] * g[QC_FCONV_H] * g[QC_FCONV_W];
  float *wide = widenOperands(input, inSize, weights, g[QC_FCONV_N] * g.taps());
  fconv(wide, wide + inSize, bias, params, output);
}
} // namespace

extern "C" void quantc_bconv(const uint16_t *input, const uint16_t *weights, const float *bias,
                             const int64_t *params, float *output) {
  if (!hasBF16())
    return runWidened(input, weights, bias, params, output, quantc_fconv_generic);
  // A depthwise window has too few taps for pairs to pay: the AVX-512 float
  // kernel's direct form sums the widened operands alike.
  if (ConvGeometry{params}.isDepthwise())
    return runWidened(input, weights, bias, params, output, quantc_fconv_avx512vnni);
  runBF16(input, weights, bias, params, output);
}
