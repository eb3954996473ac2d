//===- FConv.cpp - float convolutions in the evaluator's order --*- C++ -*-===//
//
// Built once per instruction set (QUANTC_FCONV_NAME names the entry point)
// with -ffp-contract=off: each product and each addition rounds, and every
// output sums its taps in order from zero, so results equal the reference
// evaluator's bit for bit while the loops vectorize across pixels. The fast
// float mode's variants (quantc_fconv_fast_*) are this source built with
// -ffp-contract=fast and QUANTC_FAST_FLOAT: each product and sum one FMA,
// and 5 x 5 depthwise windows summed column by column (below).
//
//===----------------------------------------------------------------------===//
#include "ConvGeometry.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>
#if defined(__AVX512F__)
#include "Tile512.h"
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
#if defined(__AVX512F__)
/// Depthwise convolutions (one input and one output channel per group)
/// without unfolding: each channel's plane padded once with zeros, then
/// each vector of 16 output pixels sums its taps in order, as the unfolded
/// product would (a product, then a sum, each rounded).
struct Depthwise {
  static constexpr int kUnits = 8;
  static constexpr int kBlockRows = 8;
  ConvGeometry g;
  const float *input, *weights, *bias;
  float *output;

  static bool applies(const ConvGeometry &g) {
    return g.isDepthwise() && g[QC_FCONV_STRIDE_W] <= 2 && g[QC_FCONV_DILATION_W] == 1;
  }

  static void chunk(void *self, int64_t index) { static_cast<Depthwise *>(self)->run(index); }

  /// Channel `index % C` of image `index / C`.
  void run(int64_t index) const {
    Window win = g.window();
    int64_t channels = g[QC_FCONV_C], c = index % channels, b = index / channels;
    bool blocked = win.kh == 3 && win.kw == 3 && win.dilationH == 1 && win.strideH <= 2;
#if defined(QUANTC_FAST_FLOAT)
    bool columns = win.kh == 5 && win.kw == 5 && win.dilationH == 1 && win.strideH <= 2;
#else
    constexpr bool columns = false;
#endif
    // Row blocks may run past the last output row (those rows are never
    // stored).
    int64_t rows = blocked || columns ? (win.oh + kBlockRows - 1) / kBlockRows * kBlockRows
                                      : win.oh;
    int64_t ph = (rows - 1) * win.strideH + (win.kh - 1) * win.dilationH + 1;
    int64_t pw = (win.ow - 1) * win.strideW + win.kw;
    // Rows are read 32 floats past a stride-2 window's start.
    auto *plane = static_cast<float *>(scratch(kFConvPlane, (ph * pw + 64) * sizeof(float)));
    padPlane(win, input + (b * channels + c) * win.h * win.w, ph, pw, plane);
    const float *w = weights + c * win.kh * win.kw;
    float *dst = output + (b * channels + c) * win.oh * win.ow;
    if (blocked) {
      switch (win.strideH * 2 + win.strideW) {
      case 3: return blocks<1, 1>(win, plane, pw, w, c, dst);
      case 4: return blocks<1, 2>(win, plane, pw, w, c, dst);
      case 5: return blocks<2, 1>(win, plane, pw, w, c, dst);
      default: return blocks<2, 2>(win, plane, pw, w, c, dst);
      }
    }
    if (columns) {
      switch (win.strideH * 2 + win.strideW) {
      case 3: return columnBlocks<1, 1, 5>(win, plane, pw, w, c, dst);
      case 4: return columnBlocks<1, 2, 5>(win, plane, pw, w, c, dst);
      case 5: return columnBlocks<2, 1, 5>(win, plane, pw, w, c, dst);
      default: return columnBlocks<2, 2, 5>(win, plane, pw, w, c, dst);
      }
    }
    // Vectors of 16 output pixels, row by row, kUnits at a time.
    int64_t perRow = (win.ow + 15) / 16, units = win.oh * perRow;
    for (int64_t u = 0; u < units; u += kUnits)
      switch (std::min<int64_t>(kUnits, units - u)) {
      case 1: vectors<1>(win, plane, pw, w, c, dst, u, perRow); break;
      case 2: vectors<2>(win, plane, pw, w, c, dst, u, perRow); break;
      case 3: vectors<3>(win, plane, pw, w, c, dst, u, perRow); break;
      case 4: vectors<4>(win, plane, pw, w, c, dst, u, perRow); break;
      case 5: vectors<5>(win, plane, pw, w, c, dst, u, perRow); break;
      case 6: vectors<6>(win, plane, pw, w, c, dst, u, perRow); break;
      case 7: vectors<7>(win, plane, pw, w, c, dst, u, perRow); break;
      default: vectors<kUnits>(win, plane, pw, w, c, dst, u, perRow); break;
      }
  }

  /// The `ph` x `pw` plane of an image channel `src` placed at the window's
  /// padding, zero elsewhere and in 64 floats past the end: one masked load
  /// and store per 16 floats (rows are short, too short for memcpy calls).
  static void padPlane(const Window &win, const float *src, int64_t ph, int64_t pw,
                       float *plane) {
    int64_t rows = std::min(win.h, ph - win.padTop);
    int64_t first = win.padLeft, last = std::min(pw, win.padLeft + win.w);
    for (int64_t y = 0; y < ph; ++y) {
      float *row = plane + y * pw;
      int64_t iy = y - win.padTop;
      if (iy < 0 || iy >= rows) {
        for (int64_t x = 0; x < pw; x += 16)
          _mm512_mask_storeu_ps(row + x, spanMask(x, 0, pw), _mm512_setzero_ps());
        continue;
      }
      // Lanes outside [first, last) read nothing (masked), so `from` may
      // point before the row. Only the vectors at the row's ends need masks.
      auto from = reinterpret_cast<uintptr_t>(src + iy * win.w) - first * sizeof(float);
      for (int64_t x = 0; x < pw; x += 16) {
        const float *at = reinterpret_cast<const float *>(from) + x;
        if (x >= first && x + 16 <= last)
          _mm512_storeu_ps(row + x, _mm512_loadu_ps(at));
        else
          _mm512_mask_storeu_ps(row + x, spanMask(x, 0, pw),
                                _mm512_maskz_loadu_ps(spanMask(x, first, last), at));
      }
    }
    for (int x = 0; x < 64; x += 16)
      _mm512_storeu_ps(plane + ph * pw + x, _mm512_setzero_ps());
  }

  /// Lanes of the 16 floats from `x` that fall in [begin, end).
  static __mmask16 spanMask(int64_t x, int64_t begin, int64_t end) {
    int64_t lo = std::clamp<int64_t>(begin - x, 0, 16), hi = std::clamp<int64_t>(end - x, 0, 16);
    return static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1));
  }

  /// 3 x 3 windows: the taps held in registers, kBlockRows output rows of
  /// one column vector at a time (fewer where that wastes fewer rows past
  /// the end).
  template <int SH, int SW>
  void blocks(const Window &win, const float *plane, int64_t pw, const float *w, int64_t c,
              float *dst) const {
    constexpr int kSmallBlock = kBlockRows * 3 / 4;
    auto padded = [&](int64_t r) { return (win.oh + r - 1) / r * r; };
    if (padded(kSmallBlock) < padded(kBlockRows))
      blocksOf<SH, SW, kSmallBlock>(win, plane, pw, w, c, dst);
    else
      blocksOf<SH, SW, kBlockRows>(win, plane, pw, w, c, dst);
  }

  template <int SH, int SW, int R>
  void blocksOf(const Window &win, const float *plane, int64_t pw, const float *w, int64_t c,
                float *dst) const {
    __m512 taps[9];
    for (int k = 0; k < 9; ++k)
      taps[k] = _mm512_set1_ps(w[k]);
    __m512 shift = g[QC_FCONV_HAS_BIAS] ? _mm512_set1_ps(bias[c]) : _mm512_setzero_ps();
    for (int64_t ox = 0; ox < win.ow; ox += 16) {
      __mmask16 live = spanMask(ox, 0, win.ow);
      for (int64_t oy = 0; oy < win.oh; oy += R) {
        __m512 acc[R];
        rowBlock<SH, SW, R>(plane + oy * SH * pw + ox * SW, pw, taps, acc);
#pragma clang loop unroll(full)
        for (int r = 0; r < R; ++r)
          if (oy + r < win.oh)
            _mm512_mask_storeu_ps(dst + (oy + r) * win.ow + ox, live,
                                  g[QC_FCONV_HAS_BIAS] ? _mm512_add_ps(acc[r], shift) : acc[r]);
      }
    }
  }

  /// Output rows 0 to R - 1 of the vector at `origin`: each input row is
  /// loaded once per window column and feeds every output row whose window
  /// covers it. An output row still sums its taps in order (window row,
  /// then column), since input rows come in order.
  template <int SH, int SW, int R>
  static void rowBlock(const float *origin, int64_t pw, const __m512 (&taps)[9],
                       __m512 (&acc)[R]) {
    for (int r = 0; r < R; ++r)
      acc[r] = _mm512_setzero_ps();
#pragma clang loop unroll(full)
    for (int iy = 0; iy < (R - 1) * SH + 3; ++iy)
#pragma clang loop unroll(full)
      for (int kx = 0; kx < 3; ++kx) {
        __m512 x = load<SW>(origin + iy * pw + kx);
#pragma clang loop unroll(full)
        for (int r = 0; r < R; ++r)
          if (int ky = iy - r * SH; ky >= 0 && ky < 3)
            acc[r] = _mm512_add_ps(acc[r], _mm512_mul_ps(taps[ky * 3 + kx], x));
      }
  }

  /// K x K windows in the fast float mode: kBlockRows output rows of one
  /// column vector at a time, summed window column by window column, so
  /// that only one column's K taps and the block's sums stay in registers
  /// and each input row loaded feeds every output row whose window covers
  /// it (the exact order, row by row, would need all K x K taps there).
  template <int SH, int SW, int K>
  void columnBlocks(const Window &win, const float *plane, int64_t pw, const float *w,
                    int64_t c, float *dst) const {
    constexpr int R = kBlockRows;
    __m512 shift = g[QC_FCONV_HAS_BIAS] ? _mm512_set1_ps(bias[c]) : _mm512_setzero_ps();
    for (int64_t ox = 0; ox < win.ow; ox += 16) {
      __mmask16 live = spanMask(ox, 0, win.ow);
      for (int64_t oy = 0; oy < win.oh; oy += R) {
        const float *origin = plane + oy * SH * pw + ox * SW;
        __m512 acc[R];
        for (int r = 0; r < R; ++r)
          acc[r] = shift;
        // Not unrolled: one column at a time keeps the live values few.
#pragma clang loop unroll(disable)
        for (int kx = 0; kx < K; ++kx) {
          __m512 taps[K];
          for (int ky = 0; ky < K; ++ky)
            taps[ky] = _mm512_set1_ps(w[ky * K + kx]);
#pragma clang loop unroll(full)
          for (int iy = 0; iy < (R - 1) * SH + K; ++iy) {
            __m512 x = load<SW>(origin + iy * pw + kx);
#pragma clang loop unroll(full)
            for (int r = 0; r < R; ++r)
              if (int ky = iy - r * SH; ky >= 0 && ky < K)
                acc[r] = _mm512_fmadd_ps(taps[ky], x, acc[r]);
          }
        }
#pragma clang loop unroll(full)
        for (int r = 0; r < R; ++r)
          if (oy + r < win.oh)
            _mm512_mask_storeu_ps(dst + (oy + r) * win.ow + ox, live, acc[r]);
      }
    }
  }

  /// 16 pixels at stride SW from `at`.
  template <int SW>
  static __m512 load(const float *at) {
    if constexpr (SW == 1)
      return _mm512_loadu_ps(at);
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                            28, 30);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(at), evens, _mm512_loadu_ps(at + 16));
  }

  /// Output vectors `first` to `first + N - 1` (vector u: row u / perRow,
  /// pixels 16 (u % perRow) on) of channel c: N independent sums, each in
  /// order of taps, so that their additions overlap (one vector's sum is a
  /// chain of kh x kw dependent additions).
  template <int N>
  void vectors(const Window &win, const float *plane, int64_t pw, const float *w, int64_t c,
               float *dst, int64_t first, int64_t perRow) const {
    const float *origin[N];
    __m512 acc[N];
    for (int n = 0; n < N; ++n) {
      int64_t oy = (first + n) / perRow, ox = (first + n) % perRow * 16;
      origin[n] = plane + oy * win.strideH * pw + ox * win.strideW;
      acc[n] = _mm512_setzero_ps();
    }
    for (int64_t ky = 0; ky < win.kh; ++ky)
      for (int64_t kx = 0; kx < win.kw; ++kx) {
        __m512 tap = _mm512_set1_ps(w[ky * win.kw + kx]);
        int64_t offset = ky * win.dilationH * pw + kx;
        for (int n = 0; n < N; ++n) {
          const float *at = origin[n] + offset;
          __m512 x = win.strideW == 1 ? load<1>(at) : load<2>(at);
          acc[n] = _mm512_add_ps(acc[n], _mm512_mul_ps(tap, x));
        }
      }
    for (int n = 0; n < N; ++n) {
      int64_t oy = (first + n) / perRow, ox = (first + n) % perRow * 16;
      auto live = static_cast<__mmask16>((1u << std::min<int64_t>(16, win.ow - ox)) - 1);
      if (g[QC_FCONV_HAS_BIAS])
        acc[n] = _mm512_add_ps(acc[n], _mm512_set1_ps(bias[c]));
      _mm512_mask_storeu_ps(dst + oy * win.ow + ox, live, acc[n]);
    }
  }
};
#endif
} // namespace

extern "C" void QUANTC_FCONV_NAME(const float *input, const float *weights,
                                  const float *bias, const int64_t *params,
                                  float *output) {
  ConvGeometry g{params};
#if defined(__AVX512F__)
  if (Depthwise::applies(g)) {
    Depthwise work{g, input, weights, bias, output};
    int64_t chunks = g[QC_FCONV_BATCH] * g[QC_FCONV_C];
    if (chunks * g.pixels() * g.taps() < (int64_t(1) << 19))
      for (int64_t i = 0; i < chunks; ++i)
        Depthwise::chunk(&work, i);
    else
      quantc::kernels::parallelFor(chunks, Depthwise::chunk, &work);
    return;
  }
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
      Work work{g, pointwise ? image : columns, weights, bias, output, b, group};
      if (g.groupOutputs() * pixels * taps < (int64_t(1) << 19))
        for (int64_t i = 0; i < tiles * blocks; ++i)
          Work::chunk(&work, i);
      else
        quantc::kernels::parallelFor(tiles * blocks, Work::chunk, &work);
    }
}
