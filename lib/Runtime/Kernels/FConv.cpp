//===- FConv.cpp - float convolutions in the evaluator's order --*- C++ -*-===//
//
// Built once per instruction set (QUANTC_FCONV_NAME names the entry point)
// with -ffp-contract=off: each product and each addition rounds, and every
// output sums its taps in order from zero, so results equal the reference
// evaluator's bit for bit while the loops vectorize across pixels. The fast
// float mode's variants (quantc_fconv_fast_*) are this source built with
// -ffp-contract=fast and QUANTC_FAST_FLOAT: each product and sum one FMA,
// 5 x 5 depthwise windows summed column by column (FConvDepthwise.h), and
// the layer's epilogue (ConvEpilogue.h) applied to each chunk of outputs as
// it is done.
//
//===----------------------------------------------------------------------===//
#include "ConvEpilogue.h"
#include "ConvGeometry.h"

#include <algorithm>
#if defined(__AVX512F__)
#include "FConvDepthwise.h"
#include <immintrin.h>
#endif

using namespace quantc::kernels;

namespace {
constexpr int kRows = 6;      // output channels per tile
constexpr int kPixels = 64;   // pixels per tile
constexpr int64_t kChannelsPerChunk = 8 * kRows;

struct Work {
  ConvGeometry g;
  const float *columns, *weights, *bias;
  float *output;
  int64_t batch, group;
  ConvEpilogue epilogue;

  static void chunk(void *self, int64_t index) { static_cast<Work *>(self)->run(index); }

  void run(int64_t index) const {
    int64_t pixels = g.pixels(), outputs = g.groupOutputs();
    int64_t tiles = (pixels + kPixels - 1) / kPixels;
    int64_t x0 = (index % tiles) * kPixels;
    int width = static_cast<int>(std::min<int64_t>(kPixels, pixels - x0));
    int64_t first = (index / tiles) * kChannelsPerChunk;
    int64_t last = std::min(outputs, first + kChannelsPerChunk);
    for (int64_t o = first; o < last; o += kRows) {
      int rows = static_cast<int>(std::min<int64_t>(kRows, last - o));
      int64_t channel = group * outputs + o;
#if defined(__AVX512F__)
      switch (rows) {
      case 1: tileAVX512<1>(channel, x0, width); break;
      case 2: tileAVX512<2>(channel, x0, width); break;
      case 3: tileAVX512<3>(channel, x0, width); break;
      case 4: tileAVX512<4>(channel, x0, width); break;
      case 5: tileAVX512<5>(channel, x0, width); break;
      default: tileAVX512<6>(channel, x0, width); break;
      }
#else
      tile(channel, rows, x0, width);
#endif
    }
  }

  void store(int64_t channel, int64_t x0, int width, const float *acc) const {
    float *dst = output + (batch * g[QC_FCONV_N] + channel) * g.pixels() + x0;
    float b = g[QC_FCONV_HAS_BIAS] ? bias[channel] : 0.0f;
    for (int i = 0; i < width; ++i)
      dst[i] = g[QC_FCONV_HAS_BIAS] ? acc[i] + b : acc[i];
    if (!epilogue.isIdentity())
      epilogue.apply(dst, width);
  }

  /// `rows` output channels over `width` pixels, in loops the compiler
  /// vectorizes.
  void tile(int64_t channel, int rows, int64_t x0, int width) const {
    int64_t pixels = g.pixels(), taps = g.taps();
    float acc[kRows][kPixels] = {};
    const float *w = weights + channel * taps;
    for (int64_t k = 0; k < taps; ++k) {
      const float *x = columns + k * pixels + x0;
      for (int r = 0; r < rows; ++r) {
        float wk = w[r * taps + k];
        for (int i = 0; i < width; ++i)
          acc[r][i] = acc[r][i] + wk * x[i];
      }
    }
    for (int r = 0; r < rows; ++r)
      store(channel + r, x0, width, acc[r]);
  }

#if defined(__AVX512F__)
  /// The same sums held in registers (a product, then a sum, each rounded),
  /// with masked loads for a partial tile.
  template <int Rows>
  void tileAVX512(int64_t channel, int64_t x0, int width) const {
    int64_t pixels = g.pixels(), taps = g.taps();
    __m512 acc[Rows][4];
    zeroTile(acc);
    __mmask16 live[4];
    tileMasks(width, live);
    const float *w = weights + channel * taps;
    for (int64_t k = 0; k < taps; ++k) {
      const float *x = columns + k * pixels + x0;
      __m512 xs[4];
      for (int v = 0; v < 4; ++v)
        xs[v] = _mm512_maskz_loadu_ps(live[v], x + 16 * v);
      for (int r = 0; r < Rows; ++r) {
        __m512 wk = _mm512_set1_ps(w[r * taps + k]);
        for (int v = 0; v < 4; ++v)
          acc[r][v] = _mm512_add_ps(acc[r][v], _mm512_mul_ps(wk, xs[v]));
      }
    }
    for (int r = 0; r < Rows; ++r) {
      alignas(64) float row[kPixels];
      for (int v = 0; v < 4; ++v)
        _mm512_store_ps(row + 16 * v, acc[r][v]);
      store(channel + r, x0, width, row);
    }
  }
#endif
};
} // namespace

extern "C" void QUANTC_FCONV_NAME(const float *input, const float *weights,
                                  const float *bias, const int64_t *params,
                                  float *output) {
  ConvGeometry g{params};
#if defined(QUANTC_FAST_FLOAT)
  ConvEpilogue epilogue = ConvEpilogue::fromParams(params);
#else
  ConvEpilogue epilogue;
#endif
#if defined(__AVX512F__)
  if (Depthwise::applies(g))
    return runDepthwise(g, input, weights, bias, output, epilogue);
#endif
  int64_t pixels = g.pixels(), taps = g.taps();
  int64_t groupPlane = g.groupChannels() * g[QC_FCONV_H] * g[QC_FCONV_W];
  bool pointwise = g.isPointwise();
  float *columns = pointwise ? nullptr
                             : static_cast<float *>(quantc::kernels::scratch(
                                   quantc::kernels::kFConvColumns, taps * pixels * sizeof(float)));
  int64_t tiles = (pixels + kPixels - 1) / kPixels;
  int64_t blocks = (g.groupOutputs() + kChannelsPerChunk - 1) / kChannelsPerChunk;
  for (int64_t b = 0; b < g[QC_FCONV_BATCH]; ++b)
    for (int64_t group = 0; group < g.groups(); ++group) {
      const float *image = input + (b * g.groups() + group) * groupPlane;
      if (!pointwise)
        unfold(g, image, columns);
      Work work{g, pointwise ? image : columns, weights, bias, output, b, group, epilogue};
      if (g.groupOutputs() * pixels * taps < (int64_t(1) << 19))
        for (int64_t i = 0; i < tiles * blocks; ++i)
          Work::chunk(&work, i);
      else
        quantc::kernels::parallelFor(tiles * blocks, Work::chunk, &work);
    }
}
