//===- Unfold.h - convolution windows unfolded into rows --------*- C++ -*-===//
//
// im2col, shared by the integer (QLayer.h) and float (ConvGeometry.h)
// convolution kernels: one row of output pixels per window tap.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_UNFOLD_H
#define QUANTC_LIB_RUNTIME_KERNELS_UNFOLD_H

#include "Kernels.h"

#include <algorithm>

namespace quantc::kernels {
// Internal linkage: each instruction-set build of a kernel compiles its own
// copy, which must not be merged with another build's.
namespace {

/// A convolution window over the channels of one image (or group).
struct Window {
  int64_t channels, h, w, kh, kw, strideH, strideW, dilationH, dilationW, padTop, padLeft,
      oh, ow;
  bool isPointwise() const {
    return kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padTop == 0 &&
           padLeft == 0 && oh == h && ow == w;
  }
};

/// The row of oh x ow pixels of window tap `tap` (channel, window row,
/// window column): `pad` outside the image and convert(value) inside;
/// `copyRow(dst, src, n)` converts the contiguous runs of stride-1 windows.
template <typename T, typename U, typename Convert, typename CopyRow>
void unfoldTap(const Window &win, const T *image, int64_t tap, U *row, U pad, Convert convert,
               CopyRow copyRow) {
  int64_t kx = tap % win.kw, ky = tap / win.kw % win.kh, c = tap / (win.kw * win.kh);
  // Output columns whose input column is inside the image.
  int64_t offset = kx * win.dilationW - win.padLeft;
  auto [first, last] = insideColumns(offset, win.strideW, win.w, win.ow);
  const T *plane = image + c * win.h * win.w;
  // Output rows whose input row is inside the image: [oyFirst, oyLast).
  auto [oyFirst, oyLast] =
      insideColumns(ky * win.dilationH - win.padTop, win.strideH, win.h, win.oh);
  std::fill(row, row + oyFirst * win.ow, pad);
  std::fill(row + oyLast * win.ow, row + win.oh * win.ow, pad);
  if (oyFirst == oyLast)
    return;
  auto source = [&](int64_t oy) {
    return plane + (oy * win.strideH - win.padTop + ky * win.dilationH) * win.w + offset;
  };
  if (win.strideW == 1 && win.strideH == 1 && win.dilationH == 1 && win.ow == win.w &&
      first < last) {
    // Input rows follow each other as output rows do: one run from the
    // first row's first inside column to the last row's last, then the
    // padding columns (which the run filled from neighbouring rows).
    int64_t begin = oyFirst * win.ow + first, end = (oyLast - 1) * win.ow + last;
    copyRow(row + begin, source(oyFirst) + first, end - begin);
    for (int64_t oy = oyFirst; oy < oyLast; ++oy) {
      std::fill(row + oy * win.ow, row + oy * win.ow + first, pad);
      std::fill(row + oy * win.ow + last, row + (oy + 1) * win.ow, pad);
    }
    return;
  }
  for (int64_t oy = oyFirst; oy < oyLast; ++oy) {
    U *dst = row + oy * win.ow;
    const T *src = source(oy);
    std::fill(dst, dst + first, pad);
    if (win.strideW == 1)
      copyRow(dst + first, src + first, last - first);
    else if (win.strideW == 2) // a constant stride: the loop vectorizes
      for (int64_t ox = first; ox < last; ++ox)
        dst[ox] = convert(src[2 * ox]);
    else
      for (int64_t ox = first; ox < last; ++ox)
        dst[ox] = convert(src[ox * win.strideW]);
    std::fill(dst + last, dst + win.ow, pad);
  }
}

/// One row of oh x ow pixels per tap (unfoldTap), the taps split over the
/// threads when `parallel`.
template <typename T, typename Convert, typename CopyRow>
void unfoldWindow(const Window &win, const T *image, T *columns, T pad, Convert convert,
                  CopyRow copyRow, bool parallel = false) {
  int64_t pixels = win.oh * win.ow, taps = win.channels * win.kh * win.kw;
  forEachSlice(taps, parallel, [&](int64_t first, int64_t last) {
    for (int64_t tap = first; tap < last; ++tap)
      unfoldTap(win, image, tap, columns + tap * pixels, pad, convert, copyRow);
  });
}

} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_UNFOLD_H
