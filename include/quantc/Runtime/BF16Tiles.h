/*===- BF16Tiles.h - bf16 operands in AMX tile layout -----------*- C++ -*-===*\
|*                                                                            *|
|* tdpbf16ps multiplies a tile of 16 rows x 32 bf16 (16 rows of the product, *|
|* 32 reduction steps, in order) by a tile of 16 rows of pairs (reduction    *|
|* steps 2i and 2i + 1 of one column in one 32-bit word, the even step in    *|
|* the low half) x 16 columns, adding into 16 x 16 f32 accumulators. These   *|
|* are the sizes the compiler (weights, packed once) and the kernels (the    *|
|* activations, packed per call) agree on; everything past the operand's     *|
|* own values is zero.                                                       *|
\*===----------------------------------------------------------------------===*/
#ifndef QUANTC_RUNTIME_BF16TILES_H
#define QUANTC_RUNTIME_BF16TILES_H

#include <cstdint>

namespace quantc::runtime {
// Internal linkage: the runtime's kernels are built once per instruction
// set, and no build's copy may stand in for another's.
namespace {

/// Reduction pairs a tile row holds.
constexpr int64_t kBF16TilePairs = 16;
/// Rows (and columns) of one block of the product: 2 x 2 tiles.
constexpr int64_t kBF16BlockRows = 32;

/// Pairs of a reduction of `k` steps, padded to whole tiles.
constexpr int64_t bf16TilePairs(int64_t k) {
  return ((k + 1) / 2 + kBF16TilePairs - 1) / kBF16TilePairs * kBF16TilePairs;
}

/// `n` rounded up to whole blocks.
constexpr int64_t bf16BlockPadded(int64_t n) {
  return (n + kBF16BlockRows - 1) / kBF16BlockRows * kBF16BlockRows;
}

/// Rows the packed left operand of a product with `rows` rows holds: a block
/// may start at any row (a convolution group's first channel) and reads 32.
constexpr int64_t bf16PackedRows(int64_t rows) { return rows + kBF16BlockRows - 1; }

/// Reduction pairs of a convolution with `channels` input channels per
/// group and a kh x kw window, padded to whole tiles. Its pairs are two
/// channels at one window tap, (channel pair, window row, window column) in
/// that order, so that an image stored as channel pairs unfolds pair by pair.
constexpr int64_t bf16ConvPairs(int64_t channels, int64_t kh, int64_t kw) {
  return ((channels + 1) / 2 * kh * kw + kBF16TilePairs - 1) / kBF16TilePairs *
         kBF16TilePairs;
}

/// The f32 value of a bf16 (exact).
[[maybe_unused]] float widenBF16(uint16_t value) {
  uint32_t bits = uint32_t(value) << 16;
  float f;
  __builtin_memcpy(&f, &bits, sizeof(f));
  return f;
}

/// The bf16 bits of `value` rounded to nearest even, as qc.cast rounds;
/// NaN stays NaN (branch-free, so loops of it vectorize).
[[maybe_unused]] uint16_t roundToBF16(float value) {
  uint32_t bits;
  __builtin_memcpy(&bits, &value, sizeof(bits));
  uint32_t rounded = (bits + 0x7fff + ((bits >> 16) & 1)) >> 16;
  uint32_t quietNaN = (bits >> 16) | 0x40;
  return static_cast<uint16_t>((bits & 0x7fffffff) > 0x7f800000 ? quietNaN : rounded);
}

/// A matrix [rows][k] of bf16 (raw bits) as the left operand: rows of
/// 2 x bf16TilePairs(k) values, zero past k, then zero rows up to
/// bf16PackedRows(rows). `packed` holds that many uint16.
[[maybe_unused]] void packBF16TileRows(const uint16_t *matrix, int64_t rows, int64_t k,
                             uint16_t *packed) {
  int64_t width = 2 * bf16TilePairs(k);
  for (int64_t r = 0; r < bf16PackedRows(rows); ++r)
    for (int64_t i = 0; i < width; ++i)
      packed[r * width + i] = r < rows && i < k ? matrix[r * k + i] : 0;
}

/// Convolution weights [n][channels][kh][kw] of bf16 (raw bits) as the left
/// operand: rows of 2 x bf16ConvPairs values, pair p = (channel pair c,
/// window row y, window column x) holding channels 2c and 2c + 1 at (y, x),
/// zero past the channels and the pairs; then zero rows up to
/// bf16PackedRows(n).
[[maybe_unused]] void packBF16ConvWeights(const uint16_t *weights, int64_t n, int64_t channels,
                                          int64_t kh, int64_t kw, uint16_t *packed) {
  int64_t width = 2 * bf16ConvPairs(channels, kh, kw), window = kh * kw;
  for (int64_t i = 0; i < bf16PackedRows(n) * width; ++i)
    packed[i] = 0;
  for (int64_t o = 0; o < n; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t t = 0; t < window; ++t)
        packed[o * width + 2 * (c / 2 * window + t) + c % 2] =
            weights[(o * channels + c) * window + t];
}

/// A matrix [k][n] of bf16 (raw bits) as the right operand: bf16TilePairs(k)
/// rows of bf16BlockPadded(n) pairs, zero past k and n. `stride` is the
/// distance between two of its rows (k) in values.
[[maybe_unused]] void packBF16TilePairs(const uint16_t *matrix, int64_t k, int64_t n, int64_t stride,
                              uint32_t *pairs) {
  int64_t columns = bf16BlockPadded(n);
  for (int64_t p = 0; p < bf16TilePairs(k); ++p) {
    const uint16_t *even = 2 * p < k ? matrix + 2 * p * stride : nullptr;
    const uint16_t *odd = 2 * p + 1 < k ? matrix + (2 * p + 1) * stride : nullptr;
    uint32_t *row = pairs + p * columns;
    int64_t j = 0;
    if (even && odd)
      for (; j < n; ++j)
        row[j] = uint32_t(even[j]) | uint32_t(odd[j]) << 16;
    else if (even)
      for (; j < n; ++j)
        row[j] = even[j];
    for (; j < columns; ++j)
      row[j] = 0;
  }
}

} // namespace
} // namespace quantc::runtime

#endif // QUANTC_RUNTIME_BF16TILES_H
