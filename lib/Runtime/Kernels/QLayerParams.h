//===- QLayerParams.h - integer layer parameters and requantizing -*- C++ -*-===//
//
// What every integer layer kernel shares: the decoded `params` array of
// quantc/Runtime/Microkernels.h, the panel sizes, and the exact
// requantization of i32 accumulators (with the layer's fused byte table).
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_QLAYERPARAMS_H
#define QUANTC_LIB_RUNTIME_KERNELS_QLAYERPARAMS_H

#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cstdint>

namespace quantc::kernels {

constexpr int kPanel = QC_PANEL_COLUMNS;
constexpr int kMaxRows = 6;
constexpr int64_t kRowsPerChunk = 8 * kMaxRows;
/// Image packing splits over the threads from this many packed bytes
/// (workers spin between a run's layers, so handing one a slice costs about
/// as much as packing 16 KB).
constexpr int64_t kParallelPackBytes = int64_t(64) << 10;

struct QLayer {
  const int64_t *p;
  int64_t param(qc_qlayer_param i) const { return p[i]; }
  bool isConv() const { return p[QC_QLAYER_KIND] == 1; }
  int64_t n() const { return p[QC_QLAYER_N]; }
  int64_t k() const { return p[QC_QLAYER_K]; }
  int64_t paddedK() const { return (k() + 3) / 4 * 4; }
  int64_t panels() const { return (n() + kPanel - 1) / kPanel; }
  /// Rows of the product for one batch image (conv) or in all (matmul).
  int64_t rows() const {
    return isConv() ? p[QC_QLAYER_OH] * p[QC_QLAYER_OW] : p[QC_QLAYER_M];
  }
  int64_t batches() const { return isConv() ? p[QC_QLAYER_M] : 1; }
  int64_t groups() const { return isConv() ? p[QC_QLAYER_GROUP] : 1; }
  uint8_t flip() const { return p[QC_QLAYER_INPUT_UNSIGNED] ? 0 : 0x80; }
};

/// qc::applyMultiplier for i32 accumulators, exactly.
inline int64_t applyMultiplier(int64_t value, int32_t multiplier, int32_t shift,
                               int rounding) {
  if (rounding == 2) { // gemmlowp: saturating doubling high mul, then RDBPOT
    int left = shift < 0 ? -shift : 0, right = shift > 0 ? shift : 0;
    int64_t shifted = std::clamp<int64_t>(value * (int64_t(1) << left),
                                          INT32_MIN, INT32_MAX);
    int32_t high;
    if (shifted == INT32_MIN && multiplier == INT32_MIN) {
      high = INT32_MAX;
    } else {
      int64_t ab = shifted * multiplier;
      int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : 1 - (int64_t(1) << 30);
      high = static_cast<int32_t>((ab + nudge) / (int64_t(1) << 31));
    }
    if (right == 0)
      return high;
    int32_t mask = static_cast<int32_t>((int64_t(1) << right) - 1);
    int32_t remainder = high & mask;
    int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    return (high >> right) + (remainder > threshold ? 1 : 0);
  }
  int64_t product = value * multiplier;
  int total = 31 + shift;
  if (rounding == 3) // half_up: an arithmetic shift floors
    return (product + (int64_t(1) << (total - 1))) >> total;
  bool negative = product < 0;
  uint64_t magnitude = negative ? -static_cast<uint64_t>(product) : product;
  uint64_t quotient = magnitude >> total;
  uint64_t remainder = magnitude - (quotient << total);
  uint64_t half = uint64_t(1) << (total - 1);
  bool up = remainder > half ||
            (remainder == half && (rounding == 1 || (quotient & 1)));
  quotient += up;
  return negative ? -static_cast<int64_t>(quotient)
                  : static_cast<int64_t>(quotient);
}

/// Requantizes (or passes through) one accumulator of output channel `ch`;
/// maps stored bytes through the layer's fused table, if any (lookUp).
struct Requantizer {
  int kind, rounding;
  bool perChannel;
  int64_t zp, lo, hi;
  const int32_t *multiplier, *shift;
  /// QC_QLAYER_LOOKUP's table, after the bias; null without one.
  const uint8_t *table;

  explicit Requantizer(const QLayer &layer, const int32_t *bias, const int32_t *multiplier,
                       const int32_t *shift)
      : kind(static_cast<int>(layer.param(QC_QLAYER_OUTPUT))),
        rounding(static_cast<int>(layer.param(QC_QLAYER_ROUNDING))),
        perChannel(layer.param(QC_QLAYER_PER_CHANNEL)),
        zp(layer.param(QC_QLAYER_OUTPUT_ZERO_POINT)),
        lo(layer.param(QC_QLAYER_CLAMP_MIN)), hi(layer.param(QC_QLAYER_CLAMP_MAX)),
        multiplier(multiplier), shift(shift),
        table(layer.param(QC_QLAYER_LOOKUP) ? reinterpret_cast<const uint8_t *>(bias + layer.n())
                                            : nullptr) {}

  void store(int32_t value, int64_t ch, void *output, int64_t index) const {
    if (kind == 0) {
      static_cast<int32_t *>(output)[index] = value;
      return;
    }
    int64_t c = perChannel ? ch : 0;
    int64_t y = std::clamp(applyMultiplier(value, multiplier[c], shift[c], rounding) + zp,
                           lo, hi);
    static_cast<uint8_t *>(output)[index] = static_cast<uint8_t>(y);
  }

  /// The table applied to what a chunk stored: `rows` rows of `count`
  /// bytes, `stride` apart, from `index`. Epilogues store the requantized
  /// bytes; the table maps them once a block is done, when those stores
  /// have left the store buffer, with the table in registers for the block.
  void lookUp(void *output, int64_t index, int64_t rows, int64_t stride, int64_t count) const {
    if (table)
      lookupRows(static_cast<uint8_t *>(output) + index, rows, stride, count, table);
  }
};

/// Sums in wrapping i32: the true accumulator fits i32, the shifted one
/// and its corrections may not.
inline int32_t wrappingAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_QLAYERPARAMS_H
