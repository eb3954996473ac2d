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
#include <array>
#include <cstddef>
#include <type_traits>

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
  /// The stride s (1 or 2) at which every tap reads one phase plane of the
  /// image at one offset from the output pixel's index, or 0 where taps are
  /// not shifts. Phase plane (py, px) of a channel holds image pixels
  /// (s r + py, s q + px) in rows as wide as the output's; tap (c, ky, kx)
  /// of output pixel (oy, ox) is its pixel (oy + sy, ox + sx), where
  /// ky - padTop = s sy + py and kx - padLeft = s sx + px, whenever the tap
  /// lies inside the image. At stride 1 the planes are the image itself
  /// (output rows as wide as the image's). At stride 2 they are copied out
  /// (phasePlaneBytes), for windows of at least 2 x 2, whose taps read every
  /// plane, and output rows at least as wide as the planes' real columns.
  int64_t shiftStride() const {
    if (dilationH != 1 || dilationW != 1 || strideH != strideW)
      return 0;
    if (strideH == 1)
      return ow == w ? 1 : 0;
    return strideH == 2 && kh >= 2 && kw >= 2 && (w + 1) / 2 <= ow ? 2 : 0;
  }
  /// Bytes of one phase plane at stride s (rows of the output's width; at
  /// stride 1, the image's plane), and of all the channels' planes.
  int64_t phasePlaneSize(int64_t s) const { return (h + s - 1) / s * ow; }
  int64_t phasePlaneBytes(int64_t s) const { return channels * s * s * phasePlaneSize(s); }
};

/// Where the taps of a window whose taps are shifts of the image's phase
/// planes at stride s (Window::shiftStride) read for output pixels
/// [x0, x0 + width), width <= 64, of windows up to kMaxWindow x kMaxWindow:
/// tap (c, ky, kx) of pixel x0 + i is element
/// x0 + i + c s^2 phasePlaneSize(s) + rowOffset[ky] + columnOffset[kx] of
/// the planes wherever bit i of rowInside[ky] and of columnInside[kx] is
/// set (its input row and column are inside the image). The int8 and bf16
/// packers load each tap's pixels with one masked load from there.
struct ShiftedTaps {
  static constexpr int64_t kMaxWindow = 16;
  /// Whether `win` is small enough for the masks.
  static bool covers(const Window &win) { return win.kh <= kMaxWindow && win.kw <= kMaxWindow; }
  std::array<uint64_t, kMaxWindow> rowInside{}, columnInside{};
  std::array<int64_t, kMaxWindow> rowOffset{}, columnOffset{};

  ShiftedTaps(const Window &win, int64_t s, int64_t x0, int64_t width) {
    // Masks built a run of pixels of one output row at a time, from each
    // window column's range of inside output columns.
    std::array<ColumnRange, kMaxWindow> insideAt;
    for (int64_t kx = 0; kx < win.kw; ++kx)
      insideAt[kx] = insideColumns(kx - win.padLeft, s, win.w, win.ow);
    int64_t oy = x0 / win.ow, ox = x0 % win.ow;
    for (int64_t i = 0, end; i < width; i = end, ++oy, ox = 0) {
      end = std::min<int64_t>(width, i + win.ow - ox); // past the row's pixels
      for (int64_t ky = 0; ky < win.kh; ++ky)
        if (uint64_t(s * oy - win.padTop + ky) < uint64_t(win.h))
          rowInside[ky] |= pixelRange(i, end);
      for (int64_t kx = 0; kx < win.kw; ++kx)
        columnInside[kx] |= pixelRange(std::max(i, i + insideAt[kx].first - ox),
                                       std::min(end, i + insideAt[kx].last - ox));
    }
    // Window row ky reads row ky - padTop = s q + r (0 <= r < s) of the
    // planes of row phase r, shifted by q rows; columns likewise. With s 1
    // or 2, q and r are a shift by s - 1 and a mask of s - 1: no division.
    int64_t plane = win.phasePlaneSize(s), low = s - 1;
    for (int64_t ky = 0; ky < win.kh; ++ky) {
      int64_t d = ky - win.padTop;
      rowOffset[ky] = (d & low) * s * plane + (d >> low) * win.ow;
    }
    for (int64_t kx = 0; kx < win.kw; ++kx) {
      int64_t d = kx - win.padLeft;
      columnOffset[kx] = (d & low) * plane + (d >> low);
    }
  }

  /// Bits [first, last) (none where last <= first).
  static uint64_t pixelRange(int64_t first, int64_t last) {
    if (last <= first)
      return 0;
    uint64_t below = last >= 64 ? ~uint64_t(0) : (uint64_t(1) << last) - 1;
    return below & ~((uint64_t(1) << first) - 1);
  }
};

/// `pad` in n elements: the few padding columns of a row inline (a memset
/// call costs more than they do), longer runs by std::fill.
template <typename U> void fillPad(U *dst, int64_t n, U pad) {
  if (n > 4)
    return (void)std::fill(dst, dst + n, pad);
  if (n > 0)
    dst[0] = pad;
  if (n > 1)
    dst[1] = pad;
  if (n > 2)
    dst[2] = pad;
  if (n > 3)
    dst[3] = pad;
}

/// The row of oh x ow pixels of window tap `tap` (channel, window row,
/// window column): `pad` outside the image and convert(value) inside;
/// `copyRow(dst, src, n)` converts the contiguous runs of stride-1 windows,
/// and `copyEven(dst, src, n)`, where given, those of stride 2 (dst[i] =
/// convert(src[2 i])).
template <typename T, typename U, typename Convert, typename CopyRow,
          typename CopyEven = std::nullptr_t>
void unfoldTap(const Window &win, const T *image, int64_t tap, U *row, U pad, Convert convert,
               CopyRow copyRow, CopyEven copyEven = nullptr) {
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
      fillPad(row + oy * win.ow, first, pad);
      fillPad(row + oy * win.ow + last, win.ow - last, pad);
    }
    return;
  }
  for (int64_t oy = oyFirst; oy < oyLast; ++oy) {
    U *dst = row + oy * win.ow;
    const T *src = source(oy);
    fillPad(dst, first, pad);
    if (win.strideW == 1) {
      copyRow(dst + first, src + first, last - first);
    } else if (win.strideW == 2) {
      if constexpr (std::is_null_pointer_v<CopyEven>)
        for (int64_t ox = first; ox < last; ++ox) // a constant stride: vectorizes
          dst[ox] = convert(src[2 * ox]);
      else
        copyEven(dst + first, src + 2 * first, last - first);
    } else {
      for (int64_t ox = first; ox < last; ++ox)
        dst[ox] = convert(src[ox * win.strideW]);
    }
    fillPad(dst + last, win.ow - last, pad);
  }
}

/// One row of oh x ow pixels per tap (unfoldTap), the taps split over the
/// threads when `parallel`.
template <typename T, typename Convert, typename CopyRow, typename CopyEven = std::nullptr_t>
void unfoldWindow(const Window &win, const T *image, T *columns, T pad, Convert convert,
                  CopyRow copyRow, bool parallel = false, CopyEven copyEven = nullptr) {
  int64_t pixels = win.oh * win.ow, taps = win.channels * win.kh * win.kw;
  forEachSlice(taps, parallel, [&](int64_t first, int64_t last) {
    for (int64_t tap = first; tap < last; ++tap)
      unfoldTap(win, image, tap, columns + tap * pixels, pad, convert, copyRow, copyEven);
  });
}

} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_UNFOLD_H
