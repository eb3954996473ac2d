//===- ConvGeometry.h - the float convolutions' parameters ------*- C++ -*-===//
//
// Shared by the float (FConv.cpp) and bf16 (BConv.cpp) convolution kernels:
// the qc_fconv_param array and the image unfolded into rows of pixels, one
// per tap, in the order each output sums its taps.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_CONVGEOMETRY_H
#define QUANTC_LIB_RUNTIME_KERNELS_CONVGEOMETRY_H

#include "Kernels.h"
#include "quantc/Runtime/Microkernels.h"

#include <algorithm>

namespace quantc::kernels {
// Internal linkage: each instruction-set build of a kernel compiles its own
// copy, which must not be merged with another build's.
namespace {

struct ConvGeometry {
  const int64_t *p;
  int64_t operator[](qc_fconv_param i) const { return p[i]; }
  int64_t groups() const { return p[QC_FCONV_GROUP]; }
  int64_t groupChannels() const { return p[QC_FCONV_C] / groups(); }
  int64_t groupOutputs() const { return p[QC_FCONV_N] / groups(); }
  int64_t taps() const { return groupChannels() * p[QC_FCONV_KH] * p[QC_FCONV_KW]; }
  int64_t pixels() const { return p[QC_FCONV_OH] * p[QC_FCONV_OW]; }
  bool isPointwise() const {
    return p[QC_FCONV_KH] == 1 && p[QC_FCONV_KW] == 1 && p[QC_FCONV_STRIDE_H] == 1 &&
           p[QC_FCONV_STRIDE_W] == 1 && p[QC_FCONV_PAD_TOP] == 0 &&
           p[QC_FCONV_PAD_LEFT] == 0 && p[QC_FCONV_OH] == p[QC_FCONV_H] &&
           p[QC_FCONV_OW] == p[QC_FCONV_W];
  }
};

/// Rows of pixels, one per tap (channel, window row, window column), zero
/// in the padding.
template <typename T>
void unfold(const ConvGeometry &g, const T *image, T *columns) {
  int64_t h = g[QC_FCONV_H], w = g[QC_FCONV_W], kh = g[QC_FCONV_KH], kw = g[QC_FCONV_KW];
  int64_t sh = g[QC_FCONV_STRIDE_H], sw = g[QC_FCONV_STRIDE_W];
  int64_t dh = g[QC_FCONV_DILATION_H], dw = g[QC_FCONV_DILATION_W];
  int64_t pt = g[QC_FCONV_PAD_TOP], pl = g[QC_FCONV_PAD_LEFT];
  int64_t oh = g[QC_FCONV_OH], ow = g[QC_FCONV_OW], pixels = oh * ow;
  for (int64_t c = 0; c < g.groupChannels(); ++c)
    for (int64_t ky = 0; ky < kh; ++ky)
      for (int64_t kx = 0; kx < kw; ++kx) {
        T *row = columns + ((c * kh + ky) * kw + kx) * pixels;
        int64_t offset = kx * dw - pl;
        auto [first, last] = quantc::kernels::insideColumns(offset, sw, w, ow);
        for (int64_t oy = 0; oy < oh; ++oy) {
          T *dst = row + oy * ow;
          int64_t iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= h) {
            std::fill(dst, dst + ow, T(0));
            continue;
          }
          const T *src = image + (c * h + iy) * w;
          std::fill(dst, dst + first, T(0));
          for (int64_t ox = first; ox < last; ++ox)
            dst[ox] = src[ox * sw + offset];
          std::fill(dst + last, dst + ow, T(0));
        }
      }
}

} // namespace
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_CONVGEOMETRY_H
