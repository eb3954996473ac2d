//===- BF16AMX.h - bf16 layers on AMX tiles ---------------------*- C++ -*-===//
//
// The fast float mode's convolutions and matmuls (quantc_bconv_amx,
// quantc_bmatmul_amx): f32 activations rounded to bf16 as they are packed,
// bf16 weights, f32 sums in the tiles' own order.
// A block is 32 x 32 outputs: 2 x 2 accumulator tiles fed, per 32 reduction
// steps, by two tiles of the left operand (rows of bf16, packed by
// packBF16TileRows) and two of the right one (rows of pairs, packed by
// packBF16TilePairs), all in the layouts of quantc/Runtime/BF16Tiles.h.
// A convolution's left operand is its weights, packed by the compiler, and
// its right one the unfolded image, packed per call; a matmul's are its
// activations, packed per call, and its weights, packed by the compiler.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_BF16AMX_H
#define QUANTC_LIB_RUNTIME_KERNELS_BF16AMX_H

#include "AMXTiles.h"
#include "ConvGeometry.h"
#include "quantc/Runtime/BF16Tiles.h"

namespace quantc::kernels {
// Internal linkage: each build of these kernels (the CPU's tiles, the tile
// model) compiles its own copy, for its own instruction set.
namespace {

using runtime::bf16BlockPadded;
using runtime::bf16TilePairs;
constexpr int kBF16Block = static_cast<int>(runtime::kBF16BlockRows);
/// Tiles run about 16 times as many products per cycle as the AVX-512
/// float kernels; a worker pays off from here.
constexpr int64_t kBF16TileParallelMACs = int64_t(1) << 24;
/// Unfolded values from which packing the image pays a worker.
constexpr int64_t kBF16TileParallelPacking = int64_t(1) << 17;

template <typename Isa>
struct BF16Block {
  /// out = a [32 rows][kp pairs] (rows `aStride` pairs apart) x b [kp][32]
  /// (rows `bStride` pairs apart), kp a multiple of 16.
  static void compute(const uint32_t *a, int64_t aStride, const uint32_t *b, int64_t bStride,
                      int64_t kp, float (*out)[kBF16Block]) {
    Isa::template zero<0>();
    Isa::template zero<1>();
    Isa::template zero<2>();
    Isa::template zero<3>();
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
    constexpr int64_t stride = kBF16Block * sizeof(float);
    Isa::template store<0>(out[0], stride);
    Isa::template store<1>(out[0] + kTileRows, stride);
    Isa::template store<2>(out[kTileRows], stride);
    Isa::template store<3>(out[kTileRows] + kTileRows, stride);
  }
};

/// One group of one image: blocks of 32 output channels x 32 pixels, the
/// channels of a pixel block in turn (its pairs stay in cache).
template <typename Isa>
struct BF16TileConv {
  ConvGeometry g;
  const uint32_t *weights, *pairs;
  const float *bias;
  float *output;
  int64_t batch, group;

  int64_t kp() const { return bf16TilePairs(g.taps()); }
  int64_t channelBlocks() const {
    return (g.groupOutputs() + kBF16Block - 1) / kBF16Block;
  }
  int64_t blocks() const { return channelBlocks() * bf16BlockPadded(g.pixels()) / kBF16Block; }

  void run(int64_t first, int64_t last) const {
    int64_t pixels = g.pixels(), outputs = g.groupOutputs(), count = channelBlocks();
    int64_t columns = bf16BlockPadded(pixels);
    alignas(64) float acc[kBF16Block][kBF16Block];
    for (int64_t block = first; block < last; ++block) {
      int64_t x0 = block / count * kBF16Block, o0 = block % count * kBF16Block;
      int64_t channel = group * outputs + o0;
      BF16Block<Isa>::compute(weights + channel * kp(), kp(), pairs + x0, columns, kp(), acc);
      int64_t rows = std::min<int64_t>(kBF16Block, outputs - o0);
      int64_t width = std::min<int64_t>(kBF16Block, pixels - x0);
      for (int64_t r = 0; r < rows; ++r) {
        float *dst = output + (batch * g[QC_FCONV_N] + channel + r) * pixels + x0;
        float b = g[QC_FCONV_HAS_BIAS] ? bias[channel + r] : 0.0f;
        for (int64_t i = 0; i < width; ++i)
          dst[i] = acc[r][i] + b;
      }
    }
  }
};

/// The image of one group as tile pairs: pair p of taps 2p and 2p + 1
/// unfolded (each a row of pixels), rounded to bf16 and interleaved; rows
/// past the taps and columns past the pixels are zero.
struct TilePairPacking {
  ConvGeometry g;
  const float *image;
  uint32_t *pairs;
  static constexpr int64_t kPairsPerChunk = 8;

  static void chunk(void *self, int64_t index) {
    auto *packing = static_cast<TilePairPacking *>(self);
    int64_t last = std::min(bf16TilePairs(packing->g.taps()), (index + 1) * kPairsPerChunk);
    for (int64_t p = index * kPairsPerChunk; p < last; ++p)
      packing->pack(p);
  }

  /// The row of tap `tap` (zero past the taps).
  const float *tapRow(int64_t tap, float *row) const {
    int64_t pixels = g.pixels();
    if (tap >= g.taps())
      return static_cast<const float *>(std::memset(row, 0, pixels * sizeof(float)));
    if (g.isPointwise())
      return image + tap * pixels;
    unfoldTap(
        g.window(), image, tap, row, 0.0f, [](float v) { return v; },
        [](float *dst, const float *src, int64_t n) { std::copy(src, src + n, dst); });
    return row;
  }

  void pack(int64_t p) const {
    int64_t pixels = g.pixels(), columns = bf16BlockPadded(pixels);
    auto *rows = static_cast<float *>(scratch(kFConvColumns, 2 * pixels * sizeof(float)));
    const float *even = tapRow(2 * p, rows), *odd = tapRow(2 * p + 1, rows + pixels);
    uint32_t *dst = pairs + p * columns;
    for (int64_t j = 0; j < pixels; ++j)
      dst[j] = uint32_t(runtime::roundToBF16(even[j])) |
               uint32_t(runtime::roundToBF16(odd[j])) << 16;
    std::fill(dst + pixels, dst + columns, 0u);
  }
};

template <typename Isa>
void runBConvTiles(const float *input, const uint16_t *weights, const float *bias,
                   const int64_t *params, float *output) {
  ConvGeometry g{params};
  int64_t pixels = g.pixels(), taps = g.taps(), kp = bf16TilePairs(taps);
  int64_t groupPlane = g.groupChannels() * g[QC_FCONV_H] * g[QC_FCONV_W];
  auto *pairs = static_cast<uint32_t *>(
      scratch(kBMatMulB, kp * bf16BlockPadded(pixels) * sizeof(uint32_t)));
  bool parallel = g.groupOutputs() * pixels * taps >= kBF16TileParallelMACs;
  int64_t packChunks = (kp + TilePairPacking::kPairsPerChunk - 1) / TilePairPacking::kPairsPerChunk;
  for (int64_t b = 0; b < g[QC_FCONV_BATCH]; ++b)
    for (int64_t group = 0; group < g.groups(); ++group) {
      TilePairPacking packing{g, input + (b * g.groups() + group) * groupPlane, pairs};
      if (pixels * taps >= kBF16TileParallelPacking)
        parallelFor(packChunks, TilePairPacking::chunk, &packing);
      else
        for (int64_t i = 0; i < packChunks; ++i)
          TilePairPacking::chunk(&packing, i);
      BF16TileConv<Isa> work{g, reinterpret_cast<const uint32_t *>(weights), pairs, bias,
                             output, b, group};
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
    alignas(64) float acc[kBF16Block][kBF16Block];
    for (int64_t block = first; block < last; ++block) {
      int64_t j0 = block / count * kBF16Block, r0 = block % count * kBF16Block;
      BF16Block<Isa>::compute(rows + r0 * kp, kp, weights + j0, columns, kp, acc);
      int64_t valid = std::min<int64_t>(kBF16Block, m - r0);
      int64_t width = std::min<int64_t>(kBF16Block, n - j0);
      for (int64_t r = 0; r < valid; ++r)
        std::memcpy(output + (r0 + r) * n + j0, acc[r], width * sizeof(float));
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
  runTileSlices<Isa>(work, work.blocks(), m * n * k >= kBF16TileParallelMACs);
}

} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_BF16AMX_H
