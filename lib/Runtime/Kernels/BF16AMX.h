//===- BF16AMX.h - bf16 layers on AMX tiles ---------------------*- C++ -*-===//
//
// The fast float mode's convolutions and matmuls (quantc_bconv_tiles,
// quantc_bmatmul_tiles): f32 activations rounded to bf16 as they are packed,
// bf16 weights, f32 sums in the tiles' own order.
// A block is 32 x 32 outputs: 2 x 2 accumulator tiles fed, per 32 reduction
// steps, by two tiles of the left operand (rows of bf16, packed by
// packBF16TileRows) and two of the right one (rows of pairs, packed by
// packBF16TilePairs), all in the layouts of quantc/Runtime/BF16Tiles.h.
// A convolution's left operand is its weights, packed by the compiler
// (packBF16ConvWeights), and its right one the image: a pointwise
// convolution's threads pair the pixel blocks they compute themselves
// (PixelBlockPairs), other convolutions store it once per call as planes of
// channel pairs, from which the threads read the pixel blocks of windows
// whose taps are shifts (ShiftedBlockPairs) and which the others unfold
// pair by pair; a matmul's are its
// activations, packed per call, and its weights, packed by the compiler.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_BF16AMX_H
#define QUANTC_LIB_RUNTIME_KERNELS_BF16AMX_H

#include "AMXTiles.h"
#include "ConvEpilogue.h"
#include "ConvGeometry.h"
#include "quantc/Runtime/BF16Tiles.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace quantc::kernels {
// Internal linkage: each build of these kernels (the CPU's tiles, the tile
// model) compiles its own copy, for its own instruction set.
namespace {

using runtime::bf16BlockPadded;
using runtime::bf16TilePairs;
constexpr int kBF16Block = static_cast<int>(runtime::kBF16BlockRows);
/// Multiply-adds from which a layer's blocks pay a worker: tiles run about
/// 16 times as many products per cycle as the AVX-512 float kernels (an
/// `Isa` of fewer products per cycle specializes it lower).
template <typename Isa> constexpr int64_t kBF16ParallelMACs = int64_t(1) << 21;
/// Unfolded values from which packing the image pays a worker (2^15: the
/// 32 x 1920 pairs of ppocr-rec's stem do).
constexpr int64_t kBF16TileParallelPacking = int64_t(1) << 15;

template <typename Isa>
struct BF16Block {
  /// Whether `init` holds whole accumulator rows (32 x 32 floats, rows 32
  /// apart), as tiles load them, rather than one start value per row.
  static constexpr bool kInitRows = true;
  /// Whether a block of `rows` real rows stores those rows only (the tiles
  /// store all 32), so that it may store straight into the output.
  static constexpr bool storesOnlyRows(int64_t rows) { return rows == kBF16Block; }

  /// out = init + a [32 rows][kp pairs] (rows `aStride` pairs apart) x
  /// b [kp][32] (rows `bStride` pairs apart); `init` (see kInitRows) may be
  /// null for zero, and `out`'s rows are `outStride` floats apart. The
  /// operands hold zero pairs from kp up to a multiple of 16, which the
  /// tiles multiply too. Rows from `rows` on and columns from `columns` on
  /// are padding, which a block may skip or compute (the tiles compute all).
  static void compute(const uint32_t *a, int64_t aStride, const uint32_t *b, int64_t bStride,
                      int64_t kp, int64_t /*rows*/, int64_t /*columns*/, const float *init,
                      float *out, int64_t outStride) {
    constexpr int64_t initBytes = kBF16Block * sizeof(float);
    if (init) {
      Isa::template load<0>(init, initBytes);
      Isa::template load<1>(init + kTileRows, initBytes);
      Isa::template load<2>(init + kTileRows * kBF16Block, initBytes);
      Isa::template load<3>(init + kTileRows * kBF16Block + kTileRows, initBytes);
    } else {
      Isa::template zero<0>();
      Isa::template zero<1>();
      Isa::template zero<2>();
      Isa::template zero<3>();
    }
    int64_t aBytes = aStride * 4, bBytes = bStride * 4;
    for (int64_t p = 0; p < kp; p += kTileRows) {
      const uint32_t *rows = a + p, *pairs = b + p * bStride;
      Isa::template load<4>(rows, aBytes);
      Isa::template load<6>(pairs, bBytes);
      Isa::template dot<0, 4, 6>();
      Isa::template load<7>(pairs + kTileRows, bBytes);
      Isa::template dot<1, 4, 7>();
      Isa::template load<5>(rows + kTileRows * aStride, aBytes);
      Isa::template dot<2, 5, 6>();
      Isa::template dot<3, 5, 7>();
    }
    int64_t stride = outStride * sizeof(float);
    Isa::template store<0>(out, stride);
    Isa::template store<1>(out + kTileRows, stride);
    Isa::template store<2>(out + kTileRows * outStride, stride);
    Isa::template store<3>(out + kTileRows * outStride + kTileRows, stride);
  }
};

#if defined(__AVX512BF16__)
/// pairChannels' leading vectors of 16 pixels by vcvtne2ps2bf16, which
/// rounds as roundToBF16 does (to nearest even, NaN made quiet) but reads
/// denormals as zero: a vector holding one, and all after it, are left to
/// the scalar loop. Returns the pixels done.
template <int Step>
int64_t pairChannelsAVX512BF16(const float *even, const float *odd, int64_t n, uint32_t *dst) {
  static_assert(Step == 1 || Step == 2, "pixels are contiguous or every other value");
  // vcvtne2ps2bf16(odd, even) holds even's 16 values, then odd's: word 2j
  // of a pair vector is word j, word 2j + 1 is word 16 + j.
  const __m512i interleave =
      _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7,
                       22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i everyOther =
      _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i exponent = _mm512_set1_epi32(0x7f800000), mantissa = _mm512_set1_epi32(0x7fffff);
  auto denormals = [&](__m512 v) {
    __m512i bits = _mm512_castps_si512(v);
    return _mm512_mask_test_epi32_mask(_mm512_testn_epi32_mask(bits, exponent), bits, mantissa);
  };
  // 16 pixels from `from`; at step 2, the even values of 31 (the 32nd, past
  // the last pixel, is not read).
  auto load = [&](const float *from) {
    if constexpr (Step == 1)
      return _mm512_loadu_ps(from);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(from), everyOther,
                                  _mm512_maskz_loadu_ps(0x7FFF, from + 16));
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 e = load(even + Step * i), o = odd ? load(odd + Step * i) : _mm512_setzero_ps();
    if (denormals(e) | denormals(o))
      break;
    auto pairs = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(o, e));
    _mm512_storeu_si512(dst + i, _mm512_permutexvar_epi16(interleave, pairs));
  }
  return i;
}
#endif

/// `n` pixels, `Step` apart, of channels 2p (`even`) and 2p + 1 (`odd`,
/// null past the channels: zero) rounded to bf16, a pair per pixel, the
/// even channel in the low half.
template <int Step = 1>
void pairChannels(const float *even, const float *odd, int64_t n, uint32_t *dst) {
  int64_t i = 0;
#if defined(__AVX512BF16__)
  i = pairChannelsAVX512BF16<Step>(even, odd, n, dst);
#endif
  if (odd)
    for (; i < n; ++i)
      dst[i] = uint32_t(runtime::roundToBF16(even[Step * i])) |
               uint32_t(runtime::roundToBF16(odd[Step * i])) << 16;
  else
    for (; i < n; ++i)
      dst[i] = runtime::roundToBF16(even[Step * i]);
}

/// Pixels [x0, x0 + 32) of a pointwise convolution's right operand, from
/// one group's image (`channels` planes of `pixels`): row p holds channels
/// 2p and 2p + 1, rows 32 pairs apart, zero past the channels, past the
/// pixels and up to `kp` rows.
struct PixelBlockPairs {
  const float *image;
  int64_t channels, pixels, kp;

  void pack(int64_t x0, uint32_t *rows) const {
    int64_t width = std::min<int64_t>(kBF16Block, pixels - x0);
    int64_t pairs = (channels + 1) / 2;
    for (int64_t p = 0; p < pairs; ++p) {
      const float *even = image + 2 * p * pixels + x0;
      const float *odd = 2 * p + 1 < channels ? even + pixels : nullptr;
      uint32_t *dst = rows + p * kBF16Block;
      // A whole block's constant count vectorizes fully.
      if (width == kBF16Block) {
        pairChannels(even, odd, kBF16Block, dst);
      } else {
        pairChannels(even, odd, width, dst);
        std::fill(dst + width, dst + kBF16Block, 0u);
      }
    }
    std::fill(rows + pairs * kBF16Block, rows + kp * kBF16Block, 0u);
  }
};

/// 32 pairs from `src` where `inside` has their bit, zero elsewhere; the
/// pairs outside are not read (they may lie outside the planes).
inline void maskedPairRow(const uint32_t *src, uint32_t inside, uint32_t *dst) {
#if defined(__AVX512F__)
  _mm512_storeu_si512(dst, _mm512_maskz_loadu_epi32(static_cast<__mmask16>(inside), src));
  _mm512_storeu_si512(dst + 16,
                      _mm512_maskz_loadu_epi32(static_cast<__mmask16>(inside >> 16), src + 16));
#else
  for (int i = 0; i < kBF16Block; ++i)
    dst[i] = inside >> i & 1 ? src[i] : 0u;
#endif
}

/// Pixels [x0, x0 + 32) of the right operand of a convolution whose taps
/// are shifts of the image (Window::shiftStride() is s = 1 or 2), read
/// straight from one group's phase planes of channel pairs
/// (ChannelPairing): pair tap (c, ky, kx) of output pixel x = oy ow + ox is
/// pair x + sy ow + sx of phase plane (c, py, px), where ky - padTop =
/// s sy + py and kx - padLeft = s sx + px, wherever its input row and
/// column are inside the image. Rows as PixelBlockPairs: row p is pair tap
/// p, zero outside the image, past the pixels and up to `kp` rows. No
/// unfolded image is stored: each thread packs the blocks it computes, as
/// pointwise layers do.
struct ShiftedBlockPairs {
  Window win; // over channel pairs
  const uint32_t *planes;
  int64_t kp;

  static bool applies(const Window &win) {
    return win.shiftStride() != 0 && ShiftedTaps::covers(win);
  }

  void pack(int64_t x0, uint32_t *rows) const {
    int64_t s = win.shiftStride();
    ShiftedTaps taps(win, s, x0, std::min<int64_t>(kBF16Block, win.oh * win.ow - x0));
    int64_t channelPlanes = s * s * win.phasePlaneSize(s), p = 0;
    for (int64_t c = 0; c < win.channels; ++c)
      for (int64_t ky = 0; ky < win.kh; ++ky) {
        const uint32_t *row = planes + c * channelPlanes + x0 + taps.rowOffset[ky];
        for (int64_t kx = 0; kx < win.kw; ++kx, ++p)
          maskedPairRow(row + taps.columnOffset[kx],
                        static_cast<uint32_t>(taps.rowInside[ky] & taps.columnInside[kx]),
                        rows + p * kBF16Block);
      }
    std::fill(rows + p * kBF16Block, rows + kp * kBF16Block, 0u);
  }
};

/// BF16Block::compute of `rows` x `width` outputs into `dst` (rows
/// `dstStride` apart): straight where the block stores those outputs only,
/// else into a whole block whose rows are then copied.
template <typename Isa>
void computeBlockInto(const uint32_t *a, int64_t aStride, const uint32_t *b, int64_t bStride,
                      int64_t kp, int64_t rows, int64_t width, const float *init, float *dst,
                      int64_t dstStride) {
  if (width == kBF16Block && BF16Block<Isa>::storesOnlyRows(rows))
    return BF16Block<Isa>::compute(a, aStride, b, bStride, kp, rows, width, init, dst,
                                   dstStride);
  alignas(64) float acc[kBF16Block][kBF16Block];
  BF16Block<Isa>::compute(a, aStride, b, bStride, kp, rows, width, init, acc[0], kBF16Block);
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(dst + r * dstStride, acc[r], width * sizeof(float));
}

/// One group of one image: blocks of 32 output channels x 32 pixels, the
/// channels of a pixel block in turn (its pairs stay in cache). The
/// accumulators start from the bias (`init`: per BF16Block::kInitRows,
/// each channel's bias as 32 copies, zero past the channels, or the bias
/// itself), and whole blocks are stored straight into the output; then the
/// layer's epilogue (ConvEpilogue) applies to each row of a block, while
/// the block is in cache.
/// The right operand is `pairs`, unfolded before the blocks run, except in
/// pointwise convolutions (the image itself) and those whose taps are
/// shifts (ShiftedBlockPairs): there each thread packs the pixel blocks it
/// computes just before their first block, into its own scratch, so that
/// packing is split over the threads like the blocks and the pairs are in
/// cache when they are used.
template <typename Isa>
struct BF16TileConv {
  ConvGeometry g;
  const uint32_t *weights, *pairs; // `pairs` null where blocks are packed
  PixelBlockPairs pixelBlocks;
  ShiftedBlockPairs shiftedBlocks; // `planes` null unless the taps are shifts
  const float *init;
  float *output;
  int64_t batch, group;
  ConvEpilogue epilogue;

  /// The weights' and unfolded rows' pairs, padded to whole tiles.
  int64_t kp() const {
    return runtime::bf16ConvPairs(g.groupChannels(), g[QC_FCONV_KH], g[QC_FCONV_KW]);
  }
  /// The pairs before that padding.
  int64_t steps() const {
    return (g.groupChannels() + 1) / 2 * g[QC_FCONV_KH] * g[QC_FCONV_KW];
  }
  int64_t channelBlocks() const {
    return (g.groupOutputs() + kBF16Block - 1) / kBF16Block;
  }
  int64_t blocks() const { return channelBlocks() * bf16BlockPadded(g.pixels()) / kBF16Block; }

  void run(int64_t first, int64_t last) const {
    int64_t pixels = g.pixels(), outputs = g.groupOutputs(), count = channelBlocks();
    int64_t columns = bf16BlockPadded(pixels);
    uint32_t *ownPairs = pairs ? nullptr
                               : static_cast<uint32_t *>(scratch(
                                     kBF16PixelBlockPairs, kp() * kBF16Block * sizeof(uint32_t)));
    int64_t pairedX0 = -1;
    for (int64_t block = first; block < last; ++block) {
      int64_t x0 = block / count * kBF16Block, o0 = block % count * kBF16Block;
      int64_t channel = group * outputs + o0;
      int64_t rows = std::min<int64_t>(kBF16Block, outputs - o0);
      int64_t width = std::min<int64_t>(kBF16Block, pixels - x0);
      float *dst = output + (batch * g[QC_FCONV_N] + channel) * pixels + x0;
      const uint32_t *right = pairs + x0;
      int64_t rightStride = columns;
      if (!pairs) {
        if (x0 != pairedX0) {
          if (shiftedBlocks.planes)
            shiftedBlocks.pack(x0, ownPairs);
          else
            pixelBlocks.pack(x0, ownPairs);
        }
        pairedX0 = x0;
        right = ownPairs;
        rightStride = kBF16Block;
      }
      const float *start =
          !init ? nullptr : init + channel * (BF16Block<Isa>::kInitRows ? kBF16Block : 1);
      computeBlockInto<Isa>(weights + channel * kp(), kp(), right, rightStride, steps(), rows,
                            width, start, dst, pixels);
      if (!epilogue.isIdentity())
        epilogue.applyRows(dst, rows, pixels, width);
    }
  }
};

/// One group's image as channel pairs rounded to bf16: plane c holds
/// channels 2c and 2c + 1 (zero past the channels), for unfolding
/// (`stride` 1) or ShiftedBlockPairs; at `stride` 2 as four phase planes
/// per pair (Window::shiftStride), rows of the output's width, of which
/// the columns and rows past the image's are never read.
struct ChannelPairing {
  const float *image;
  uint32_t *planes;
  Window win; // over channel pairs
  int64_t channels, stride;

  static void chunk(void *self, int64_t c) { static_cast<ChannelPairing *>(self)->pair(c); }

  void pair(int64_t c) const {
    int64_t plane = win.h * win.w;
    const float *even = image + 2 * c * plane;
    const float *odd = 2 * c + 1 < channels ? even + plane : nullptr;
    if (stride == 1)
      return pairChannels(even, odd, plane, planes + c * plane);
    int64_t phase = win.phasePlaneSize(2);
    for (int64_t py = 0; py < 2; ++py)
      for (int64_t px = 0; px < 2; ++px) {
        uint32_t *dst = planes + ((c * 2 + py) * 2 + px) * phase;
        for (int64_t r = 0; 2 * r + py < win.h; ++r) {
          int64_t from = (2 * r + py) * win.w + px;
          pairChannels<2>(even + from, odd ? odd + from : nullptr, (win.w - px + 1) / 2,
                          dst + r * win.ow);
        }
      }
  }
};

/// The right operand of a convolution from its channel pairs: row p is
/// pair tap p (channel pair, window row, window column) unfolded over the
/// output pixels, zero past the pixels and past the pair taps.
struct PairUnfolding {
  ConvGeometry g;
  const uint32_t *planes;
  uint32_t *pairs;
  static constexpr int64_t kRowsPerChunk = 8;

  static void chunk(void *self, int64_t index) {
    auto *unfolding = static_cast<PairUnfolding *>(self);
    int64_t kp = runtime::bf16ConvPairs(unfolding->g.groupChannels(), unfolding->g[QC_FCONV_KH],
                                        unfolding->g[QC_FCONV_KW]);
    for (int64_t p = index * kRowsPerChunk; p < std::min(kp, (index + 1) * kRowsPerChunk); ++p)
      unfolding->unfoldRow(p);
  }

  void unfoldRow(int64_t p) const {
    Window win = g.window();
    win.channels = (win.channels + 1) / 2;
    int64_t pixels = g.pixels(), columns = bf16BlockPadded(pixels);
    uint32_t *dst = pairs + p * columns;
    if (p < win.channels * win.kh * win.kw)
      unfoldTap(
          win, planes, p, dst, 0u, [](uint32_t v) { return v; },
          [](uint32_t *to, const uint32_t *from, int64_t n) { std::copy(from, from + n, to); });
    else
      std::fill(dst, dst + pixels, 0u);
    std::fill(dst + pixels, dst + columns, 0u);
  }
};

template <typename Isa>
void runBConvTiles(const float *input, const uint16_t *weights, const float *bias,
                   const int64_t *params, float *output) {
  ConvGeometry g{params};
  int64_t pixels = g.pixels(), columns = bf16BlockPadded(pixels);
  int64_t channels = g.groupChannels(), channelPairs = (channels + 1) / 2;
  int64_t plane = g[QC_FCONV_H] * g[QC_FCONV_W];
  int64_t kp = runtime::bf16ConvPairs(channels, g[QC_FCONV_KH], g[QC_FCONV_KW]);
  bool pointwise = g.isPointwise();
  Window pairWindow = g.window();
  pairWindow.channels = channelPairs;
  bool shifted = !pointwise && ShiftedBlockPairs::applies(pairWindow);
  bool parallel = g.groupOutputs() * pixels * g.taps() >= kBF16ParallelMACs<Isa>;
  bool parallelPacking = kp * 2 * pixels >= kBF16TileParallelPacking;
  const float *init = g[QC_FCONV_HAS_BIAS] ? bias : nullptr;
  if constexpr (BF16Block<Isa>::kInitRows) {
    // Each channel's bias as a row of its accumulator tiles.
    int64_t n = g[QC_FCONV_N];
    auto *biasRows = static_cast<float *>(
        scratch(kBF16BiasRows, runtime::bf16PackedRows(n) * kBF16Block * sizeof(float)));
    for (int64_t row = 0; row < runtime::bf16PackedRows(n); ++row)
      std::fill(biasRows + row * kBF16Block, biasRows + (row + 1) * kBF16Block,
                row < n && init ? bias[row] : 0.0f);
    init = biasRows;
  }
  for (int64_t b = 0; b < g[QC_FCONV_BATCH]; ++b)
    for (int64_t group = 0; group < g.groups(); ++group) {
      const float *image = input + (b * g.groups() + group) * channels * plane;
      uint32_t *pairs = nullptr, *planes = nullptr;
      if (!pointwise) {
        int64_t stride = shifted ? pairWindow.shiftStride() : 1;
        int64_t words = shifted ? pairWindow.phasePlaneBytes(stride) : channelPairs * plane;
        planes = static_cast<uint32_t *>(scratch(kFConvColumns, words * sizeof(uint32_t)));
        ChannelPairing pairing{image, planes, pairWindow, channels, stride};
        forEachChunk(channelPairs, ChannelPairing::chunk, &pairing, parallelPacking);
      }
      if (!pointwise && !shifted) {
        pairs = static_cast<uint32_t *>(scratch(kBMatMulB, kp * columns * sizeof(uint32_t)));
        PairUnfolding unfolding{g, planes, pairs};
        forEachChunk((kp + PairUnfolding::kRowsPerChunk - 1) / PairUnfolding::kRowsPerChunk,
                     PairUnfolding::chunk, &unfolding, parallelPacking);
      }
      BF16TileConv<Isa> work{g,
                             reinterpret_cast<const uint32_t *>(weights),
                             pairs,
                             PixelBlockPairs{image, channels, pixels, kp},
                             ShiftedBlockPairs{pairWindow, shifted ? planes : nullptr, kp},
                             init,
                             output,
                             b,
                             group,
                             ConvEpilogue::fromParams(params)};
      runTileSlices<Isa>(work, work.blocks(), parallel);
    }
}

/// Blocks of 32 rows x 32 columns, the rows of a column block in turn.
template <typename Isa>
struct BF16TileMatMul {
  const uint32_t *rows, *weights;
  float *output;
  int64_t m, k, n;

  int64_t rowBlocks() const { return bf16BlockPadded(m) / kBF16Block; }
  int64_t blocks() const { return rowBlocks() * bf16BlockPadded(n) / kBF16Block; }

  void run(int64_t first, int64_t last) const {
    int64_t kp = bf16TilePairs(k), columns = bf16BlockPadded(n), count = rowBlocks();
    for (int64_t block = first; block < last; ++block) {
      int64_t j0 = block / count * kBF16Block, r0 = block % count * kBF16Block;
      int64_t valid = std::min<int64_t>(kBF16Block, m - r0);
      int64_t width = std::min<int64_t>(kBF16Block, n - j0);
      computeBlockInto<Isa>(rows + r0 * kp, kp, weights + j0, columns, (k + 1) / 2, valid, width,
                            nullptr, output + r0 * n + j0, n);
    }
  }
};

template <typename Isa>
void runBMatMulTiles(const float *a, const uint32_t *weights, const int64_t *params,
                     float *output) {
  int64_t m = params[QC_FMATMUL_BATCH] * params[QC_FMATMUL_M], k = params[QC_FMATMUL_K];
  int64_t n = params[QC_FMATMUL_N], width = 2 * bf16TilePairs(k);
  auto *rows = static_cast<uint16_t *>(
      scratch(kBMatMulA, runtime::bf16PackedRows(m) * width * sizeof(uint16_t)));
  // The activations rounded to bf16, as tile rows.
  for (int64_t r = 0; r < runtime::bf16PackedRows(m); ++r) {
    uint16_t *dst = rows + r * width;
    int64_t valid = r < m ? k : 0;
    for (int64_t i = 0; i < valid; ++i)
      dst[i] = runtime::roundToBF16(a[r * k + i]);
    std::fill(dst + valid, dst + width, uint16_t(0));
  }
  BF16TileMatMul<Isa> work{reinterpret_cast<const uint32_t *>(rows), weights, output, m, k, n};
  runTileSlices<Isa>(work, work.blocks(), m * n * k >= kBF16ParallelMACs<Isa>);
}

} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_BF16AMX_H
