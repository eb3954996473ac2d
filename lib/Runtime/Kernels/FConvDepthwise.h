//===- FConvDepthwise.h - float depthwise convolutions ----------*- C++ -*-===//
//
// The depthwise convolutions of FConv.cpp's AVX-512 builds, exact and fast,
// summed on padded planes without unfolding: 16 pixels of a channel per
// vector (Depthwise), or 16 channels of a pixel per vector where short rows
// or planes would leave more lanes idle (ChannelLanes). Included by
// FConv.cpp only, so each build compiles them with its own flags.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_FCONVDEPTHWISE_H
#define QUANTC_LIB_RUNTIME_KERNELS_FCONVDEPTHWISE_H

#include "ConvEpilogue.h"
#include "ConvGeometry.h"
#include "Tile512.h"

#include <algorithm>
#include <cstring>
#include <immintrin.h>

namespace quantc::kernels {
// Internal linkage: each build of FConv.cpp compiles its own copy.
namespace {

/// Depthwise convolutions (one input and one output channel per group)
/// without unfolding: each channel's plane padded once with zeros, then
/// each vector of 16 output pixels sums its taps in order, as the unfolded
/// product would (a product, then a sum, each rounded).
struct Depthwise {
  static constexpr int kUnits = 8;
  static constexpr int kBlockRows = 8;
  static constexpr int kSmallBlock = kBlockRows * 3 / 4;
  ConvGeometry g;
  const float *input, *weights, *bias;
  float *output;
  ConvEpilogue epilogue;

  static bool applies(const ConvGeometry &g) {
    return g.isDepthwise() && g[QC_FCONV_STRIDE_W] <= 2 && g[QC_FCONV_DILATION_W] == 1;
  }

  static void chunk(void *self, int64_t index) {
    auto *work = static_cast<Depthwise *>(self);
    work->run(index);
    if (!work->epilogue.isIdentity())
      work->epilogue.apply(work->output + index * work->g.pixels(), work->g.pixels());
  }

  /// Channel `index % C` of image `index / C`.
  void run(int64_t index) const {
    Window win = g.window();
    int64_t channels = g[QC_FCONV_C], c = index % channels, b = index / channels;
    bool blocked = inRowBlocks(win), columns = inColumnBlocks(win);
    // Row blocks may run past the last output row (those rows are never
    // stored).
    int64_t rows = blocked || columns ? paddedRows(win, kBlockRows) : win.oh;
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

  /// Whether 3 x 3 windows are summed in row blocks (`blocks`).
  static bool inRowBlocks(const Window &win) {
    return win.kh == 3 && win.kw == 3 && win.dilationH == 1 && win.strideH <= 2;
  }

  /// Whether 5 x 5 windows are summed column by column (`columnBlocks`).
  static bool inColumnBlocks(const Window &win) {
#if defined(QUANTC_FAST_FLOAT)
    return win.kh == 5 && win.kw == 5 && win.dilationH == 1 && win.strideH <= 2;
#else
    return false;
#endif
  }

  /// The output rows of a 3 x 3 row block: 6 where that wastes fewer rows
  /// past the end than 8.
  static int64_t rowBlock(const Window &win) {
    return paddedRows(win, kSmallBlock) < paddedRows(win, kBlockRows) ? kSmallBlock : kBlockRows;
  }

  /// The output rows rounded up to whole blocks of `block`.
  static int64_t paddedRows(const Window &win, int64_t block) {
    return (win.oh + block - 1) / block * block;
  }

  /// The output rows computed: the row-block sums run on to a whole block.
  static int64_t rowsComputed(const Window &win) {
    if (inRowBlocks(win))
      return paddedRows(win, rowBlock(win));
    return inColumnBlocks(win) ? paddedRows(win, kBlockRows) : win.oh;
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
    if (rowBlock(win) == kSmallBlock)
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

/// Depthwise convolutions with 16 channels in the lanes of a vector. A block
/// of channels is first copied into a zero-padded plane that holds each
/// pixel's 16 channels together; every tap is then one vector product, with
/// no lanes lost to short rows (a 40-pixel row fills 40 of 48 lanes when
/// pixels share a vector) or short planes (3 rows in a block of 8). Each
/// lane sums its window in the evaluator's order (window row, then column,
/// from zero, then the bias), so the exact mode's results are unchanged.
struct ChannelLanes {
  static constexpr int kLanes = 16;
  ConvGeometry g;
  const float *input, *weights, *bias;
  float *output;
  ConvEpilogue epilogue;

  /// Whether channels in lanes waste fewer lanes than pixels in lanes do
  /// (`Depthwise`, which pads rows to whole vectors and, for the windows it
  /// sums in row blocks, planes to whole blocks).
  static bool preferred(const ConvGeometry &g) {
    Window win = g.window();
    double pixelLanes = double(win.oh * win.ow) /
                        double(Depthwise::rowsComputed(win) * roundUp(win.ow));
    double channelLanes = double(g[QC_FCONV_C]) / double(roundUp(g[QC_FCONV_C]));
    return channelLanes > pixelLanes;
  }

  static int64_t roundUp(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; }
  static int64_t blocks(const ConvGeometry &g) { return roundUp(g[QC_FCONV_C]) / kLanes; }

  static void chunk(void *self, int64_t index) {
    auto *work = static_cast<ChannelLanes *>(self);
    work->run(index);
    if (work->epilogue.isIdentity())
      return;
    // The block's channel planes are consecutive in the output.
    int64_t channels = work->g[QC_FCONV_C], first = index % blocks(work->g) * kLanes;
    int64_t live = std::min<int64_t>(kLanes, channels - first);
    work->epilogue.apply(work->output + (index / blocks(work->g) * channels + first) *
                                            work->g.pixels(),
                         live * work->g.pixels());
  }

  /// Channel block `index % blocks` of image `index / blocks`.
  void run(int64_t index) const {
    Window win = g.window();
    int64_t channels = g[QC_FCONV_C], b = index / blocks(g);
    int64_t first = index % blocks(g) * kLanes, taps = win.kh * win.kw;
    auto live = static_cast<__mmask16>((1u << std::min<int64_t>(kLanes, channels - first)) - 1);
    int64_t ph = (win.oh - 1) * win.strideH + (win.kh - 1) * win.dilationH + 1;
    int64_t pw = (win.ow - 1) * win.strideW + (win.kw - 1) * win.dilationW + 1;
    auto *plane = static_cast<float *>(
        scratch(kChannelLanesPlane, (ph * pw + taps) * kLanes * sizeof(float)));
    float *tapLanes = plane + ph * pw * kLanes;
    // Tap k of the block's channels, one vector (zero in the dead lanes).
    for (int64_t k = 0; k < taps; k += kLanes)
      transposeLanes(weights + first * taps + k, taps, live,
                     static_cast<int>(std::min<int64_t>(kLanes, taps - k)), tapLanes + k * kLanes);
    const float *src = input + (b * channels + first) * win.h * win.w;
    fillPlane(win, src, live, ph, pw, taps, plane);
    Block block{win, plane, pw, tapLanes, live,
                g[QC_FCONV_HAS_BIAS] ? _mm512_maskz_loadu_ps(live, bias + first)
                                     : _mm512_setzero_ps(),
                g[QC_FCONV_HAS_BIAS] != 0,
                output + (b * channels + first) * win.oh * win.ow};
    switch (shape(win)) {
    case 1: return block.run<3, 1>();
    case 2: return block.run<3, 2>();
    case 3: return block.run<5, 1>();
    case 4: return block.run<5, 2>();
    default: return block.run<0, 0>();
    }
  }

  /// Where a thread's plane holds zeros: the padding around the image.
  /// With the taps that follow the plane in its buffer, it determines the
  /// buffer's size, so an equal one never follows a reallocation.
  struct Padding {
    float *plane = nullptr;
    int64_t ph = 0, pw = 0, top = 0, left = 0, rows = 0, cols = 0, taps = 0;
    bool operator==(const Padding &) const = default;
  };

  /// The `ph` x `pw` padded plane of 16 channels (their planes `h * w`
  /// apart from `src`), pixel by pixel: one 16 x 16 transpose per 16 pixels
  /// of a row. Only this kernel writes the plane (its own scratch slot), and
  /// always the same pixels for one geometry, so the padding is zeroed only
  /// when the geometry differs from the thread's last: in a 3-row plane
  /// under a 5 x 5 window, most of the plane is padding.
  static void fillPlane(const Window &win, const float *src, __mmask16 live, int64_t ph,
                        int64_t pw, int64_t taps, float *plane) {
    int64_t rows = std::min(win.h, ph - win.padTop), cols = std::min(win.w, pw - win.padLeft);
    int64_t channelStride = win.h * win.w;
    thread_local Padding zeroed;
    Padding padding{plane, ph, pw, win.padTop, win.padLeft, rows, cols, taps};
    if (!(zeroed == padding)) {
      zeroPadding(padding);
      zeroed = padding;
    }
    for (int64_t iy = 0; iy < rows; ++iy) {
      float *row = plane + ((iy + win.padTop) * pw + win.padLeft) * kLanes;
      for (int64_t x = 0; x < cols; x += kLanes)
        transposeLanes(src + iy * win.w + x, channelStride, live,
                       static_cast<int>(std::min<int64_t>(kLanes, cols - x)), row + x * kLanes);
    }
  }

  /// Element j < `width` of the `live` rows among 16 rows `stride` apart
  /// from `src`, as the 16 lanes of vector j at `dst` (zero in dead lanes).
  [[gnu::always_inline]] static void transposeLanes(const float *src, int64_t stride,
                                                    __mmask16 live, int width, float *dst) {
    __m512 v[kLanes];
    auto elements = static_cast<__mmask16>((1u << width) - 1);
    if (live == 0xFFFF && width == kLanes) {
      for (int l = 0; l < kLanes; ++l)
        v[l] = _mm512_loadu_ps(src + l * stride);
    } else {
      // A dead lane's mask is empty: its load reads nothing.
      for (int l = 0; l < kLanes; ++l)
        v[l] = _mm512_maskz_loadu_ps((live >> l) & 1 ? elements : 0, src + l * stride);
    }
    transpose16x16(v);
    for (int j = 0; j < width; ++j)
      _mm512_storeu_ps(dst + j * kLanes, v[j]);
  }

  static void zeroPadding(const Padding &p) {
    auto zero = [&](int64_t from, int64_t to) {
      std::fill(p.plane + from * kLanes, p.plane + to * kLanes, 0.0f);
    };
    zero(0, p.top * p.pw);
    zero((p.top + p.rows) * p.pw, p.ph * p.pw);
    for (int64_t iy = 0; iy < p.rows; ++iy) {
      int64_t start = (iy + p.top) * p.pw;
      zero(start, start + p.left);
      zero(start + p.left + p.cols, start + p.pw);
    }
  }

  /// The windows with their own loops: 1 and 2 are 3 x 3 at column
  /// stride 1 and 2, 3 and 4 are 5 x 5, 0 is any other.
  static int shape(const Window &win) {
    if (win.kh != win.kw || (win.kh != 3 && win.kh != 5) || win.dilationW != 1 || win.strideW > 2)
      return 0;
    return (win.kh == 3 ? 0 : 2) + static_cast<int>(win.strideW);
  }

  /// One block of 16 channels summed over its padded plane into `dst`.
  struct Block {
    const Window &win;
    const float *plane;
    int64_t pw;
    const float *tapLanes;
    __mmask16 live;
    __m512 shift;
    bool hasBias;
    float *dst;

    /// Every output row, 16 pixels at a time; a row's last pixels in steps
    /// of 8, 4, 2 and 1.
    template <int K, int SW>
    void run() const {
      for (int64_t oy = 0; oy < win.oh; ++oy) {
        int64_t ox = 0;
        for (; ox + kLanes <= win.ow; ox += kLanes) {
          __m512 sums[kLanes];
          pixels<kLanes, K, SW>(oy, ox, sums);
          store(sums, kLanes, oy, ox);
        }
        if (ox == win.ow)
          continue;
        int width = static_cast<int>(win.ow - ox), done = 0;
        __m512 sums[kLanes];
        auto step = [&]<int N>() {
          if (width - done >= N) {
            pixels<N, K, SW>(oy, ox + done, sums + done);
            done += N;
          }
        };
        step.template operator()<8>();
        step.template operator()<4>();
        step.template operator()<2>();
        step.template operator()<1>();
        store(sums, width, oy, ox);
      }
    }

    /// Output pixels ox to ox + N - 1 of row oy, 16 channels each: N
    /// independent sums, each over its window in order. With the window's
    /// width K and column stride SW known (K > 0, no dilation), each input
    /// vector of a window row is loaded once and feeds every sum whose window
    /// covers it; column j of the window row is tap j - SW n of pixel n, so
    /// each sum still meets its taps in order.
    template <int N, int K, int SW>
    [[gnu::always_inline]] void pixels(int64_t oy, int64_t ox, __m512 *sums) const {
      __m512 acc[N];
      for (int n = 0; n < N; ++n)
        acc[n] = _mm512_setzero_ps();
      for (int64_t ky = 0; ky < win.kh; ++ky) {
        const float *row = plane + ((oy * win.strideH + ky * win.dilationH) * pw +
                                    ox * win.strideW) * kLanes;
        const float *tapRow = tapLanes + ky * win.kw * kLanes;
        if constexpr (K > 0) {
          __m512 taps[K];
          for (int kx = 0; kx < K; ++kx)
            taps[kx] = _mm512_loadu_ps(tapRow + kx * kLanes);
#pragma clang loop unroll(full)
          for (int j = 0; j < SW * (N - 1) + K; ++j) {
            __m512 x = _mm512_loadu_ps(row + j * kLanes);
#pragma clang loop unroll(full)
            for (int n = 0; n < N; ++n)
              if (int kx = j - SW * n; kx >= 0 && kx < K)
                acc[n] = multiplyAdd(acc[n], taps[kx], x);
          }
        } else {
          for (int64_t kx = 0; kx < win.kw; ++kx) {
            __m512 tap = _mm512_loadu_ps(tapRow + kx * kLanes);
            const float *at = row + kx * win.dilationW * kLanes;
#pragma clang loop unroll(full)
            for (int n = 0; n < N; ++n)
              acc[n] = multiplyAdd(acc[n], tap, _mm512_loadu_ps(at + n * win.strideW * kLanes));
          }
        }
      }
      for (int n = 0; n < N; ++n)
        sums[n] = acc[n];
    }

    /// Stores `width` pixel vectors (plus the bias) as the rows of the live
    /// channels.
    [[gnu::always_inline]] void store(__m512 (&sums)[kLanes], int width, int64_t oy,
                                      int64_t ox) const {
      if (hasBias)
        for (int i = 0; i < width; ++i)
          sums[i] = _mm512_add_ps(sums[i], shift);
      transpose16x16(sums);
      auto pixelsLive = static_cast<__mmask16>((1u << width) - 1);
      float *at = dst + oy * win.ow + ox;
      for (int l = 0; l < kLanes; ++l)
        _mm512_mask_storeu_ps(at + l * win.oh * win.ow, (live >> l) & 1 ? pixelsLive : 0,
                              sums[l]);
    }
  };

  /// acc + tap * x: one FMA in the fast float mode, else a rounded product
  /// and a rounded sum, as the evaluator computes.
  static __m512 multiplyAdd(__m512 acc, __m512 tap, __m512 x) {
#if defined(QUANTC_FAST_FLOAT)
    return _mm512_fmadd_ps(tap, x, acc);
#else
    return _mm512_add_ps(acc, _mm512_mul_ps(tap, x));
#endif
  }
};

/// Runs `chunks` chunks of `work`, on the calling thread where the layer
/// is too small to gain from the pool.
void runChunks(int64_t chunks, void (*chunk)(void *, int64_t), void *work, bool small) {
  if (!small)
    return quantc::kernels::parallelFor(chunks, chunk, work);
  for (int64_t i = 0; i < chunks; ++i)
    chunk(work, i);
}

/// Runs a depthwise layer (Depthwise::applies) on whichever kernel leaves
/// fewer lanes idle.
void runDepthwise(const ConvGeometry &g, const float *input, const float *weights,
                  const float *bias, float *output, const ConvEpilogue &epilogue) {
  bool small = g[QC_FCONV_BATCH] * g[QC_FCONV_C] * g.pixels() * g.taps() < (int64_t(1) << 19);
  int64_t channelBlocks = g[QC_FCONV_BATCH] * ChannelLanes::blocks(g);
  // A thread per channel block at least: fewer blocks than threads would
  // leave threads idle that one channel each keeps busy.
  if (ChannelLanes::preferred(g) && (small || channelBlocks >= threadBudget())) {
    ChannelLanes work{g, input, weights, bias, output, epilogue};
    runChunks(channelBlocks, ChannelLanes::chunk, &work, small);
  } else {
    Depthwise work{g, input, weights, bias, output, epilogue};
    runChunks(g[QC_FCONV_BATCH] * g[QC_FCONV_C], Depthwise::chunk, &work, small);
  }
}
} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_FCONVDEPTHWISE_H
