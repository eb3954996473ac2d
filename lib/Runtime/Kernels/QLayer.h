//===- QLayer.h - the shared driver of the integer layer kernels -*- C++ -*-===//
//
// Everything but the inner product: decoding the parameters, turning the
// activations into u8 rows (im2col for convolutions, the +128 shift for s8),
// splitting the work over the worker pool, and the exact requantizing
// epilogue. Each instruction set supplies `Tile::compute`, which accumulates
// up to kMaxRows rows against one packed panel.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_QLAYER_H
#define QUANTC_LIB_RUNTIME_KERNELS_QLAYER_H

#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace quantc::kernels {

constexpr int kPanel = QC_PANEL_COLUMNS;
constexpr int kMaxRows = 6;
constexpr int64_t kRowsPerChunk = 8 * kMaxRows;

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

/// Writes accumulators acc[r][c] of rows [row0, row0 + count) and panel
/// columns [col0, col0 + kPanel) ∩ [0, N) of batch image `batch`.
struct Epilogue {
  const QLayer &layer;
  const int32_t *bias, *multiplier, *shift;
  void *output;

  void store(int64_t batch, int64_t row0, int count, int64_t col0,
             const int32_t (*acc)[kPanel]) const {
    int64_t n = layer.n(), rows = layer.rows();
    int columns = static_cast<int>(std::min<int64_t>(kPanel, n - col0));
    int kind = static_cast<int>(layer.param(QC_QLAYER_OUTPUT));
    bool perChannel = layer.param(QC_QLAYER_PER_CHANNEL);
    int rounding = static_cast<int>(layer.param(QC_QLAYER_ROUNDING));
    int64_t zp = layer.param(QC_QLAYER_OUTPUT_ZERO_POINT);
    int64_t lo = layer.param(QC_QLAYER_CLAMP_MIN), hi = layer.param(QC_QLAYER_CLAMP_MAX);
    for (int r = 0; r < count; ++r)
      for (int c = 0; c < columns; ++c) {
        int64_t col = col0 + c, row = row0 + r;
        // Wrapping sum: the true accumulator fits i32, the shifted one may not.
        int32_t value = static_cast<int32_t>(static_cast<uint32_t>(acc[r][c]) +
                                             static_cast<uint32_t>(bias[col]));
        int64_t index = layer.isConv() ? (batch * n + col) * rows + row
                                       : row * n + col;
        if (kind == 0) {
          static_cast<int32_t *>(output)[index] = value;
          continue;
        }
        int64_t ch = perChannel ? col : 0;
        int64_t y = applyMultiplier(value, multiplier[ch], shift[ch], rounding) + zp;
        y = std::clamp(y, lo, hi);
        if (kind == 1)
          static_cast<int8_t *>(output)[index] = static_cast<int8_t>(y);
        else
          static_cast<uint8_t *>(output)[index] = static_cast<uint8_t>(y);
      }
  }
};

/// Rows of u8 activations, padded to paddedK with zeros (which multiply the
/// zero padding of the packed weights).
inline void packRows(const QLayer &layer, const uint8_t *input, int64_t batch,
                     uint8_t *rows) {
  int64_t k = layer.k(), kp = layer.paddedK(), count = layer.rows();
  uint8_t flip = layer.flip();
  if (!layer.isConv()) {
    for (int64_t r = 0; r < count; ++r) {
      uint8_t *dst = rows + r * kp;
      const uint8_t *src = input + r * k;
      for (int64_t i = 0; i < k; ++i)
        dst[i] = src[i] ^ flip;
      std::memset(dst + k, 0, kp - k);
    }
    return;
  }
  const int64_t *p = layer.p;
  int64_t c = p[QC_QLAYER_C], h = p[QC_QLAYER_H], w = p[QC_QLAYER_W];
  int64_t kh = p[QC_QLAYER_KH], kw = p[QC_QLAYER_KW];
  int64_t sh = p[QC_QLAYER_STRIDE_H], sw = p[QC_QLAYER_STRIDE_W];
  int64_t dh = p[QC_QLAYER_DILATION_H], dw = p[QC_QLAYER_DILATION_W];
  int64_t pt = p[QC_QLAYER_PAD_TOP], pl = p[QC_QLAYER_PAD_LEFT];
  int64_t oh = p[QC_QLAYER_OH], ow = p[QC_QLAYER_OW];
  uint8_t pad = static_cast<uint8_t>(p[QC_QLAYER_PAD_VALUE]) ^ flip;
  const uint8_t *image = input + batch * c * h * w;
  for (int64_t oy = 0; oy < oh; ++oy)
    for (int64_t ox = 0; ox < ow; ++ox) {
      uint8_t *dst = rows + (oy * ow + ox) * kp;
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t ky = 0; ky < kh; ++ky) {
          int64_t iy = oy * sh - pt + ky * dh;
          for (int64_t kx = 0; kx < kw; ++kx) {
            int64_t ix = ox * sw - pl + kx * dw;
            *dst++ = iy >= 0 && iy < h && ix >= 0 && ix < w
                         ? image[(ch * h + iy) * w + ix] ^ flip
                         : pad;
          }
        }
      std::memset(dst, 0, kp - k);
    }
}

template <typename Tile>
struct QLayerRun {
  QLayer layer;
  Epilogue epilogue;
  const uint8_t *rows;
  const int8_t *packed;
  int64_t batch;

  static void chunk(void *self, int64_t index) {
    static_cast<QLayerRun *>(self)->run(index);
  }

  void run(int64_t index) const {
    int64_t panels = layer.panels(), kp = layer.paddedK();
    int64_t panel = index % panels, block = index / panels;
    int64_t first = block * kRowsPerChunk;
    int64_t last = std::min(layer.rows(), first + kRowsPerChunk);
    const int8_t *weights = packed + panel * kp * kPanel;
    alignas(64) int32_t acc[kMaxRows][kPanel];
    for (int64_t row = first; row < last; row += kMaxRows) {
      int count = static_cast<int>(std::min<int64_t>(kMaxRows, last - row));
      Tile::compute(rows + row * kp, kp, weights, count, acc);
      epilogue.store(batch, row, count, panel * kPanel, acc);
    }
  }
};

template <typename Tile>
void runQLayer(const void *input, const int8_t *packed, const int32_t *bias,
               const int32_t *multiplier, const int32_t *shift,
               const int64_t *params, void *output) {
  QLayer layer{params};
  int64_t kp = layer.paddedK(), count = layer.rows();
  auto *rows = static_cast<uint8_t *>(
      std::aligned_alloc(64, (count * kp + 63) / 64 * 64 + 64));
  Epilogue epilogue{layer, bias, multiplier, shift, output};
  int64_t chunks = (count + kRowsPerChunk - 1) / kRowsPerChunk * layer.panels();
  for (int64_t b = 0; b < layer.batches(); ++b) {
    packRows(layer, static_cast<const uint8_t *>(input), b, rows);
    QLayerRun<Tile> work{layer, epilogue, rows, packed, b};
    parallelFor(chunks, QLayerRun<Tile>::chunk, &work);
  }
  std::free(rows);
}

} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_QLAYER_H
