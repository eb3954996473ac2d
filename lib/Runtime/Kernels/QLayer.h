//===- QLayer.h - the shared driver of the integer layer kernels -*- C++ -*-===//
//
// Everything but the inner product: turning the activations into u8 rows
// (the +128 shift for s8) or pixel panels (convolutions), splitting the
// work over the worker pool, the scalar epilogue, and the dispatch to the
// depthwise kernel (QLayerDepthwise.h). The parameters and the exact
// requantization are in QLayerParams.h. Each instruction set supplies
// `Tile::compute`, which accumulates up to kMaxRows rows against one packed
// panel.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_QLAYER_H
#define QUANTC_LIB_RUNTIME_KERNELS_QLAYER_H

#include "Kernels.h"
#include "QLayerDepthwise.h"
#include "QLayerParams.h"
#include "Unfold.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>
#include <cstring>

namespace quantc::kernels {

/// Matmul: the activation rows as u8 (s8 shifted by +128), padded to
/// paddedK with zeros, which multiply the zero padding of the weights.
inline void packRows(const QLayer &layer, const uint8_t *input, uint8_t *rows) {
  int64_t k = layer.k(), kp = layer.paddedK(), count = layer.rows();
  uint8_t flip = layer.flip();
  for (int64_t r = 0; r < count; ++r) {
    uint8_t *dst = rows + r * kp;
    const uint8_t *src = input + r * k;
    for (int64_t i = 0; i < k; ++i)
      dst[i] = src[i] ^ flip;
    std::memset(dst + k, 0, kp - k);
  }
}

/// The byte moves of image packing in portable C++; instruction-set tiles
/// may bring their own.
struct PortablePacking {
  /// Whether the tile packs windows whose taps are shifts of the image's
  /// phase planes (Window::shiftStride) straight into panels
  /// (packShiftedPanel), with no unfolded rows in between.
  static constexpr bool kPacksShiftedTaps = false;

  /// dst[i] = src[i] ^ flip for i < n.
  static void copyFlipped(uint8_t *dst, const uint8_t *src, int64_t n, uint8_t flip) {
    for (int64_t i = 0; i < n; ++i)
      dst[i] = src[i] ^ flip;
  }
  /// dst[i] = src[2 i] ^ flip for i < n (a stride-2 window's row).
  static void copyFlippedEven(uint8_t *dst, const uint8_t *src, int64_t n, uint8_t flip) {
    for (int64_t i = 0; i < n; ++i)
      dst[i] = src[2 * i] ^ flip;
  }

  /// Interleaves four rows of `width` (at most kPanel) pixels into one group
  /// of a pixel panel, dst[4 x + t] = rows[t][x] ^ flip (zeros past width),
  /// and adds each pixel's four values to sums[x].
  static void interleave4(const uint8_t *const rows[4], int width, uint8_t flip, int8_t *dst,
                          int32_t *sums) {
    if (width < kPanel)
      std::memset(dst, 0, 4 * kPanel);
    for (int x = 0; x < width; ++x)
      for (int t = 0; t < 4; ++t) {
        auto value = static_cast<int8_t>(rows[t][x] ^ flip);
        dst[4 * x + t] = value;
        sums[x] += value;
      }
  }

  /// One panel of `kp` taps (a multiple of 4; row(t) is tap t's `width`
  /// pixels), interleaved four taps at a time into dst (kp x kPanel bytes),
  /// and each pixel's sum of its taps into sums[0, width).
  template <typename Row>
  static void packPanel(Row row, int64_t kp, int width, uint8_t flip, int8_t *dst,
                        int32_t *sums) {
    std::fill(sums, sums + width, 0);
    for (int64_t t4 = 0; t4 < kp; t4 += 4, dst += 4 * kPanel) {
      const uint8_t *r[4] = {row(t4), row(t4 + 1), row(t4 + 2), row(t4 + 3)};
      interleave4(r, width, flip, dst, sums);
    }
  }
};

/// The window of a convolution over the channels of one group.
inline Window convWindow(const QLayer &layer) {
  const int64_t *p = layer.p;
  return {p[QC_QLAYER_C] / layer.groups(), p[QC_QLAYER_H], p[QC_QLAYER_W],
          p[QC_QLAYER_KH], p[QC_QLAYER_KW], p[QC_QLAYER_STRIDE_H],
          p[QC_QLAYER_STRIDE_W], p[QC_QLAYER_DILATION_H], p[QC_QLAYER_DILATION_W],
          p[QC_QLAYER_PAD_TOP], p[QC_QLAYER_PAD_LEFT], p[QC_QLAYER_OH],
          p[QC_QLAYER_OW]};
}

/// The stride at which `Tile` packs the window's taps as shifts of the
/// image's phase planes (Window::shiftStride), or 0 where it unfolds them.
template <typename Tile> int64_t packedShiftStride(const Window &window) {
  if constexpr (Tile::kPacksShiftedTaps)
    if (!window.isPointwise() && ShiftedTaps::covers(window))
      return window.shiftStride();
  return 0;
}

/// Bytes of `columns` scratch that ImagePanels needs: the unfolded image, or
/// the phase planes of a stride-2 window.
template <typename Tile> int64_t packingScratchBytes(const QLayer &layer) {
  Window window = convWindow(layer);
  int64_t s = packedShiftStride<Tile>(window);
  return s == 2 ? window.phasePlaneBytes(s) : layer.k() * layer.rows();
}

/// The image's stride-2 phase planes (Window::shiftStride) as they are
/// stored, u8 or s8, rows of the output's width (columns past a plane's
/// real ones are never read).
template <typename Tile>
void copyPhasePlanes(const Window &window, const uint8_t *image, uint8_t *planes,
                     bool parallel) {
  int64_t planeBytes = window.phasePlaneSize(2);
  int64_t evenColumns = (window.w + 1) / 2, oddColumns = window.w / 2;
  forEachSlice(window.channels, parallel, [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c)
      for (int64_t y = 0; y < window.h; ++y) {
        const uint8_t *src = image + (c * window.h + y) * window.w;
        uint8_t *dst = planes + (c * 4 + y % 2 * 2) * planeBytes + y / 2 * window.ow;
        Tile::copyFlippedEven(dst, src, evenColumns, 0);
        Tile::copyFlippedEven(dst + planeBytes, src + 1, oddColumns, 0);
      }
  });
}

/// Convolution: the image of one group, packed a panel at a time (pack)
/// into panels of kPanel pixels in the weight panel layout (4 taps per
/// pixel per group), s8 (u8 inputs shifted by -128), with each pixel's sum
/// of taps. A 1 x 1 window of stride 1 without padding reads the image's
/// planes as they are; so do windows whose taps are shifts of the image, on
/// tiles that pack them (kPacksShiftedTaps), and at stride 2 they read its
/// phase planes, which the constructor copies into `columns`; other windows
/// are unfolded by the constructor into `columns`, K rows of P pixels.
template <typename Tile>
class ImagePanels {
public:
  ImagePanels(const QLayer &layer, const uint8_t *image, int8_t *columns)
      : window(convWindow(layer)), k(layer.k()), kp(layer.paddedK()),
        pixels(window.oh * window.ow), panelCount((pixels + kPanel - 1) / kPanel),
        parallel(panelCount * kp * kPanel >= kParallelPackBytes),
        // s8 view: u8 inputs flip to value - 128; s8 inputs stay.
        flip(layer.flip() ^ 0x80),
        pad(static_cast<uint8_t>(static_cast<uint8_t>(layer.p[QC_QLAYER_PAD_VALUE]) ^ flip)),
        shiftStride(packedShiftStride<Tile>(window)), planes(image), rows(image),
        rowFlip(flip) {
    if (shiftStride == 2) {
      auto *copied = reinterpret_cast<uint8_t *>(columns);
      copyPhasePlanes<Tile>(window, image, copied, parallel);
      planes = copied;
    } else if (!window.isPointwise() && shiftStride == 0) {
      auto *unfolded = reinterpret_cast<uint8_t *>(columns);
      uint8_t f = flip;
      unfoldWindow(
          window, image, unfolded, pad, [f](uint8_t v) { return uint8_t(v ^ f); },
          [f](uint8_t *dst, const uint8_t *src, int64_t n) { Tile::copyFlipped(dst, src, n, f); },
          parallel,
          [f](uint8_t *dst, const uint8_t *src, int64_t n) {
            Tile::copyFlippedEven(dst, src, n, f);
          });
      rows = unfolded;
      rowFlip = 0;
    }
    // Rows past K, flip (zeros once flipped).
    std::memset(zeroRow, rowFlip, kPanel);
  }

  int64_t panels() const { return panelCount; }
  /// Whether packing every panel is worth splitting over threads.
  bool packsInParallel() const { return parallel; }

  /// Panel `panel` into dst (kp x kPanel bytes): groups of 4 taps
  /// interleaved, and each of its pixels' sum of taps into sums.
  void pack(int64_t panel, int8_t *dst, int32_t *sums) const {
    int64_t x0 = panel * kPanel;
    int width = static_cast<int>(std::min<int64_t>(kPanel, pixels - x0));
    if constexpr (Tile::kPacksShiftedTaps)
      if (shiftStride != 0)
        return Tile::packShiftedPanel(window, shiftStride, planes, k, kp, x0, width, flip, pad,
                                      dst, sums);
    auto row = [&](int64_t t) { return t < k ? rows + t * pixels + x0 : zeroRow; };
    Tile::packPanel(row, kp, width, rowFlip, dst, sums);
  }

private:
  Window window;
  int64_t k, kp, pixels, panelCount;
  bool parallel;
  uint8_t flip, pad;
  int64_t shiftStride;
  // Phase planes of the shifted taps; rows of the unfolded image, and the
  // flip still to apply to them.
  const uint8_t *planes, *rows;
  uint8_t rowFlip;
  alignas(64) uint8_t zeroRow[kPanel];
};

/// What a matmul's blocks read and write: the packed activation rows (u8,
/// paddedK apart), the weight panels and the output.
struct GemmOperands {
  QLayer layer;
  Requantizer requantizer;
  const int32_t *bias;
  const uint8_t *rows;
  const int8_t *packed;
  void *output;
};

/// Matmul: rows of activations x weight panels, lanes over output channels.
template <typename Tile>
struct GemmRun : GemmOperands {

  static void chunk(void *self, int64_t index) {
    static_cast<GemmRun *>(self)->run(index);
  }

  void run(int64_t index) const {
    int64_t panels = layer.panels(), kp = layer.paddedK(), n = layer.n();
    int64_t panel = index % panels, block = index / panels;
    int64_t first = block * kRowsPerChunk;
    int64_t last = std::min(layer.rows(), first + kRowsPerChunk);
    const int8_t *weights = packed + panel * kp * kPanel;
    int64_t col0 = panel * kPanel;
    int columns = static_cast<int>(std::min<int64_t>(kPanel, n - col0));
    alignas(64) int32_t acc[kMaxRows][kPanel];
    for (int64_t row = first; row < last; row += kMaxRows) {
      int count = static_cast<int>(std::min<int64_t>(kMaxRows, last - row));
      Tile::compute(rows + row * kp, kp, weights, count, acc);
      Tile::storeColumns(requantizer, acc, count, bias + col0, col0, columns, output,
                         row * n + col0, n);
    }
    requantizer.lookUp(output, first * n + col0, last - first, n, columns);
  }
};

/// What a convolution's channel blocks of one image and group read and
/// write: the group's unfolded image as pixel panels with their tap sums,
/// the (u8-shifted) weight rows, and its channels of the output.
struct ConvGroup {
  QLayer layer;
  Requantizer requantizer;
  const int32_t *bias, *sums;
  const int8_t *panels;
  const uint8_t *weights;
  void *output;
  int64_t batch, firstChannel, channels;
};

/// Prepares each image's groups in turn for packing (ImagePanels) and hands
/// each to `multiply(group, image)`; the group's panels and sums are unset
/// until packEveryPanel.
template <typename Tile, typename Multiply>
void forEachConvGroup(const QLayer &layer, const Requantizer &requantizer,
                      const uint8_t *in, const int8_t *packed, const int32_t *bias,
                      void *output, Multiply multiply) {
  auto *columns =
      static_cast<int8_t *>(scratch(kQLayerRows, packingScratchBytes<Tile>(layer)));
  const int64_t *p = layer.p;
  int64_t groups = layer.groups(), groupChannels = layer.n() / groups;
  int64_t groupBytes = p[QC_QLAYER_C] / groups * p[QC_QLAYER_H] * p[QC_QLAYER_W];
  for (int64_t b = 0; b < layer.batches(); ++b)
    for (int64_t g = 0; g < groups; ++g) {
      ImagePanels<Tile> image(layer, in + (b * groups + g) * groupBytes, columns);
      multiply(ConvGroup{layer, requantizer, bias, nullptr, nullptr,
                         reinterpret_cast<const uint8_t *>(packed), output, b,
                         g * groupChannels, groupChannels},
               image);
    }
}

/// `group` with every panel of its image packed into scratch, over threads
/// where that is worth it.
template <typename Tile>
ConvGroup packEveryPanel(ConvGroup group, const ImagePanels<Tile> &image) {
  int64_t kp = group.layer.paddedK(), pixels = group.layer.rows();
  auto *panels = static_cast<int8_t *>(scratch(kQLayerPanels, image.panels() * kp * kPanel));
  auto *sums = static_cast<int32_t *>(scratch(kQLayerSums, pixels * 4));
  forEachSlice(image.panels(), image.packsInParallel(), [&](int64_t first, int64_t last) {
    for (int64_t panel = first; panel < last; ++panel)
      image.pack(panel, panels + panel * kp * kPanel, sums + panel * kPanel);
  });
  group.panels = panels;
  group.sums = sums;
  return group;
}

/// Convolution: rows of (u8-shifted) weights x pixel panels, lanes over
/// pixels, so each output channel's row of pixels is stored contiguously.
/// Each chunk is a block of channels over one panel of packEveryPanel.
template <typename Tile>
struct ConvRun : ConvGroup {
  static void chunk(void *self, int64_t index) {
    static_cast<ConvRun *>(self)->run(index);
  }

  void run(int64_t index) const {
    int64_t pixels = layer.rows(), panelCount = (pixels + kPanel - 1) / kPanel;
    int64_t panel = index % panelCount, block = index / panelCount;
    int64_t first = firstChannel + block * kRowsPerChunk;
    int64_t last = std::min(firstChannel + channels, first + kRowsPerChunk);
    multiply(panels + panel * layer.paddedK() * kPanel, sums + panel * kPanel, panel, first,
             last);
  }

  /// Channels [first, last) times packed panel `panel` (`columns`, with its
  /// pixels' tap sums).
  void multiply(const int8_t *columns, const int32_t *panelSums, int64_t panel, int64_t first,
                int64_t last) const {
    int64_t kp = layer.paddedK(), n = layer.n(), pixels = layer.rows();
    int64_t x0 = panel * kPanel;
    int width = static_cast<int>(std::min<int64_t>(kPanel, pixels - x0));
    alignas(64) int32_t acc[kMaxRows][kPanel];
    for (int64_t ch = first; ch < last; ch += kMaxRows) {
      int count = static_cast<int>(std::min<int64_t>(kMaxRows, last - ch));
      Tile::compute(weights + ch * kp, kp, columns, count, acc);
      for (int r = 0; r < count; ++r)
        Tile::storeRow(requantizer, acc[r], bias[ch + r], panelSums, ch + r, width, output,
                       (batch * n + ch + r) * pixels + x0);
    }
    requantizer.lookUp(output, (batch * n + first) * pixels + x0, last - first, pixels, width);
  }
};

/// Panels per thread from which a convolution packs each panel on the
/// thread that multiplies it (PanelConvRun): fewer would leave threads idle.
constexpr int64_t kPanelsPerThread = 4;

/// ConvRun with one chunk per panel, which packs the panel into the
/// thread's own scratch and multiplies it by every channel of the group
/// while it is in L1: no pass over the whole packed image, and no thread
/// reads panels that another packed.
template <typename Tile>
struct PanelConvRun : ConvRun<Tile> {
  const ImagePanels<Tile> *image;

  static void chunk(void *self, int64_t panel) {
    static_cast<PanelConvRun *>(self)->run(panel);
  }

  void run(int64_t panel) const {
    int64_t kp = this->layer.paddedK();
    auto *columns = static_cast<int8_t *>(scratch(kQLayerPanels, kp * kPanel));
    auto *panelSums = static_cast<int32_t *>(scratch(kQLayerSums, kPanel * 4));
    image->pack(panel, columns, panelSums);
    this->multiply(columns, panelSums, panel, this->firstChannel,
                   this->firstChannel + this->channels);
  }
};

/// Scalar epilogues; instruction-set tiles may bring vector ones.
struct ScalarEpilogue {
  /// `rows` rows of a matmul block, a channel per column; row r goes to
  /// output[index + r * stride].
  static void storeColumns(const Requantizer &q, const int32_t (*acc)[kPanel], int rows,
                           const int32_t *bias, int64_t ch0, int columns, void *output,
                           int64_t index, int64_t stride) {
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < columns; ++c)
        q.store(wrappingAdd(acc[r][c], bias[c]), ch0 + c, output, index + r * stride + c);
  }
  /// One output channel of a convolution over `width` pixels.
  static void storeRow(const Requantizer &q, const int32_t *acc, int32_t bias,
                       const int32_t *sums, int64_t ch, int width, void *output,
                       int64_t index) {
    for (int x = 0; x < width; ++x) {
      int32_t correction = static_cast<int32_t>(static_cast<uint32_t>(sums[x]) << 7);
      q.store(wrappingAdd(wrappingAdd(acc[x], bias), -correction), ch, output,
              index + x);
    }
  }
};

/// Layers below this many multiply-adds run on the calling thread alone:
/// waking workers would cost more than it saves.
constexpr int64_t kParallelMACs = int64_t(1) << 20;
/// What requantizing one output costs, in multiply-adds: a depthwise layer
/// (9 or 25 per output) is mostly epilogue.
constexpr int64_t kEpilogueMACs = 32;

inline void runChunks(const QLayer &layer, int64_t chunks, ChunkFn fn,
                      void *context) {
  int64_t perOutput = layer.k() + (isDepthwise(layer) ? kEpilogueMACs : 0);
  if (layer.rows() * layer.n() * perOutput < kParallelMACs) {
    for (int64_t i = 0; i < chunks; ++i)
      fn(context, i);
    return;
  }
  parallelFor(chunks, fn, context);
}

template <typename Tile>
void runQLayer(const void *input, const int8_t *packed, const int32_t *bias,
               const int32_t *multiplier, const int32_t *shift,
               const int64_t *params, void *output) {
  QLayer layer{params};
  Requantizer requantizer(layer, bias, multiplier, shift);
  int64_t kp = layer.paddedK(), rows = layer.rows();
  int64_t rowBlocks = (rows + kRowsPerChunk - 1) / kRowsPerChunk;
  auto *in = static_cast<const uint8_t *>(input);
  if (!layer.isConv()) {
    auto *packedRows = static_cast<uint8_t *>(scratch(kQLayerRows, rows * kp));
    packRows(layer, in, packedRows);
    GemmRun<Tile> work{{layer, requantizer, bias, packedRows, packed, output}};
    runChunks(layer, rowBlocks * layer.panels(), GemmRun<Tile>::chunk, &work);
    return;
  }
  if (isDepthwise(layer)) {
    DepthwiseRun<Tile> work(layer, requantizer, bias, in,
                            reinterpret_cast<const uint8_t *>(packed), output);
    runChunks(layer, layer.batches() * layer.n(), DepthwiseRun<Tile>::chunk, &work);
    // Planes are small and many: one pass over the whole output costs less
    // than a table lookup per plane.
    if (requantizer.table) {
      auto *bytes = static_cast<uint8_t *>(output);
      lookupBytes(bytes, requantizer.table, layer.batches() * layer.n() * rows, 0, bytes);
    }
    return;
  }
  forEachConvGroup<Tile>(
      layer, requantizer, in, packed, bias, output,
      [&](const ConvGroup &group, const ImagePanels<Tile> &image) {
        if (image.panels() >= kPanelsPerThread * threadBudget()) {
          PanelConvRun<Tile> work{{group}, &image};
          return runChunks(layer, image.panels(), PanelConvRun<Tile>::chunk, &work);
        }
        int64_t channelBlocks = (group.channels + kRowsPerChunk - 1) / kRowsPerChunk;
        ConvRun<Tile> work{packEveryPanel(group, image)};
        runChunks(layer, channelBlocks * image.panels(), ConvRun<Tile>::chunk, &work);
      });
}

} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_QLAYER_H
