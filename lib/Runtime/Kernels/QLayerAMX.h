//===- QLayerAMX.h - integer layers on AMX tiles ----------------*- C++ -*-===//
//
// tdpbusd multiplies a tile of 16 rows x 64 u8 (16 rows of the product, 64
// reduction steps) by a tile of 16 groups of 4 reduction steps x 16 columns
// of s8 into 16 x 16 i32 accumulators, wrapping, exactly as vpdpbusd does.
// A packed panel's group of 4 reduction steps is 64 columns x 4 bytes, so
// its column blocks of 16 are B tiles as they lie, 256 bytes apart: the
// weights need no other layout.
//
// A block is 32 rows x 64 columns: for each half of 32 columns, 2 x 2
// accumulator tiles fed by two A and two B tiles per 64 reduction steps (a
// 16-row block keeps the 4 column blocks instead). The last, partial step
// reads B from a copy padded with zeros, so whatever A holds past K (the next
// row's bytes) adds nothing; A may be read up to 15 rows past the block's
// rows and 64 bytes past its last row, which the callers guarantee readable:
// the activation rows are scratch, and convolution weights are packed with
// QC_CONV_WEIGHT_SLACK_ROWS spare rows (Microkernels.h).
//
// `Isa` supplies the tile instructions: the CPU's (QLayerVNNI.cpp) or a
// scalar model of them (AMXTileModel.cpp), which checks this layout logic
// on any CPU. `Tile` supplies the packing and the requantizing epilogue.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_QLAYERAMX_H
#define QUANTC_LIB_RUNTIME_KERNELS_QLAYERAMX_H

#include "AMXTiles.h"
#include "QLayer.h"

namespace quantc::kernels {

constexpr int kBlockRows = 2 * kTileRows;
/// Bytes of a panel's group of 4 reduction steps: a B tile's row stride.
constexpr int kGroupBytes = 4 * kPanel;
/// Below these, vpdpbusd wins: a 16-row block of tiles wastes what the rows
/// it lacks would have cost, and short reductions are mostly tail.
constexpr int64_t kAMXMinRows = 8;
constexpr int64_t kAMXMinK = 64;
/// Tiles finish a layer about twice as fast as vpdpbusd, so waking a worker
/// pays off only from here: measured on Sapphire Rapids with the weights on
/// huge pages, 2 threads gain from about 5M multiply-adds (M = 8, K = N =
/// 768: 10.6 -> 9.0 us; M = 32: 20 -> 17.5 us) and lose below 4M (M = 16,
/// K = N = 512: 5.4 -> 7.2 us).
constexpr int64_t kAMXParallelMACs = int64_t(6) << 20;
/// A convolution's blocks read panels just packed, still in cache: a
/// worker pays off from smaller layers.
constexpr int64_t kAMXParallelConvMACs = int64_t(1) << 22;

template <typename Isa>
struct AMXBlock {
  /// The panel's reduction steps past the last multiple of 64, as the B
  /// tiles of one more step, zero past K.
  static void copyTail(const int8_t *panel, int64_t kp, int8_t *tail) {
    int64_t full = kp / kTileBytes * kTileBytes;
    int64_t bytes = (kp - full) / 4 * kGroupBytes;
    std::memcpy(tail, panel + full / 4 * kGroupBytes, bytes);
    std::memset(tail + bytes, 0, kTileRows * kGroupBytes - bytes);
  }

  /// out[r][c] = sum over k of a[r * kp + k] x the panel's (k, c), for
  /// r < 32 (rows > 16) or r < 16.
  static void compute(const uint8_t *a, int64_t kp, const int8_t *panel,
                      const int8_t *tail, int rows, int32_t (*out)[kPanel]) {
    if (rows > kTileRows)
      return compute32(a, kp, panel, tail, out);
    compute16(a, kp, panel, tail, out);
  }

private:
  /// Calls step(a + k, B of step k) for each 64 reduction steps.
  template <typename Step>
  static void forEachStep(const uint8_t *a, int64_t kp, const int8_t *panel,
                          const int8_t *tail, Step step) {
    int64_t full = kp / kTileBytes * kTileBytes;
    for (int64_t k = 0; k < full; k += kTileBytes)
      step(a + k, panel + k / 4 * kGroupBytes);
    if (full < kp)
      step(a + full, tail);
  }

  static void compute32(const uint8_t *a, int64_t kp, const int8_t *panel,
                        const int8_t *tail, int32_t (*out)[kPanel]) {
    for (int half = 0; half < 2; ++half) {
      int column = half * 2 * kTileRows;
      Isa::template zero<0>();
      Isa::template zero<1>();
      Isa::template zero<2>();
      Isa::template zero<3>();
      forEachStep(a, kp, panel + column * 4, tail + column * 4,
                  [kp](const uint8_t *rows, const int8_t *b) {
                    Isa::template load<4>(rows, kp);
                    Isa::template load<6>(b, kGroupBytes);
                    Isa::template dot<0, 4, 6>();
                    Isa::template load<7>(b + kTileBytes, kGroupBytes);
                    Isa::template dot<1, 4, 7>();
                    Isa::template load<5>(rows + kTileRows * kp, kp);
                    Isa::template dot<2, 5, 6>();
                    Isa::template dot<3, 5, 7>();
                  });
      constexpr int64_t stride = kPanel * sizeof(int32_t);
      Isa::template store<0>(out[0] + column, stride);
      Isa::template store<1>(out[0] + column + kTileRows, stride);
      Isa::template store<2>(out[kTileRows] + column, stride);
      Isa::template store<3>(out[kTileRows] + column + kTileRows, stride);
    }
  }

  /// Accumulators 0-3 over the 4 column blocks; B alternates in 6 and 7.
  static void compute16(const uint8_t *a, int64_t kp, const int8_t *panel,
                        const int8_t *tail, int32_t (*out)[kPanel]) {
    Isa::template zero<0>();
    Isa::template zero<1>();
    Isa::template zero<2>();
    Isa::template zero<3>();
    forEachStep(a, kp, panel, tail, [kp](const uint8_t *rows, const int8_t *b) {
      Isa::template load<4>(rows, kp);
      Isa::template load<6>(b, kGroupBytes);
      Isa::template dot<0, 4, 6>();
      Isa::template load<7>(b + kTileBytes, kGroupBytes);
      Isa::template dot<1, 4, 7>();
      Isa::template load<6>(b + 2 * kTileBytes, kGroupBytes);
      Isa::template dot<2, 4, 6>();
      Isa::template load<7>(b + 3 * kTileBytes, kGroupBytes);
      Isa::template dot<3, 4, 7>();
    });
    constexpr int64_t stride = kPanel * sizeof(int32_t);
    Isa::template store<0>(out[0], stride);
    Isa::template store<1>(out[0] + kTileRows, stride);
    Isa::template store<2>(out[0] + 2 * kTileRows, stride);
    Isa::template store<3>(out[0] + 3 * kTileRows, stride);
  }
};

/// The blocks of a layer, one contiguous run per thread.
template <typename Isa, typename Work>
void runBlocks(const QLayer &layer, const Work &work, int64_t blocks) {
  int64_t threshold = layer.isConv() ? kAMXParallelConvMACs : kAMXParallelMACs;
  runTileSlices<Isa>(work, blocks, layer.rows() * layer.n() * layer.k() >= threshold);
}

/// Matmul: blocks of 32 activation rows x one weight panel, the rows of a
/// panel in turn (its B tiles stay in cache).
template <typename Isa, typename Tile>
struct AMXGemm : GemmOperands {

  int64_t rowBlocks() const { return (layer.rows() + kBlockRows - 1) / kBlockRows; }

  void run(int64_t first, int64_t last) const {
    int64_t kp = layer.paddedK(), n = layer.n(), count = rowBlocks();
    alignas(64) int32_t acc[kBlockRows][kPanel];
    alignas(64) int8_t tail[kTileRows * kGroupBytes];
    int64_t tailPanel = -1;
    for (int64_t block = first; block < last; ++block) {
      int64_t panel = block / count, row0 = block % count * kBlockRows;
      const int8_t *weights = packed + panel * kp * kPanel;
      if (panel != tailPanel) {
        AMXBlock<Isa>::copyTail(weights, kp, tail);
        tailPanel = panel;
      }
      int valid = static_cast<int>(std::min<int64_t>(kBlockRows, layer.rows() - row0));
      AMXBlock<Isa>::compute(rows + row0 * kp, kp, weights, tail, valid, acc);
      int64_t col0 = panel * kPanel;
      int columns = static_cast<int>(std::min<int64_t>(kPanel, n - col0));
      Tile::storeColumns(requantizer, acc, valid, bias + col0, col0, columns, output,
                         row0 * n + col0, n);
      requantizer.lookUp(output, row0 * n + col0, valid, n, columns);
    }
  }
};

/// Convolution: blocks of 32 output channels (weight rows) x one pixel
/// panel, the channels of a panel in turn.
template <typename Isa, typename Tile>
struct AMXConv : ConvGroup {
  int64_t channelBlocks() const { return (channels + kBlockRows - 1) / kBlockRows; }

  void run(int64_t first, int64_t last) const {
    int64_t kp = layer.paddedK(), n = layer.n(), pixels = layer.rows();
    int64_t count = channelBlocks();
    alignas(64) int32_t acc[kBlockRows][kPanel];
    alignas(64) int8_t tail[kTileRows * kGroupBytes];
    int64_t tailPanel = -1;
    for (int64_t block = first; block < last; ++block) {
      int64_t panel = block / count;
      int64_t ch0 = firstChannel + block % count * kBlockRows;
      const int8_t *columns = panels + panel * kp * kPanel;
      if (panel != tailPanel) {
        AMXBlock<Isa>::copyTail(columns, kp, tail);
        tailPanel = panel;
      }
      int valid = static_cast<int>(
          std::min<int64_t>(kBlockRows, firstChannel + channels - ch0));
      AMXBlock<Isa>::compute(weights + ch0 * kp, kp, columns, tail, valid, acc);
      int64_t x0 = panel * kPanel;
      int width = static_cast<int>(std::min<int64_t>(kPanel, pixels - x0));
      for (int r = 0; r < valid; ++r)
        Tile::storeRow(requantizer, acc[r], bias[ch0 + r], sums + x0, ch0 + r, width, output,
                       (batch * n + ch0 + r) * pixels + x0);
      requantizer.lookUp(output, (batch * n + ch0) * pixels + x0, valid, pixels, width);
    }
  }
};

/// runQLayer with AMX blocks, for every layer but depthwise convolutions.
template <typename Isa, typename Tile>
void runQLayerAMX(const void *input, const int8_t *packed, const int32_t *bias,
                  const int32_t *multiplier, const int32_t *shift, const int64_t *params,
                  void *output) {
  QLayer layer{params};
  Requantizer requantizer(layer, bias, multiplier, shift);
  int64_t kp = layer.paddedK(), rows = layer.rows();
  auto *in = static_cast<const uint8_t *>(input);
  if (!layer.isConv()) {
    // Blocks read whole 32-row blocks and 64 bytes past the last row.
    int64_t padded = (rows + kBlockRows - 1) / kBlockRows * kBlockRows;
    auto *packedRows = static_cast<uint8_t *>(scratch(kQLayerRows, padded * kp + kTileBytes));
    packRows(layer, in, packedRows);
    const int8_t *weights = hugePageCopy(packed, layer.panels() * kp * kPanel);
    AMXGemm<Isa, Tile> work{{layer, requantizer, bias, packedRows, weights, output}};
    runBlocks<Isa>(layer, work, work.rowBlocks() * layer.panels());
    return;
  }
  forEachConvGroup<Tile>(layer, requantizer, in, packed, bias, output,
                         [&](const ConvGroup &group, const ImagePanels<Tile> &image) {
                           AMXConv<Isa, Tile> work{packEveryPanel(group, image)};
                           runBlocks<Isa>(layer, work, work.channelBlocks() * image.panels());
                         });
}

} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_QLAYERAMX_H
