//===- QLayerDepthwise.h - integer depthwise convolutions -------*- C++ -*-===//
//
// Depthwise convolutions (one input and one output channel per group) run
// without unfolding: each channel's plane is padded, and the instruction
// set's row kernel (`Tile::DepthwiseRows`) sums each output row's windows.
// Portable row kernel here; QLayerVNNI.cpp brings a vpermb one.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_QLAYERDEPTHWISE_H
#define QUANTC_LIB_RUNTIME_KERNELS_QLAYERDEPTHWISE_H

#include "Kernels.h"
#include "QLayerParams.h"

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <vector>

namespace quantc::kernels {

/// The window of a depthwise convolution over its padded plane (u8: s8
/// values + 128), whose rows are `pw` bytes followed by at least 64 bytes of
/// slack.
struct DepthwiseWindow {
  int64_t kh, kw, sw, dh, dw, pw, ow;
};

/// One output row of a depthwise convolution: acc[ox] = sum over the
/// window of tap x plane value, for the window whose top-left is at
/// `window` for ox = 0. Portable C++, which the compiler vectorizes when
/// the stride is 1. Built once per layer; each channel sets its taps on a
/// copy (setTaps).
class PortableDepthwiseRows {
public:
  explicit PortableDepthwiseRows(const DepthwiseWindow &window) : win(window) {}
  /// The channel's s8 taps, kh x kw; read until the next setTaps.
  void setTaps(const int8_t *channelTaps) { taps = channelTaps; }
  void operator()(const uint8_t *window, int32_t *acc) const {
    std::fill(acc, acc + win.ow, 0);
    for (int64_t ky = 0; ky < win.kh; ++ky)
      for (int64_t kx = 0; kx < win.kw; ++kx) {
        const uint8_t *row = window + ky * win.dh * win.pw + kx * win.dw;
        int32_t tap = taps[ky * win.kw + kx];
        if (win.sw == 1)
          for (int64_t ox = 0; ox < win.ow; ++ox)
            acc[ox] += tap * row[ox];
        else
          for (int64_t ox = 0; ox < win.ow; ++ox)
            acc[ox] += tap * row[ox * win.sw];
      }
  }

private:
  DepthwiseWindow win;
  const int8_t *taps = nullptr;
};

/// Output pixels per epilogue call of a depthwise plane; the widest row the
/// direct kernel takes.
constexpr int64_t kDepthwiseMaxWidth = 2048;

/// A thread's padded plane for DepthwiseRun. Its padding (the bytes that
/// the image's rows do not cover) stays from one channel to the next while
/// the layout does, so a channel copies only its image rows.
class PaddedPlane {
public:
  struct Layout {
    int64_t bytes, width, padTop, padLeft, imageRows, imageColumns;
    uint8_t pad;
    bool operator==(const Layout &o) const {
      return std::tie(bytes, width, padTop, padLeft, imageRows, imageColumns, pad) ==
             std::tie(o.bytes, o.width, o.padTop, o.padLeft, o.imageRows, o.imageColumns,
                      o.pad);
    }
  };

  /// The plane of `layout`, padding written where the last layout differed.
  uint8_t *prepare(const Layout &layout) {
    if (!(layout == current)) {
      storage.assign(layout.bytes, layout.pad);
      current = layout;
    }
    return storage.data();
  }

private:
  std::vector<uint8_t> storage;
  Layout current{-1, 0, 0, 0, 0, 0, 0};
};

/// Depthwise convolution (one input and one output channel per group):
/// each channel's plane is padded once, as u8 (s8 view + 128, padding = the
/// zero point), then `Tile::DepthwiseRows` sums every output row's window
/// as i32 across the row, and the plane's sums go through the same epilogue
/// as the general path. The +128 of the plane adds 128 x the sum of the
/// taps, which the bias takes back (the weights' own +128 shift needs no
/// correction here: they are read back as s8). Channels are the chunks;
/// what depends only on the window (the row kernel's permutes) is built
/// once per layer: planes of a few hundred pixels cost less to convolve
/// than that setup.
template <typename Tile>
struct DepthwiseRun {
  static constexpr int64_t kSlack = 64; // plane bytes a row kernel may over-read
  QLayer layer;
  Requantizer requantizer;
  const int32_t *bias;
  const uint8_t *input, *weights;
  void *output;
  DepthwiseWindow win;
  typename Tile::DepthwiseRows rows;

  DepthwiseRun(const QLayer &layer, const Requantizer &requantizer, const int32_t *bias,
               const uint8_t *input, const uint8_t *weights, void *output)
      : layer(layer), requantizer(requantizer), bias(bias), input(input), weights(weights),
        output(output), win(window(layer)), rows(win) {}

  /// The padded plane's geometry.
  static DepthwiseWindow window(const QLayer &layer) {
    const int64_t *p = layer.p;
    int64_t kw = p[QC_QLAYER_KW], sw = p[QC_QLAYER_STRIDE_W], dw = p[QC_QLAYER_DILATION_W],
            ow = p[QC_QLAYER_OW];
    return {p[QC_QLAYER_KH], kw, sw, p[QC_QLAYER_DILATION_H], dw, (ow - 1) * sw + (kw - 1) * dw + 1,
            ow};
  }

  static void chunk(void *self, int64_t index) {
    static_cast<DepthwiseRun *>(self)->run(index);
  }

  void run(int64_t index) const {
    const int64_t *p = layer.p;
    int64_t channels = layer.n(), b = index / channels, c = index % channels;
    int64_t h = p[QC_QLAYER_H], w = p[QC_QLAYER_W], sh = p[QC_QLAYER_STRIDE_H],
            pt = p[QC_QLAYER_PAD_TOP], pl = p[QC_QLAYER_PAD_LEFT], oh = p[QC_QLAYER_OH];
    int64_t kh = win.kh, kw = win.kw, pw = win.pw, ow = win.ow;
    // The padded plane covers every window of every output.
    int64_t ph = (oh - 1) * sh + (kh - 1) * win.dh + 1;
    uint8_t flip = layer.flip(); // to u8
    auto pad = static_cast<uint8_t>(static_cast<uint8_t>(p[QC_QLAYER_PAD_VALUE]) ^ flip);
    // The image rows and columns that land inside the plane.
    int64_t y1 = std::min(h, ph - pt), x1 = std::min(w, pw - pl);
    thread_local PaddedPlane padded;
    uint8_t *plane = padded.prepare({ph * pw + kSlack, pw, pt, pl, y1, x1, pad});
    const uint8_t *src = input + (b * channels + c) * h * w;
    for (int64_t y = 0; y < y1; ++y)
      Tile::copyFlipped(plane + (y + pt) * pw + pl, src + y * w, x1, flip);
    int8_t taps[64];
    int32_t tapSum = 0;
    for (int64_t t = 0; t < kh * kw; ++t) {
      taps[t] = static_cast<int8_t>(weights[c * layer.paddedK() + t] ^ 0x80);
      tapSum += taps[t];
    }
    typename Tile::DepthwiseRows channelRows = rows;
    channelRows.setTaps(taps);
    // The rows' sums side by side, as the output plane: one epilogue pass
    // over the plane instead of one per row. A row may write 16 sums past
    // its end, which the next row overwrites.
    int64_t pixels = oh * ow;
    auto *acc = static_cast<int32_t *>(scratch(kDepthwiseSums, (pixels + 16) * 4));
    for (int64_t oy = 0; oy < oh; ++oy)
      channelRows(plane + oy * sh * pw, acc + oy * ow);
    alignas(64) static const int32_t zeros[kDepthwiseMaxWidth] = {};
    int32_t planeBias = wrappingAdd(bias[c], -128 * tapSum);
    for (int64_t x = 0; x < pixels; x += kDepthwiseMaxWidth)
      Tile::storeRow(requantizer, acc + x, planeBias, zeros, c,
                     static_cast<int>(std::min(kDepthwiseMaxWidth, pixels - x)), output,
                     (b * channels + c) * pixels + x);
  }
};

/// Whether the layer is a depthwise convolution the direct kernel runs.
inline bool isDepthwise(const QLayer &layer) {
  const int64_t *p = layer.p;
  return layer.isConv() && layer.groups() == p[QC_QLAYER_C] &&
         layer.groups() == layer.n() && p[QC_QLAYER_KH] * p[QC_QLAYER_KW] <= 64 &&
         p[QC_QLAYER_OW] <= kDepthwiseMaxWidth;
}

} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_QLAYERDEPTHWISE_H
